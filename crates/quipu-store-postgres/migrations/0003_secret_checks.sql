-- One check of a person's PIN (or password) at a time: a claim that lapses by itself if a process dies mid-check.
ALTER TABLE users ADD COLUMN pin_checking_until BIGINT;
ALTER TABLE users ADD COLUMN login_checking_until BIGINT;
