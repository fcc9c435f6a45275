//! Catalog-wide writes for shops of thousands of products: a CSV import and export (the file's
//! rules are in [`crate::csv`]), and bulk changes of prices, stock and visibility. Each is all or
//! none: every line or change is checked first, any error refuses the whole request listing each,
//! and what passes is written in one transaction (however many products: the JSON bound of 5,000
//! a write does not apply, the import's own limits do).

use std::collections::HashMap;

use quipu_domain::identity::MerchantId;
use quipu_domain::market::ProductId;
use quipu_domain::market::catalog::{Stock, parse_price};
use quipu_domain::money::Currency;
use quipu_kernel::{CoreError, CoreResult, Principal};
use quipu_store::market::ProductRecord;

use crate::ProductInput;
use crate::csv::{self, ItemError, Refusal, input_of, invalid, same};
use crate::{Market, catalog::MAX_SKU};

/// Most products one shop's catalog may hold for an import or an export to read it whole.
pub const MAX_SELLER_PRODUCTS: usize = 50_000;
/// Most changes one bulk request may carry.
pub const MAX_BULK_CHANGES: usize = 5_000;

/// A catalog-wide write refused: either item by item, or as a whole.
#[derive(Debug, Clone)]
pub enum BatchError {
    /// Lines of a file or items of a list that cannot be written; nothing was.
    Items(Refusal),
    Core(CoreError),
}

impl From<CoreError> for BatchError {
    fn from(error: CoreError) -> Self {
        BatchError::Core(error)
    }
}

impl From<Refusal> for BatchError {
    fn from(refusal: Refusal) -> Self {
        BatchError::Items(refusal)
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// One bulk change: a product by its id or its SKU (one of them), and what to set.
#[derive(Debug, Clone, Default)]
pub struct BulkChange {
    pub product_id: Option<ProductId>,
    pub sku: Option<String>,
    /// A decimal in the network's currency.
    pub price: Option<String>,
    /// The count left; the product is counted from then on.
    pub stock: Option<u32>,
    pub visible: Option<bool>,
}

/// What a bulk change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkSummary {
    pub changed: usize,
    pub unchanged: usize,
}

impl Market {
    /// The caller's seller, for a catalog-wide write or read: its owner (or its API key).
    async fn catalog_owner(
        &self,
        principal: &Principal,
    ) -> CoreResult<(MerchantId, quipu_store::market::SellerRecord)> {
        let seller = principal.require_merchant_admin()?;
        let record = self.store.seller(seller).await?.ok_or_else(|| CoreError::not_found("seller"))?;
        Ok((seller, record))
    }

    /// Every product of the shop, read at once.
    async fn whole_catalog(&self, seller: MerchantId) -> CoreResult<Vec<ProductRecord>> {
        let limit = u32::try_from(MAX_SELLER_PRODUCTS.saturating_add(1)).unwrap_or(u32::MAX);
        let products = self.store.seller_catalog(seller, limit).await?;
        if products.len() > MAX_SELLER_PRODUCTS {
            return Err(too_large());
        }
        Ok(products)
    }

    /// Imports a CSV file into the caller's catalog: rows with a SKU the shop has change that
    /// product (its id and options kept, its version moved on), new SKUs add products, rows that
    /// change nothing write nothing. All or none.
    pub async fn import_catalog(&self, principal: &Principal, file: Vec<u8>) -> Result<ImportSummary, BatchError> {
        let (seller, record) = self.catalog_owner(principal).await?;
        let currency = self.kernel.settings.currencies.default_currency();
        // Reading a 4 MiB file is milliseconds of work, kept off the threads that answer requests.
        let rows = tokio::task::spawn_blocking(move || csv::parse_catalog(&file, &currency))
            .await
            .map_err(|_| CoreError::rejected("csv_unreadable", "the file could not be read"))??;
        let existing = self.whole_catalog(seller).await?;
        let plan = csv::plan_import(rows, &existing, record.kind)?;
        if existing.len().saturating_add(plan.created) > MAX_SELLER_PRODUCTS {
            return Err(too_large().into());
        }
        let summary = ImportSummary { created: plan.created, updated: plan.updated, unchanged: plan.unchanged };
        if !plan.writes.is_empty() {
            self.write_products(seller, record.kind, plan.writes).await?;
        }
        Ok(summary)
    }

    /// The caller's whole catalog as a CSV file an import takes back unchanged.
    pub async fn export_catalog(&self, principal: &Principal) -> CoreResult<Vec<u8>> {
        let (seller, _) = self.catalog_owner(principal).await?;
        let products = self.whole_catalog(seller).await?;
        let currency = self.kernel.settings.currencies.default_currency();
        csv::write_catalog(&products, &currency)
            .map_err(|_| CoreError::rejected("csv_unwritable", "the catalog could not be written as CSV"))
    }

    /// Changes prices, stock and visibility of many products at once, all or none.
    pub async fn change_catalog(
        &self,
        principal: &Principal,
        changes: Vec<BulkChange>,
    ) -> Result<BulkSummary, BatchError> {
        let (seller, record) = self.catalog_owner(principal).await?;
        if changes.len() > MAX_BULK_CHANGES {
            return Err(CoreError::rejected("too_many_changes", "at most 5,000 changes are made at once").into());
        }
        let existing = self.whole_catalog(seller).await?;
        let currency = self.kernel.settings.currencies.default_currency();
        let (writes, unchanged) = plan_changes(&changes, &existing, &currency)?;
        let summary = BulkSummary { changed: writes.len(), unchanged };
        if !writes.is_empty() {
            self.write_products(seller, record.kind, writes).await?;
        }
        Ok(summary)
    }
}

fn too_large() -> CoreError {
    CoreError::rejected(
        "catalog_too_large",
        format!("a catalog imported or exported whole holds at most {MAX_SELLER_PRODUCTS} products"),
    )
}

/// Decides what each change writes: every change names one product of the shop, once, and sets
/// something valid; a change that sets what the product already has writes nothing.
pub fn plan_changes(
    changes: &[BulkChange],
    existing: &[ProductRecord],
    currency: &Currency,
) -> Result<(Vec<(ProductInput, u32)>, usize), Refusal> {
    let by_sku: HashMap<&str, &ProductRecord> =
        existing.iter().filter_map(|product| product.sku.as_deref().map(|sku| (sku, product))).collect();
    let by_id: HashMap<ProductId, &ProductRecord> = existing.iter().map(|product| (product.id, product)).collect();
    let mut seen: HashMap<ProductId, u64> = HashMap::new();
    let mut refusal = Refusal::default();
    let mut writes = Vec::new();
    let mut unchanged = 0usize;
    for (index, change) in changes.iter().enumerate() {
        let at = u64::try_from(index).unwrap_or(u64::MAX);
        match planned(change, &by_sku, &by_id, currency) {
            Ok((product, input)) => {
                if let Some(first) = seen.insert(product.id, at) {
                    let detail = format!("{} is also changed by change {first}", named(product));
                    refusal.push(invalid("change_repeated", detail).at(at));
                } else if same(&input, product) {
                    unchanged = unchanged.saturating_add(1);
                } else if let Some(version) = product.version.checked_add(1) {
                    writes.push((input, version));
                } else {
                    refusal.push(invalid("version_invalid", "this product cannot be changed again").at(at));
                }
            }
            Err(errors) => errors.into_iter().for_each(|error| refusal.push(error.at(at))),
        }
    }
    refusal.check()?;
    Ok((writes, unchanged))
}

/// How an error names a product: by its SKU, or by its id.
fn named(product: &ProductRecord) -> String {
    match &product.sku {
        Some(sku) => format!("the product with SKU {sku}"),
        None => format!("product {}", product.id),
    }
}

/// One change over its product, or what is wrong with it.
fn planned<'a>(
    change: &BulkChange,
    by_sku: &HashMap<&str, &'a ProductRecord>,
    by_id: &HashMap<ProductId, &'a ProductRecord>,
    currency: &Currency,
) -> Result<(&'a ProductRecord, ProductInput), Vec<ItemError>> {
    let sku = change.sku.as_deref().map(str::trim).filter(|sku| !sku.is_empty());
    let product = match (change.product_id, sku) {
        (Some(id), None) => by_id.get(&id).copied().ok_or_else(|| {
            vec![invalid("product_unknown", format!("the shop has no product {id}")).field("product_id")]
        })?,
        (None, Some(sku)) => by_sku.get(sku).copied().ok_or_else(|| {
            let shown: String = sku.chars().take(MAX_SKU).collect();
            vec![invalid("product_unknown", format!("the shop has no product with SKU {shown:?}")).field("sku")]
        })?,
        _ => {
            let detail = "a change names its product by product_id or by sku, one of them";
            return Err(vec![invalid("change_target_invalid", detail).field("sku")]);
        }
    };
    if change.price.is_none() && change.stock.is_none() && change.visible.is_none() {
        let detail = format!("the change of {} sets nothing: give a price, stock or visible", named(product));
        return Err(vec![invalid("change_empty", detail)]);
    }
    let mut input = input_of(product);
    let mut errors = Vec::new();
    if let Some(price) = &change.price {
        match currency.parse_amount(price.trim()).ok().and_then(|amount| parse_price(amount).ok()) {
            Some(price) => input.price = price,
            None => {
                let detail = format!("the price of {} is a positive amount such as 2.90", named(product));
                errors.push(invalid("price_invalid", detail).field("price"));
            }
        }
    }
    if let Some(count) = change.stock {
        match Stock::tracked(i64::from(count)) {
            Ok(stock) => input.stock = stock,
            Err(_) => {
                let detail = format!("the stock of {} is a whole number from 0 to 1,000,000", named(product));
                errors.push(invalid("stock_invalid", detail).field("stock"));
            }
        }
    }
    if let Some(visible) = change.visible {
        input.visible = visible;
    }
    if errors.is_empty() { Ok((product, input)) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use quipu_domain::Timestamp;
    use quipu_domain::market::catalog::{LocalisedName, Unit};
    use quipu_domain::money::Amount;

    use super::*;

    fn product(sku: Option<&str>) -> ProductRecord {
        ProductRecord {
            id: ProductId(uuid::Uuid::now_v7()),
            seller: MerchantId(uuid::Uuid::nil()),
            sku: sku.map(str::to_owned),
            name: LocalisedName::parse(Some("우유"), None).unwrap(),
            description: None,
            category: "dairy".to_owned(),
            currency: Currency::from_code("USD").unwrap().code,
            price: Amount::from_minor(290),
            unit: Unit::Each,
            stock: Stock::Tracked(5),
            needs_pharmacist: false,
            visible: true,
            options: Vec::new(),
            version: 1,
            updated_at: Timestamp(0),
            images: Vec::new(),
        }
    }

    #[test]
    fn changes_name_one_product_once_and_set_something_valid() {
        let shop = [product(Some("MILK")), product(None)];
        let usd = Currency::from_code("USD").unwrap();
        let change = |sku: Option<&str>, id: Option<ProductId>| BulkChange {
            sku: sku.map(str::to_owned),
            product_id: id,
            ..BulkChange::default()
        };
        let changes = vec![
            BulkChange { price: Some("3.10".into()), ..change(Some("MILK"), None) },
            BulkChange { stock: Some(5), ..change(None, Some(shop[1].id)) },
            BulkChange { visible: Some(false), ..change(Some("MILK"), None) },
            BulkChange { price: Some("0".into()), stock: Some(2_000_000), ..change(None, Some(shop[1].id)) },
            BulkChange { visible: Some(true), ..change(Some("NOPE"), None) },
            BulkChange { visible: Some(true), ..change(Some("MILK"), Some(shop[1].id)) },
            change(None, Some(ProductId(uuid::Uuid::now_v7()))),
        ];
        let refusal = plan_changes(&changes, &shop, &usd).unwrap_err();
        let codes: Vec<_> = refusal.errors.iter().map(|error| (error.at, error.field, error.code)).collect();
        assert_eq!(
            codes,
            [
                (2, None, "change_repeated"),
                (3, Some("price"), "price_invalid"),
                (3, Some("stock"), "stock_invalid"),
                (4, Some("sku"), "product_unknown"),
                (5, Some("sku"), "change_target_invalid"),
                (6, Some("product_id"), "product_unknown"),
            ]
        );
        assert!(refusal.errors[0].detail.contains("SKU MILK"), "{}", refusal.errors[0].detail);

        let (writes, unchanged) = plan_changes(&changes[..2], &shop, &usd).unwrap();
        assert_eq!((writes.len(), unchanged), (1, 1), "stock 5 is what the second product has");
        assert_eq!((writes[0].0.price, writes[0].1), (Amount::from_minor(310), 2));
    }
}
