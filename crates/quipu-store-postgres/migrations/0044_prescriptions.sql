-- A customer's prescription photo for a pharmacy order: one per order, replaced by a new upload.
-- Only a JPEG re-encoded from the upload's pixels is kept (never the upload). Housekeeping deletes
-- it a configurable time after its order ended. `bytes` is the last column, so reading when it was
-- uploaded reads none of its pixels.
CREATE TABLE order_prescriptions (
    order_id UUID PRIMARY KEY NOT NULL REFERENCES orders(id),
    content_type TEXT NOT NULL,
    width BIGINT NOT NULL CHECK (width > 0),
    height BIGINT NOT NULL CHECK (height > 0),
    uploaded_at BIGINT NOT NULL,
    bytes BYTEA NOT NULL
);
-- JPEG bytes do not compress: stored out of line as they are.
ALTER TABLE order_prescriptions ALTER COLUMN bytes SET STORAGE EXTERNAL;
