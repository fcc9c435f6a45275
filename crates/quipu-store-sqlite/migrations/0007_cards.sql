-- Prepaid smart cards, and card payments. A card's own stored-value account
-- lives in `accounts` (owner_kind 'card'). A card need not belong to anyone,
-- so a payment's payer is a customer, a card, or both (a linked card).
--
-- SQLite cannot drop NOT NULL in place: `payments` is rebuilt by the
-- documented procedure (new table, copy, drop, rename). Migrations run on a
-- connection with foreign keys off, and the store runs `foreign_key_check`
-- afterwards (see SqliteStore::open).

CREATE TABLE cards (
    id BLOB PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    currency TEXT NOT NULL,
    customer_id BLOB REFERENCES users(id),
    pin_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    replaced_by BLOB REFERENCES cards(id),
    issued_by BLOB NOT NULL,
    pin_failed_attempts INTEGER NOT NULL DEFAULT 0,
    pin_locked_until INTEGER,
    pin_checking_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX cards_customer ON cards(customer_id) WHERE customer_id IS NOT NULL;

CREATE TABLE payments_rebuilt (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants(id),
    customer_id BLOB REFERENCES users(id),
    method TEXT NOT NULL,
    device_id BLOB REFERENCES devices(id),
    code_step INTEGER,
    code_slot INTEGER,
    amount INTEGER NOT NULL CHECK (amount > 0),
    fee INTEGER NOT NULL CHECK (fee >= 0 AND fee <= amount),
    currency TEXT NOT NULL,
    refunded INTEGER NOT NULL CHECK (refunded >= 0 AND refunded <= amount),
    status TEXT NOT NULL,
    failure_code TEXT,
    reference TEXT NOT NULL,
    created_by BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    updated_at INTEGER NOT NULL,
    till TEXT NOT NULL DEFAULT '',
    request_id BLOB REFERENCES payment_requests(id),
    card_id BLOB REFERENCES cards(id),
    -- A payment code pays at most once, whatever the application does.
    UNIQUE (device_id, code_step, code_slot),
    -- Someone pays: a customer's wallet or a card.
    CHECK (customer_id IS NOT NULL OR card_id IS NOT NULL)
) STRICT;
INSERT INTO payments_rebuilt (id, merchant_id, customer_id, method, device_id, code_step, code_slot, amount, fee,
    currency, refunded, status, failure_code, reference, created_by, created_at, expires_at, updated_at, till, request_id)
SELECT id, merchant_id, customer_id, method, device_id, code_step, code_slot, amount, fee,
    currency, refunded, status, failure_code, reference, created_by, created_at, expires_at, updated_at, till, request_id
FROM payments;
DROP TABLE payments;
ALTER TABLE payments_rebuilt RENAME TO payments;
CREATE INDEX payments_merchant ON payments(merchant_id, created_at);
CREATE INDEX payments_customer ON payments(customer_id, created_at) WHERE customer_id IS NOT NULL;
CREATE INDEX payments_card ON payments(card_id, created_at) WHERE card_id IS NOT NULL;
-- A payment request is paid at most once, whatever the application does; a
-- failed attempt leaves the index and frees the request for another try.
CREATE UNIQUE INDEX payments_request ON payments(request_id) WHERE request_id IS NOT NULL AND status <> 'failed';
