-- What search filters and sorts by, in each product's index row beside its terms: a search reads
-- only `product_search` (its GIN index, then these columns) and reads `products` only for the page
-- it shows. Kept by the catalog write that re-indexes the product, in the same transaction, copied
-- from the row it just wrote.
ALTER TABLE product_search
    ADD COLUMN product_id UUID,
    ADD COLUMN seller_id UUID,
    ADD COLUMN visible BIGINT,
    ADD COLUMN category TEXT,
    ADD COLUMN price BIGINT,
    ADD COLUMN name_length BIGINT;

UPDATE product_search s
    SET product_id = p.id, seller_id = p.seller_id, visible = p.visible, category = p.category,
        price = p.price, name_length = p.name_length
    FROM products p WHERE p.search_row = s.search_row;

ALTER TABLE product_search
    ALTER COLUMN product_id SET NOT NULL,
    ALTER COLUMN seller_id SET NOT NULL,
    ALTER COLUMN visible SET NOT NULL,
    ALTER COLUMN category SET NOT NULL,
    ALTER COLUMN price SET NOT NULL,
    ALTER COLUMN name_length SET NOT NULL;

-- For a common word, a page is read down these in order, keeping the rows that match, rather than
-- sorting every match (see quipu_store_sql::market's `Plan`).
CREATE INDEX product_search_relevance ON product_search (name_length, product_id);
CREATE INDEX product_search_price ON product_search (price, product_id);

-- The planner needs to know how often a term matches to choose between the text index and these.
ANALYZE product_search;
