-- Housekeeping deletes idempotency records past their retention and expired sessions.
CREATE INDEX idempotency_created ON idempotency(created_at);
CREATE INDEX sessions_expiry ON sessions(expires_at);
