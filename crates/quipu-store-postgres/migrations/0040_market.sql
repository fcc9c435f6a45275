-- The marketplace: delivery areas, merchants enabled as sellers with their storefronts, and their
-- catalogs. Prices are minor units; coordinates whole microdegrees (both databases keep the same
-- integer); hours one line per weekday, Monday first ("09:00-12:00,13:00-18:00", empty: closed).
CREATE TABLE market_areas (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE sellers (
    merchant_id UUID PRIMARY KEY NOT NULL REFERENCES merchants(id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    address TEXT NOT NULL,
    latitude_micro BIGINT CHECK (latitude_micro BETWEEN -90000000 AND 90000000),
    longitude_micro BIGINT CHECK (longitude_micro BETWEEN -180000000 AND 180000000),
    hours TEXT NOT NULL,
    closures TEXT NOT NULL,
    accepting BIGINT NOT NULL,
    preparation_minutes BIGINT NOT NULL CHECK (preparation_minutes >= 0),
    pickup BIGINT NOT NULL,
    radius_metres BIGINT CHECK (radius_metres > 0),
    radius_fee BIGINT CHECK (radius_fee >= 0),
    radius_minimum BIGINT CHECK (radius_minimum >= 0),
    radius_free_from BIGINT CHECK (radius_free_from >= 0),
    updated_at BIGINT NOT NULL
);

CREATE TABLE seller_areas (
    seller_id UUID NOT NULL REFERENCES sellers(merchant_id),
    area_id UUID NOT NULL REFERENCES market_areas(id),
    fee BIGINT NOT NULL CHECK (fee >= 0),
    minimum_order BIGINT NOT NULL CHECK (minimum_order >= 0),
    free_from BIGINT CHECK (free_from >= 0),
    PRIMARY KEY (seller_id, area_id)
);
CREATE INDEX seller_areas_area ON seller_areas(area_id);

-- `stock` NULL: not counted (`sold_out` then says whether it is available); `options` the option
-- groups as JSON; `name_length` orders search results (shortest names first); `search_row` keys
-- the product's terms in the search index (an explicit column: SQLite may renumber rowids).
CREATE TABLE products (
    id UUID PRIMARY KEY NOT NULL,
    seller_id UUID NOT NULL REFERENCES sellers(merchant_id),
    sku TEXT,
    name_ko TEXT,
    name_en TEXT,
    description TEXT,
    category TEXT NOT NULL,
    currency TEXT NOT NULL,
    price BIGINT NOT NULL CHECK (price > 0),
    unit TEXT NOT NULL,
    stock BIGINT CHECK (stock >= 0),
    sold_out BIGINT NOT NULL,
    needs_pharmacist BIGINT NOT NULL,
    visible BIGINT NOT NULL,
    options TEXT NOT NULL,
    name_length BIGINT NOT NULL,
    version BIGINT NOT NULL CHECK (version > 0),
    updated_at BIGINT NOT NULL,
    search_row BIGINT NOT NULL UNIQUE,
    CHECK (name_ko IS NOT NULL OR name_en IS NOT NULL)
);
CREATE INDEX products_seller ON products(seller_id, category, name_length);
CREATE UNIQUE INDEX products_sku ON products(seller_id, sku) WHERE sku IS NOT NULL;

-- The search index: each product's terms (made in Rust, the same for both databases; see
-- quipu_domain::market::search) as text-search vectors taken word for word (no parser or
-- dictionary of PostgreSQL's touches them), written in the same transaction as the product.
-- Fuzzy forms carry a '~' so they never meet a word: one vector, one index, one condition.
CREATE SEQUENCE products_search_row;
CREATE TABLE product_search (
    search_row BIGINT PRIMARY KEY NOT NULL REFERENCES products(search_row),
    terms TSVECTOR NOT NULL
);
CREATE INDEX product_search_terms ON product_search USING GIN (terms);
