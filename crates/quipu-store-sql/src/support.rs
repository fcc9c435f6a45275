//! [`SupportStore`] for every backend: the access log people read about themselves.

use quipu_domain::Timestamp;
use quipu_domain::identity::{Role, UserId};
use quipu_store::support::{
    AccessEntryRecord, AccessGrantRecord, MAX_ACCESS_LOG_PAGE, MAX_SEARCH_PAGE, PeopleQuery, PersonRecord, SupportStore,
};
use quipu_store::{StoreResult, UserRecord, async_trait, db_error};
use uuid::Uuid;

use crate::driver::{Columns, FromColumns, Statement, execute, fetch_all, fetch_optional};
use crate::{Backend, Conn, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_ACCESS_ENTRY = "INSERT INTO access_log (id, subject, actor, actor_role, action, reason, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        SELECT_ACCESS_ENTRIES = "SELECT id, subject, actor, actor_role, action, reason, detail, at FROM access_log WHERE subject = $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3";
        /// $1 role or '', $2 exact id (or NULL), $3 phone prefix pattern (or NULL), $4 lower-cased name pattern, $5 before, $6 limit.
        SEARCH_PEOPLE = "SELECT u.id, u.role, u.phone, u.full_name, u.password_hash, u.pin_hash, u.merchant_id, u.pin_failed_attempts, u.pin_locked_until, u.login_failed_attempts, u.login_locked_until, u.created_at, m.name AS merchant_name
    FROM users u LEFT JOIN merchants m ON m.id = u.merchant_id
    WHERE ($1 = '' OR u.role = $1)
      AND (u.id = $2 OR u.phone LIKE $3 ESCAPE '\\' OR LOWER(u.full_name) LIKE $4 ESCAPE '\\' OR LOWER(m.name) LIKE $4 ESCAPE '\\')
      AND u.created_at < $5
    ORDER BY u.created_at DESC LIMIT $6";
        INSERT_ACCESS_GRANT = "INSERT INTO access_grants (id, subject, grantee, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";
        SELECT_LIVE_GRANT = "SELECT id, subject, grantee, reason, created_at, expires_at FROM access_grants WHERE subject = $1 AND grantee = $2 AND expires_at > $3 ORDER BY expires_at DESC LIMIT 1";
    }
}

/// Writes an access-log entry inside the caller's transaction, so an action and its entry commit together.
pub(crate) async fn insert_access_entry<B: Backend>(conn: &mut Conn<B>, entry: &AccessEntryRecord) -> StoreResult<()> {
    let insert = Statement::new(sql::INSERT_ACCESS_ENTRY)
        .bind(entry.id)
        .bind(entry.subject)
        .bind(entry.actor)
        .bind(entry.actor_role.as_str())
        .bind(entry.action.as_str())
        .bind(entry.reason.as_str())
        .bind(entry.detail.as_str())
        .bind(entry.at);
    execute::<B::Db>(conn, "writing the access log", insert).await.map(|_| ())
}

impl FromColumns for AccessEntryRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(AccessEntryRecord {
            id: row.uuid("id")?,
            subject: row.uuid("subject")?,
            actor: UserId(row.uuid("actor")?),
            actor_role: crate::decode::named("access_log", row, "actor_role", Role::parse)?,
            action: row.text("action")?,
            reason: row.text("reason")?,
            detail: row.text("detail")?,
            at: Timestamp(row.int("at")?),
        })
    }
}

impl FromColumns for PersonRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(PersonRecord { user: UserRecord::from_columns(row)?, merchant_name: row.opt_text("merchant_name")? })
    }
}

impl FromColumns for AccessGrantRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(AccessGrantRecord {
            id: row.uuid("id")?,
            subject: UserId(row.uuid("subject")?),
            grantee: UserId(row.uuid("grantee")?),
            reason: row.text("reason")?,
            created_at: Timestamp(row.int("created_at")?),
            expires_at: Timestamp(row.int("expires_at")?),
        })
    }
}

#[async_trait]
impl<B: Backend> SupportStore for SqlStore<B> {
    async fn insert_access_entry(&self, entry: &AccessEntryRecord) -> StoreResult<()> {
        let mut conn = self.writer().await?;
        insert_access_entry::<B>(&mut conn, entry).await
    }

    async fn access_entries(
        &self,
        subject: Uuid,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<AccessEntryRecord>> {
        let statement =
            Statement::new(sql::SELECT_ACCESS_ENTRIES).bind(subject).bind(before).bind(limit.min(MAX_ACCESS_LOG_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "reading the access log", statement).await
    }

    async fn search_people(
        &self,
        query: &PeopleQuery,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PersonRecord>> {
        let statement = Statement::new(sql::SEARCH_PEOPLE)
            .bind(query.role.map_or("", Role::as_str))
            .bind(query.id)
            .bind(query.phone_prefix.as_deref())
            .bind(query.name_pattern.as_str())
            .bind(before)
            .bind(limit.min(MAX_SEARCH_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "searching people", statement).await
    }

    async fn insert_access_grant(&self, grant: &AccessGrantRecord, log: &AccessEntryRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let insert = Statement::new(sql::INSERT_ACCESS_GRANT)
            .bind(grant.id)
            .bind(grant.subject)
            .bind(grant.grantee)
            .bind(grant.reason.as_str())
            .bind(grant.created_at)
            .bind(grant.expires_at);
        execute::<B::Db>(&mut tx, "storing an access grant", insert).await?;
        insert_access_entry::<B>(&mut tx, log).await?;
        tx.commit().await.map_err(db_error("committing an access grant"))
    }

    async fn live_access_grant(
        &self,
        subject: UserId,
        grantee: UserId,
        now: Timestamp,
    ) -> StoreResult<Option<AccessGrantRecord>> {
        let statement = Statement::new(sql::SELECT_LIVE_GRANT).bind(subject).bind(grantee).bind(now);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading an access grant", statement).await
    }
}
