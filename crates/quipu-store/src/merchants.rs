//! Merchants: the business, its terms and the details its QRs carry.

use quipu_domain::Timestamp;
use quipu_domain::identity::MerchantId;

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRecord {
    pub id: MerchantId,
    pub name: String,
    pub created_at: Timestamp,
    /// The operator's fee on each payment, in basis points.
    pub fee_bps: u32,
    /// Whether the merchant's cashiers may refund, or only the owner (and API keys).
    pub cashiers_may_refund: bool,
    /// Where the merchant trades, as its QR shows it (at most 15 characters; empty until set).
    pub city: String,
    /// ISO 18245 merchant category code, four digits (5999: miscellaneous retail).
    pub category_code: String,
}

#[async_trait::async_trait]
pub trait MerchantStore: Send + Sync {
    async fn merchant(&self, id: MerchantId) -> StoreResult<Option<MerchantRecord>>;

    /// Sets the city and category code a merchant's QR shows; `false` if there is no such merchant.
    async fn set_merchant_profile(&self, merchant: MerchantId, city: &str, category_code: &str) -> StoreResult<bool>;

    /// Sets a merchant's fee rate and whether cashiers may refund; `None` leaves a term as it is.
    async fn set_merchant_terms(
        &self,
        merchant: MerchantId,
        fee_bps: Option<u32>,
        cashiers_may_refund: Option<bool>,
    ) -> StoreResult<bool>;
}
