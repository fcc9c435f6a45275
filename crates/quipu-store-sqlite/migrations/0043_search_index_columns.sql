-- What search filters and sorts by, beside each product's terms: a search reads these narrow rows
-- (by the search row FTS5 answers with) and reads `products` only for the page it shows. Kept by
-- the catalog write that re-indexes the product, in the same transaction, copied from the row it
-- just wrote. (FTS5's own UNINDEXED columns were measured five times slower to read than this.)
CREATE TABLE product_search_facets (
    search_row INTEGER PRIMARY KEY NOT NULL,
    product_id BLOB NOT NULL,
    seller_id BLOB NOT NULL,
    visible INTEGER NOT NULL,
    category TEXT NOT NULL,
    price INTEGER NOT NULL,
    name_length INTEGER NOT NULL
) STRICT;

INSERT INTO product_search_facets (search_row, product_id, seller_id, visible, category, price, name_length)
    SELECT search_row, id, seller_id, visible, category, price, name_length FROM products;

-- For a common word, a page is read down these in order, keeping the rows that match, rather than
-- sorting every match (see quipu_store_sql::market's `Plan`).
CREATE INDEX product_search_facets_relevance ON product_search_facets (name_length, product_id);
CREATE INDEX product_search_facets_price ON product_search_facets (price, product_id);
