//! [`ZoneStore`] for every backend.

use quipu_domain::identity::{MerchantId, UserId};
use quipu_store::{StoreResult, ZoneChoice, ZoneStore, async_trait};

use crate::driver::{Columns, FromColumns, Statement, execute, fetch_optional};
use crate::{Backend, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        SELECT_ZONE_CHOICE = "SELECT u.time_zone AS person, m.time_zone AS shop FROM users u LEFT JOIN merchants m ON m.id = u.merchant_id WHERE u.id = $1";
        SELECT_MERCHANT_ZONE = "SELECT time_zone AS shop FROM merchants WHERE id = $1";
        UPDATE_USER_ZONE = "UPDATE users SET time_zone = $2 WHERE id = $1";
        UPDATE_MERCHANT_ZONE = "UPDATE merchants SET time_zone = $2 WHERE id = $1";
    }
}

impl FromColumns for ZoneChoice {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self { person: row.opt_text("person")?, shop: row.opt_text("shop")? })
    }
}

/// A shop's zone alone.
struct ShopZone(Option<String>);

impl FromColumns for ShopZone {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self(row.opt_text("shop")?))
    }
}

#[async_trait]
impl<B: Backend> ZoneStore for SqlStore<B> {
    async fn zone_choice(&self, user: UserId) -> StoreResult<Option<ZoneChoice>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_ZONE_CHOICE).bind(user);
        fetch_optional::<B::Db, _>(&mut conn, "loading a person's time zone", statement).await
    }

    async fn merchant_zone(&self, merchant: MerchantId) -> StoreResult<Option<String>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_MERCHANT_ZONE).bind(merchant);
        let found: Option<ShopZone> =
            fetch_optional::<B::Db, _>(&mut conn, "loading a shop's time zone", statement).await?;
        Ok(found.and_then(|zone| zone.0))
    }

    async fn set_user_zone(&self, user: UserId, zone: Option<&str>) -> StoreResult<bool> {
        let statement = Statement::new(sql::UPDATE_USER_ZONE).bind(user).bind(zone);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "setting a person's time zone", statement).await? == 1)
    }

    async fn set_merchant_zone(&self, merchant: MerchantId, zone: Option<&str>) -> StoreResult<bool> {
        let statement = Statement::new(sql::UPDATE_MERCHANT_ZONE).bind(merchant).bind(zone);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "setting a shop's time zone", statement).await? == 1)
    }
}
