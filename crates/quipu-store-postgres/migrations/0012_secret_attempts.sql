-- Wrong guesses at a secret per source (an agent, a shop, an address): each source has its own
-- limit, and the owner's own row in users/cards keeps a higher limit for all sources together, so a
-- stranger's guesses lock the stranger out long before they lock the owner out.
CREATE TABLE secret_attempts (
    owner UUID NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    failed_attempts BIGINT NOT NULL,
    locked_until BIGINT,
    last_failed_at BIGINT NOT NULL,
    PRIMARY KEY (owner, kind, source)
);
-- Housekeeping forgets old counts.
CREATE INDEX secret_attempts_last_failed ON secret_attempts(last_failed_at);
