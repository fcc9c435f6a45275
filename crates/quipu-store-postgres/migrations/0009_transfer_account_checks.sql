-- A ledger batch inserts thousands of transfers; on PostgreSQL each row's two
-- foreign keys to accounts ran a trigger with a locking lookup, which cost
-- more than the rest of the insert (BENCHMARKS.md). The batch already loads
-- and locks every account it writes (FOR UPDATE) and refuses a transfer whose
-- account it did not find, accounts are never deleted, and `ledger verify`
-- checks that every transfer's accounts exist. SQLite keeps the keys: there
-- they are an in-cache lookup.
ALTER TABLE transfers DROP CONSTRAINT transfers_debit_account_id_fkey;
ALTER TABLE transfers DROP CONSTRAINT transfers_credit_account_id_fkey;
