//! Sellers' product images: an upload is made into its two sizes off the async threads, a few at
//! a time (decoding is CPU work, and uploads must not starve payments), then stored and shown on
//! the product. Files are served by their hash to anyone: a URL names one file's exact bytes and
//! cannot be guessed, so an image of a hidden product is as private as the product's own answer.

use std::time::Duration;

use quipu_domain::market::ProductId;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::StoreError;
use quipu_store::market::{ImageAdded, ImageFileRecord, MAX_PRODUCT_IMAGES, ProductRecord};
use tokio::sync::Semaphore;

use crate::Market;
use crate::images::{self, JPEG, Processed, Refusal, Rendition, is_sha256_hex};

/// Longest an upload waits for a decoder before it is told to come back.
const DECODE_WAIT: Duration = Duration::from_secs(10);

/// Images decoded at once: one for every two cores, at least one, so the others keep serving.
pub(crate) fn decoders() -> Semaphore {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    Semaphore::new((cores / 2).max(1))
}

fn refused(refusal: &Refusal) -> CoreError {
    let detail = refusal.to_string();
    match refusal {
        Refusal::Unsupported => CoreError::rejected("image_format_unsupported", detail),
        Refusal::TooLarge { .. } => CoreError::rejected("image_too_large", detail),
        Refusal::Invalid(_) => CoreError::rejected("image_invalid", detail),
    }
}

fn full() -> CoreError {
    CoreError::rejected(
        "too_many_images",
        format!("a product shows at most {MAX_PRODUCT_IMAGES} images; remove one first"),
    )
}

fn file(rendition: Rendition, created_at: quipu_domain::Timestamp) -> ImageFileRecord {
    ImageFileRecord {
        sha256: rendition.sha256,
        content_type: JPEG.to_owned(),
        width: rendition.width,
        height: rendition.height,
        bytes: rendition.bytes,
        created_at,
    }
}

impl Market {
    /// Shows an uploaded image on a product of the caller's shop (its owner's to change), after
    /// its other images. Answers the product, and whether the image is new to it (the same
    /// upload again changes nothing).
    pub async fn add_product_image(
        &self,
        principal: &Principal,
        id: ProductId,
        upload: Vec<u8>,
    ) -> CoreResult<(ProductRecord, bool)> {
        let product = self.own_product(principal, id).await?;
        // Nothing is decoded for a product that cannot take another image.
        if product.images.len() >= MAX_PRODUCT_IMAGES as usize {
            return Err(full());
        }
        let Processed { thumbnail, detail, .. } = self.process_image(upload).await?;
        let now = self.kernel.now();
        let added = match self.store.add_product_image(id, &file(thumbnail, now), &file(detail, now)).await {
            Ok(ImageAdded::Full) => return Err(full()),
            Ok(added) => added == ImageAdded::Added,
            Err(StoreError::Conflict(what)) => {
                return Err(CoreError::new(
                    ErrorKind::Conflict,
                    "images_changed",
                    format!("the product's images changed meanwhile ({what}); read it again"),
                ));
            }
            Err(other) => return Err(other.into()),
        };
        let product = self.store.product(id).await?.ok_or_else(|| CoreError::not_found("product"))?;
        Ok((product, added))
    }

    /// Stops showing an image (by its id) on a product of the caller's shop; answers the product.
    pub async fn remove_product_image(
        &self,
        principal: &Principal,
        id: ProductId,
        image: &str,
    ) -> CoreResult<ProductRecord> {
        self.own_product(principal, id).await?;
        if !is_sha256_hex(image) || !self.store.remove_product_image(id, image).await? {
            return Err(CoreError::not_found("image"));
        }
        self.store.product(id).await?.ok_or_else(|| CoreError::not_found("product"))
    }

    /// A stored image file, by its hash; anyone may read it.
    pub async fn image_file(&self, sha256: &str) -> CoreResult<ImageFileRecord> {
        if !is_sha256_hex(sha256) {
            return Err(CoreError::not_found("image"));
        }
        self.store.image_file(sha256).await?.ok_or_else(|| CoreError::not_found("image"))
    }

    /// A product of the caller's shop, for its owner to change; another shop's is not found.
    pub async fn own_product(&self, principal: &Principal, id: ProductId) -> CoreResult<ProductRecord> {
        let seller = principal.require_merchant_admin()?;
        let product = self.store.product(id).await?.filter(|product| product.seller == seller);
        product.ok_or_else(|| CoreError::not_found("product"))
    }

    /// Makes an upload's two sizes on the blocking pool, once a decoder is free.
    async fn process_image(&self, upload: Vec<u8>) -> CoreResult<Processed> {
        self.decode_upload(upload, images::process).await
    }

    /// Runs `make` on an upload on the blocking pool, once a decoder is free. The decoder stays
    /// taken until the work ends, even if the request that asked for it has gone.
    pub(crate) async fn decode_upload<T: Send + 'static>(
        &self,
        upload: Vec<u8>,
        make: fn(&[u8]) -> Result<T, Refusal>,
    ) -> CoreResult<T> {
        let busy =
            || CoreError::new(ErrorKind::Unavailable, "server_busy", "images are being processed; try again shortly");
        let permit = tokio::time::timeout(DECODE_WAIT, self.decoders.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let made = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            make(&upload)
        })
        .await;
        match made {
            Ok(Ok(processed)) => Ok(processed),
            Ok(Err(refusal)) => Err(refused(&refusal)),
            // A decoder that panicked on this input: the input is at fault, the server is not.
            Err(_) => Err(CoreError::rejected("image_invalid", "the image cannot be read")),
        }
    }
}
