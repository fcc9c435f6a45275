//! Pharmacists: staff of the identity context whom only a pharmacy (the market's word) may have.

use quipu_domain::identity::{Role, UserId};
use quipu_identity::NewLogin;
use quipu_kernel::access::User;
use quipu_kernel::{CoreResult, Principal};

use crate::Services;

impl Services {
    /// A pharmacy's owner adds a pharmacist; the owner of any other kind of shop is refused.
    pub async fn add_pharmacist(&self, principal: &Principal, login: &NewLogin) -> CoreResult<User> {
        self.market.own_pharmacy(principal).await?;
        self.identity.add_staff(principal, Role::Pharmacist, login).await
    }

    /// A pharmacy's owner removes a pharmacist: their sessions end at once.
    pub async fn remove_pharmacist(&self, principal: &Principal, pharmacist: UserId) -> CoreResult<()> {
        self.identity.remove_staff(principal, Role::Pharmacist, pharmacist).await
    }
}
