-- Reviews and what customers come back to. A review rates one completed order (1-5, an optional
-- comment), the seller may reply, the operator may hide its text (`hidden_*`; the rating still
-- counts). Each seller's row keeps its tally (`rating_sum`, `rating_count`), changed in the
-- review's transaction, so storefronts and the rating sort never average reviews at read time.
ALTER TABLE sellers ADD COLUMN rating_sum BIGINT NOT NULL DEFAULT 0 CHECK (rating_sum >= 0);
ALTER TABLE sellers ADD COLUMN rating_count BIGINT NOT NULL DEFAULT 0 CHECK (rating_count >= 0);

CREATE TABLE market_reviews (
    id UUID PRIMARY KEY NOT NULL,
    order_id UUID NOT NULL UNIQUE REFERENCES orders(id),
    seller_id UUID NOT NULL REFERENCES sellers(merchant_id),
    customer_id UUID NOT NULL REFERENCES users(id),
    rating BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment TEXT,
    reply TEXT,
    replied_at BIGINT,
    hidden_reason TEXT,
    hidden_by UUID,
    hidden_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX market_reviews_seller ON market_reviews(seller_id, created_at, id);

-- The options a line's customer chose (JSON, as the cart keeps them), so the order can be placed
-- again; NULL on lines written before.
ALTER TABLE order_lines ADD COLUMN choices TEXT;

CREATE TABLE favourite_sellers (
    customer_id UUID NOT NULL REFERENCES users(id),
    seller_id UUID NOT NULL REFERENCES sellers(merchant_id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, seller_id)
);

-- A customer waiting for a sold-out product; `fired_at` once it was back and they were told.
-- Housekeeping reads the waiting ones (`product_alerts_waiting`) against the products' stock.
CREATE TABLE product_alerts (
    customer_id UUID NOT NULL REFERENCES users(id),
    product_id UUID NOT NULL REFERENCES products(id),
    armed_at BIGINT NOT NULL,
    fired_at BIGINT,
    PRIMARY KEY (customer_id, product_id)
);
CREATE INDEX product_alerts_waiting ON product_alerts(product_id) WHERE fired_at IS NULL;
