-- The marketplace: delivery areas, merchants enabled as sellers with their storefronts, and their
-- catalogs. Prices are minor units; coordinates whole microdegrees (both databases keep the same
-- integer); hours one line per weekday, Monday first ("09:00-12:00,13:00-18:00", empty: closed).
CREATE TABLE market_areas (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE sellers (
    merchant_id BLOB PRIMARY KEY NOT NULL REFERENCES merchants(id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    address TEXT NOT NULL,
    latitude_micro INTEGER CHECK (latitude_micro BETWEEN -90000000 AND 90000000),
    longitude_micro INTEGER CHECK (longitude_micro BETWEEN -180000000 AND 180000000),
    hours TEXT NOT NULL,
    closures TEXT NOT NULL,
    accepting INTEGER NOT NULL,
    preparation_minutes INTEGER NOT NULL CHECK (preparation_minutes >= 0),
    pickup INTEGER NOT NULL,
    radius_metres INTEGER CHECK (radius_metres > 0),
    radius_fee INTEGER CHECK (radius_fee >= 0),
    radius_minimum INTEGER CHECK (radius_minimum >= 0),
    radius_free_from INTEGER CHECK (radius_free_from >= 0),
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE seller_areas (
    seller_id BLOB NOT NULL REFERENCES sellers(merchant_id),
    area_id BLOB NOT NULL REFERENCES market_areas(id),
    fee INTEGER NOT NULL CHECK (fee >= 0),
    minimum_order INTEGER NOT NULL CHECK (minimum_order >= 0),
    free_from INTEGER CHECK (free_from >= 0),
    PRIMARY KEY (seller_id, area_id)
) STRICT;
CREATE INDEX seller_areas_area ON seller_areas(area_id);

-- `stock` NULL: not counted (`sold_out` then says whether it is available); `options` the option
-- groups as JSON; `name_length` orders search results (shortest names first); `search_row` keys
-- the product's terms in the search index (an explicit column: SQLite may renumber rowids).
CREATE TABLE products (
    id BLOB PRIMARY KEY NOT NULL,
    seller_id BLOB NOT NULL REFERENCES sellers(merchant_id),
    sku TEXT,
    name_ko TEXT,
    name_en TEXT,
    description TEXT,
    category TEXT NOT NULL,
    currency TEXT NOT NULL,
    price INTEGER NOT NULL CHECK (price > 0),
    unit TEXT NOT NULL,
    stock INTEGER CHECK (stock >= 0),
    sold_out INTEGER NOT NULL,
    needs_pharmacist INTEGER NOT NULL,
    visible INTEGER NOT NULL,
    options TEXT NOT NULL,
    name_length INTEGER NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    updated_at INTEGER NOT NULL,
    search_row INTEGER NOT NULL UNIQUE,
    CHECK (name_ko IS NOT NULL OR name_en IS NOT NULL)
) STRICT;
CREATE INDEX products_seller ON products(seller_id, category, name_length);
CREATE UNIQUE INDEX products_sku ON products(seller_id, sku) WHERE sku IS NOT NULL;

-- The search index: each product's terms (made in Rust, the same for both databases; see
-- quipu_domain::market::search), keyed by the product's `search_row`. Written in the same transaction
-- as the product. `detail=column` keeps column filters; `prefix` serves typed prefixes.
CREATE VIRTUAL TABLE product_search USING fts5(
    words,
    fuzzy,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 3',
    detail = column
);
