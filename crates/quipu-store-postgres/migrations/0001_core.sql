-- Quipu core schema for PostgreSQL. Ids are UUIDs; times are microseconds
-- since the Unix epoch; money is BIGINT minor units.

CREATE TABLE merchants (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY NOT NULL,
    role TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    pin_hash TEXT,
    merchant_id UUID REFERENCES merchants(id),
    pin_failed_attempts BIGINT NOT NULL DEFAULT 0,
    pin_locked_until BIGINT,
    login_failed_attempts BIGINT NOT NULL DEFAULT 0,
    login_locked_until BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_merchant ON users(merchant_id) WHERE merchant_id IS NOT NULL;

CREATE TABLE accounts (
    id UUID PRIMARY KEY NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL,
    flags BIGINT NOT NULL,
    debits_posted BIGINT NOT NULL DEFAULT 0,
    credits_posted BIGINT NOT NULL DEFAULT 0,
    debits_pending BIGINT NOT NULL DEFAULT 0,
    credits_pending BIGINT NOT NULL DEFAULT 0,
    owner_kind TEXT NOT NULL,
    owner_id UUID NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (owner_kind, owner_id, kind, currency)
);

CREATE TABLE transfers (
    id UUID PRIMARY KEY NOT NULL,
    debit_account_id UUID NOT NULL REFERENCES accounts(id),
    credit_account_id UUID NOT NULL REFERENCES accounts(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    code TEXT NOT NULL,
    reference TEXT NOT NULL,
    kind TEXT NOT NULL,
    pending_id UUID,
    expires_at BIGINT,
    timestamp BIGINT NOT NULL UNIQUE
);
CREATE INDEX transfers_debit ON transfers(debit_account_id, timestamp);
CREATE INDEX transfers_credit ON transfers(credit_account_id, timestamp);
-- A hold is settled at most once, whatever the application does.
CREATE UNIQUE INDEX transfers_settles ON transfers(pending_id) WHERE pending_id IS NOT NULL;

CREATE TABLE holds (
    pending_id UUID PRIMARY KEY NOT NULL REFERENCES transfers(id),
    debit_account_id UUID NOT NULL,
    credit_account_id UUID NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    expires_at BIGINT,
    state TEXT NOT NULL
);
CREATE INDEX holds_open_by_expiry ON holds(expires_at) WHERE state = 'open' AND expires_at IS NOT NULL;

-- The ledger's clock: the newest transfer timestamp, so new ones are strictly greater.
-- Ledger writers lock this one row first (SELECT … FOR UPDATE), which serializes
-- them across processes.
CREATE TABLE ledger_clock (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last_timestamp BIGINT NOT NULL
);
INSERT INTO ledger_clock (id, last_timestamp) VALUES (1, 0);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    prefix TEXT NOT NULL UNIQUE,
    secret_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE funding_sources (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id),
    bank_name TEXT NOT NULL,
    account_number TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX funding_sources_user ON funding_sources(user_id);

CREATE TABLE idempotency (
    scope UUID NOT NULL,
    key TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    status BIGINT NOT NULL,
    body BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
