//! SQL text both backends run unchanged. Both accept `$n` placeholders;
//! statements that differ (array binds, row locks, pragmas) live in the
//! backend crates.

pub const ACCOUNT_COLUMNS: &str = "id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at";
pub const TRANSFER_COLUMNS: &str = "id, debit_account_id, credit_account_id, amount, currency, code, reference, kind, pending_id, expires_at, timestamp";
pub const HOLD_COLUMNS: &str = "pending_id, debit_account_id, credit_account_id, amount, currency, expires_at, state";
pub const USER_COLUMNS: &str = "id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at";

pub const SELECT_ACCOUNT: &str = "SELECT id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at FROM accounts WHERE id = $1";
pub const SELECT_ACCOUNTS_OF: &str = "SELECT id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at FROM accounts WHERE owner_kind = $1 AND owner_id = $2 ORDER BY created_at, id LIMIT 100";
pub const SELECT_ACCOUNT_BY_OWNER_KIND: &str = "SELECT id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at FROM accounts WHERE owner_kind = $1 AND owner_id = $2 AND kind = $3 AND currency = $4";
pub const INSERT_ACCOUNT: &str = "INSERT INTO accounts (id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
pub const INSERT_ACCOUNT_IF_ABSENT: &str = "INSERT INTO accounts (id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (owner_kind, owner_id, kind, currency) DO NOTHING";
pub const UPDATE_ACCOUNT_FLAGS: &str = "UPDATE accounts SET flags = $2 WHERE id = $1";

pub const SELECT_TRANSFER: &str = "SELECT id, debit_account_id, credit_account_id, amount, currency, code, reference, kind, pending_id, expires_at, timestamp FROM transfers WHERE id = $1";
pub const UPSERT_HOLD: &str = "INSERT INTO holds (pending_id, debit_account_id, credit_account_id, amount, currency, expires_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pending_id) DO UPDATE SET state = excluded.state";
pub const SELECT_EXPIRED_HOLDS: &str = "SELECT pending_id FROM holds WHERE state = 'open' AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2";
pub const SELECT_LAST_TIMESTAMP: &str = "SELECT last_timestamp FROM ledger_clock WHERE id = 1";
/// Every durable commit changes the clock row (`durable_commits` counts them), so even a batch
/// that moved nothing writes to the log and waits for the disk: it is also the durability barrier.
pub const UPDATE_LEDGER_CLOCK: &str =
    "UPDATE ledger_clock SET last_timestamp = $1, durable_commits = durable_commits + 1 WHERE id = 1";

/// History: a `UNION ALL` of the two indexed sides, so each side walks its
/// (account, timestamp) index backwards instead of scanning on `OR`.
/// $1 account, $2 before (exclusive), $3 from (inclusive), $4 to (exclusive), $5 limit.
/// Codes are filtered by the caller-built `AND code IN (…)` fragment, see [`history_sql`].
pub fn history_sql(code_filter: &str) -> String {
    let side = |column: &str| {
        format!(
            "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE {column} = $1 AND timestamp < $2 AND timestamp >= $3 AND timestamp < $4{code_filter} ORDER BY timestamp DESC LIMIT $5"
        )
    };
    format!(
        "SELECT * FROM (SELECT * FROM ({}) AS d UNION ALL SELECT * FROM ({}) AS c) AS h ORDER BY timestamp DESC LIMIT $5",
        side("debit_account_id"),
        side("credit_account_id")
    )
}

pub const POSTED_SUMS: &str = "SELECT account_id, CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits FROM (
    SELECT debit_account_id AS account_id, amount AS debits, 0 AS credits FROM transfers WHERE kind IN ('posted', 'post_pending')
    UNION ALL
    SELECT credit_account_id AS account_id, 0 AS debits, amount AS credits FROM transfers WHERE kind IN ('posted', 'post_pending')
) AS sides GROUP BY account_id";
/// Pending as derived from transfers alone: pending transfers nothing has settled.
pub const UNSETTLED_PENDING_SUMS: &str =
    "SELECT account_id, CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits FROM (
    SELECT p.debit_account_id AS account_id, p.amount AS debits, 0 AS credits FROM transfers p
        WHERE p.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM transfers s WHERE s.pending_id = p.id)
    UNION ALL
    SELECT p.credit_account_id AS account_id, 0 AS debits, p.amount AS credits FROM transfers p
        WHERE p.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM transfers s WHERE s.pending_id = p.id)
) AS sides GROUP BY account_id";
pub const OPEN_HOLD_SUMS: &str =
    "SELECT account_id, CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits FROM (
    SELECT debit_account_id AS account_id, amount AS debits, 0 AS credits FROM holds WHERE state = 'open'
    UNION ALL
    SELECT credit_account_id AS account_id, 0 AS debits, amount AS credits FROM holds WHERE state = 'open'
) AS sides GROUP BY account_id";
pub const CURRENCY_MISMATCHES: &str = "SELECT t.id FROM transfers t
    JOIN accounts d ON d.id = t.debit_account_id
    JOIN accounts c ON c.id = t.credit_account_id
    WHERE t.currency <> d.currency OR t.currency <> c.currency LIMIT 20";
/// Transfers whose debit or credit account does not exist.
pub const UNKNOWN_ACCOUNT_TRANSFERS: &str = "SELECT t.id FROM transfers t
    LEFT JOIN accounts d ON d.id = t.debit_account_id
    LEFT JOIN accounts c ON c.id = t.credit_account_id
    WHERE d.id IS NULL OR c.id IS NULL LIMIT 20";
/// Settlements (post/void) that do not match the hold they settle: no such
/// pending transfer, other accounts or currency, a post above the hold, a
/// void for another amount.
pub const SETTLEMENT_MISMATCHES: &str = "SELECT s.id FROM transfers s
    LEFT JOIN transfers p ON p.id = s.pending_id
    WHERE (s.kind IN ('post_pending', 'void_pending') OR s.pending_id IS NOT NULL)
      AND (s.pending_id IS NULL OR p.id IS NULL OR p.kind <> 'pending'
        OR s.kind NOT IN ('post_pending', 'void_pending')
        OR s.debit_account_id <> p.debit_account_id OR s.credit_account_id <> p.credit_account_id
        OR s.currency <> p.currency
        OR (s.kind = 'post_pending' AND s.amount > p.amount)
        OR (s.kind = 'void_pending' AND s.amount <> p.amount))
    LIMIT 20";
/// Pending transfers whose hold row disagrees with them or with their
/// settlement (open exactly when unsettled, posted exactly when posted), and
/// hold rows without a pending transfer.
pub const HOLD_RECORD_MISMATCHES: &str = "SELECT id FROM (
    SELECT p.id AS id FROM transfers p
        LEFT JOIN holds h ON h.pending_id = p.id
        LEFT JOIN transfers s ON s.pending_id = p.id
        WHERE p.kind = 'pending' AND (h.pending_id IS NULL
            OR h.debit_account_id <> p.debit_account_id OR h.credit_account_id <> p.credit_account_id
            OR h.amount <> p.amount OR h.currency <> p.currency OR h.expires_at IS DISTINCT FROM p.expires_at
            OR (h.state = 'open') <> (s.id IS NULL)
            OR (h.state = 'posted') <> COALESCE(s.kind = 'post_pending', FALSE))
    UNION ALL
    SELECT h.pending_id AS id FROM holds h
        LEFT JOIN transfers p ON p.id = h.pending_id
        WHERE p.id IS NULL OR p.kind <> 'pending'
) AS bad LIMIT 20";
pub const DUPLICATE_TIMESTAMPS: &str = "SELECT CAST(COUNT(*) - COUNT(DISTINCT timestamp) AS BIGINT) FROM transfers";
pub const SELECT_ALL_ACCOUNTS: &str = "SELECT id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at FROM accounts ORDER BY id";

pub const INSERT_USER: &str = "INSERT INTO users (id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
pub const SELECT_USER: &str = "SELECT id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at FROM users WHERE id = $1";
pub const SELECT_USER_BY_PHONE: &str = "SELECT id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at FROM users WHERE phone = $1";
pub const SELECT_MERCHANT_STAFF: &str = "SELECT id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at FROM users WHERE merchant_id = $1 ORDER BY created_at LIMIT 200";
/// The table and columns that count wrong attempts at a secret, lock it, and claim its check.
fn secret_columns(kind: crate::SecretKind) -> (&'static str, &'static str, &'static str, &'static str) {
    match kind {
        crate::SecretKind::Pin => ("users", "pin_failed_attempts", "pin_locked_until", "pin_checking_until"),
        crate::SecretKind::Password => ("users", "login_failed_attempts", "login_locked_until", "login_checking_until"),
        crate::SecretKind::CardPin => ("cards", "pin_failed_attempts", "pin_locked_until", "pin_checking_until"),
    }
}

/// Claims the right to check a secret: one check at a time, so a burst of
/// parallel guesses is counted exactly like guesses one after another. No
/// row comes back while the secret is locked or another check holds the
/// claim. An expired lock is lifted and the count starts afresh.
/// $1 owner (user or card), $2 now, $3 claim until. (Right-hand sides see
/// the old row, on SQLite and PostgreSQL alike.)
pub fn claim_check(kind: crate::SecretKind) -> String {
    let (table, failures, lock, checking) = secret_columns(kind);
    format!(
        "UPDATE {table} SET {checking} = $3, \
         {failures} = CASE WHEN {lock} IS NOT NULL THEN 0 ELSE {failures} END, {lock} = NULL \
         WHERE id = $1 AND ({lock} IS NULL OR {lock} <= $2) AND ({checking} IS NULL OR {checking} <= $2) \
         RETURNING {failures}"
    )
}

/// The claimed check found a wrong secret: count it, lock at the limit, release the claim.
/// $1 owner, $2 max, $3 lock until.
pub fn record_wrong(kind: crate::SecretKind) -> String {
    let (table, failures, lock, checking) = secret_columns(kind);
    format!(
        "UPDATE {table} SET {failures} = {failures} + 1, \
         {lock} = CASE WHEN {failures} + 1 >= $2 THEN $3 ELSE NULL END, {checking} = NULL \
         WHERE id = $1 RETURNING {failures}, {lock}"
    )
}

/// The claimed check found the right secret: clear the count and release the claim. $1 owner.
pub fn record_right(kind: crate::SecretKind) -> String {
    let (table, failures, lock, checking) = secret_columns(kind);
    format!("UPDATE {table} SET {failures} = 0, {lock} = NULL, {checking} = NULL WHERE id = $1")
}

/// The check could not finish (server busy, database error): release the claim, count nothing. $1 owner.
pub fn release_check(kind: crate::SecretKind) -> String {
    let (table, _, _, checking) = secret_columns(kind);
    format!("UPDATE {table} SET {checking} = NULL WHERE id = $1")
}

pub const INSERT_MERCHANT: &str = "INSERT INTO merchants (id, name, created_at, fee_bps, cashiers_may_refund, city, category_code) VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub const SELECT_MERCHANT: &str =
    "SELECT id, name, created_at, fee_bps, cashiers_may_refund, city, category_code FROM merchants WHERE id = $1";

pub const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
pub const SELECT_SESSION: &str =
    "SELECT token_hash, user_id, created_at, expires_at FROM sessions WHERE token_hash = $1";
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";

pub const INSERT_API_KEY: &str = "INSERT INTO api_keys (id, merchant_id, prefix, secret_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)";
/// $1 key, $2 merchant (a merchant revokes only its own keys), $3 now.
pub const REVOKE_API_KEY: &str =
    "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND merchant_id = $2 AND revoked_at IS NULL";
pub const SELECT_API_KEY_BY_PREFIX: &str =
    "SELECT id, merchant_id, prefix, secret_hash, created_at, revoked_at FROM api_keys WHERE prefix = $1";

/// Inserts unless the user already has $6 funding sources; the count and the
/// insert are one statement, so parallel requests cannot overshoot on SQLite
/// (one writer) and can only race within one statement on PostgreSQL.
pub const INSERT_FUNDING_SOURCE: &str =
    "INSERT INTO funding_sources (id, user_id, bank_name, account_number, created_at)
    SELECT $1, $2, $3, $4, $5 WHERE (SELECT COUNT(*) FROM funding_sources WHERE user_id = $2) < $6";
pub const SELECT_FUNDING_SOURCES: &str = "SELECT id, user_id, bank_name, account_number, created_at FROM funding_sources WHERE user_id = $1 ORDER BY created_at LIMIT 20";

pub const SELECT_IDEMPOTENCY: &str =
    "SELECT scope, key, request_hash, status, body, created_at FROM idempotency WHERE scope = $1 AND key = $2";
pub const INSERT_IDEMPOTENCY: &str = "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, key) DO NOTHING";

/// $1 cutoff, $2 batch size. Row-value `IN`, because PostgreSQL has no `DELETE … LIMIT`.
pub const PURGE_IDEMPOTENCY: &str = "DELETE FROM idempotency WHERE (scope, key) IN
    (SELECT scope, key FROM idempotency WHERE created_at < $1 LIMIT $2)";
pub const PURGE_SESSIONS: &str = "DELETE FROM sessions WHERE token_hash IN
    (SELECT token_hash FROM sessions WHERE expires_at < $1 LIMIT $2)";
