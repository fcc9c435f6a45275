-- Customer tiers (know-your-customer levels) for payment and balance limits.
-- A customer without a row is on the basic tier.
CREATE TABLE customer_tiers (
    user_id BLOB PRIMARY KEY NOT NULL REFERENCES users(id),
    tier TEXT NOT NULL,
    updated_by BLOB NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
-- A merchant's daily summary counts the refunds made that day.
CREATE INDEX refunds_created ON refunds(created_at);
