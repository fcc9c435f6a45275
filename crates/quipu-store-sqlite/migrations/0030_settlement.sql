-- Money leaving the network and agents' earnings: merchants' bank accounts,
-- payouts and the batches sent to the bank, scheduled payouts, and the
-- commissions the operator pays agents from fee income.
CREATE TABLE merchant_bank_accounts (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants(id),
    bank_name TEXT NOT NULL,
    account_number TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX merchant_bank_accounts_merchant ON merchant_bank_accounts(merchant_id);

CREATE TABLE payout_batches (
    id BLOB PRIMARY KEY NOT NULL,
    created_by BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    paid_at INTEGER
) STRICT;

CREATE TABLE payouts (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants(id),
    bank_account_id BLOB NOT NULL REFERENCES merchant_bank_accounts(id),
    currency TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL,
    scheduled INTEGER NOT NULL,
    batch_id BLOB REFERENCES payout_batches(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX payouts_merchant ON payouts(merchant_id, created_at);
CREATE INDEX payouts_status ON payouts(status, created_at);
CREATE INDEX payouts_batch ON payouts(batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE scheduled_payouts (
    merchant_id BLOB NOT NULL REFERENCES merchants(id),
    currency TEXT NOT NULL,
    bank_account_id BLOB NOT NULL REFERENCES merchant_bank_accounts(id),
    threshold INTEGER NOT NULL CHECK (threshold >= 0),
    last_day INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, currency)
) STRICT;
CREATE INDEX scheduled_payouts_day ON scheduled_payouts(last_day);

CREATE TABLE agent_commissions (
    operation TEXT NOT NULL,
    currency TEXT NOT NULL,
    rate_kind TEXT NOT NULL,
    rate INTEGER NOT NULL CHECK (rate >= 0),
    updated_by BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (operation, currency)
) STRICT;
