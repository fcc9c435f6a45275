-- A reset of someone's password that an operator asks for waits for a second operator, who alone
-- sees the code: no one member of staff can take over an account.
CREATE TABLE reset_requests (
    user_id UUID PRIMARY KEY NOT NULL REFERENCES users(id),
    requested_by UUID NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
-- Why a code was issued, carried to the watch below.
ALTER TABLE reset_codes ADD COLUMN reason TEXT NOT NULL DEFAULT '';
-- A password set from a reset code is one staff may know: every session opened with it is watched,
-- each of its requests written to the person's access log, until the person sets a new one.
CREATE TABLE reset_watches (
    user_id UUID PRIMARY KEY NOT NULL REFERENCES users(id),
    issued_by UUID NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    since BIGINT NOT NULL
);
ALTER TABLE sessions ADD COLUMN watched_by UUID;
