//! Storage for prepaid smart cards. A card's money is not here: it is the
//! card's own ledger account.

use quipu_domain::Timestamp;
use quipu_domain::card::{CardId, CardNumber, CardStatus};
use quipu_domain::identity::UserId;
use quipu_domain::money::CurrencyCode;
use uuid::Uuid;

use crate::StoreResult;
use crate::support::AccessEntryRecord;

/// Most cards one customer's list shows.
pub const MAX_CARDS_LISTED: u32 = 50;

/// A prepaid card. The PIN is an Argon2id hash; `Debug` shows neither it nor the full number.
#[derive(Clone, PartialEq, Eq)]
pub struct CardRecord {
    pub id: CardId,
    pub number: CardNumber,
    pub currency: CurrencyCode,
    /// The customer the card is linked to, if any: they see it in the app and may block it.
    pub customer_id: Option<UserId>,
    pub pin_hash: String,
    pub status: CardStatus,
    /// For a replaced card: the card its balance moved to.
    pub replaced_by: Option<CardId>,
    /// The agent or operator who issued it.
    pub issued_by: Uuid,
    pub pin_failed_attempts: u32,
    pub pin_locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for CardRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardRecord")
            .field("id", &self.id)
            .field("number", &self.number)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// What inserting a card found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardInsert {
    Inserted,
    /// A card with this id exists: the same request, retried.
    Exists(Box<CardRecord>),
    /// Another card has this number: draw another.
    NumberTaken,
}

/// An operator's leave to replace a card without its PIN or its holder's,
/// for a holder who has forgotten both: used once, within a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardApprovalRecord {
    pub id: Uuid,
    pub card_id: CardId,
    pub approved_by: UserId,
    pub reason: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// What replacing a card found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardReplacement {
    Replaced,
    /// The old card was already replaced, or the replacement's id exists (a retry): nothing written.
    AlreadyReplaced,
    /// The operator's approval is not this card's, was used, or has expired: nothing written.
    ApprovalUnusable,
}

#[async_trait::async_trait]
pub trait CardStore: Send + Sync {
    /// Stores a new card; a retry with the same id finds it, a number in use says so.
    async fn insert_card(&self, card: &CardRecord) -> StoreResult<CardInsert>;
    async fn card(&self, id: CardId) -> StoreResult<Option<CardRecord>>;
    async fn card_by_number(&self, number: &CardNumber) -> StoreResult<Option<CardRecord>>;
    /// A customer's linked cards, newest first, at most [`MAX_CARDS_LISTED`].
    async fn cards_of(&self, customer: UserId) -> StoreResult<Vec<CardRecord>>;
    /// Moves a card from `from` to `to`; `false` if it was no longer in `from`, or is in its final
    /// state ([`CardStatus::FINAL`]).
    async fn set_card_status(&self, id: CardId, from: CardStatus, to: CardStatus, now: Timestamp) -> StoreResult<bool>;
    /// In one transaction: stores `replacement`, retires `old` in its favour,
    /// uses the operator's `approval` if one is given, and writes `log` (the
    /// entry the holder reads). Nothing is written unless all of it is; a
    /// number in use is `StoreError::Conflict`.
    async fn replace_card(
        &self,
        old: CardId,
        replacement: &CardRecord,
        approval: Option<Uuid>,
        log: &[AccessEntryRecord],
        now: Timestamp,
    ) -> StoreResult<CardReplacement>;
    /// Stores an operator's approval and its access-log entry together.
    async fn insert_card_approval(&self, approval: &CardApprovalRecord, log: &AccessEntryRecord) -> StoreResult<()>;
    async fn card_approval(&self, id: Uuid) -> StoreResult<Option<CardApprovalRecord>>;
}
