//! [`SupportStore`] for every backend: the access log people read about themselves.

use quipu_domain::Timestamp;
use quipu_domain::identity::{Role, UserId};
use quipu_store::support::{AccessEntryRecord, MAX_ACCESS_LOG_PAGE, SupportStore};
use quipu_store::{StoreResult, async_trait};
use uuid::Uuid;

use crate::driver::{Columns, FromColumns, Statement, execute, fetch_all};
use crate::{Backend, Conn, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_ACCESS_ENTRY = "INSERT INTO access_log (id, subject, actor, actor_role, action, reason, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        SELECT_ACCESS_ENTRIES = "SELECT id, subject, actor, actor_role, action, reason, detail, at FROM access_log WHERE subject = $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3";
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
}
