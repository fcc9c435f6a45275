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
pub const UPDATE_ACCOUNT_BALANCES: &str = "UPDATE accounts SET debits_posted = $2, credits_posted = $3, debits_pending = $4, credits_pending = $5 WHERE id = $1";

pub const SELECT_TRANSFER: &str = "SELECT id, debit_account_id, credit_account_id, amount, currency, code, reference, kind, pending_id, expires_at, timestamp FROM transfers WHERE id = $1";
pub const INSERT_TRANSFER: &str = "INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, currency, code, reference, kind, pending_id, expires_at, timestamp) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
pub const UPSERT_HOLD: &str = "INSERT INTO holds (pending_id, debit_account_id, credit_account_id, amount, currency, expires_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pending_id) DO UPDATE SET state = excluded.state";
pub const SELECT_EXPIRED_HOLDS: &str = "SELECT pending_id FROM holds WHERE state = 'open' AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2";
pub const SELECT_LAST_TIMESTAMP: &str = "SELECT last_timestamp FROM ledger_clock WHERE id = 1";
pub const UPDATE_LAST_TIMESTAMP: &str = "UPDATE ledger_clock SET last_timestamp = $1 WHERE id = 1";

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
pub const DUPLICATE_TIMESTAMPS: &str = "SELECT CAST(COUNT(*) - COUNT(DISTINCT timestamp) AS BIGINT) FROM transfers";
pub const SELECT_ALL_ACCOUNTS: &str = "SELECT id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at FROM accounts ORDER BY id";

pub const INSERT_USER: &str = "INSERT INTO users (id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
pub const SELECT_USER: &str = "SELECT id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at FROM users WHERE id = $1";
pub const SELECT_USER_BY_PHONE: &str = "SELECT id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at FROM users WHERE phone = $1";
pub const SELECT_MERCHANT_STAFF: &str = "SELECT id, role, phone, full_name, password_hash, pin_hash, merchant_id, pin_failed_attempts, pin_locked_until, login_failed_attempts, login_locked_until, created_at FROM users WHERE merchant_id = $1 ORDER BY created_at LIMIT 200";
/// $1 user, $2 max attempts, $3 lock until. Counts one failure; at the limit, locks and resets.
pub const RECORD_PIN_FAILURE: &str = "UPDATE users SET
    pin_locked_until = CASE WHEN pin_failed_attempts + 1 >= $2 THEN $3 ELSE pin_locked_until END,
    pin_failed_attempts = CASE WHEN pin_failed_attempts + 1 >= $2 THEN 0 ELSE pin_failed_attempts + 1 END
    WHERE id = $1 RETURNING pin_failed_attempts, pin_locked_until";
pub const RECORD_LOGIN_FAILURE: &str = "UPDATE users SET
    login_locked_until = CASE WHEN login_failed_attempts + 1 >= $2 THEN $3 ELSE login_locked_until END,
    login_failed_attempts = CASE WHEN login_failed_attempts + 1 >= $2 THEN 0 ELSE login_failed_attempts + 1 END
    WHERE id = $1 RETURNING login_failed_attempts, login_locked_until";
pub const CLEAR_PIN_FAILURES: &str = "UPDATE users SET pin_failed_attempts = 0, pin_locked_until = NULL WHERE id = $1";
pub const CLEAR_LOGIN_FAILURES: &str =
    "UPDATE users SET login_failed_attempts = 0, login_locked_until = NULL WHERE id = $1";

pub const INSERT_MERCHANT: &str = "INSERT INTO merchants (id, name, created_at) VALUES ($1, $2, $3)";
pub const SELECT_MERCHANT: &str = "SELECT id, name, created_at FROM merchants WHERE id = $1";

pub const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
pub const SELECT_SESSION: &str =
    "SELECT token_hash, user_id, created_at, expires_at FROM sessions WHERE token_hash = $1";
pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";

pub const INSERT_API_KEY: &str = "INSERT INTO api_keys (id, merchant_id, prefix, secret_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub const SELECT_API_KEY_BY_PREFIX: &str =
    "SELECT id, merchant_id, prefix, secret_hash, created_at, revoked_at FROM api_keys WHERE prefix = $1";

pub const INSERT_FUNDING_SOURCE: &str =
    "INSERT INTO funding_sources (id, user_id, bank_name, account_number, created_at) VALUES ($1, $2, $3, $4, $5)";
pub const SELECT_FUNDING_SOURCES: &str = "SELECT id, user_id, bank_name, account_number, created_at FROM funding_sources WHERE user_id = $1 ORDER BY created_at LIMIT 20";

pub const SELECT_IDEMPOTENCY: &str =
    "SELECT scope, key, request_hash, status, body, created_at FROM idempotency WHERE scope = $1 AND key = $2";
pub const INSERT_IDEMPOTENCY: &str = "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, key) DO NOTHING";
