-- Keys the instance makes for itself on first start, shared by every process on the database:
-- `handover` derives each order's hand-over code (so the digits are never stored).
CREATE TABLE instance_keys (
    purpose TEXT PRIMARY KEY NOT NULL,
    secret BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- An order's hand-over code, as a keyed hash only, written at checkout. Wrong codes are counted
-- here and lock the code for a while (`locked_until`); `checked_at` is when the right one came.
CREATE TABLE handover_codes (
    order_id BLOB PRIMARY KEY NOT NULL REFERENCES orders(id),
    code_hash BLOB NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until INTEGER,
    checked_at INTEGER
) STRICT;

-- The tip a customer adds for the courier after pickup (held from their wallet until hand-over).
ALTER TABLE delivery_jobs ADD COLUMN tip INTEGER NOT NULL DEFAULT 0 CHECK (tip >= 0);

