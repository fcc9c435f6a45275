-- Self-service and merchant management (issue 12, sections 4 and 6).

-- A removed cashier keeps their row (payments, refunds and logs name them) but signs in no more.
ALTER TABLE users ADD COLUMN removed_at INTEGER;
-- A cashier's own refund permission: 1 may, 0 may not, NULL follows the merchant's refund policy.
ALTER TABLE users ADD COLUMN may_refund INTEGER;

-- API keys: a name the owner gives, and when the key was last used (written at most once a minute).
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
CREATE INDEX api_keys_merchant ON api_keys(merchant_id, created_at);

-- What a customer hears live (payments awaiting their approval, completed, failed, refunded; money
-- received), written in the transaction of the change it reports. `seq` orders them for a stream that
-- resumes after a dropped connection; it shares the ordering lock with merchant events.
CREATE TABLE customer_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id BLOB NOT NULL UNIQUE,
    customer_id BLOB NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX customer_events_customer ON customer_events(customer_id, seq);
