-- Customer tiers (know-your-customer levels) for payment and balance limits,
-- and indexes for the daily summary and for housekeeping.
-- A customer without a row is on the basic tier.
CREATE TABLE customer_tiers (
    user_id BLOB PRIMARY KEY NOT NULL REFERENCES users(id),
    tier TEXT NOT NULL,
    updated_by BLOB NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
-- A merchant's daily summary counts the refunds made that day.
CREATE INDEX refunds_created ON refunds(created_at);
-- Housekeeping finishes payments and refunds a crash left half-done, and lapses
-- approvals nobody gave in time.
CREATE INDEX payments_processing ON payments(updated_at) WHERE status = 'processing';
CREATE INDEX refunds_pending ON refunds(created_at) WHERE status = 'pending';
CREATE INDEX payments_awaiting ON payments(expires_at) WHERE status = 'awaiting_approval';
