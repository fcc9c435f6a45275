//! Product images for every backend: files stored once by their hash, linked to products in
//! order, read with the products that show them.

use std::collections::HashMap;

use quipu_domain::Timestamp;
use quipu_domain::market::ProductId;
use quipu_store::market::{ImageAdded, ImageFileRecord, ImageSize, MAX_PRODUCT_IMAGES, ProductImage, ProductRecord};
use quipu_store::{StoreResult, corrupt, db_error};
use uuid::Uuid;

use crate::driver::{Columns, FromColumns, Statement, execute, execute_unique, fetch_optional};
use crate::{Backend, Conn, SqlStore, by_ids};

pub(crate) mod sql {
    crate::sql_statements! {
        /// A file already stored (by another product, or by the thumbnail of a small image) stays.
        INSERT_IMAGE_FILE = "INSERT INTO image_files (sha256, content_type, width, height, created_at, bytes) \
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING";
        SELECT_PRODUCT_IMAGE = "SELECT thumbnail_sha256 FROM product_images WHERE product_id = $1 AND detail_sha256 = $2";
        /// Linked after the product's other images, unless it shows `$5` already: one statement, so
        /// the count and the position are the ones the link is written under.
        INSERT_PRODUCT_IMAGE = "INSERT INTO product_images (product_id, detail_sha256, thumbnail_sha256, position, created_at) \
            SELECT $1, $2, $3, (SELECT COALESCE(MAX(position) + 1, 0) FROM product_images WHERE product_id = $1), $4 \
            WHERE (SELECT COUNT(*) FROM product_images WHERE product_id = $1) < $5";
        DELETE_PRODUCT_IMAGE = "DELETE FROM product_images WHERE product_id = $1 AND detail_sha256 = $2";
        /// The two sizes of an image no longer shown, unless another product shows either.
        DELETE_UNUSED_FILES = "DELETE FROM image_files WHERE sha256 IN ($1, $2) \
            AND NOT EXISTS (SELECT 1 FROM product_images WHERE detail_sha256 = image_files.sha256) \
            AND NOT EXISTS (SELECT 1 FROM product_images WHERE thumbnail_sha256 = image_files.sha256)";
        SELECT_IMAGE_FILE = "SELECT sha256, content_type, width, height, created_at, bytes FROM image_files WHERE sha256 = $1";
        /// Products' images with their sizes, for `by_ids` on `pi.product_id`.
        SELECT_PRODUCTS_IMAGES = "SELECT pi.product_id, pi.position, pi.detail_sha256, d.width AS detail_width, \
            d.height AS detail_height, pi.thumbnail_sha256, t.width AS thumbnail_width, t.height AS thumbnail_height \
            FROM product_images pi JOIN image_files d ON d.sha256 = pi.detail_sha256 \
            JOIN image_files t ON t.sha256 = pi.thumbnail_sha256";
    }
}

fn dimension(row: &dyn Columns, column: &str) -> StoreResult<u32> {
    let value = row.int(column)?;
    u32::try_from(value).map_err(|_| corrupt("image_files", format!("{column} = {value}")))
}

impl FromColumns for ImageFileRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            sha256: row.text("sha256")?,
            content_type: row.text("content_type")?,
            width: dimension(row, "width")?,
            height: dimension(row, "height")?,
            bytes: row.bytes("bytes")?,
            created_at: Timestamp(row.int("created_at")?),
        })
    }
}

/// One product's image, with whose it is.
struct Shown(ProductId, ProductImage);

impl FromColumns for Shown {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let size = |kind: &str| -> StoreResult<ImageSize> {
            Ok(ImageSize {
                sha256: row.text(&format!("{kind}_sha256"))?,
                width: dimension(row, &format!("{kind}_width"))?,
                height: dimension(row, &format!("{kind}_height"))?,
            })
        };
        let image = ProductImage { thumbnail: size("thumbnail")?, detail: size("detail")? };
        Ok(Self(ProductId(row.uuid("product_id")?), image))
    }
}

struct Thumbnail(String);

impl FromColumns for Thumbnail {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        row.text("thumbnail_sha256").map(Thumbnail)
    }
}

/// Fills in the images of `products` (read on `conn`), each product's in order.
pub(crate) async fn attach<B: Backend>(conn: &mut Conn<B>, products: &mut [ProductRecord]) -> StoreResult<()> {
    let ids: Vec<Uuid> = products.iter().map(|product| product.id.0).collect();
    let suffix = " ORDER BY pi.product_id, pi.position";
    let shown: Vec<Shown> =
        by_ids::<B, _>(conn, "loading products' images", sql::SELECT_PRODUCTS_IMAGES, "pi.product_id", &ids, suffix)
            .await?;
    let mut by_product: HashMap<ProductId, Vec<ProductImage>> = HashMap::new();
    for Shown(product, image) in shown {
        by_product.entry(product).or_default().push(image);
    }
    for product in products {
        product.images = by_product.remove(&product.id).unwrap_or_default();
    }
    Ok(())
}

fn insert_file(file: &ImageFileRecord) -> Statement<'_> {
    Statement::new(sql::INSERT_IMAGE_FILE)
        .bind(file.sha256.as_str())
        .bind(file.content_type.as_str())
        .bind(file.width)
        .bind(file.height)
        .bind(file.created_at)
        .bind(file.bytes.as_slice())
}

impl<B: Backend> SqlStore<B> {
    pub(crate) async fn add_image(
        &self,
        product: ProductId,
        thumbnail: &ImageFileRecord,
        detail: &ImageFileRecord,
    ) -> StoreResult<ImageAdded> {
        let mut tx = self.begin().await?;
        let shown = Statement::new(sql::SELECT_PRODUCT_IMAGE).bind(product.0).bind(detail.sha256.as_str());
        let already: Option<Thumbnail> =
            fetch_optional::<B::Db, _>(&mut tx, "looking for a product's image", shown).await?;
        if already.is_some() {
            return Ok(ImageAdded::AlreadyShown);
        }
        for file in [detail, thumbnail] {
            execute::<B::Db>(&mut tx, "storing an image file", insert_file(file)).await?;
        }
        let link = Statement::new(sql::INSERT_PRODUCT_IMAGE)
            .bind(product.0)
            .bind(detail.sha256.as_str())
            .bind(thumbnail.sha256.as_str())
            .bind(detail.created_at)
            .bind(MAX_PRODUCT_IMAGES);
        // Two uploads to one product at once (PostgreSQL) may meet on its key or its next position.
        let linked = execute_unique::<B::Db>(&mut tx, "showing an image on a product", "images added meanwhile", link);
        if linked.await? == 0 {
            // The files written above go with the transaction.
            return Ok(ImageAdded::Full);
        }
        tx.commit().await.map_err(db_error("committing a product's image"))?;
        Ok(ImageAdded::Added)
    }

    pub(crate) async fn remove_image(&self, product: ProductId, image: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let shown = Statement::new(sql::SELECT_PRODUCT_IMAGE).bind(product.0).bind(image);
        let Some(Thumbnail(thumbnail)) =
            fetch_optional::<B::Db, _>(&mut tx, "looking for a product's image", shown).await?
        else {
            return Ok(false);
        };
        let unlink = Statement::new(sql::DELETE_PRODUCT_IMAGE).bind(product.0).bind(image);
        execute::<B::Db>(&mut tx, "removing a product's image", unlink).await?;
        let unused = Statement::new(sql::DELETE_UNUSED_FILES).bind(image).bind(thumbnail.as_str());
        execute::<B::Db>(&mut tx, "deleting unused image files", unused).await?;
        tx.commit().await.map_err(db_error("committing a product's image removal"))?;
        Ok(true)
    }

    pub(crate) async fn load_image_file(&self, sha256: &str) -> StoreResult<Option<ImageFileRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_IMAGE_FILE).bind(sha256);
        fetch_optional::<B::Db, _>(&mut conn, "loading an image file", statement).await
    }
}
