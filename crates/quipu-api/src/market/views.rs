//! The market's JSON answers. Views carry what the market decided (`open_now`, `delivers`,
//! `sold_out`), so a page or an app never works it out again.

use quipu_core::kernel::text::rfc3339;
use quipu_core::market::{Hit, SearchPage, Seller};
use quipu_domain::market::catalog::{LocalisedName, Stock};
use quipu_domain::market::storefront::{Coordinates, DeliveryTerms};
use quipu_domain::money::CurrencyCode;
use quipu_store::market::{AreaRecord, ImageSize, ProductImage, ProductRecord, StoredPoint};
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::views::*;
use crate::habits::views::rating_average;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaView {
    pub id: uuid::Uuid,
    pub name: String,
}

impl From<&AreaRecord> for AreaView {
    fn from(area: &AreaRecord) -> Self {
        Self { id: area.id.0, name: area.name.clone() }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryTermsView {
    pub fee: MoneyView,
    pub minimum_order: MoneyView,
    pub free_from: Option<MoneyView>,
}

impl DeliveryTermsView {
    fn new(terms: &DeliveryTerms, currency: CurrencyCode) -> Self {
        Self {
            fee: MoneyView::new(terms.fee, currency),
            minimum_order: MoneyView::new(terms.minimum_order, currency),
            free_from: terms.free_from.map(|threshold| MoneyView::new(threshold, currency)),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaTermsView {
    pub area_id: uuid::Uuid,
    pub terms: DeliveryTermsView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RadiusView {
    pub metres: u32,
    pub terms: DeliveryTermsView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SellerView {
    pub merchant_id: uuid::Uuid,
    pub name: String,
    /// grocery, household, pharmacy or restaurant.
    pub kind: String,
    pub description: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Seven texts, Monday first, in the shop's own time zone; empty is closed.
    pub hours: Vec<String>,
    pub closures: Vec<String>,
    pub accepting: bool,
    /// Open by its hours and accepting orders, now.
    pub open_now: bool,
    pub preparation_minutes: u32,
    pub pickup: bool,
    pub delivery_radius: Option<RadiusView>,
    pub areas: Vec<AreaTermsView>,
    /// Its customers' average rating, to a tenth of a star; null before the first.
    #[schema(example = 4.5)]
    pub rating_average: Option<f64>,
    pub rating_count: u64,
}

impl SellerView {
    pub fn new(seller: &Seller, currency: CurrencyCode) -> Self {
        let record = &seller.record;
        let point = record.location.and_then(StoredPoint::coordinates);
        Self {
            merchant_id: record.merchant_id.0,
            name: seller.name.clone(),
            kind: record.kind.as_str().to_owned(),
            description: record.description.clone(),
            address: record.address.clone(),
            latitude: point.map(Coordinates::latitude),
            longitude: point.map(Coordinates::longitude),
            hours: (1..=7u8).map(|day| record.hours.day_text(day)).collect(),
            closures: record.hours.closures().iter().map(ToString::to_string).collect(),
            accepting: record.accepting,
            open_now: seller.open_now,
            preparation_minutes: record.preparation_minutes,
            pickup: record.pickup,
            delivery_radius: record.radius.map(|radius| RadiusView {
                metres: radius.metres,
                terms: DeliveryTermsView::new(&radius.terms, currency),
            }),
            areas: seller
                .areas
                .iter()
                .map(|area| AreaTermsView {
                    area_id: area.area.0,
                    terms: DeliveryTermsView::new(&area.terms, currency),
                })
                .collect(),
            rating_average: rating_average(seller.rating),
            rating_count: seller.rating.count,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptionView {
    pub name_ko: Option<String>,
    pub name_en: Option<String>,
    pub extra: MoneyView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptionGroupView {
    pub name_ko: Option<String>,
    pub name_en: Option<String>,
    pub min: u32,
    pub max: u32,
    /// At least one option must be chosen.
    pub required: bool,
    pub options: Vec<OptionView>,
}

fn names(name: &LocalisedName) -> (Option<String>, Option<String>) {
    (name.korean().map(str::to_owned), name.english().map(str::to_owned))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductView {
    pub id: uuid::Uuid,
    pub seller_id: uuid::Uuid,
    pub sku: Option<String>,
    pub name_ko: Option<String>,
    pub name_en: Option<String>,
    pub description: Option<String>,
    pub category: String,
    pub price: MoneyView,
    /// each, kg, 100g or pack.
    pub unit: String,
    /// How many can be ordered; null when the shop does not count it.
    pub stock: Option<u32>,
    pub sold_out: bool,
    pub needs_pharmacist: bool,
    pub visible: bool,
    pub option_groups: Vec<OptionGroupView>,
    /// Send it back with a change, so a change made meanwhile is not overwritten.
    pub version: u32,
    pub updated_at: String,
    /// Its images, the main one first.
    pub images: Vec<ProductImageView>,
}

/// One size of an image: where it is (cacheable for a year) and how big it is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImageSizeView {
    #[schema(example = "/api/v1/market/images/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub url: String,
    pub width: u32,
    pub height: u32,
}

impl From<&ImageSize> for ImageSizeView {
    fn from(size: &ImageSize) -> Self {
        Self { url: format!("{}{}", super::images::IMAGE_PATH, size.sha256), width: size.width, height: size.height }
    }
}

/// An image a product shows, in two sizes (JPEG): a thumbnail for lists (at most 200 pixels a
/// side) and a detail size for its page (at most 800).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductImageView {
    /// What removes it from the product.
    pub id: String,
    pub thumbnail: ImageSizeView,
    pub detail: ImageSizeView,
}

impl From<&ProductImage> for ProductImageView {
    fn from(image: &ProductImage) -> Self {
        Self {
            id: image.id().to_owned(),
            thumbnail: ImageSizeView::from(&image.thumbnail),
            detail: ImageSizeView::from(&image.detail),
        }
    }
}

impl From<&ProductRecord> for ProductView {
    fn from(product: &ProductRecord) -> Self {
        let (name_ko, name_en) = names(&product.name);
        let currency = product.currency;
        Self {
            id: product.id.0,
            seller_id: product.seller.0,
            sku: product.sku.clone(),
            name_ko,
            name_en,
            description: product.description.clone(),
            category: product.category.clone(),
            price: MoneyView::new(product.price, currency),
            unit: product.unit.as_str().to_owned(),
            stock: match product.stock {
                Stock::Tracked(left) => Some(left),
                Stock::Untracked { .. } => None,
            },
            sold_out: product.stock.is_sold_out(),
            needs_pharmacist: product.needs_pharmacist,
            visible: product.visible,
            option_groups: product
                .options
                .iter()
                .map(|group| {
                    let (name_ko, name_en) = names(&group.name);
                    OptionGroupView {
                        name_ko,
                        name_en,
                        min: group.min(),
                        max: group.max(),
                        required: group.is_required(),
                        options: group
                            .options()
                            .iter()
                            .map(|option| {
                                let (name_ko, name_en) = names(&option.name);
                                OptionView { name_ko, name_en, extra: MoneyView::new(option.extra, currency) }
                            })
                            .collect(),
                    }
                })
                .collect(),
            version: product.version,
            updated_at: rfc3339(product.updated_at),
            images: product.images.iter().map(ProductImageView::from).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HitView {
    pub product: ProductView,
    pub seller_name: String,
    pub seller_kind: String,
    /// The shop delivers to the customer's area or location; otherwise pickup only.
    pub delivers: bool,
    pub open_now: bool,
    pub distance_metres: Option<u32>,
    /// The shop's average rating, to a tenth of a star; null before the first.
    #[schema(example = 4.5)]
    pub seller_rating_average: Option<f64>,
    pub seller_rating_count: u64,
}

impl From<&Hit> for HitView {
    fn from(hit: &Hit) -> Self {
        Self {
            product: ProductView::from(&hit.product),
            seller_name: hit.seller_name.clone(),
            seller_kind: hit.seller_kind.as_str().to_owned(),
            delivers: hit.delivers,
            open_now: hit.open_now,
            distance_metres: hit.distance_metres,
            seller_rating_average: rating_average(hit.seller_rating),
            seller_rating_count: hit.seller_rating.count,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchPageView {
    pub hits: Vec<HitView>,
    /// How many match in all, counted up to 1 000: with `total_capped`, at least this many.
    #[schema(example = 1000)]
    pub total: u64,
    /// More than `total` match: show "1 000+".
    #[schema(example = true)]
    pub total_capped: bool,
    /// Nothing matched the words exactly; these match with one letter changed.
    pub fuzzy: bool,
}

impl From<&SearchPage> for SearchPageView {
    fn from(page: &SearchPage) -> Self {
        Self {
            hits: page.hits.iter().map(HitView::from).collect(),
            total: page.total,
            total_capped: page.total_capped,
            fuzzy: page.fuzzy,
        }
    }
}

/// A shop that serves the customer where they are.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NearbySellerView {
    pub merchant_id: uuid::Uuid,
    pub name: String,
    /// grocery, household, pharmacy or restaurant.
    pub kind: String,
    pub description: String,
    /// It delivers to the customer's area or location; otherwise pickup only.
    pub delivers: bool,
    pub pickup: bool,
    /// Open and accepting orders now.
    pub open_now: bool,
    pub distance_metres: Option<u32>,
}

impl From<&quipu_core::market::Nearby> for NearbySellerView {
    fn from(shop: &quipu_core::market::Nearby) -> Self {
        Self {
            merchant_id: shop.merchant.0,
            name: shop.name.clone(),
            kind: shop.kind.as_str().to_owned(),
            description: shop.description.clone(),
            delivers: shop.delivers,
            pickup: shop.pickup,
            open_now: shop.open_now,
            distance_metres: shop.distance_metres,
        }
    }
}
