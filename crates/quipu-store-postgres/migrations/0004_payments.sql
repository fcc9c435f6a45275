-- In-store payments: merchant terms, enrolled devices, payments and refunds.

ALTER TABLE merchants ADD COLUMN fee_bps BIGINT NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN cashiers_may_refund BIGINT NOT NULL DEFAULT 0;

CREATE TABLE devices (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id),
    device_ref BIGINT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    secret BYTEA NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX devices_user ON devices(user_id);

CREATE TABLE payments (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    customer_id UUID NOT NULL REFERENCES users(id),
    method TEXT NOT NULL,
    device_id UUID REFERENCES devices(id),
    code_step BIGINT,
    code_slot BIGINT,
    amount BIGINT NOT NULL CHECK (amount > 0),
    fee BIGINT NOT NULL CHECK (fee >= 0 AND fee <= amount),
    currency TEXT NOT NULL,
    refunded BIGINT NOT NULL CHECK (refunded >= 0 AND refunded <= amount),
    status TEXT NOT NULL,
    failure_code TEXT,
    reference TEXT NOT NULL,
    created_by UUID NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    updated_at BIGINT NOT NULL,
    -- A payment code pays at most once, whatever the application does.
    UNIQUE (device_id, code_step, code_slot)
);
CREATE INDEX payments_merchant ON payments(merchant_id, created_at);
CREATE INDEX payments_customer ON payments(customer_id, created_at);

CREATE TABLE refunds (
    id UUID PRIMARY KEY NOT NULL,
    payment_id UUID NOT NULL REFERENCES payments(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    refunded_before BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by UUID NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX refunds_payment ON refunds(payment_id, created_at);
