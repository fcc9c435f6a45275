-- Prepaid smart cards, and card payments. A card's own stored-value account
-- lives in `accounts` (owner_kind 'card'). A card need not belong to anyone,
-- so a payment's payer is a customer, a card, or both (a linked card).

CREATE TABLE cards (
    id UUID PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    currency TEXT NOT NULL,
    customer_id UUID REFERENCES users(id),
    pin_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    replaced_by UUID REFERENCES cards(id),
    issued_by UUID NOT NULL,
    pin_failed_attempts BIGINT NOT NULL DEFAULT 0,
    pin_locked_until BIGINT,
    pin_checking_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cards_customer ON cards(customer_id) WHERE customer_id IS NOT NULL;

ALTER TABLE payments ALTER COLUMN customer_id DROP NOT NULL;
ALTER TABLE payments ADD COLUMN card_id UUID REFERENCES cards(id);
-- Someone pays: a customer's wallet or a card.
ALTER TABLE payments ADD CONSTRAINT payments_payer CHECK (customer_id IS NOT NULL OR card_id IS NOT NULL);
CREATE INDEX payments_card ON payments(card_id, created_at) WHERE card_id IS NOT NULL;
