//! [`OperationsStore`] for every backend: health, idempotency records,
//! housekeeping, backups.

use std::path::Path;

use quipu_domain::Timestamp;
use quipu_store::{IdempotencyRecord, OperationsStore, StoreResult, async_trait};
use uuid::Uuid;

use crate::driver::{Statement, execute, fetch_one, fetch_optional};
use crate::{Backend, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        PING = "SELECT 1";
        SELECT_IDEMPOTENCY = "SELECT scope, key, request_hash, status, body, created_at FROM idempotency WHERE scope = $1 AND key = $2";
        INSERT_IDEMPOTENCY = "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, key) DO NOTHING";
        /// $1 cutoff, $2 batch size. Row-value `IN`, because PostgreSQL has no `DELETE … LIMIT`.
        PURGE_IDEMPOTENCY = "DELETE FROM idempotency WHERE (scope, key) IN
    (SELECT scope, key FROM idempotency WHERE created_at < $1 LIMIT $2)";
        PURGE_SESSIONS = "DELETE FROM sessions WHERE token_hash IN
    (SELECT token_hash FROM sessions WHERE expires_at < $1 LIMIT $2)";
        /// A source's wrong guesses are forgotten with the idempotency records, unless they still lock.
        PURGE_SECRET_ATTEMPTS = "DELETE FROM secret_attempts WHERE (owner, kind, source) IN
    (SELECT owner, kind, source FROM secret_attempts WHERE last_failed_at < $1 AND (locked_until IS NULL OR locked_until < $1) LIMIT $2)";
        /// Trust that has lapsed, with the expired sessions.
        PURGE_TRUSTED_SOURCES = "DELETE FROM trusted_sources WHERE (owner, kind, source) IN
    (SELECT owner, kind, source FROM trusted_sources WHERE trusted_until < $1 LIMIT $2)";
    }
}

#[async_trait]
impl<B: Backend> OperationsStore for SqlStore<B> {
    fn backend_name(&self) -> &'static str {
        B::NAME
    }

    async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.reader().await?;
        execute::<B::Db>(&mut conn, "pinging the database", Statement::new(sql::PING)).await.map(|_| ())
    }

    async fn idempotency_record(&self, scope: Uuid, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let statement = Statement::new(sql::SELECT_IDEMPOTENCY).bind(scope).bind(key);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading an idempotency record", statement).await
    }

    async fn save_idempotency_record(&self, record: &IdempotencyRecord) -> StoreResult<IdempotencyRecord> {
        let insert = Statement::new(sql::INSERT_IDEMPOTENCY)
            .bind(record.scope)
            .bind(&record.key)
            .bind(&record.request_hash)
            .bind(u32::from(record.status))
            .bind(&record.body)
            .bind(record.created_at);
        // Read back on the same connection, so the answer is whichever record is stored.
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "saving an idempotency record", insert).await?;
        let select = Statement::new(sql::SELECT_IDEMPOTENCY).bind(record.scope).bind(&record.key);
        fetch_one::<B::Db, _>(&mut conn, "reloading an idempotency record", select).await
    }

    async fn purge_stale(
        &self,
        idempotency_before: Timestamp,
        sessions_before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        let mut conn = self.writer().await?;
        let mut purged = 0;
        for (statement, cutoff) in [
            (sql::PURGE_IDEMPOTENCY, idempotency_before),
            (sql::PURGE_SESSIONS, sessions_before),
            (sql::PURGE_SECRET_ATTEMPTS, idempotency_before),
            (sql::PURGE_TRUSTED_SOURCES, sessions_before),
        ] {
            let purge = Statement::new(statement).bind(cutoff).bind(limit);
            purged += execute::<B::Db>(&mut conn, "purging stale rows", purge).await?;
        }
        Ok(purged)
    }

    async fn backup(&self, destination: &Path) -> StoreResult<()> {
        B::backup(&self.reader, destination).await
    }
}
