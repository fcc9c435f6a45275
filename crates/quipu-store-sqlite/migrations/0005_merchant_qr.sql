-- Merchant-presented QR: the merchant details a QR carries, per-sale payment
-- requests (dynamic QRs), and which till and request a payment came through.

ALTER TABLE merchants ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN category_code TEXT NOT NULL DEFAULT '5999';

CREATE TABLE payment_requests (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants(id),
    till TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_by BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX payment_requests_merchant ON payment_requests(merchant_id, created_at);

ALTER TABLE payments ADD COLUMN till TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN request_id BLOB REFERENCES payment_requests(id);
-- A payment request is paid at most once, whatever the application does; a
-- failed attempt leaves the index and frees the request for another try.
CREATE UNIQUE INDEX payments_request ON payments(request_id) WHERE request_id IS NOT NULL AND status <> 'failed';
