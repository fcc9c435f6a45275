-- Customer tiers (know-your-customer levels) for payment and balance limits.
-- A customer without a row is on the basic tier.
CREATE TABLE customer_tiers (
    user_id UUID PRIMARY KEY NOT NULL REFERENCES users(id),
    tier TEXT NOT NULL,
    updated_by UUID NOT NULL,
    updated_at BIGINT NOT NULL
);
-- A merchant's daily summary counts the refunds made that day.
CREATE INDEX refunds_created ON refunds(created_at);
