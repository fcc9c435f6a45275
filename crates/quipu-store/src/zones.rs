//! The time zones people and shops chose: IANA names, `None` until chosen (the network's default).

use quipu_domain::identity::{MerchantId, UserId};

use crate::StoreResult;

/// The zones a person's pages read times in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneChoice {
    /// The person's own.
    pub person: Option<String>,
    /// Their shop's, for a merchant's owner and cashiers.
    pub shop: Option<String>,
}

#[async_trait::async_trait]
pub trait ZoneStore: Send + Sync {
    /// The zones a person and their shop chose; `None` if there is no such person.
    async fn zone_choice(&self, user: UserId) -> StoreResult<Option<ZoneChoice>>;

    /// A shop's zone; `None` until chosen (or no such shop).
    async fn merchant_zone(&self, merchant: MerchantId) -> StoreResult<Option<String>>;

    /// Sets (or with `None` clears) a person's zone; `false` if there is no such person.
    async fn set_user_zone(&self, user: UserId, zone: Option<&str>) -> StoreResult<bool>;

    /// Sets (or with `None` clears) a shop's zone; `false` if there is no such shop.
    async fn set_merchant_zone(&self, merchant: MerchantId, zone: Option<&str>) -> StoreResult<bool>;
}
