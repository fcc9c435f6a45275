-- The operator's moderation page reads the newest reviews across every seller: walked backwards
-- down this index a page at a time, rather than sorting the whole table for each page.
CREATE INDEX market_reviews_recent ON market_reviews(created_at, id);
