//! The two backends run the same SQL on schemas built by two sets of
//! migrations. These tests catch drift between them before a customer does:
//! every statement the store runs is prepared (parsed and planned against
//! the schema) on each backend, and the two migrated schemas must have the
//! same tables, columns, keys and indexes.

use std::collections::{BTreeMap, BTreeSet};

use quipu_store_postgres::PostgresBackend;
use quipu_store_sqlite::SqliteBackend;
use sqlx::{Executor, Row};

use crate::harness::{Backend as TestBackend, PgDatabase, backends};

#[tokio::test]
async fn every_statement_prepares_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = quipu_store_sqlite::open(&dir.path().join("prepare.sqlite3"), 1).await.unwrap();
    let mut statements = quipu_store_sql::statements::<SqliteBackend>();
    statements.extend(quipu_store_sqlite::statements());
    assert!(statements.len() > 100, "the registry lists the store's statements: {}", statements.len());
    let mut conn = sqlite.writer_pool().acquire().await.unwrap();
    for (name, sql) in &statements {
        if let Err(error) = conn.prepare(sql.as_str()).await {
            panic!("{name} does not prepare on SQLite: {error}\n{sql}");
        }
    }
    drop(conn);
    sqlite.close().await;

    if !backends().contains(&TestBackend::Postgres) {
        return;
    }
    let database = PgDatabase::create().await;
    let postgres = quipu_store_postgres::connect(&database.url, 1).await.unwrap();
    let mut statements = quipu_store_sql::statements::<PostgresBackend>();
    statements.extend(quipu_store_postgres::statements());
    let mut conn = postgres.writer_pool().acquire().await.unwrap();
    for (name, sql) in &statements {
        if let Err(error) = conn.prepare(sql.as_str()).await {
            panic!("{name} does not prepare on PostgreSQL: {error}\n{sql}");
        }
    }
    drop(conn);
    postgres.close().await;
    database.drop_database().await;
}

/// What a migrated schema holds, in terms both databases share.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// Column name → (type class, nullable).
    columns: BTreeMap<String, (&'static str, bool)>,
    primary_key: Vec<String>,
    indexes: BTreeSet<Index>,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    /// For a `CREATE INDEX`; `None` for the index behind a `UNIQUE` constraint, which each
    /// database names its own way.
    name: Option<String>,
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

/// A column type's class: SQLite stores UUIDs and bytes alike as BLOBs.
fn class(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "int8" => "integer",
        "text" => "text",
        "blob" | "bytea" | "uuid" => "blob",
        _ => "other",
    }
}

/// Rows of a catalogue query about `name` (a table or an index), or of one that takes none.
async fn sqlite_rows(pool: &sqlx::SqlitePool, sql: &str, name: &str) -> Vec<sqlx::sqlite::SqliteRow> {
    sqlx::query(sql).bind(name).fetch_all(pool).await.unwrap()
}

async fn pg_rows(pool: &sqlx::PgPool, sql: &str, name: &str) -> Vec<sqlx::postgres::PgRow> {
    sqlx::query(sql).bind(name).fetch_all(pool).await.unwrap()
}

async fn sqlite_schema(pool: &sqlx::SqlitePool) -> BTreeMap<String, Table> {
    let mut schema = BTreeMap::new();
    let tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' AND name <> $1";
    for table in sqlite_rows(pool, tables, "").await {
        let name: String = table.get("name");
        let mut entry = Table::default();
        let columns =
            sqlite_rows(pool, "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid", &name)
                .await;
        let mut key: Vec<(i64, String)> = Vec::new();
        for column in columns {
            let column_name: String = column.get("name");
            let declared: String = column.get("type");
            let pk: i64 = column.get("pk");
            let not_null: i64 = column.get("notnull");
            // A primary key column is never null, whatever its declaration says.
            entry.columns.insert(column_name.clone(), (class(&declared), not_null == 0 && pk == 0));
            if pk > 0 {
                key.push((pk, column_name));
            }
        }
        key.sort();
        entry.primary_key = key.into_iter().map(|(_, column)| column).collect();
        let indexes =
            sqlite_rows(pool, "SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)", &name).await;
        for index in indexes {
            let origin: String = index.get("origin");
            if origin == "pk" {
                continue;
            }
            let index_name: String = index.get("name");
            let columns = sqlite_rows(pool, "SELECT name FROM pragma_index_info($1) ORDER BY seqno", &index_name)
                .await
                .iter()
                .map(|row| row.get::<String, _>("name"))
                .collect();
            let unique: i64 = index.get("unique");
            let partial: i64 = index.get("partial");
            entry.indexes.insert(Index {
                name: (origin == "c").then_some(index_name),
                columns,
                unique: unique == 1,
                partial: partial == 1,
            });
        }
        schema.insert(name, entry);
    }
    schema
}

async fn postgres_schema(pool: &sqlx::PgPool) -> BTreeMap<String, Table> {
    let mut schema = BTreeMap::new();
    let tables = "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_sqlx%' AND table_name <> $1";
    for table in pg_rows(pool, tables, "").await {
        let name: String = table.get("name");
        let mut entry = Table::default();
        let columns = "SELECT column_name::text AS name, data_type::text AS type, is_nullable = 'YES' AS nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1";
        for column in pg_rows(pool, columns, &name).await {
            let declared: String = column.get("type");
            entry.columns.insert(column.get("name"), (class(&declared), column.get("nullable")));
        }
        let indexes = "SELECT i.relname::text AS name, ix.indisunique AS is_unique, ix.indisprimary AS is_primary,
                    ix.indpred IS NOT NULL AS partial,
                    EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype = 'u') AS from_constraint,
                    (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) AS columns
             FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = 'public' AND t.relname = $1";
        for index in pg_rows(pool, indexes, &name).await {
            let columns: Vec<String> = index.get("columns");
            if index.get::<bool, _>("is_primary") {
                entry.primary_key = columns;
                continue;
            }
            let from_constraint: bool = index.get("from_constraint");
            entry.indexes.insert(Index {
                name: (!from_constraint).then(|| index.get("name")),
                columns,
                unique: index.get("is_unique"),
                partial: index.get("partial"),
            });
        }
        schema.insert(name, entry);
    }
    schema
}

#[tokio::test]
async fn both_migration_sets_build_the_same_schema() {
    if !backends().contains(&TestBackend::Postgres) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = quipu_store_sqlite::open(&dir.path().join("schema.sqlite3"), 1).await.unwrap();
    let database = PgDatabase::create().await;
    let postgres = quipu_store_postgres::connect(&database.url, 1).await.unwrap();

    let mut on_sqlite = sqlite_schema(sqlite.reader_pool()).await;
    let mut on_postgres = postgres_schema(postgres.reader_pool()).await;
    // The product search index is each engine's own (an FTS5 table with its shadow tables, a
    // table of text-search vectors): what both must agree on is the terms in it, which
    // `market_search` checks. Here each must merely have one.
    let search_index = |name: &String| name.starts_with("product_search");
    assert!(on_sqlite.keys().any(search_index) && on_postgres.keys().any(search_index));
    on_sqlite.retain(|name, _| !search_index(name));
    on_postgres.retain(|name, _| !search_index(name));
    assert!(on_sqlite.len() >= 20 && on_sqlite.contains_key("transfers"), "{:?}", on_sqlite.keys());
    assert_eq!(
        on_sqlite.keys().collect::<Vec<_>>(),
        on_postgres.keys().collect::<Vec<_>>(),
        "the same tables on both backends"
    );
    for (table, sqlite_table) in &on_sqlite {
        assert_eq!(Some(sqlite_table), on_postgres.get(table), "table {table} differs between SQLite and PostgreSQL");
    }
    sqlite.close().await;
    postgres.close().await;
    database.drop_database().await;
}

/// A story that panics never reaches `finish`; its PostgreSQL database must not outlive it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_story_leaves_no_database_behind() {
    if !backends().contains(&TestBackend::Postgres) {
        return;
    }
    // The story runs on its own thread and runtime so its panic is contained, as a failing test's is.
    let (name_tx, name_rx) = std::sync::mpsc::channel();
    let story = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let app = crate::harness::TestApp::start(TestBackend::Postgres, crate::harness::test_config()).await;
            let name = app.storage.postgres.as_ref().unwrap().name().to_owned();
            assert!(crate::harness::database_exists(&name).await, "{name} was created");
            name_tx.send(name).unwrap();
            panic!("this story fails on purpose, to show its database is dropped anyway");
        })
    });
    assert!(story.join().is_err(), "the story panicked");
    let name = name_rx.recv().unwrap();
    assert!(!crate::harness::database_exists(&name).await, "{name} outlived its failing story");
}
