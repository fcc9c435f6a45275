//! Areas, sellers and their storefronts.

use quipu_domain::identity::{MerchantId, Role};
use quipu_domain::market::AreaId;
use quipu_domain::market::review::RatingTally;
use quipu_domain::market::storefront::{Coordinates, DeliveryTerms, OpeningHours, SellerKind};
use quipu_domain::text::is_display_safe;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::StoreError;
use quipu_store::market::{AreaRecord, MAX_AREAS, RadiusDelivery, SellerAreaRecord, SellerRecord, StoredPoint};

use crate::Market;

/// Longest area name, description and address, in characters.
const MAX_AREA_NAME: usize = 60;
const MAX_DESCRIPTION: usize = 1_000;
const MAX_ADDRESS: usize = 200;
/// Longest preparation time a shop may state: four hours.
const MAX_PREPARATION_MINUTES: u32 = 240;
/// Widest delivery radius: 30 km, a town and its edges.
const MAX_RADIUS_METRES: u32 = 30_000;
/// Most areas one seller delivers to.
const MAX_SELLER_AREAS: usize = 50;

/// What an owner states about their storefront.
#[derive(Debug, Clone)]
pub struct StorefrontInput {
    pub description: String,
    pub address: String,
    pub location: Option<Coordinates>,
    pub hours: OpeningHours,
    pub accepting: bool,
    pub preparation_minutes: u32,
    pub pickup: bool,
    pub radius: Option<RadiusDelivery>,
    pub areas: Vec<SellerAreaRecord>,
}

/// A seller as its owner and customers read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    pub record: SellerRecord,
    pub name: String,
    pub areas: Vec<SellerAreaRecord>,
    /// Open by its hours (in its zone) and accepting orders, now.
    pub open_now: bool,
    /// Its customers' ratings so far.
    pub rating: RatingTally,
}

fn text_within(text: &str, max: usize) -> bool {
    text.chars().count() <= max && is_display_safe(text)
}

fn check_terms(terms: &DeliveryTerms) -> CoreResult<()> {
    let negative = terms.fee.minor() < 0
        || terms.minimum_order.minor() < 0
        || terms.free_from.is_some_and(|threshold| threshold.minor() < 0);
    if negative {
        return Err(CoreError::rejected(
            "delivery_terms_invalid",
            "delivery fees, minimums and thresholds are zero or more",
        ));
    }
    Ok(())
}

impl Market {
    /// The operator names a delivery area (a district).
    pub async fn create_area(&self, principal: &Principal, name: &str) -> CoreResult<AreaRecord> {
        principal.require(Role::Operator)?;
        let name = name.trim();
        if name.is_empty() || !text_within(name, MAX_AREA_NAME) {
            return Err(CoreError::rejected("area_name_invalid", "an area's name is 1 to 60 characters of plain text"));
        }
        if self.store.areas().await?.len() >= usize::try_from(MAX_AREAS).unwrap_or(usize::MAX) {
            return Err(CoreError::new(
                ErrorKind::Rejected,
                "too_many_areas",
                "the network has as many areas as it may",
            ));
        }
        let area =
            AreaRecord { id: AreaId(self.kernel.new_id()), name: name.to_owned(), created_at: self.kernel.now() };
        match self.store.create_area(&area).await {
            Err(StoreError::Conflict(_)) => {
                Err(CoreError::new(ErrorKind::Conflict, "area_exists", "an area with this name exists"))
            }
            other => other.map(|()| area).map_err(CoreError::from),
        }
    }

    /// Every area, by name: anyone may read them (customers pick theirs).
    pub async fn areas(&self) -> CoreResult<Vec<AreaRecord>> {
        Ok(self.store.areas().await?)
    }

    /// The operator enables a merchant as a seller of `kind`. Its storefront starts closed (no
    /// hours), not accepting orders, pickup only, until its owner fills it in. Enabling again
    /// changes only the kind.
    pub async fn enable_seller(
        &self,
        principal: &Principal,
        merchant: MerchantId,
        kind: SellerKind,
    ) -> CoreResult<Seller> {
        principal.require(Role::Operator)?;
        self.store.merchant_name(merchant).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let now = self.kernel.now();
        let (record, areas) = match self.store.seller(merchant).await? {
            Some(existing) => {
                (SellerRecord { kind, updated_at: now, ..existing }, self.store.seller_areas(merchant).await?)
            }
            None => {
                let hours = OpeningHours::new(Default::default(), Vec::new())
                    .map_err(|_| CoreError::invalid("hours_invalid", "empty hours"))?;
                let record = SellerRecord {
                    merchant_id: merchant,
                    kind,
                    description: String::new(),
                    address: String::new(),
                    location: None,
                    hours,
                    accepting: false,
                    preparation_minutes: 20,
                    pickup: true,
                    radius: None,
                    updated_at: now,
                };
                (record, Vec::new())
            }
        };
        self.store.save_seller(&record, &areas).await?;
        self.directory.forget().await;
        self.seller(merchant).await
    }

    /// The caller's shop as a seller: its owner or an API key of it.
    fn own_shop(principal: &Principal) -> CoreResult<MerchantId> {
        principal.require_merchant_admin()
    }

    /// A seller by its merchant id: anyone may read a storefront.
    pub async fn seller(&self, merchant: MerchantId) -> CoreResult<Seller> {
        let record = self.store.seller(merchant).await?.ok_or_else(|| CoreError::not_found("seller"))?;
        let name = self.store.merchant_name(merchant).await?.unwrap_or_default();
        let areas = self.store.seller_areas(merchant).await?;
        let zone = self.kernel.merchant_zone(merchant).await?;
        let open_now = record.accepting && record.hours.is_open(&zone, self.kernel.now());
        let rating = self.habits.seller_rating(merchant).await?;
        Ok(Seller { record, name, areas, open_now, rating })
    }

    /// The caller's own storefront.
    pub async fn my_storefront(&self, principal: &Principal) -> CoreResult<Seller> {
        self.seller(Self::own_shop(principal)?).await
    }

    /// The owner states their storefront: all of it at once, checked before anything is written.
    pub async fn set_storefront(&self, principal: &Principal, input: StorefrontInput) -> CoreResult<Seller> {
        let merchant = Self::own_shop(principal)?;
        let existing = self.store.seller(merchant).await?.ok_or_else(|| CoreError::not_found("seller"))?;
        self.check_storefront(&input).await?;
        let record = SellerRecord {
            merchant_id: merchant,
            kind: existing.kind,
            description: input.description.trim().to_owned(),
            address: input.address.trim().to_owned(),
            location: input.location.map(StoredPoint::from_coordinates),
            hours: input.hours,
            accepting: input.accepting,
            preparation_minutes: input.preparation_minutes,
            pickup: input.pickup,
            radius: input.radius,
            updated_at: self.kernel.now(),
        };
        self.store.save_seller(&record, &input.areas).await?;
        self.directory.forget().await;
        self.seller(merchant).await
    }

    async fn check_storefront(&self, input: &StorefrontInput) -> CoreResult<()> {
        if !text_within(&input.description, MAX_DESCRIPTION) {
            return Err(CoreError::rejected(
                "description_invalid",
                "a description is at most 1,000 characters of plain text",
            ));
        }
        let address = input.address.trim();
        if address.is_empty() || !text_within(address, MAX_ADDRESS) {
            return Err(CoreError::rejected("address_invalid", "an address is 1 to 200 characters of plain text"));
        }
        if input.preparation_minutes > MAX_PREPARATION_MINUTES {
            return Err(CoreError::rejected("preparation_time_invalid", "a preparation time is 0 to 240 minutes"));
        }
        if let Some(radius) = &input.radius {
            if input.location.is_none() || radius.metres == 0 || radius.metres > MAX_RADIUS_METRES {
                return Err(CoreError::rejected(
                    "radius_invalid",
                    "a delivery radius is 1 m to 30 km around the shop's location, which must be given",
                ));
            }
            check_terms(&radius.terms)?;
        }
        if input.areas.len() > MAX_SELLER_AREAS {
            return Err(CoreError::rejected("too_many_areas", "a seller delivers to at most 50 areas"));
        }
        let known = self.store.areas().await?;
        for (index, area) in input.areas.iter().enumerate() {
            check_terms(&area.terms)?;
            let repeated = input.areas.get(..index).is_some_and(|before| before.iter().any(|a| a.area == area.area));
            if repeated || !known.iter().any(|known| known.id == area.area) {
                return Err(CoreError::rejected(
                    "area_unknown",
                    "each delivery area is one the operator defined, once",
                ));
            }
        }
        Ok(())
    }

    /// The "accepting orders" switch: a busy kitchen pauses, and opens again. Any of the shop's
    /// staff may flip it: the person at the counter sees the rush first.
    pub async fn set_accepting(&self, principal: &Principal, accepting: bool) -> CoreResult<Seller> {
        let merchant = principal.require_merchant()?;
        let existing = self.store.seller(merchant).await?.ok_or_else(|| CoreError::not_found("seller"))?;
        let areas = self.store.seller_areas(merchant).await?;
        let record = SellerRecord { accepting, updated_at: self.kernel.now(), ..existing };
        self.store.save_seller(&record, &areas).await?;
        self.directory.forget().await;
        self.seller(merchant).await
    }
}
