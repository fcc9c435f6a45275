-- What staff did about a person, where the person can read it.
CREATE TABLE access_log (
    id UUID PRIMARY KEY NOT NULL,
    subject UUID NOT NULL,
    actor UUID NOT NULL REFERENCES users(id),
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX access_log_subject ON access_log(subject, at);

-- An operator's leave to replace a card whose holder has forgotten both its PIN and their own.
CREATE TABLE card_replacement_approvals (
    id UUID PRIMARY KEY NOT NULL,
    card_id UUID NOT NULL REFERENCES cards(id),
    approved_by UUID NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
