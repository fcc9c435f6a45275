//! [`MerchantStore`] for every backend.

use quipu_domain::identity::MerchantId;
use quipu_store::{MerchantRecord, MerchantStore, StoreResult, async_trait};

use crate::driver::{Statement, execute, fetch_optional};
use crate::{Backend, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_MERCHANT = "INSERT INTO merchants (id, name, created_at, fee_bps, cashiers_may_refund, city, category_code) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        SELECT_MERCHANT = "SELECT id, name, created_at, fee_bps, cashiers_may_refund, city, category_code FROM merchants WHERE id = $1";
        UPDATE_MERCHANT_PROFILE = "UPDATE merchants SET city = $2, category_code = $3 WHERE id = $1";
        UPDATE_MERCHANT_TERMS = "UPDATE merchants SET fee_bps = COALESCE($2, fee_bps), cashiers_may_refund = COALESCE($3, cashiers_may_refund) WHERE id = $1";
    }
}

pub(crate) fn merchant_insert(merchant: &MerchantRecord) -> Statement<'_> {
    Statement::new(sql::INSERT_MERCHANT)
        .bind(merchant.id)
        .bind(&merchant.name)
        .bind(merchant.created_at)
        .bind(merchant.fee_bps)
        .bind(merchant.cashiers_may_refund)
        .bind(&merchant.city)
        .bind(&merchant.category_code)
}

#[async_trait]
impl<B: Backend> MerchantStore for SqlStore<B> {
    async fn merchant(&self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a merchant", Statement::new(sql::SELECT_MERCHANT).bind(id)).await
    }

    async fn set_merchant_profile(&self, merchant: MerchantId, city: &str, category_code: &str) -> StoreResult<bool> {
        let statement = Statement::new(sql::UPDATE_MERCHANT_PROFILE).bind(merchant).bind(city).bind(category_code);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "updating a merchant profile", statement).await? == 1)
    }

    async fn set_merchant_terms(
        &self,
        merchant: MerchantId,
        fee_bps: Option<u32>,
        cashiers_may_refund: Option<bool>,
    ) -> StoreResult<bool> {
        let statement =
            Statement::new(sql::UPDATE_MERCHANT_TERMS).bind(merchant).bind(fee_bps).bind(cashiers_may_refund);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "updating merchant terms", statement).await? == 1)
    }
}
