-- In-store payments: merchant terms, enrolled devices, payments and refunds.

ALTER TABLE merchants ADD COLUMN fee_bps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN cashiers_may_refund INTEGER NOT NULL DEFAULT 0;

CREATE TABLE devices (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users(id),
    device_ref INTEGER NOT NULL UNIQUE,
    label TEXT NOT NULL,
    secret BLOB NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX devices_user ON devices(user_id);

CREATE TABLE payments (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants(id),
    customer_id BLOB NOT NULL REFERENCES users(id),
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
    -- A payment code pays at most once, whatever the application does.
    UNIQUE (device_id, code_step, code_slot)
) STRICT;
CREATE INDEX payments_merchant ON payments(merchant_id, created_at);
CREATE INDEX payments_customer ON payments(customer_id, created_at);

CREATE TABLE refunds (
    id BLOB PRIMARY KEY NOT NULL,
    payment_id BLOB NOT NULL REFERENCES payments(id),
    amount INTEGER NOT NULL CHECK (amount > 0),
    refunded_before INTEGER NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX refunds_payment ON refunds(payment_id, created_at);
