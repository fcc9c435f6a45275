-- The IANA time zone a person reads times in and a shop keeps its days in; NULL until chosen,
-- which means the network's default (settings), so a new default reaches everyone who never chose.
ALTER TABLE users ADD COLUMN time_zone TEXT;
ALTER TABLE merchants ADD COLUMN time_zone TEXT;
