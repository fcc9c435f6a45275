//! Onboarding a courier spans two contexts: identity makes the login and wallet, delivery records
//! how they work. Written one after the other; setting a courier up again (after a failure
//! between) changes nothing the first write made.

use quipu_delivery::{Courier, CourierInput};
use quipu_identity::{NewWorker, Profile};
use quipu_kernel::{CoreResult, Principal};

use crate::Services;

impl Services {
    /// The operator signs up a courier: their login, PIN and wallet, then how they work.
    pub async fn onboard_courier(
        &self,
        principal: &Principal,
        login: &NewWorker,
        input: &CourierInput,
    ) -> CoreResult<(Profile, Courier)> {
        self.delivery.check_courier_input(principal, input).await?;
        let profile = self.identity.create_courier(principal, login).await?;
        let courier = self.delivery.put_courier(principal, profile.user.id, input).await?;
        Ok((profile, courier))
    }
}
