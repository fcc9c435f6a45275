-- Product images. An upload is decoded once, under limits, and made into two JPEG sizes; the
-- upload itself is neither kept nor served. `image_files` holds each size's bytes once, however
-- many products show it, keyed by the lowercase hex SHA-256 of those bytes: the key is the URL
-- it is served at, so what a URL answers never changes. `product_images` shows an image on a
-- product, in `position` order: its detail size (whose hash is the image's id) and its thumbnail
-- (the same file when the upload was no larger than a thumbnail). A file no product shows any
-- more is deleted with its last link. `bytes` is the last column, so reading a file's size reads
-- none of its pixels.
CREATE TABLE image_files (
    sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    created_at INTEGER NOT NULL,
    bytes BLOB NOT NULL
) STRICT;

CREATE TABLE product_images (
    product_id BLOB NOT NULL REFERENCES products(id),
    detail_sha256 TEXT NOT NULL REFERENCES image_files(sha256),
    thumbnail_sha256 TEXT NOT NULL REFERENCES image_files(sha256),
    position INTEGER NOT NULL CHECK (position >= 0),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (product_id, detail_sha256),
    UNIQUE (product_id, position)
) STRICT;
CREATE INDEX product_images_detail ON product_images(detail_sha256);
CREATE INDEX product_images_thumbnail ON product_images(thumbnail_sha256);
