//! Which couriers see a job: online couriers near the shop, the circle widening while nobody
//! claims, and couriers who work for one shop see only that shop's jobs. Pure; the store hands in
//! the courier's last position and the shop's.

use crate::Timestamp;
use crate::delivery::Vehicle;
use crate::identity::MerchantId;
use crate::market::AreaId;
use crate::market::storefront::Coordinates;

/// The circle a new job is offered in, in metres.
pub const FIRST_RADIUS_METRES: u32 = 2_000;
/// How much wider the circle grows each minute nobody claims.
pub const RADIUS_STEP_METRES: u32 = 1_000;
/// The widest circle: beyond it a courier would take too long to reach the shop.
pub const MAX_RADIUS_METRES: u32 = 10_000;
/// Most offers a courier is shown at once (nearest first).
pub const MAX_OFFERS: u32 = 20;

/// How far from the shop a job waiting `waited_seconds` is offered.
pub fn offer_radius(waited_seconds: u64) -> u32 {
    let minutes = u32::try_from(waited_seconds / 60).unwrap_or(u32::MAX);
    RADIUS_STEP_METRES.saturating_mul(minutes).saturating_add(FIRST_RADIUS_METRES).min(MAX_RADIUS_METRES)
}

/// Where the shop is and how long its job has waited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Offer {
    pub shop: MerchantId,
    pub shop_at: Option<Coordinates>,
    /// The delivery area the order goes to.
    pub area: Option<AreaId>,
    pub offered_at: Timestamp,
}

/// What dispatch knows of a courier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CourierPlace {
    pub vehicle: Vehicle,
    /// The courier's last position, if they sent one lately; else where they said they work.
    pub at: Option<Coordinates>,
    pub home_area: Option<AreaId>,
    /// A courier who works for one shop sees only that shop's jobs.
    pub only_for: Option<MerchantId>,
}

/// Whether `courier` is shown `offer` at `now`, and how far away the shop is if known. A courier
/// who works in the order's area sees it whatever the distance (addresses there are often a
/// district, not a point); otherwise the shop must be inside the widening circle.
pub fn sees(courier: &CourierPlace, offer: &Offer, now: Timestamp) -> Option<Option<u32>> {
    if courier.only_for.is_some_and(|shop| shop != offer.shop) {
        return None;
    }
    let distance = courier.at.zip(offer.shop_at).map(|(from, to)| from.metres_to(to));
    let same_area = courier.home_area.is_some() && courier.home_area == offer.area;
    let near = distance.is_some_and(|metres| metres <= offer_radius(now.seconds_since(offer.offered_at)));
    (same_area || near).then_some(distance)
}

/// The minutes a courier needs for `metres` (at least one).
pub fn minutes_for(vehicle: Vehicle, metres: u32) -> u32 {
    let seconds = metres.checked_div(vehicle.town_speed_mps()).unwrap_or(u32::MAX);
    seconds.checked_div(60).unwrap_or(0).max(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn point(latitude: f64, longitude: f64) -> Coordinates {
        Coordinates::new(latitude, longitude).unwrap()
    }

    fn shop() -> MerchantId {
        MerchantId(uuid::Uuid::from_u128(1))
    }

    #[test]
    fn the_circle_widens_each_minute_up_to_a_limit() {
        assert_eq!(offer_radius(0), 2_000);
        assert_eq!(offer_radius(59), 2_000);
        assert_eq!(offer_radius(60), 3_000);
        assert_eq!(offer_radius(10 * 60), 10_000);
        assert_eq!(offer_radius(u64::MAX), MAX_RADIUS_METRES);
    }

    #[test]
    fn couriers_see_near_jobs_then_farther_ones_as_they_wait() {
        // About 5.6 km apart: outside the first circle, inside it after four minutes.
        let offer = Offer { shop: shop(), shop_at: Some(point(37.50, 127.00)), area: None, offered_at: Timestamp(0) };
        let courier = CourierPlace {
            vehicle: Vehicle::Motorbike,
            at: Some(point(37.55, 127.00)),
            home_area: None,
            only_for: None,
        };
        assert_eq!(sees(&courier, &offer, Timestamp(0)), None);
        let later = sees(&courier, &offer, Timestamp(0).plus_seconds(4 * 60)).unwrap().unwrap();
        assert!((5_500..5_700).contains(&later), "{later}");
    }

    #[test]
    fn an_area_match_offers_without_a_position_and_shop_couriers_see_only_their_shop() {
        let area = Some(AreaId(uuid::Uuid::from_u128(7)));
        let offer = Offer { shop: shop(), shop_at: None, area, offered_at: Timestamp(0) };
        let mut courier = CourierPlace { vehicle: Vehicle::Foot, at: None, home_area: area, only_for: None };
        assert_eq!(sees(&courier, &offer, Timestamp(0)), Some(None));
        courier.only_for = Some(MerchantId(uuid::Uuid::from_u128(2)));
        assert_eq!(sees(&courier, &offer, Timestamp(0)), None);
        courier.only_for = Some(shop());
        assert_eq!(sees(&courier, &offer, Timestamp(0)), Some(None));
        courier.home_area = None;
        assert_eq!(sees(&courier, &offer, Timestamp(0)), None);
    }

    #[test]
    fn arrival_minutes_follow_the_vehicle() {
        assert_eq!(minutes_for(Vehicle::Foot, 1_200), 20);
        assert_eq!(minutes_for(Vehicle::Motorbike, 4_200), 10);
        assert_eq!(minutes_for(Vehicle::Car, 10), 1);
    }
}
