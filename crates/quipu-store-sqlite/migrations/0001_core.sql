-- Quipu core schema for SQLite. Ids are 16-byte UUID blobs; times are
-- microseconds since the Unix epoch; money is INTEGER minor units.

CREATE TABLE merchants (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    role TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    pin_hash TEXT,
    merchant_id BLOB REFERENCES merchants(id),
    pin_failed_attempts INTEGER NOT NULL DEFAULT 0,
    pin_locked_until INTEGER,
    login_failed_attempts INTEGER NOT NULL DEFAULT 0,
    login_locked_until INTEGER,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX users_merchant ON users(merchant_id) WHERE merchant_id IS NOT NULL;

CREATE TABLE accounts (
    id BLOB PRIMARY KEY NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL,
    flags INTEGER NOT NULL,
    debits_posted INTEGER NOT NULL DEFAULT 0,
    credits_posted INTEGER NOT NULL DEFAULT 0,
    debits_pending INTEGER NOT NULL DEFAULT 0,
    credits_pending INTEGER NOT NULL DEFAULT 0,
    owner_kind TEXT NOT NULL,
    owner_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (owner_kind, owner_id, kind, currency)
) STRICT;

CREATE TABLE transfers (
    id BLOB PRIMARY KEY NOT NULL,
    debit_account_id BLOB NOT NULL REFERENCES accounts(id),
    credit_account_id BLOB NOT NULL REFERENCES accounts(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    code TEXT NOT NULL,
    reference TEXT NOT NULL,
    kind TEXT NOT NULL,
    pending_id BLOB,
    expires_at INTEGER,
    timestamp INTEGER NOT NULL UNIQUE
) STRICT;
CREATE INDEX transfers_debit ON transfers(debit_account_id, timestamp);
CREATE INDEX transfers_credit ON transfers(credit_account_id, timestamp);
-- A hold is settled at most once, whatever the application does.
CREATE UNIQUE INDEX transfers_settles ON transfers(pending_id) WHERE pending_id IS NOT NULL;

CREATE TABLE holds (
    pending_id BLOB PRIMARY KEY NOT NULL REFERENCES transfers(id),
    debit_account_id BLOB NOT NULL,
    credit_account_id BLOB NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    expires_at INTEGER,
    state TEXT NOT NULL
) STRICT;
CREATE INDEX holds_open_by_expiry ON holds(expires_at) WHERE state = 'open' AND expires_at IS NOT NULL;

-- The ledger's clock: the newest transfer timestamp, so new ones are strictly greater.
CREATE TABLE ledger_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_timestamp INTEGER NOT NULL
) STRICT;
INSERT INTO ledger_clock (id, last_timestamp) VALUES (1, 0);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants(id),
    prefix TEXT NOT NULL UNIQUE,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;

CREATE TABLE funding_sources (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id),
    bank_name TEXT NOT NULL,
    account_number TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX funding_sources_user ON funding_sources(user_id);

CREATE TABLE idempotency (
    scope BLOB NOT NULL,
    key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT;
