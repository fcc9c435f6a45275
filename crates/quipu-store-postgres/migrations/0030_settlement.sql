-- Money leaving the network and agents' earnings: merchants' bank accounts,
-- payouts and the batches sent to the bank, scheduled payouts, and the
-- commissions the operator pays agents from fee income.
CREATE TABLE merchant_bank_accounts (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    bank_name TEXT NOT NULL,
    account_number TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX merchant_bank_accounts_merchant ON merchant_bank_accounts(merchant_id);

CREATE TABLE payout_batches (
    id UUID PRIMARY KEY NOT NULL,
    created_by UUID NOT NULL,
    created_at BIGINT NOT NULL,
    paid_at BIGINT
);

CREATE TABLE payouts (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    bank_account_id UUID NOT NULL REFERENCES merchant_bank_accounts(id),
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    status TEXT NOT NULL,
    scheduled BIGINT NOT NULL,
    batch_id UUID REFERENCES payout_batches(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payouts_merchant ON payouts(merchant_id, created_at);
CREATE INDEX payouts_status ON payouts(status, created_at);
CREATE INDEX payouts_batch ON payouts(batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE scheduled_payouts (
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    currency TEXT NOT NULL,
    bank_account_id UUID NOT NULL REFERENCES merchant_bank_accounts(id),
    threshold BIGINT NOT NULL CHECK (threshold >= 0),
    last_day BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, currency)
);
CREATE INDEX scheduled_payouts_day ON scheduled_payouts(last_day);

CREATE TABLE agent_commissions (
    operation TEXT NOT NULL,
    currency TEXT NOT NULL,
    rate_kind TEXT NOT NULL,
    rate BIGINT NOT NULL CHECK (rate >= 0),
    updated_by UUID NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (operation, currency)
);
