-- Carts and orders. A cart line is a product with its chosen options (JSON, as indexes into the
-- product's option groups) and the unit price the customer saw. An order is one seller's part of a
-- checkout: amounts in minor units (`held` is what the ledger hold keeps, `captured` what completion
-- took), and its lines snapshot what was ordered. `order_changes` says who changed what, when, why.
CREATE TABLE cart_lines (
    id BLOB PRIMARY KEY NOT NULL,
    customer_id BLOB NOT NULL REFERENCES users(id),
    product_id BLOB NOT NULL REFERENCES products(id),
    seller_id BLOB NOT NULL REFERENCES sellers(merchant_id),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    choices TEXT NOT NULL,
    unit_price INTEGER NOT NULL CHECK (unit_price > 0),
    added_at INTEGER NOT NULL,
    UNIQUE (customer_id, product_id, choices)
) STRICT;

CREATE TABLE orders (
    id BLOB PRIMARY KEY NOT NULL,
    checkout_id BLOB NOT NULL,
    customer_id BLOB NOT NULL REFERENCES users(id),
    seller_id BLOB NOT NULL REFERENCES sellers(merchant_id),
    status TEXT NOT NULL,
    payment TEXT NOT NULL,
    card_id BLOB REFERENCES cards(id),
    currency TEXT NOT NULL,
    subtotal INTEGER NOT NULL CHECK (subtotal > 0),
    delivery_fee INTEGER NOT NULL CHECK (delivery_fee >= 0),
    held INTEGER NOT NULL CHECK (held > 0),
    captured INTEGER NOT NULL CHECK (captured >= 0 AND captured <= held),
    fee INTEGER NOT NULL CHECK (fee >= 0),
    fulfilment TEXT NOT NULL,
    area_id BLOB REFERENCES market_areas(id),
    latitude_micro INTEGER,
    longitude_micro INTEGER,
    address TEXT NOT NULL,
    note TEXT NOT NULL,
    ready_at INTEGER,
    accept_by INTEGER NOT NULL,
    reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX orders_checkout ON orders(checkout_id);
CREATE INDEX orders_customer ON orders(customer_id, created_at);
CREATE INDEX orders_seller ON orders(seller_id, status, created_at);
CREATE INDEX orders_due ON orders(status, accept_by);

CREATE TABLE order_lines (
    order_id BLOB NOT NULL REFERENCES orders(id),
    position INTEGER NOT NULL,
    product_id BLOB NOT NULL REFERENCES products(id),
    name_ko TEXT,
    name_en TEXT,
    options TEXT NOT NULL,
    unit TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    unit_price INTEGER NOT NULL CHECK (unit_price > 0),
    total INTEGER NOT NULL CHECK (total > 0),
    hold INTEGER NOT NULL CHECK (hold >= total),
    final_total INTEGER CHECK (final_total >= 0 AND final_total <= hold),
    reserved INTEGER NOT NULL,
    line_check TEXT NOT NULL,
    check_note TEXT,
    PRIMARY KEY (order_id, position)
) STRICT;

CREATE TABLE order_changes (
    order_id BLOB NOT NULL REFERENCES orders(id),
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    by_id BLOB,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    line INTEGER,
    amount INTEGER,
    note TEXT,
    PRIMARY KEY (order_id, seq)
) STRICT;
