//! Whose time zone a page or a shop's day is in: a shop's (for its staff and keys), a person's own,
//! else the network's default (`Settings::time_zone`).

use quipu_domain::identity::MerchantId;
use quipu_domain::zone::Zone;

use crate::{CoreError, CoreResult, ErrorKind, Kernel, Principal};

impl Kernel {
    /// The zone a caller reads times in: a shop's owner, cashiers and API keys the shop's; anyone else
    /// their own; the network's default until chosen.
    pub async fn zone_of(&self, principal: &Principal) -> CoreResult<Zone> {
        let name = match principal {
            Principal::User { id, merchant_id, .. } => {
                let choice = self.store.zone_choice(*id).await?.unwrap_or_default();
                if merchant_id.is_some() { choice.shop } else { choice.person }
            }
            Principal::MerchantKey { merchant_id, .. } => self.store.merchant_zone(*merchant_id).await?,
        };
        Ok(self.stored_zone(name))
    }

    /// The zone a shop keeps its days in.
    pub async fn merchant_zone(&self, merchant: MerchantId) -> CoreResult<Zone> {
        Ok(self.stored_zone(self.store.merchant_zone(merchant).await?))
    }

    /// The zone a person chose for themselves, for their settings page; `None` until they choose.
    pub async fn my_zone_choice(&self, principal: &Principal) -> CoreResult<Option<Zone>> {
        let Principal::User { id, .. } = principal else { return Err(CoreError::forbidden()) };
        let choice = self.store.zone_choice(*id).await?.unwrap_or_default();
        Ok(choice.person.and_then(|name| Zone::parse(&name).ok()))
    }

    /// A person chooses the zone they read times in; an empty name goes back to the network's.
    pub async fn set_my_zone(&self, principal: &Principal, name: &str) -> CoreResult<Option<Zone>> {
        let Principal::User { id, .. } = principal else { return Err(CoreError::forbidden()) };
        let zone = parse_choice(name)?;
        if !self.store.set_user_zone(*id, zone.as_ref().map(Zone::name)).await? {
            return Err(CoreError::not_found("person"));
        }
        Ok(zone)
    }

    /// A shop's owner (or its API key) chooses the zone the shop keeps its days in; an empty name goes
    /// back to the network's.
    pub async fn set_shop_zone(&self, principal: &Principal, name: &str) -> CoreResult<Option<Zone>> {
        let merchant = principal.require_merchant_admin()?;
        let zone = parse_choice(name)?;
        if !self.store.set_merchant_zone(merchant, zone.as_ref().map(Zone::name)).await? {
            return Err(CoreError::not_found("merchant"));
        }
        Ok(zone)
    }

    /// A shop's chosen zone, `None` until chosen.
    pub async fn shop_zone_choice(&self, merchant: MerchantId) -> CoreResult<Option<Zone>> {
        Ok(self.store.merchant_zone(merchant).await?.and_then(|name| Zone::parse(&name).ok()))
    }

    /// A stored name, or the network's zone when none was chosen (or a later build no longer knows it).
    fn stored_zone(&self, name: Option<String>) -> Zone {
        name.and_then(|name| Zone::parse(&name).ok()).unwrap_or_else(|| self.settings.time_zone.clone())
    }
}

/// A zone as typed: empty for the network's default, else a name the zone database knows. A name
/// it does not know is well formed and refused (422), as an amount the currency cannot hold is.
fn parse_choice(name: &str) -> CoreResult<Option<Zone>> {
    if name.is_empty() {
        return Ok(None);
    }
    let unknown = |unknown: quipu_domain::zone::UnknownZone| {
        CoreError::new(ErrorKind::Rejected, "invalid_time_zone", unknown.to_string())
    };
    Zone::parse(name).map(Some).map_err(unknown)
}
