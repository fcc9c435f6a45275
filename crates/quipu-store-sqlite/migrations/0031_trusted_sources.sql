-- Sources that have shown they know a secret (the owner's usual agent, shop, address): the owner's
-- own channels. Strangers' guesses, which lock a secret for every other source together, never lock
-- these; each still has its own limit on wrong guesses.
CREATE TABLE trusted_sources (
    owner BLOB NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    trusted_until INTEGER NOT NULL,
    PRIMARY KEY (owner, kind, source)
) STRICT;
-- Housekeeping forgets lapsed trust.
CREATE INDEX trusted_sources_until ON trusted_sources(trusted_until);
