-- A one-time code to set a new password, handed to the person by an operator or agent (SMS is not
-- assumed). One per person at a time, Argon2id-hashed, short-lived, and spent after a few wrong tries.
CREATE TABLE reset_codes (
    user_id UUID PRIMARY KEY NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    issued_by UUID NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    failed_attempts BIGINT NOT NULL
);
