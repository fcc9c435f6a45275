//! What staff did about a person, kept where the person can read it: the
//! access log. Every staff action that touches someone (a card replaced
//! without its PIN, a lock lifted, a history read under a grant) writes one
//! entry, in the same transaction as the action.

use quipu_domain::Timestamp;
use quipu_domain::identity::{Role, UserId};
use uuid::Uuid;

use crate::StoreResult;

/// Most entries one page of a person's access log shows.
pub const MAX_ACCESS_LOG_PAGE: u32 = 100;

/// One staff action about a person (or an unlinked card: then the card is the subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntryRecord {
    pub id: Uuid,
    /// The person (user id) or, for a card nobody is linked to, the card.
    pub subject: Uuid,
    pub actor: UserId,
    pub actor_role: Role,
    /// What was done, a stable word: `card_replacement_approved`, `pin_unlocked`, `history_read`, …
    pub action: String,
    /// Why, as the staff member stated it.
    pub reason: String,
    /// What exactly: which card, which page of history.
    pub detail: String,
    pub at: Timestamp,
}

#[async_trait::async_trait]
pub trait SupportStore: Send + Sync {
    async fn insert_access_entry(&self, entry: &AccessEntryRecord) -> StoreResult<()>;
    /// A subject's entries before `before`, newest first, at most `limit`.
    async fn access_entries(&self, subject: Uuid, before: Timestamp, limit: u32)
    -> StoreResult<Vec<AccessEntryRecord>>;
}
