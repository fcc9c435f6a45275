//! The request bodies and query parameters of the market, and how each becomes domain values.
//! Amounts are decimal strings in the network's default currency; hours one text per weekday,
//! Monday first ("09:00-12:00,13:00-18:00", empty: closed).

use quipu_core::market::{ProductInput, StorefrontInput, Whereabouts};
use quipu_core::{CoreError, CoreResult};
use quipu_domain::market::catalog::{
    LocalisedName, OptionGroup, ProductOption, Stock, Unit, option_groups, parse_description,
};
use quipu_domain::market::storefront::{Coordinates, DeliveryTerms, OpeningHours, SellerKind, parse_day};
use quipu_domain::market::{AreaId, ProductId};
use quipu_domain::money::{Amount, Currency};
use quipu_domain::zone::LocalDate;
use quipu_store::market::{RadiusDelivery, SearchOrder, SellerAreaRecord};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::common::requests::{optional_whole, whole};

/// An amount in the network's currency; one that does not parse is refused with the rule's words.
fn money(currency: &Currency, text: &str) -> CoreResult<Amount> {
    currency.parse_amount(text).map_err(|error| CoreError::rejected("amount_invalid", error.to_string()))
}

fn optional_money(currency: &Currency, text: Option<&str>) -> CoreResult<Option<Amount>> {
    text.map(|text| money(currency, text)).transpose()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaRequest {
    /// A district's name, as people there say it.
    #[schema(example = "Mapo")]
    pub name: String,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SellerKindParam {
    Grocery,
    Household,
    Pharmacy,
    Restaurant,
}

impl From<SellerKindParam> for SellerKind {
    fn from(kind: SellerKindParam) -> Self {
        match kind {
            SellerKindParam::Grocery => SellerKind::Grocery,
            SellerKindParam::Household => SellerKind::Household,
            SellerKindParam::Pharmacy => SellerKind::Pharmacy,
            SellerKindParam::Restaurant => SellerKind::Restaurant,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableSellerRequest {
    /// grocery, household, pharmacy or restaurant.
    #[schema(example = "grocery", pattern = "^(?:grocery|household|pharmacy|restaurant)$")]
    pub kind: String,
}

impl EnableSellerRequest {
    pub fn kind(&self) -> CoreResult<SellerKind> {
        SellerKind::parse(&self.kind).ok_or_else(|| {
            CoreError::invalid("seller_kind_invalid", "a seller is a grocery, household, pharmacy or restaurant")
        })
    }
}

/// Fees and minimums of delivery somewhere; decimal strings, zero allowed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryTermsRequest {
    #[schema(example = "3000")]
    pub fee: String,
    #[schema(example = "10000")]
    pub minimum_order: String,
    /// From this subtotal on, delivery is free.
    #[schema(example = "30000")]
    pub free_from: Option<String>,
}

impl DeliveryTermsRequest {
    fn terms(&self, currency: &Currency) -> CoreResult<DeliveryTerms> {
        Ok(DeliveryTerms {
            fee: money(currency, &self.fee)?,
            minimum_order: money(currency, &self.minimum_order)?,
            free_from: optional_money(currency, self.free_from.as_deref())?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaTermsRequest {
    pub area_id: uuid::Uuid,
    pub terms: DeliveryTermsRequest,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RadiusRequest {
    /// Around the shop's location, 1 to 30 000 m.
    #[schema(example = 3000, minimum = 1, maximum = 30000)]
    #[serde(deserialize_with = "whole")]
    pub metres: u32,
    pub terms: DeliveryTermsRequest,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StorefrontRequest {
    #[serde(default)]
    #[schema(example = "Fresh vegetables every morning")]
    pub description: Option<String>,
    #[schema(example = "Mapo-gu, Building 3")]
    pub address: String,
    #[schema(example = 37.5563, minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(example = 126.9236, minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// Seven texts, Monday first: "09:00-12:00,13:00-18:00"; empty is closed all day.
    #[schema(min_items = 7, max_items = 7, example = json!(["09:00-21:00", "09:00-21:00", "09:00-21:00", "09:00-21:00", "09:00-21:00", "10:00-18:00", ""]))]
    pub hours: Vec<String>,
    /// Dates the shop stays closed, YYYY-MM-DD (at most 100).
    #[serde(default)]
    #[schema(max_items = 100, example = json!(["2027-01-01"]))]
    pub closures: Vec<String>,
    #[schema(example = true)]
    pub accepting: bool,
    #[schema(example = 20, minimum = 0, maximum = 240)]
    #[serde(deserialize_with = "whole")]
    pub preparation_minutes: u32,
    #[schema(example = true)]
    pub pickup: bool,
    pub delivery_radius: Option<RadiusRequest>,
    #[serde(default)]
    #[schema(max_items = 50, example = json!([]))]
    pub areas: Vec<AreaTermsRequest>,
}

impl StorefrontRequest {
    pub fn input(&self, currency: &Currency) -> CoreResult<StorefrontInput> {
        let week: Vec<_> = self
            .hours
            .iter()
            .map(|day| parse_day(day).map_err(|error| CoreError::rejected("hours_invalid", error.to_string())))
            .collect::<CoreResult<_>>()?;
        let week: [_; 7] =
            week.try_into().map_err(|_| CoreError::rejected("hours_invalid", "hours name seven days, Monday first"))?;
        let closures = self
            .closures
            .iter()
            .map(|date| {
                LocalDate::parse(date)
                    .ok_or_else(|| CoreError::rejected("closure_invalid", "a closure is a date, YYYY-MM-DD"))
            })
            .collect::<CoreResult<Vec<_>>>()?;
        let hours = OpeningHours::new(week, closures)
            .map_err(|error| CoreError::rejected("hours_invalid", error.to_string()))?;
        let location = match (self.latitude, self.longitude) {
            (Some(latitude), Some(longitude)) => Some(
                Coordinates::new(latitude, longitude)
                    .map_err(|error| CoreError::rejected("location_invalid", error.to_string()))?,
            ),
            (None, None) => None,
            _ => return Err(CoreError::rejected("location_invalid", "a location has both a latitude and a longitude")),
        };
        let radius = match &self.delivery_radius {
            Some(radius) => Some(RadiusDelivery { metres: radius.metres, terms: radius.terms.terms(currency)? }),
            None => None,
        };
        let areas = self
            .areas
            .iter()
            .map(|area| Ok(SellerAreaRecord { area: AreaId(area.area_id), terms: area.terms.terms(currency)? }))
            .collect::<CoreResult<_>>()?;
        Ok(StorefrontInput {
            description: self.description.clone().unwrap_or_default(),
            address: self.address.clone(),
            location,
            hours,
            accepting: self.accepting,
            preparation_minutes: self.preparation_minutes,
            pickup: self.pickup,
            radius,
            areas,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptingRequest {
    /// False pauses new orders (a busy kitchen); true takes them again.
    #[schema(example = false)]
    pub accepting: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionRequest {
    #[schema(max_length = 120)]
    pub name_ko: Option<String>,
    #[schema(max_length = 120)]
    pub name_en: Option<String>,
    /// What choosing it adds to the price; zero allowed.
    #[schema(example = "2000", max_length = 20)]
    pub extra: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionGroupRequest {
    #[schema(max_length = 120)]
    pub name_ko: Option<String>,
    #[schema(max_length = 120)]
    pub name_en: Option<String>,
    /// Fewest options to choose (0: optional).
    #[schema(minimum = 0, maximum = 30)]
    #[serde(deserialize_with = "whole")]
    pub min: u32,
    #[schema(minimum = 1, maximum = 30)]
    #[serde(deserialize_with = "whole")]
    pub max: u32,
    #[schema(min_items = 1, max_items = 30)]
    pub options: Vec<OptionRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductRequest {
    /// The shop's own code for it, unique in the shop.
    #[schema(example = "MILK-1L")]
    pub sku: Option<String>,
    /// The name in Korean; a name in Korean or English (or both) is needed.
    #[schema(example = "서울우유 흰우유 1L")]
    pub name_ko: Option<String>,
    #[schema(example = "Seoul white milk 1L")]
    pub name_en: Option<String>,
    #[schema(example = "Fresh whole milk")]
    pub description: Option<String>,
    #[schema(example = "dairy")]
    pub category: String,
    /// Per unit; a positive decimal string.
    #[schema(example = "2900")]
    pub price: String,
    /// each, kg, 100g or pack.
    #[schema(example = "each", pattern = "^(?:each|kg|100g|pack)$")]
    pub unit: String,
    /// How many can be ordered; absent: not counted.
    #[schema(minimum = 0, maximum = 1000000, example = 24)]
    #[serde(default, deserialize_with = "optional_whole")]
    pub stock: Option<u32>,
    /// For an uncounted product: none left for now.
    #[serde(default)]
    #[schema(example = false)]
    pub sold_out: bool,
    /// A pharmacy's medicine that a pharmacist checks before the order is accepted.
    #[serde(default)]
    #[schema(example = false)]
    pub needs_pharmacist: bool,
    #[serde(default = "shown")]
    #[schema(example = true)]
    pub visible: bool,
    #[serde(default)]
    #[schema(max_items = 10, example = json!([]))]
    pub option_groups: Vec<OptionGroupRequest>,
    /// For a change: the `version` read, so a change made meanwhile is not overwritten.
    #[schema(minimum = 1, example = 1)]
    #[serde(default, deserialize_with = "optional_whole")]
    pub version: Option<u32>,
}

fn shown() -> bool {
    true
}

fn name(korean: Option<&str>, english: Option<&str>) -> CoreResult<LocalisedName> {
    LocalisedName::parse(korean, english).map_err(|error| CoreError::rejected(error.code(), error.to_string()))
}

impl ProductRequest {
    /// The product as the market takes it: new when `id` is `None`.
    pub fn input(&self, id: Option<ProductId>, currency: &Currency) -> CoreResult<ProductInput> {
        if self.version == Some(0) {
            return Err(CoreError::invalid("version_invalid", "a version is 1 or more"));
        }
        let catalog =
            |error: quipu_domain::market::catalog::CatalogError| CoreError::rejected(error.code(), error.to_string());
        let groups = self
            .option_groups
            .iter()
            .map(|group| {
                let options = group
                    .options
                    .iter()
                    .map(|option| {
                        Ok(ProductOption {
                            name: name(option.name_ko.as_deref(), option.name_en.as_deref())?,
                            extra: money(currency, &option.extra)?,
                        })
                    })
                    .collect::<CoreResult<Vec<_>>>()?;
                let group_name = name(group.name_ko.as_deref(), group.name_en.as_deref())?;
                OptionGroup::new(group_name, group.min, group.max, options).map_err(catalog)
            })
            .collect::<CoreResult<Vec<_>>>()?;
        let stock = match self.stock {
            Some(count) => Stock::tracked(i64::from(count)).map_err(catalog)?,
            None => Stock::Untracked { sold_out: self.sold_out },
        };
        Ok(ProductInput {
            id,
            expected_version: self.version,
            sku: self.sku.clone(),
            name: name(self.name_ko.as_deref(), self.name_en.as_deref())?,
            description: parse_description(self.description.as_deref()).map_err(catalog)?,
            category: self.category.clone(),
            price: money(currency, &self.price)?,
            unit: Unit::parse(&self.unit)
                .ok_or_else(|| CoreError::invalid("unit_invalid", "a unit is each, kg, 100g or pack"))?,
            stock,
            needs_pharmacist: self.needs_pharmacist,
            visible: self.visible,
            options: option_groups(groups).map_err(catalog)?,
        })
    }
}

/// How results are ordered: `relevance` (shortest names first), `price_ascending`,
/// `price_descending`, `distance` (nearest shops first when `lat` and `lon` are given, shops
/// without a location last, ties by relevance; without a location, as `relevance`), or `rating`
/// (best average first, then the most ratings; shops nobody rated last; ties by relevance).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortParam {
    Relevance,
    PriceAscending,
    PriceDescending,
    Distance,
    Rating,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for: Korean found by any syllable or two inside a name, English by word,
    /// prefix and with one typo forgiven.
    #[param(example = "우유", min_length = 1, max_length = 100)]
    pub q: String,
    /// The customer's area, for delivery there (or `lat` and `lon`, not both).
    #[param(example = "0192f3a4-5b6c-7d8e-9f00-112233445566")]
    pub area: Option<uuid::Uuid>,
    /// The customer's shared location, for delivery within shops' radius (with `lon`).
    #[param(minimum = -90, maximum = 90, example = 37.5563)]
    pub lat: Option<f64>,
    #[param(minimum = -180, maximum = 180, example = 126.9236)]
    pub lon: Option<f64>,
    #[param(inline, example = "grocery")]
    pub kind: Option<SellerKindParam>,
    #[param(max_length = 60, pattern = "^[^\\x00-\\x1f]{1,60}$", example = "dairy")]
    pub category: Option<String>,
    /// Only shops open and accepting orders now.
    #[param(example = false)]
    pub open_now: Option<bool>,
    /// Decimal strings.
    #[param(pattern = "^[0-9]{1,12}(?:\\.[0-9]{1,2})?$", example = "1.00")]
    pub min_price: Option<String>,
    #[param(pattern = "^[0-9]{1,12}(?:\\.[0-9]{1,2})?$", example = "100.00")]
    pub max_price: Option<String>,
    #[param(inline, example = "relevance")]
    pub sort: Option<SortParam>,
    /// 1 to 100; default 20.
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<u32>,
    #[param(minimum = 0, maximum = 10000, example = 0)]
    pub offset: Option<u32>,
}

impl SearchParams {
    pub fn input(&self, currency: &Currency) -> CoreResult<quipu_core::market::SearchInput> {
        let (limit, offset) = page(self.limit, self.offset, 20, 10_000)?;
        let whereabouts = whereabouts(self.area, self.lat, self.lon)?;
        Ok(quipu_core::market::SearchInput {
            text: self.q.clone(),
            whereabouts,
            kind: self.kind.map(SellerKind::from),
            category: self.category.clone().filter(|category| !category.trim().is_empty()),
            open_now: self.open_now.unwrap_or(false),
            min_price: optional_money(currency, self.min_price.as_deref())?,
            max_price: optional_money(currency, self.max_price.as_deref())?,
            order: match self.sort.unwrap_or(SortParam::Relevance) {
                SortParam::Relevance => SearchOrder::Relevance,
                SortParam::PriceAscending => SearchOrder::PriceAscending,
                SortParam::PriceDescending => SearchOrder::PriceDescending,
                SortParam::Distance => SearchOrder::Distance,
                SortParam::Rating => SearchOrder::Rating,
            },
            limit,
            offset,
        })
    }
}

/// Where the customer said they are: an area, or a latitude and a longitude, or nothing.
fn whereabouts(area: Option<uuid::Uuid>, lat: Option<f64>, lon: Option<f64>) -> CoreResult<Whereabouts> {
    match (area, lat, lon) {
        (Some(area), None, None) => Ok(Whereabouts::Area(AreaId(area))),
        (None, Some(lat), Some(lon)) => Ok(Whereabouts::Location(
            Coordinates::new(lat, lon).map_err(|error| CoreError::rejected("location_invalid", error.to_string()))?,
        )),
        (None, None, None) => Ok(Whereabouts::Unknown),
        _ => Err(CoreError::rejected("whereabouts_invalid", "give an area, or a latitude and a longitude, not both")),
    }
}

/// Where the customer is, for the shops that serve them.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearbyParams {
    /// The customer's area (or `lat` and `lon`, not both); without either, the shops offering pickup.
    #[param(example = "0192f3a4-5b6c-7d8e-9f00-112233445566")]
    pub area: Option<uuid::Uuid>,
    #[param(minimum = -90, maximum = 90, example = 37.5563)]
    pub lat: Option<f64>,
    #[param(minimum = -180, maximum = 180, example = 126.9236)]
    pub lon: Option<f64>,
    #[param(inline, example = "grocery")]
    pub kind: Option<SellerKindParam>,
}

impl NearbyParams {
    pub fn whereabouts(&self) -> CoreResult<Whereabouts> {
        whereabouts(self.area, self.lat, self.lon)
    }
}

/// A page's size and start, within the documented ranges (1 to 100; at most `max_offset`).
fn page(limit: Option<u32>, offset: Option<u32>, default: u32, max_offset: u32) -> CoreResult<(u32, u32)> {
    let limit = limit.unwrap_or(default);
    let offset = offset.unwrap_or(0);
    if !(1..=100).contains(&limit) || offset > max_offset {
        return Err(CoreError::invalid("page_invalid", format!("limit is 1 to 100 and offset 0 to {max_offset}")));
    }
    Ok((limit, offset))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogParams {
    /// 1 to 100; default 50.
    #[param(minimum = 1, maximum = 100, example = 50)]
    pub limit: Option<u32>,
    #[param(minimum = 0, maximum = 100000, example = 0)]
    pub offset: Option<u32>,
}

impl CatalogParams {
    /// The page asked for: 50 products from the start unless said otherwise.
    pub fn page(&self) -> CoreResult<(u32, u32)> {
        page(self.limit, self.offset, 50, 100_000)
    }
}
