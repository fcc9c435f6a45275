//! Couriers: the operator says how each works; a courier goes online and offline.

use quipu_domain::delivery::{CourierState, Vehicle};
use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::market::AreaId;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::delivery::{CourierRecord, MAX_JOBS_PAGE};

use crate::Delivery;

/// How a new courier works, as the operator gives it.
#[derive(Debug, Clone)]
pub struct CourierInput {
    pub vehicle: Vehicle,
    pub home_area: Option<AreaId>,
    pub only_for: Option<MerchantId>,
}

/// A courier as they and the operator read them.
#[derive(Debug, Clone)]
pub struct Courier {
    pub record: CourierRecord,
}

impl Delivery {
    /// Checks what the operator gave before anything is written: the area and the shop named must
    /// exist.
    pub async fn check_courier_input(&self, principal: &Principal, input: &CourierInput) -> CoreResult<()> {
        principal.require(Role::Operator)?;
        if let Some(area) = input.home_area {
            let areas = self.kernel.store.areas().await?;
            if !areas.iter().any(|known| known.id == area) {
                return Err(CoreError::not_found("area"));
            }
        }
        if let Some(shop) = input.only_for
            && self.kernel.store.merchant(shop).await?.is_none()
        {
            return Err(CoreError::not_found("merchant"));
        }
        Ok(())
    }

    /// The operator sets up how `user` (a courier's login) works. Setting it up again changes
    /// nothing: it answers with what was set up first.
    pub async fn put_courier(&self, principal: &Principal, user: UserId, input: &CourierInput) -> CoreResult<Courier> {
        self.check_courier_input(principal, input).await?;
        let account = self.kernel.store.user(user).await?.ok_or_else(|| CoreError::not_found("courier"))?;
        if account.role != Role::Courier {
            return Err(CoreError::invalid("not_a_courier", "this user is not a courier"));
        }
        let now = self.kernel.now();
        let record = CourierRecord {
            user,
            vehicle: input.vehicle,
            home_area: input.home_area,
            only_for: input.only_for,
            state: CourierState::Offline,
            position: None,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_courier(&record).await?;
        self.courier_record(user).await.map(|record| Courier { record })
    }

    /// The operator's list of couriers, newest first.
    pub async fn couriers(&self, principal: &Principal, limit: u32, offset: u32) -> CoreResult<Vec<Courier>> {
        principal.require(Role::Operator)?;
        let records = self.store.couriers(limit.min(MAX_JOBS_PAGE), offset).await?;
        Ok(records.into_iter().map(|record| Courier { record }).collect())
    }

    /// The calling courier.
    pub async fn me(&self, principal: &Principal) -> CoreResult<Courier> {
        let user = principal.require(Role::Courier)?;
        self.courier_record(user).await.map(|record| Courier { record })
    }

    /// The calling courier goes online (sees and claims offers) or offline.
    pub async fn set_online(&self, principal: &Principal, online: bool) -> CoreResult<Courier> {
        let user = principal.require(Role::Courier)?;
        let state = if online { CourierState::Online } else { CourierState::Offline };
        if !self.store.set_courier_state(user, state, self.kernel.now()).await? {
            return Err(not_set_up());
        }
        self.me(principal).await
    }

    pub(crate) async fn courier_record(&self, user: UserId) -> CoreResult<CourierRecord> {
        self.store.courier(user).await?.ok_or_else(not_set_up)
    }
}

/// A courier login the operator has not set up yet (no vehicle, no area) cannot work.
fn not_set_up() -> CoreError {
    CoreError::new(ErrorKind::NotFound, "courier_not_set_up", "the operator has not set this courier up yet")
}
