//! [`IdentityStore`] for every backend: users, sessions, API keys, funding
//! sources, claimed secret checks, customer tiers.

use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::limits::CustomerTier;
use quipu_store::{
    ApiKeyRecord, Attempts, CheckOutcome, Enrollment, FailureState, FundingSourceRecord, IdentityStore, SecretKind,
    SessionRecord, SourceAttempts, StoreResult, UserRecord, async_trait, corrupt, db_error,
};
use uuid::Uuid;

use crate::driver::{Columns, FromColumns, Statement, execute, execute_unique, fetch_all, fetch_one, fetch_optional};
use crate::{Backend, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_USER = "INSERT INTO users (id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at, removed_at, may_refund) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
        SET_PASSWORD_HASH = "UPDATE users SET password_hash = $2 WHERE id = $1";
        /// $1 cashier, $2 merchant (an owner removes only their own cashiers), $3 now.
        REMOVE_STAFF = "UPDATE users SET removed_at = $3 WHERE id = $1 AND merchant_id = $2 AND role = $4 AND removed_at IS NULL";
        /// $3: 1, 0, or NULL for the merchant's policy.
        SET_CASHIER_MAY_REFUND = "UPDATE users SET may_refund = $3 WHERE id = $1 AND merchant_id = $2 AND role = 'cashier' AND removed_at IS NULL";
        SELECT_USER = "SELECT id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at, removed_at, may_refund FROM users WHERE id = $1";
        SELECT_USER_BY_PHONE = "SELECT id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at, removed_at, may_refund FROM users WHERE phone = $1";
        SELECT_MERCHANT_STAFF = "SELECT id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at, removed_at, may_refund FROM users WHERE merchant_id = $1 ORDER BY created_at LIMIT 200";

        INSERT_SESSION = "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, watched_by) VALUES ($1, $2, $3, $4, $5)";
        SELECT_SESSION = "SELECT token_hash, user_id, created_at, expires_at, watched_by FROM sessions WHERE token_hash = $1";
        /// The person chose a password: the watch from a reset ends.
        END_RESET_WATCH = "DELETE FROM reset_watches WHERE user_id = $1";
        DELETE_SESSION = "DELETE FROM sessions WHERE token_hash = $1";
        /// Every session of $1 but the one hashed $2 (an empty hash keeps none).
        DELETE_USER_SESSIONS = "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2";

        INSERT_API_KEY = "INSERT INTO api_keys (id, merchant_id, prefix, secret_hash, name, created_at, revoked_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)";
        SELECT_API_KEYS = "SELECT id, merchant_id, prefix, secret_hash, name, created_at, revoked_at, last_used_at FROM api_keys WHERE merchant_id = $1 ORDER BY created_at DESC LIMIT 200";
        TOUCH_API_KEY = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1";
        /// $1 key, $2 merchant (a merchant revokes only its own keys), $3 now.
        REVOKE_API_KEY = "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND merchant_id = $2 AND revoked_at IS NULL";
        SELECT_API_KEY_BY_PREFIX = "SELECT id, merchant_id, prefix, secret_hash, name, created_at, revoked_at, last_used_at FROM api_keys WHERE prefix = $1";

        /// Inserts unless the user already has $6 funding sources; the count and the
        /// insert are one statement, so parallel requests cannot overshoot on SQLite
        /// (one writer) and can only race within one statement on PostgreSQL.
        INSERT_FUNDING_SOURCE = "INSERT INTO funding_sources (id, user_id, bank_name, account_number, created_at)
    SELECT $1, $2, $3, $4, $5 WHERE (SELECT COUNT(*) FROM funding_sources WHERE user_id = $2) < $6";
        SELECT_FUNDING_SOURCES = "SELECT id, user_id, bank_name, account_number, created_at FROM funding_sources WHERE user_id = $1 ORDER BY created_at LIMIT 20";
        DELETE_FUNDING_SOURCE = "DELETE FROM funding_sources WHERE id = $1 AND user_id = $2";

        /// One source's wrong guesses at one secret; a lock that has run out counts as none. $1 owner, $2 kind, $3 source, $4 now.
        SELECT_SOURCE_ATTEMPTS = "SELECT CASE WHEN locked_until <= $4 THEN 0 ELSE failed_attempts END, CASE WHEN locked_until <= $4 THEN NULL ELSE locked_until END FROM secret_attempts WHERE owner = $1 AND kind = $2 AND source = $3";
        /// Counts a wrong guess against its source, starting afresh after a lock ran out, and locks at the limit.
        /// $1 owner, $2 kind, $3 source, $4 max, $5 lock until, $6 now.
        COUNT_SOURCE_WRONG = "INSERT INTO secret_attempts (owner, kind, source, failed_attempts, locked_until, last_failed_at) VALUES ($1, $2, $3, 1, CASE WHEN 1 >= $4 THEN CAST($5 AS BIGINT) ELSE NULL END, $6)
    ON CONFLICT (owner, kind, source) DO UPDATE SET
        failed_attempts = CASE WHEN secret_attempts.locked_until <= $6 THEN 1 ELSE secret_attempts.failed_attempts + 1 END,
        locked_until = CASE WHEN (CASE WHEN secret_attempts.locked_until <= $6 THEN 1 ELSE secret_attempts.failed_attempts + 1 END) >= $4 THEN CAST($5 AS BIGINT) ELSE NULL END,
        last_failed_at = $6
    RETURNING failed_attempts, locked_until";
        DELETE_SOURCE_ATTEMPTS = "DELETE FROM secret_attempts WHERE owner = $1 AND kind = $2 AND source = $3";
        DELETE_ALL_SOURCE_ATTEMPTS = "DELETE FROM secret_attempts WHERE owner = $1 AND kind = $2";
        /// Whether a source is trusted with a secret at $4. $1 owner, $2 kind, $3 source.
        SELECT_SOURCE_TRUSTED = "SELECT trusted_until FROM trusted_sources WHERE owner = $1 AND kind = $2 AND source = $3 AND trusted_until > $4";
        /// $1 owner, $2 kind, $3 source, $4 trusted until.
        TRUST_SOURCE = "INSERT INTO trusted_sources (owner, kind, source, trusted_until) VALUES ($1, $2, $3, $4)
    ON CONFLICT (owner, kind, source) DO UPDATE SET trusted_until = excluded.trusted_until";
        /// Whoever knew the old secret is trusted no more (a reset, a change). $1 owner, $2 kind.
        FORGET_TRUSTED_SOURCES = "DELETE FROM trusted_sources WHERE owner = $1 AND kind = $2";
        SELECT_OWNER_ATTEMPTS = "SELECT kind, source, failed_attempts, locked_until, last_failed_at FROM secret_attempts WHERE owner = $1 ORDER BY last_failed_at DESC LIMIT 50";
        /// $3: the PIN hash the caller saw ('' for none), so a first-time set cannot overwrite one set meanwhile.
        SET_PIN = "UPDATE users SET pin_hash = $2 WHERE id = $1 AND COALESCE(pin_hash, '') = $3";

        SELECT_CUSTOMER_TIER = "SELECT tier FROM customer_tiers WHERE user_id = $1";
        UPSERT_CUSTOMER_TIER = "INSERT INTO customer_tiers (user_id, tier, updated_by, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET tier = excluded.tier, updated_by = excluded.updated_by, updated_at = excluded.updated_at";
    }
}

const SECRET_KINDS: [SecretKind; 3] = [SecretKind::Pin, SecretKind::Password, SecretKind::CardPin];

pub(crate) fn generated_statements() -> Vec<(String, String)> {
    SECRET_KINDS
        .iter()
        .flat_map(|kind| {
            [
                (format!("identity::claim_check({kind:?})"), claim_check(*kind)),
                (format!("identity::record_wrong({kind:?})"), record_wrong(*kind)),
                (format!("identity::record_right({kind:?})"), record_right(*kind)),
                (format!("identity::release_check({kind:?})"), release_check(*kind)),
                (format!("identity::clear_lock({kind:?})"), clear_lock(*kind)),
            ]
        })
        .collect()
}

/// The table and columns that count wrong attempts at a secret, lock it, and claim its check.
fn secret_columns(kind: SecretKind) -> (&'static str, &'static str, &'static str, &'static str) {
    match kind {
        SecretKind::Pin => ("users", "pin_failed_attempts", "pin_locked_until", "pin_checking_until"),
        SecretKind::Password => ("users", "login_failed_attempts", "login_locked_until", "login_checking_until"),
        SecretKind::CardPin => ("cards", "pin_failed_attempts", "pin_locked_until", "pin_checking_until"),
    }
}

/// Claims the right to check a secret: one check at a time, so a burst of
/// parallel guesses is counted exactly like guesses one after another. No
/// row comes back while another check holds the claim. An expired lock is
/// lifted and the count starts afresh; a live one comes back for the caller
/// to judge (the owner's own device is not held by other sources' guesses).
/// $1 owner (user or card), $2 now, $3 claim until. (Right-hand sides see
/// the old row, on SQLite and PostgreSQL alike.)
fn claim_check(kind: SecretKind) -> String {
    let (table, failures, lock, checking) = secret_columns(kind);
    format!(
        "UPDATE {table} SET {checking} = $3, \
         {failures} = CASE WHEN {lock} <= $2 THEN 0 ELSE {failures} END, \
         {lock} = CASE WHEN {lock} <= $2 THEN NULL ELSE {lock} END \
         WHERE id = $1 AND ({checking} IS NULL OR {checking} <= $2) \
         RETURNING {failures}, {lock}"
    )
}

/// The claimed check found a wrong secret: count it, lock at the limit, release the claim.
/// $1 owner, $2 max, $3 lock until.
fn record_wrong(kind: SecretKind) -> String {
    let (table, failures, lock, checking) = secret_columns(kind);
    format!(
        "UPDATE {table} SET {failures} = {failures} + 1, \
         {lock} = CASE WHEN {failures} + 1 >= $2 THEN CAST($3 AS BIGINT) ELSE NULL END, {checking} = NULL \
         WHERE id = $1 RETURNING {failures}, {lock}"
    )
}

/// The claimed check found the right secret: clear the count and release the claim. $1 owner.
fn record_right(kind: SecretKind) -> String {
    let (table, failures, lock, checking) = secret_columns(kind);
    format!("UPDATE {table} SET {failures} = 0, {lock} = NULL, {checking} = NULL WHERE id = $1")
}

/// The check could not finish (server busy, database error): release the claim, count nothing. $1 owner.
fn release_check(kind: SecretKind) -> String {
    let (table, _, _, checking) = secret_columns(kind);
    format!("UPDATE {table} SET {checking} = NULL WHERE id = $1")
}

/// The operator lifts a lock: the owner's count and lock go. $1 owner.
fn clear_lock(kind: SecretKind) -> String {
    let (table, failures, lock, _) = secret_columns(kind);
    format!("UPDATE {table} SET {failures} = 0, {lock} = NULL WHERE id = $1")
}

/// Whoever knew an owner's old secret is no longer one of their channels. Inside the caller's transaction.
pub(crate) async fn forget_trusted<B: Backend>(
    conn: &mut crate::Conn<B>,
    owner: Uuid,
    kind: SecretKind,
) -> StoreResult<()> {
    let forget = Statement::new(sql::FORGET_TRUSTED_SOURCES).bind(owner).bind(kind.as_str());
    execute::<B::Db>(conn, "forgetting trusted sources", forget).await.map(|_| ())
}

/// A count and lock read back (`record_wrong`, `claim_check`, a source's row).
struct Counted(FailureState);

/// A source's trust, read back only to say that there is one.
struct Until;

impl FromColumns for Until {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        row.opt_int_at(0)?;
        Ok(Until)
    }
}

impl FromColumns for Counted {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let attempts = row.opt_int_at(0)?.unwrap_or(0);
        Ok(Counted(FailureState {
            failed_attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            locked_until: row.opt_int_at(1)?.map(Timestamp),
        }))
    }
}

impl FromColumns for SourceAttempts {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let kind = match row.text("kind")?.as_str() {
            "pin" => SecretKind::Pin,
            "password" => SecretKind::Password,
            "card_pin" => SecretKind::CardPin,
            other => return Err(corrupt("secret_attempts", format!("unknown secret kind {other:?}"))),
        };
        let state = FailureState {
            failed_attempts: u32::try_from(row.int("failed_attempts")?).unwrap_or(u32::MAX),
            locked_until: row.opt_int("locked_until")?.map(Timestamp),
        };
        Ok(SourceAttempts {
            kind,
            source: row.text("source")?,
            state,
            last_failed_at: Timestamp(row.int("last_failed_at")?),
        })
    }
}

/// A tier name read back.
struct Tier(CustomerTier);

impl FromColumns for Tier {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let text = row.text("tier")?;
        CustomerTier::parse(&text).map(Tier).ok_or_else(|| corrupt("customer_tiers", format!("tier {text:?}")))
    }
}

fn user_insert(u: &UserRecord) -> Statement<'_> {
    Statement::new(sql::INSERT_USER)
        .bind(u.id)
        .bind(u.role.as_str())
        .bind(&u.phone)
        .bind(&u.full_name)
        .bind(&u.password_hash)
        .bind(u.pin_hash.as_deref())
        .bind(u.merchant_id)
        .bind(u.pin_failed_attempts)
        .bind(u.pin_locked_until)
        .bind(u.login_failed_attempts)
        .bind(u.login_locked_until)
        .bind(u.created_at)
        .bind(u.removed_at)
        .bind(u.may_refund)
}

/// A funding source, if its owner has fewer than `max`.
fn funding_source_insert(source: &FundingSourceRecord, max: u32) -> Statement<'_> {
    Statement::new(sql::INSERT_FUNDING_SOURCE)
        .bind(source.id)
        .bind(source.user_id)
        .bind(&source.bank_name)
        .bind(&source.account_number)
        .bind(source.created_at)
        .bind(max)
}

#[async_trait]
impl<B: Backend> IdentityStore for SqlStore<B> {
    async fn enroll(&self, enrollment: &Enrollment) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        if let Some(merchant) = &enrollment.merchant {
            let insert = crate::merchants::merchant_insert(merchant);
            execute_unique::<B::Db>(&mut tx, "inserting a merchant", "merchant exists", insert).await?;
        }
        for user in &enrollment.users {
            let insert = user_insert(user);
            execute_unique::<B::Db>(&mut tx, "inserting a user", "phone number already registered", insert).await?;
        }
        crate::ledger::insert_accounts::<B>(&mut tx, &enrollment.accounts).await?;
        // A user joining has no funding source yet: the cap is the service's, not reached here.
        for source in &enrollment.funding_sources {
            execute::<B::Db>(&mut tx, "inserting a funding source", funding_source_insert(source, u32::MAX)).await?;
        }
        tx.commit().await.map_err(db_error("committing an enrollment"))
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a user", Statement::new(sql::SELECT_USER).bind(id)).await
    }

    async fn user_by_phone(&self, phone: &str) -> StoreResult<Option<UserRecord>> {
        let statement = Statement::new(sql::SELECT_USER_BY_PHONE).bind(phone);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a user by phone", statement).await
    }

    async fn merchant_staff(&self, merchant: MerchantId) -> StoreResult<Vec<UserRecord>> {
        let statement = Statement::new(sql::SELECT_MERCHANT_STAFF).bind(merchant);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading merchant staff", statement).await
    }

    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let statement = Statement::new(sql::INSERT_SESSION)
            .bind(&session.token_hash)
            .bind(session.user_id)
            .bind(session.created_at)
            .bind(session.expires_at)
            .bind(session.watched_by.map(|staff| staff.0));
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "inserting a session", statement).await.map(|_| ())
    }

    async fn session(&self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        let statement = Statement::new(sql::SELECT_SESSION).bind(token_hash);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a session", statement).await
    }

    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()> {
        let statement = Statement::new(sql::DELETE_SESSION).bind(token_hash);
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "deleting a session", statement).await.map(|_| ())
    }

    async fn delete_user_sessions(&self, user: UserId, keep: Option<&[u8]>) -> StoreResult<u64> {
        let statement = Statement::new(sql::DELETE_USER_SESSIONS).bind(user).bind(keep.unwrap_or_default());
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "ending a user's sessions", statement).await
    }

    async fn set_password_hash(&self, user: UserId, hash: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let statement = Statement::new(sql::SET_PASSWORD_HASH).bind(user).bind(hash);
        execute::<B::Db>(&mut tx, "setting a password", statement).await?;
        forget_trusted::<B>(&mut tx, user.0, SecretKind::Password).await?;
        execute::<B::Db>(&mut tx, "ending a reset's watch", Statement::new(sql::END_RESET_WATCH).bind(user)).await?;
        tx.commit().await.map_err(db_error("committing a password"))
    }

    async fn remove_staff(&self, user: UserId, merchant: MerchantId, role: Role, now: Timestamp) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let remove = Statement::new(sql::REMOVE_STAFF).bind(user).bind(merchant).bind(now).bind(role.as_str());
        if execute::<B::Db>(&mut tx, "removing a member of staff", remove).await? != 1 {
            return Ok(false);
        }
        let end = Statement::new(sql::DELETE_USER_SESSIONS).bind(user).bind(&[][..]);
        execute::<B::Db>(&mut tx, "ending a removed member of staff's sessions", end).await?;
        tx.commit().await.map_err(db_error("committing a removed member of staff"))?;
        Ok(true)
    }

    async fn set_cashier_may_refund(
        &self,
        cashier: UserId,
        merchant: MerchantId,
        may_refund: Option<bool>,
    ) -> StoreResult<bool> {
        let statement = Statement::new(sql::SET_CASHIER_MAY_REFUND).bind(cashier).bind(merchant).bind(may_refund);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "setting a cashier's permissions", statement).await? == 1)
    }

    async fn api_keys(&self, merchant: MerchantId) -> StoreResult<Vec<ApiKeyRecord>> {
        let statement = Statement::new(sql::SELECT_API_KEYS).bind(merchant);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing api keys", statement).await
    }

    async fn touch_api_key(&self, id: Uuid, now: Timestamp) -> StoreResult<()> {
        let statement = Statement::new(sql::TOUCH_API_KEY).bind(id).bind(now);
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "recording an api key's use", statement).await.map(|_| ())
    }

    async fn delete_funding_source(&self, id: Uuid, user: UserId) -> StoreResult<bool> {
        let statement = Statement::new(sql::DELETE_FUNDING_SOURCE).bind(id).bind(user);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "deleting a funding source", statement).await? == 1)
    }

    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        let statement = Statement::new(sql::INSERT_API_KEY)
            .bind(key.id)
            .bind(key.merchant_id)
            .bind(&key.prefix)
            .bind(&key.secret_hash)
            .bind(&key.name)
            .bind(key.created_at)
            .bind(key.revoked_at);
        let mut conn = self.writer().await?;
        execute_unique::<B::Db>(&mut conn, "inserting an api key", "api key prefix exists", statement).await.map(|_| ())
    }

    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let statement = Statement::new(sql::SELECT_API_KEY_BY_PREFIX).bind(prefix);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading an api key", statement).await
    }

    async fn revoke_api_key(&self, id: Uuid, merchant: MerchantId, now: Timestamp) -> StoreResult<bool> {
        let statement = Statement::new(sql::REVOKE_API_KEY).bind(id).bind(merchant).bind(now);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "revoking an api key", statement).await? == 1)
    }

    async fn insert_funding_source(&self, source: &FundingSourceRecord, max: u32) -> StoreResult<bool> {
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "inserting a funding source", funding_source_insert(source, max)).await? == 1)
    }

    async fn funding_sources(&self, user: UserId) -> StoreResult<Vec<FundingSourceRecord>> {
        let statement = Statement::new(sql::SELECT_FUNDING_SOURCES).bind(user);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading funding sources", statement).await
    }

    async fn claim_secret_check(
        &self,
        owner: Uuid,
        kind: SecretKind,
        source: &str,
        now: Timestamp,
        claim_until: Timestamp,
    ) -> StoreResult<Option<Attempts>> {
        let claim = Statement::new(claim_check(kind)).bind(owner).bind(now).bind(claim_until);
        let mut conn = self.writer().await?;
        let Some(Counted(total)) = fetch_optional::<B::Db, _>(&mut conn, "claiming a secret check", claim).await?
        else {
            return Ok(None);
        };
        let select = Statement::new(sql::SELECT_SOURCE_ATTEMPTS).bind(owner).bind(kind.as_str()).bind(source).bind(now);
        let counted = fetch_optional::<B::Db, Counted>(&mut conn, "reading a source's attempts", select).await?;
        let trusted = Statement::new(sql::SELECT_SOURCE_TRUSTED).bind(owner).bind(kind.as_str()).bind(source).bind(now);
        let trusted = fetch_optional::<B::Db, Until>(&mut conn, "reading a source's trust", trusted).await?;
        Ok(Some(Attempts {
            total,
            source: counted.map(|Counted(state)| state).unwrap_or_default(),
            source_trusted: trusted.is_some(),
        }))
    }

    async fn finish_secret_check(
        &self,
        owner: Uuid,
        kind: SecretKind,
        source: &str,
        outcome: CheckOutcome,
        now: Timestamp,
    ) -> StoreResult<Attempts> {
        let mut tx = self.begin().await?;
        let attempts = match outcome {
            CheckOutcome::Abandoned => {
                execute::<B::Db>(&mut tx, "releasing a secret check", Statement::new(release_check(kind)).bind(owner))
                    .await?;
                Attempts::default()
            }
            CheckOutcome::Right { trusted_until } => {
                execute::<B::Db>(&mut tx, "clearing a secret's count", Statement::new(record_right(kind)).bind(owner))
                    .await?;
                let forget = Statement::new(sql::DELETE_SOURCE_ATTEMPTS).bind(owner).bind(kind.as_str()).bind(source);
                execute::<B::Db>(&mut tx, "clearing a source's count", forget).await?;
                let trust =
                    Statement::new(sql::TRUST_SOURCE).bind(owner).bind(kind.as_str()).bind(source).bind(trusted_until);
                execute::<B::Db>(&mut tx, "trusting a source", trust).await?;
                Attempts { source_trusted: true, ..Attempts::default() }
            }
            CheckOutcome::Wrong { per_source, total } => {
                let count_total =
                    Statement::new(record_wrong(kind)).bind(owner).bind(total.max_attempts).bind(total.lock_until);
                let Counted(total) = fetch_one::<B::Db, _>(&mut tx, "counting a wrong secret", count_total).await?;
                let count_source = Statement::new(sql::COUNT_SOURCE_WRONG)
                    .bind(owner)
                    .bind(kind.as_str())
                    .bind(source)
                    .bind(per_source.max_attempts)
                    .bind(per_source.lock_until)
                    .bind(now);
                let Counted(source) =
                    fetch_one::<B::Db, _>(&mut tx, "counting a source's wrong secret", count_source).await?;
                // Trust is the claim's to report: a wrong guess changes none.
                Attempts { total, source, ..Attempts::default() }
            }
        };
        tx.commit().await.map_err(db_error("committing a secret check"))?;
        Ok(attempts)
    }

    async fn source_lock(
        &self,
        owner: Uuid,
        kind: SecretKind,
        source: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Timestamp>> {
        let select = Statement::new(sql::SELECT_SOURCE_ATTEMPTS).bind(owner).bind(kind.as_str()).bind(source).bind(now);
        let mut conn = self.reader().await?;
        let counted = fetch_optional::<B::Db, Counted>(&mut conn, "reading a source's lock", select).await?;
        Ok(counted.and_then(|Counted(state)| state.locked_until))
    }

    async fn secret_attempts(&self, owner: Uuid) -> StoreResult<Vec<SourceAttempts>> {
        let statement = Statement::new(sql::SELECT_OWNER_ATTEMPTS).bind(owner);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing who guessed a secret", statement).await
    }

    async fn clear_secret_attempts(&self, owner: Uuid, kind: SecretKind) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        execute::<B::Db>(&mut tx, "lifting a lock", Statement::new(clear_lock(kind)).bind(owner)).await?;
        let forget = Statement::new(sql::DELETE_ALL_SOURCE_ATTEMPTS).bind(owner).bind(kind.as_str());
        execute::<B::Db>(&mut tx, "clearing sources' counts", forget).await?;
        tx.commit().await.map_err(db_error("committing a lifted lock"))?;
        Ok(())
    }

    async fn set_pin(&self, user: UserId, pin_hash: &str, current: Option<&str>) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let statement = Statement::new(sql::SET_PIN).bind(user).bind(pin_hash).bind(current.unwrap_or(""));
        let set = execute::<B::Db>(&mut tx, "setting a PIN", statement).await? == 1;
        if set {
            forget_trusted::<B>(&mut tx, user.0, SecretKind::Pin).await?;
        }
        tx.commit().await.map_err(db_error("committing a PIN"))?;
        Ok(set)
    }

    async fn customer_tier(&self, customer: UserId) -> StoreResult<Option<CustomerTier>> {
        let statement = Statement::new(sql::SELECT_CUSTOMER_TIER).bind(customer);
        let mut conn = self.reader().await?;
        let tier: Option<Tier> = fetch_optional::<B::Db, _>(&mut conn, "loading a customer tier", statement).await?;
        Ok(tier.map(|Tier(tier)| tier))
    }

    async fn set_customer_tier(
        &self,
        customer: UserId,
        tier: CustomerTier,
        by: Uuid,
        now: Timestamp,
    ) -> StoreResult<()> {
        let statement = Statement::new(sql::UPSERT_CUSTOMER_TIER).bind(customer).bind(tier.as_str()).bind(by).bind(now);
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "setting a customer tier", statement).await.map(|_| ())
    }
}
