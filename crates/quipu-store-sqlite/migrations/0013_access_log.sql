-- What staff did about a person, where the person can read it.
CREATE TABLE access_log (
    id BLOB PRIMARY KEY NOT NULL,
    subject BLOB NOT NULL,
    actor BLOB NOT NULL REFERENCES users(id),
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX access_log_subject ON access_log(subject, at);

-- An operator's leave to replace a card whose holder has forgotten both its PIN and their own.
CREATE TABLE card_replacement_approvals (
    id BLOB PRIMARY KEY NOT NULL,
    card_id BLOB NOT NULL REFERENCES cards(id),
    approved_by BLOB NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT;
