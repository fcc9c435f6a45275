-- Merchant-presented QR: the merchant details a QR carries, per-sale payment
-- requests (dynamic QRs), and which till and request a payment came through.

ALTER TABLE merchants ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN category_code TEXT NOT NULL DEFAULT '5999';

CREATE TABLE payment_requests (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    till TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_by UUID NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX payment_requests_merchant ON payment_requests(merchant_id, created_at);

ALTER TABLE payments ADD COLUMN till TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN request_id UUID REFERENCES payment_requests(id);
-- A payment request is paid at most once, whatever the application does; a
-- failed attempt leaves the index and frees the request for another try.
CREATE UNIQUE INDEX payments_request ON payments(request_id) WHERE request_id IS NOT NULL AND status <> 'failed';
