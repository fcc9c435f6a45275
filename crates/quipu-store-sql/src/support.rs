//! [`SupportStore`] for every backend: the access log people read about themselves.

use quipu_domain::Timestamp;
use quipu_domain::identity::{Role, UserId};
use quipu_domain::money::CurrencyCode;
use quipu_store::support::{
    AccessEntryRecord, AccessGrantRecord, AttentionCounts, LowFloatRecord, MAX_ACCESS_LOG_PAGE, MAX_LOW_FLOATS,
    MAX_SEARCH_PAGE, PeopleQuery, PersonRecord, ResetCodeRecord, ResetRequestRecord, ResetWatchRecord, SupportStore,
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
        SEARCH_PEOPLE = "SELECT u.id, u.role, u.phone, u.full_name, u.password_hash, u.pin_hash, u.merchant_id, u.pin_failed_attempts, u.pin_locked_until, u.login_failed_attempts, u.login_locked_until, u.created_at, u.removed_at, u.may_refund, m.name AS merchant_name
    FROM users u LEFT JOIN merchants m ON m.id = u.merchant_id
    WHERE ($1 = '' OR u.role = $1)
      AND (u.id = $2 OR u.phone LIKE $3 ESCAPE '\\' OR LOWER(u.full_name) LIKE $4 ESCAPE '\\' OR LOWER(m.name) LIKE $4 ESCAPE '\\')
      AND u.created_at < $5
    ORDER BY u.created_at DESC LIMIT $6";
        UPSERT_RESET_CODE = "INSERT INTO reset_codes (user_id, code_hash, issued_by, created_at, expires_at, failed_attempts, reason) VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash, issued_by = excluded.issued_by, created_at = excluded.created_at, expires_at = excluded.expires_at, failed_attempts = 0, reason = excluded.reason";
        SELECT_RESET_CODE = "SELECT user_id, code_hash, issued_by, created_at, expires_at, failed_attempts, reason FROM reset_codes WHERE user_id = $1";
        UPSERT_RESET_REQUEST = "INSERT INTO reset_requests (user_id, requested_by, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET requested_by = excluded.requested_by, reason = excluded.reason, created_at = excluded.created_at, expires_at = excluded.expires_at";
        SELECT_RESET_REQUEST = "SELECT user_id, requested_by, reason, created_at, expires_at FROM reset_requests WHERE user_id = $1";
        /// Takes exactly the request that was read: $2 its asker, $3 when it was asked.
        TAKE_RESET_REQUEST = "DELETE FROM reset_requests WHERE user_id = $1 AND requested_by = $2 AND created_at = $3";
        UPSERT_RESET_WATCH = "INSERT INTO reset_watches (user_id, issued_by, reason, since) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET issued_by = excluded.issued_by, reason = excluded.reason, since = excluded.since";
        SELECT_RESET_WATCH = "SELECT user_id, issued_by, reason, since FROM reset_watches WHERE user_id = $1";
        /// $2 the hash checked, $3 the most tries a code has.
        TAKE_RESET_TRY = "UPDATE reset_codes SET failed_attempts = failed_attempts + 1 WHERE user_id = $1 AND code_hash = $2 AND failed_attempts < $3";
        /// $2: the most wrong tries a code survives.
        DROP_SPENT_RESET_CODE = "DELETE FROM reset_codes WHERE user_id = $1 AND failed_attempts >= $2";
        /// Spends exactly the code that was checked ($2 its hash): a code replaced meanwhile stays.
        SPEND_RESET_CODE = "DELETE FROM reset_codes WHERE user_id = $1 AND code_hash = $2";
        SET_PASSWORD_AND_UNLOCK = "UPDATE users SET password_hash = $2, login_failed_attempts = 0, login_locked_until = NULL WHERE id = $1";
        FORGET_LOGIN_GUESSES = "DELETE FROM secret_attempts WHERE owner = $1 AND kind = 'password'";
        END_SESSIONS = "DELETE FROM sessions WHERE user_id = $1";
        INSERT_ACCESS_GRANT = "INSERT INTO access_grants (id, subject, grantee, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)";
        /// $1 now, $2 failing since, $3 the ledger's frozen flag.
        ATTENTION_COUNTS = "SELECT (SELECT COUNT(*) FROM payouts WHERE status = 'pending') AS pending_payouts,
    (SELECT COUNT(*) FROM accounts WHERE (flags & $3) <> 0) AS frozen_accounts,
    (SELECT COUNT(DISTINCT d.endpoint_id) FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
      WHERE w.disabled_at IS NULL AND ((d.status = 'pending' AND d.attempts > 0) OR (d.status = 'failed' AND d.created_at >= $2))) AS failing_webhooks,
    (SELECT COUNT(*) FROM users WHERE removed_at IS NULL AND (pin_locked_until > $1 OR login_locked_until > $1)) AS locked_people";
        /// $1 currency, $2 the mark in minor units, $3 limit. A float never funded in a currency is unused, not low.
        SELECT_LOW_FLOATS = "SELECT u.id, u.full_name, u.phone, a.currency, a.credits_posted - a.debits_posted - a.debits_pending AS available
    FROM accounts a JOIN users u ON a.owner_kind = 'user' AND a.owner_id = u.id
    WHERE a.kind = 'agent_float' AND a.currency = $1 AND a.credits_posted > 0 AND u.removed_at IS NULL AND a.credits_posted - a.debits_posted - a.debits_pending < $2
    ORDER BY available, u.id LIMIT $3";
        SELECT_LIVE_GRANT = "SELECT id, subject, grantee, reason, created_at, expires_at FROM access_grants WHERE subject = $1 AND grantee = $2 AND expires_at > $3 ORDER BY created_at DESC, id DESC LIMIT 1";
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

impl FromColumns for AttentionCounts {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(AttentionCounts {
            pending_payouts: row.int("pending_payouts")?,
            frozen_accounts: row.int("frozen_accounts")?,
            failing_webhooks: row.int("failing_webhooks")?,
            locked_people: row.int("locked_people")?,
        })
    }
}

impl FromColumns for LowFloatRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(LowFloatRecord {
            agent: UserId(row.uuid("id")?),
            full_name: row.text("full_name")?,
            phone: row.text("phone")?,
            currency: crate::decode::currency("accounts", row, "currency")?,
            available: row.int("available")?,
        })
    }
}

impl FromColumns for PersonRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(PersonRecord { user: UserRecord::from_columns(row)?, merchant_name: row.opt_text("merchant_name")? })
    }
}

impl FromColumns for ResetCodeRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(ResetCodeRecord {
            user_id: UserId(row.uuid("user_id")?),
            code_hash: row.text("code_hash")?,
            issued_by: UserId(row.uuid("issued_by")?),
            created_at: Timestamp(row.int("created_at")?),
            expires_at: Timestamp(row.int("expires_at")?),
            failed_attempts: u32::try_from(row.int("failed_attempts")?).unwrap_or(u32::MAX),
            reason: row.text("reason")?,
        })
    }
}

impl FromColumns for ResetRequestRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(ResetRequestRecord {
            user_id: UserId(row.uuid("user_id")?),
            requested_by: UserId(row.uuid("requested_by")?),
            reason: row.text("reason")?,
            created_at: Timestamp(row.int("created_at")?),
            expires_at: Timestamp(row.int("expires_at")?),
        })
    }
}

impl FromColumns for ResetWatchRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(ResetWatchRecord {
            user_id: UserId(row.uuid("user_id")?),
            issued_by: UserId(row.uuid("issued_by")?),
            reason: row.text("reason")?,
            since: Timestamp(row.int("since")?),
        })
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

    async fn insert_reset_code(&self, code: &ResetCodeRecord, log: &AccessEntryRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        upsert_reset_code::<B>(&mut tx, code).await?;
        insert_access_entry::<B>(&mut tx, log).await?;
        tx.commit().await.map_err(db_error("committing a reset code"))
    }

    async fn insert_reset_request(&self, request: &ResetRequestRecord, log: &AccessEntryRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let upsert = Statement::new(sql::UPSERT_RESET_REQUEST)
            .bind(request.user_id)
            .bind(request.requested_by)
            .bind(request.reason.as_str())
            .bind(request.created_at)
            .bind(request.expires_at);
        execute::<B::Db>(&mut tx, "storing a reset request", upsert).await?;
        insert_access_entry::<B>(&mut tx, log).await?;
        tx.commit().await.map_err(db_error("committing a reset request"))
    }

    async fn reset_request(&self, user: UserId) -> StoreResult<Option<ResetRequestRecord>> {
        let statement = Statement::new(sql::SELECT_RESET_REQUEST).bind(user);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a reset request", statement).await
    }

    async fn approve_reset_request(
        &self,
        request: &ResetRequestRecord,
        code: &ResetCodeRecord,
        log: &AccessEntryRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let take = Statement::new(sql::TAKE_RESET_REQUEST)
            .bind(request.user_id)
            .bind(request.requested_by)
            .bind(request.created_at);
        if execute::<B::Db>(&mut tx, "taking a reset request", take).await? != 1 {
            return Ok(false);
        }
        upsert_reset_code::<B>(&mut tx, code).await?;
        insert_access_entry::<B>(&mut tx, log).await?;
        tx.commit().await.map_err(db_error("committing an approved reset"))?;
        Ok(true)
    }

    async fn attention_counts(
        &self,
        now: Timestamp,
        failing_since: Timestamp,
        frozen: i64,
    ) -> StoreResult<AttentionCounts> {
        let statement = Statement::new(sql::ATTENTION_COUNTS).bind(now).bind(failing_since).bind(frozen);
        let mut conn = self.reader().await?;
        let counts = fetch_optional::<B::Db, _>(&mut conn, "counting what needs attention", statement).await?;
        Ok(counts.unwrap_or_default())
    }

    async fn agents_low_on_float(
        &self,
        currency: CurrencyCode,
        below: i64,
        limit: u32,
    ) -> StoreResult<Vec<LowFloatRecord>> {
        let statement =
            Statement::new(sql::SELECT_LOW_FLOATS).bind(currency.as_str()).bind(below).bind(limit.min(MAX_LOW_FLOATS));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing agents low on float", statement).await
    }

    async fn reset_watch(&self, user: UserId) -> StoreResult<Option<ResetWatchRecord>> {
        let statement = Statement::new(sql::SELECT_RESET_WATCH).bind(user);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a reset watch", statement).await
    }

    async fn reset_code(&self, user: UserId) -> StoreResult<Option<ResetCodeRecord>> {
        let statement = Statement::new(sql::SELECT_RESET_CODE).bind(user);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a reset code", statement).await
    }

    async fn take_reset_try(&self, code: &ResetCodeRecord, max_attempts: u32) -> StoreResult<bool> {
        let take =
            Statement::new(sql::TAKE_RESET_TRY).bind(code.user_id).bind(code.code_hash.as_str()).bind(max_attempts);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "taking a reset code's try", take).await? == 1)
    }

    async fn drop_spent_reset_code(&self, user: UserId, max_attempts: u32) -> StoreResult<()> {
        let drop = Statement::new(sql::DROP_SPENT_RESET_CODE).bind(user).bind(max_attempts);
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "dropping a spent reset code", drop).await.map(|_| ())
    }

    async fn reset_password(&self, code: &ResetCodeRecord, password_hash: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let spend = Statement::new(sql::SPEND_RESET_CODE).bind(code.user_id).bind(code.code_hash.as_str());
        if execute::<B::Db>(&mut tx, "spending a reset code", spend).await? != 1 {
            return Ok(false);
        }
        let set = Statement::new(sql::SET_PASSWORD_AND_UNLOCK).bind(code.user_id).bind(password_hash);
        execute::<B::Db>(&mut tx, "setting a password", set).await?;
        let forget = Statement::new(sql::FORGET_LOGIN_GUESSES).bind(code.user_id);
        execute::<B::Db>(&mut tx, "forgetting login guesses", forget).await?;
        crate::identity::forget_trusted::<B>(&mut tx, code.user_id.0, quipu_store::SecretKind::Password).await?;
        execute::<B::Db>(&mut tx, "ending sessions", Statement::new(sql::END_SESSIONS).bind(code.user_id)).await?;
        let watch = Statement::new(sql::UPSERT_RESET_WATCH)
            .bind(code.user_id)
            .bind(code.issued_by)
            .bind(code.reason.as_str())
            .bind(code.created_at);
        execute::<B::Db>(&mut tx, "watching a reset password", watch).await?;
        tx.commit().await.map_err(db_error("committing a password reset"))?;
        Ok(true)
    }
}

async fn upsert_reset_code<B: Backend>(conn: &mut Conn<B>, code: &ResetCodeRecord) -> StoreResult<()> {
    let upsert = Statement::new(sql::UPSERT_RESET_CODE)
        .bind(code.user_id)
        .bind(code.code_hash.as_str())
        .bind(code.issued_by)
        .bind(code.created_at)
        .bind(code.expires_at)
        .bind(code.reason.as_str());
    execute::<B::Db>(conn, "storing a reset code", upsert).await.map(|_| ())
}
