-- Merchant events (what tills hear live and webhooks deliver) and the webhook outbox.

-- One row per thing a merchant may want to hear about, written in the same
-- transaction as the change it reports. `seq` orders a merchant's events
-- for tills that resume a live stream after a dropped connection.
CREATE TABLE merchant_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id UUID NOT NULL UNIQUE,
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    till TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX merchant_events_merchant ON merchant_events(merchant_id, seq);

CREATE TABLE webhook_endpoints (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    url TEXT NOT NULL,
    -- Needed in the clear to sign deliveries; shown to the merchant once.
    secret BYTEA NOT NULL,
    -- Space-separated event kinds, or '*' for all.
    events TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled_at BIGINT
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints(merchant_id);

-- The outbox: one delivery per (endpoint, event), fanned out with the event.
CREATE TABLE webhook_deliveries (
    endpoint_id UUID NOT NULL REFERENCES webhook_endpoints(id),
    event_id UUID NOT NULL REFERENCES merchant_events(id),
    merchant_id UUID NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    -- A sender owns a delivery until then; a crashed sender's lease lapses.
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT,
    PRIMARY KEY (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    endpoint_id UUID NOT NULL,
    event_id UUID NOT NULL,
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, event_id, attempt)
);
