-- Carts and orders. A cart line is a product with its chosen options (JSON, as indexes into the
-- product's option groups) and the unit price the customer saw. An order is one seller's part of a
-- checkout: amounts in minor units (`held` is what the ledger hold keeps, `captured` what completion
-- took), and its lines snapshot what was ordered. `order_changes` says who changed what, when, why.
CREATE TABLE cart_lines (
    id UUID PRIMARY KEY NOT NULL,
    customer_id UUID NOT NULL REFERENCES users(id),
    product_id UUID NOT NULL REFERENCES products(id),
    seller_id UUID NOT NULL REFERENCES sellers(merchant_id),
    quantity BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    choices TEXT NOT NULL,
    unit_price BIGINT NOT NULL CHECK (unit_price > 0),
    added_at BIGINT NOT NULL,
    UNIQUE (customer_id, product_id, choices)
);

CREATE TABLE orders (
    id UUID PRIMARY KEY NOT NULL,
    checkout_id UUID NOT NULL,
    customer_id UUID NOT NULL REFERENCES users(id),
    seller_id UUID NOT NULL REFERENCES sellers(merchant_id),
    status TEXT NOT NULL,
    payment TEXT NOT NULL,
    card_id UUID REFERENCES cards(id),
    currency TEXT NOT NULL,
    subtotal BIGINT NOT NULL CHECK (subtotal > 0),
    delivery_fee BIGINT NOT NULL CHECK (delivery_fee >= 0),
    held BIGINT NOT NULL CHECK (held > 0),
    captured BIGINT NOT NULL CHECK (captured >= 0 AND captured <= held),
    fee BIGINT NOT NULL CHECK (fee >= 0),
    fulfilment TEXT NOT NULL,
    area_id UUID REFERENCES market_areas(id),
    latitude_micro BIGINT,
    longitude_micro BIGINT,
    address TEXT NOT NULL,
    note TEXT NOT NULL,
    ready_at BIGINT,
    accept_by BIGINT NOT NULL,
    reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orders_checkout ON orders(checkout_id);
CREATE INDEX orders_customer ON orders(customer_id, created_at);
CREATE INDEX orders_seller ON orders(seller_id, status, created_at);
CREATE INDEX orders_due ON orders(status, accept_by);

CREATE TABLE order_lines (
    order_id UUID NOT NULL REFERENCES orders(id),
    position BIGINT NOT NULL,
    product_id UUID NOT NULL REFERENCES products(id),
    name_ko TEXT,
    name_en TEXT,
    options TEXT NOT NULL,
    unit TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    unit_price BIGINT NOT NULL CHECK (unit_price > 0),
    total BIGINT NOT NULL CHECK (total > 0),
    hold BIGINT NOT NULL CHECK (hold >= total),
    final_total BIGINT CHECK (final_total >= 0 AND final_total <= hold),
    reserved BIGINT NOT NULL,
    line_check TEXT NOT NULL,
    check_note TEXT,
    PRIMARY KEY (order_id, position)
);

CREATE TABLE order_changes (
    order_id UUID NOT NULL REFERENCES orders(id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    by_id UUID,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    line BIGINT,
    amount BIGINT,
    note TEXT,
    PRIMARY KEY (order_id, seq)
);
