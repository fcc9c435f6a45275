//! Sellers' catalogs: products written with their search terms, all or none.

use quipu_domain::identity::MerchantId;
use quipu_domain::market::ProductId;
use quipu_domain::market::catalog::{LocalisedName, OptionGroup, Stock, Unit, parse_price};
use quipu_domain::market::review::in_stock;
use quipu_domain::market::search::index_text;
use quipu_domain::market::storefront::SellerKind;
use quipu_domain::money::Amount;
use quipu_domain::text::is_display_safe;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::StoreError;
use quipu_store::market::{MAX_PRODUCTS_PAGE, ProductImage, ProductRecord};

use crate::Market;

/// Longest category and SKU, in characters.
pub(crate) const MAX_CATEGORY: usize = 60;
pub(crate) const MAX_SKU: usize = 64;
/// Most products one JSON write may carry. A CSV import is bounded by its own limits instead
/// (`csv::MAX_IMPORT_ROWS`) and is written in one transaction too, however many rows it has.
pub const MAX_PRODUCTS_PER_WRITE: usize = 5_000;

/// A product as its seller states it. `id` is `None` for a new product; for a change,
/// `expected_version` is the version the seller last saw, so two edits never silently overwrite
/// each other.
#[derive(Debug, Clone)]
pub struct ProductInput {
    pub id: Option<ProductId>,
    pub expected_version: Option<u32>,
    pub sku: Option<String>,
    pub name: LocalisedName,
    pub description: Option<String>,
    pub category: String,
    pub price: Amount,
    pub unit: Unit,
    pub stock: Stock,
    pub needs_pharmacist: bool,
    pub visible: bool,
    pub options: Vec<OptionGroup>,
}

/// Plain text of 1 to `max` characters, trimmed.
pub(crate) fn plain(text: &str, max: usize) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text.chars().count() <= max && is_display_safe(text)).then(|| text.to_owned())
}

impl Market {
    /// Creates or changes one product of the caller's shop.
    pub async fn save_product(&self, principal: &Principal, input: ProductInput) -> CoreResult<ProductRecord> {
        let mut saved = self.save_products(principal, vec![input]).await?;
        saved.pop().ok_or_else(|| CoreError::not_found("product"))
    }

    /// Creates or changes products of the caller's shop, all or none.
    pub async fn save_products(
        &self,
        principal: &Principal,
        inputs: Vec<ProductInput>,
    ) -> CoreResult<Vec<ProductRecord>> {
        let seller = principal.require_merchant_admin()?;
        if inputs.len() > MAX_PRODUCTS_PER_WRITE {
            return Err(CoreError::rejected("too_many_products", "at most 5,000 products are written at once"));
        }
        let kind = self.store.seller(seller).await?.ok_or_else(|| CoreError::not_found("seller"))?.kind;
        let mut versioned = Vec::with_capacity(inputs.len());
        let mut shown = Vec::with_capacity(inputs.len());
        for input in inputs {
            let (version, images) = self.next_version(seller, &input).await?;
            versioned.push((input, version));
            shown.push(images);
        }
        let mut written = self.write_products(seller, kind, versioned).await?;
        for (record, images) in written.iter_mut().zip(shown) {
            record.images = images;
        }
        Ok(written)
    }

    /// Writes products of `seller`, each with the version it is given (1 for a new one; one more
    /// than the stored one for a change), with their search terms, in one transaction: all or none.
    pub(crate) async fn write_products(
        &self,
        seller: MerchantId,
        kind: SellerKind,
        inputs: Vec<(ProductInput, u32)>,
    ) -> CoreResult<Vec<ProductRecord>> {
        let currency = self.kernel.settings.currencies.default_currency().code;
        let now = self.kernel.now();
        let mut records = Vec::with_capacity(inputs.len());
        for (input, version) in inputs {
            let record = ProductRecord {
                id: input.id.unwrap_or_else(|| ProductId(self.kernel.new_id())),
                seller,
                sku: match input.sku.as_deref().map(str::trim).filter(|sku| !sku.is_empty()) {
                    Some(sku) => Some(plain(sku, MAX_SKU).ok_or_else(|| {
                        CoreError::rejected("sku_invalid", "a SKU is at most 64 characters of plain text")
                    })?),
                    None => None,
                },
                category: plain(&input.category, MAX_CATEGORY).ok_or_else(|| {
                    CoreError::rejected("category_invalid", "a category is 1 to 60 characters of plain text")
                })?,
                price: parse_price(input.price)
                    .map_err(|error| CoreError::rejected(error.code(), error.to_string()))?,
                needs_pharmacist: checked_flag(kind, input.needs_pharmacist)?,
                name: input.name,
                description: input.description,
                currency,
                unit: input.unit,
                stock: input.stock,
                visible: input.visible,
                options: input.options,
                version,
                updated_at: now,
                // A catalog write leaves the product's images as they are; `save_products` shows them.
                images: Vec::new(),
            };
            let terms = {
                let texts = [
                    record.name.korean().unwrap_or_default(),
                    record.name.english().unwrap_or_default(),
                    record.category.as_str(),
                ];
                index_text(&texts)
            };
            records.push((record, terms));
        }
        match self.store.save_products(&records).await {
            Err(StoreError::Conflict(what)) => Err(CoreError::new(
                ErrorKind::Conflict,
                "product_changed",
                format!("a product changed since it was read, or its SKU is taken ({what}); read it again"),
            )),
            other => other.map_err(CoreError::from),
        }?;
        // A product written before may have come back; a new one has nobody waiting for it.
        let restocked: Vec<ProductId> = records
            .iter()
            .filter(|(record, _)| record.version > 1 && record.visible && in_stock(record.stock))
            .map(|(record, _)| record.id)
            .collect();
        if !restocked.is_empty() {
            self.after_restock(&restocked).await;
        }
        Ok(records.into_iter().map(|(record, _)| record).collect())
    }

    /// The version a write gives the product: 1 for a new one; one more than the version the
    /// seller saw for a change (the store refuses it if the product moved on meanwhile). With it,
    /// the images the product shows, which a catalog write keeps.
    async fn next_version(&self, seller: MerchantId, input: &ProductInput) -> CoreResult<(u32, Vec<ProductImage>)> {
        match (input.id, input.expected_version) {
            (None, _) => Ok((1, Vec::new())),
            (Some(id), Some(seen)) => {
                let stored = self.store.product(id).await?.filter(|product| product.seller == seller);
                let stored = stored.ok_or_else(|| CoreError::not_found("product"))?;
                let version = seen
                    .checked_add(1)
                    .ok_or_else(|| CoreError::rejected("version_invalid", "an impossible version"))?;
                Ok((version, stored.images))
            }
            (Some(_), None) => Err(CoreError::rejected(
                "version_missing",
                "a change names the version it was made from (the product's `version`)",
            )),
        }
    }

    /// A product anyone may read, if visible; its own shop reads it hidden too.
    pub async fn product(&self, principal: Option<&Principal>, id: ProductId) -> CoreResult<ProductRecord> {
        let product = self.store.product(id).await?.ok_or_else(|| CoreError::not_found("product"))?;
        let own = principal.and_then(Principal::merchant) == Some(product.seller);
        if product.visible || own { Ok(product) } else { Err(CoreError::not_found("product")) }
    }

    /// A seller's catalog, a page at a time: visible products for anyone, all for its own shop.
    pub async fn catalog(
        &self,
        principal: Option<&Principal>,
        seller: MerchantId,
        limit: u32,
        offset: u32,
    ) -> CoreResult<Vec<ProductRecord>> {
        let own = principal.and_then(Principal::merchant) == Some(seller);
        Ok(self.store.seller_products(seller, !own, limit.min(MAX_PRODUCTS_PAGE), offset).await?)
    }
}

/// Only a pharmacy's products may wait for a pharmacist's check.
pub(crate) fn checked_flag(kind: SellerKind, needs_pharmacist: bool) -> CoreResult<bool> {
    if needs_pharmacist && kind != SellerKind::Pharmacy {
        return Err(CoreError::rejected(
            "pharmacist_check_needs_pharmacy",
            "only a pharmacy's products can need a pharmacist's check",
        ));
    }
    Ok(needs_pharmacist)
}
