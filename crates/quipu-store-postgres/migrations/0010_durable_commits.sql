-- Every durable commit (a ledger batch, or a sync) changes this row, so it
-- always writes WAL and waits for its flush, making every earlier commit
-- durable too (see Store::sync); a transaction that wrote nothing would not wait.
ALTER TABLE ledger_clock ADD COLUMN durable_commits BIGINT NOT NULL DEFAULT 0;
