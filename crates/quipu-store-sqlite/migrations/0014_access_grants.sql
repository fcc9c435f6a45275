-- Leave for one staff member to read one person's history for a while, for a stated reason. Every
-- read under it is in the access log the person reads.
CREATE TABLE access_grants (
    id BLOB PRIMARY KEY NOT NULL,
    subject BLOB NOT NULL REFERENCES users(id),
    grantee BLOB NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX access_grants_subject ON access_grants(subject, grantee, expires_at);
