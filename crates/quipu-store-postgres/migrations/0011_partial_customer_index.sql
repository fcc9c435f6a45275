-- SQLite's rebuild of `payments` (its migration 0007) made `payments_customer`
-- partial, over payments that have a customer; PostgreSQL's stayed whole.
-- The schemas are meant to be the same (a test compares them): make it
-- partial here too. A card payment without a customer has nothing to index.
DROP INDEX payments_customer;
CREATE INDEX payments_customer ON payments(customer_id, created_at) WHERE customer_id IS NOT NULL;
