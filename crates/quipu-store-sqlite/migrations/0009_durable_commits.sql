-- Every durable commit (a ledger batch, or a sync) changes this row, so it
-- always writes to the WAL and fsyncs it, making every earlier write durable
-- too (see Store::sync); a commit that changed no page would write nothing.
ALTER TABLE ledger_clock ADD COLUMN durable_commits INTEGER NOT NULL DEFAULT 0;
