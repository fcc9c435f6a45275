//! The kernel every Quipu context shares: injected time ([`Clock`]) and
//! randomness ([`Random`]), the one ledger writer per process, identity and
//! access (who is calling, what they may see, their secrets' checks),
//! settings and customer limits.
//!
//! Contexts (wallet, payments, merchant QR, cards, events) each hold an
//! `Arc<Kernel>` and depend on it, never the other way round. Nothing here
//! knows about HTTP: errors are [`CoreError`]s, which the HTTP layer maps to
//! status codes.

pub mod access;
pub mod clock;
pub mod error;
pub mod limits;
pub mod paging;
pub mod random;
pub mod secrets;
pub mod settings;
pub mod text;
pub mod writer;
mod zones;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use quipu_domain::Timestamp;
use quipu_domain::card::CardId;
use quipu_domain::identity::{PhoneNumber, Role};
use quipu_domain::ledger::{AccountId, AccountKind};
use quipu_domain::money::{Amount, AmountInput, Currency, CurrencyCode};
use quipu_domain::verify::Report;
use quipu_store::cards::CardRecord;
use quipu_store::{AccountOwner, OwnedAccount, Store, UserRecord};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use crate::access::{GuessSource, Principal};
pub use crate::clock::{Clock, OffsetClock, SystemClock};
pub use crate::error::{CoreError, CoreResult, ErrorKind};
pub use crate::random::{OsRandom, Random};
pub use crate::secrets::HashCost;
pub use crate::settings::{CommissionSettings, PaymentSettings, Settings, WebhookSettings};
pub use crate::writer::{LedgerWriter, WriterLimits};

/// Longest chain of card replacements followed to find where a card's money lives now.
const MAX_REPLACEMENTS: usize = 16;

/// What every context is given.
pub struct Kernel {
    pub store: Arc<dyn Store>,
    pub ledger: LedgerWriter,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub settings: Settings,
    pub(crate) hasher: secrets::SecretHasher,
    /// Woken whenever this process writes a merchant event: live streams and the webhook sender listen.
    events_written: Notify,
    /// Account ids by (owner, kind, currency); see [`Kernel::ensure_account`].
    account_ids: AccountIds,
    ids: random::Ids,
}

/// Account ids already looked up. Bounded: past [`AccountIds::MAX`] entries
/// it starts again empty (a lookup costs one indexed read), so memory stays
/// flat however many accounts the network has.
#[derive(Default)]
struct AccountIds {
    ids: std::sync::Mutex<HashMap<(AccountOwner, AccountKind, CurrencyCode), AccountId>>,
}

impl AccountIds {
    const MAX: usize = 200_000;

    fn get(&self, key: &(AccountOwner, AccountKind, CurrencyCode)) -> Option<AccountId> {
        self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).copied()
    }

    fn insert(&self, key: (AccountOwner, AccountKind, CurrencyCode), id: AccountId) {
        let mut ids = self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if ids.len() >= Self::MAX {
            ids.clear();
        }
        ids.insert(key, id);
    }
}

impl Kernel {
    /// Starts the ledger writer (it stops when `stop` turns true) and makes
    /// sure the system accounts (issuance, fee income) exist for every
    /// enabled currency.
    pub async fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: Settings,
        stop: watch::Receiver<bool>,
    ) -> CoreResult<(Arc<Self>, JoinHandle<()>)> {
        let hasher = secrets::SecretHasher::new(settings.hash_cost, random.clone())?;
        let (ledger, writer) = LedgerWriter::spawn(store.clone(), clock.clone(), settings.writer, stop);
        let kernel = Arc::new(Self {
            store,
            ledger,
            clock,
            random,
            settings,
            hasher,
            events_written: Notify::new(),
            account_ids: AccountIds::default(),
            ids: random::Ids::default(),
        });
        for currency in kernel.settings.currencies.iter() {
            for kind in [AccountKind::Issuance, AccountKind::FeeIncome] {
                kernel.ensure_account(AccountOwner::System, kind, currency.code).await?;
            }
        }
        Ok((kernel, writer))
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A new server-minted id (UUIDv7), greater than every id this process minted before.
    pub fn new_id(&self) -> Uuid {
        self.ids.next(self.clock.as_ref(), self.random.as_ref())
    }

    /// Tells this process's live streams and webhook sender that an event was written.
    pub fn events_written(&self) {
        self.events_written.notify_waiters();
    }

    /// Waits until this process writes an event or `timeout` passes.
    pub async fn wait_for_events(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.events_written.notified()).await;
    }

    /// A positive amount in an enabled currency (the default if none is named).
    pub fn parse_amount(&self, input: AmountInput<'_>) -> CoreResult<(Currency, Amount)> {
        Ok(self.settings.currencies.positive_amount(input)?)
    }

    /// Refuses a customer transfer (P2P, cash-in, cash-out, card top-up) above the per-transfer limit.
    pub fn check_transfer_limit(&self, currency: Currency, amount: Amount) -> CoreResult<()> {
        match self.settings.transfer_limits.get(&currency.code) {
            Some(limit) if amount > *limit => Err(CoreError::new(
                ErrorKind::Rejected,
                "limit_exceeded",
                format!(
                    "per-transfer limit exceeded: at most {} {} per transfer",
                    currency.format_amount(*limit),
                    currency.code
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The user with this phone number, if they have `role`; `what` names them in the error.
    pub async fn user_with_role(&self, phone: &PhoneNumber, role: Role, what: &'static str) -> CoreResult<UserRecord> {
        match self.store.user_by_phone(phone.as_str()).await? {
            Some(user) if user.role == role => Ok(user),
            _ => Err(CoreError::new(
                ErrorKind::NotFound,
                "recipient_not_found",
                format!("no {what} with this phone number"),
            )),
        }
    }

    /// The id of the owner's account of a kind in a currency, created on first use.
    ///
    /// Remembered once known: an account is never deleted and never changes
    /// owner, kind or currency (one per triple, by a unique key), so the id
    /// holds for every process sharing the database, and a payment costs no
    /// lookups for its wallet, merchant and fee accounts.
    pub async fn ensure_account(
        &self,
        owner: AccountOwner,
        kind: AccountKind,
        currency: CurrencyCode,
    ) -> CoreResult<AccountId> {
        let key = (owner, kind, currency);
        if let Some(id) = self.account_ids.get(&key) {
            return Ok(id);
        }
        let existing = self.store.accounts_of(owner).await?;
        let id = match existing.into_iter().find(|a| a.kind == kind && a.currency == currency) {
            Some(account) => account.id,
            None => self.store.ensure_account(&self.new_account(owner, kind, currency)).await?.id,
        };
        self.account_ids.insert(key, id);
        Ok(id)
    }

    /// A fresh account value with the kind's default flags.
    pub fn new_account(&self, owner: AccountOwner, kind: AccountKind, currency: CurrencyCode) -> OwnedAccount {
        OwnedAccount::new(AccountId(self.new_id()), owner, kind, currency, self.now())
    }

    /// A card's own ledger account, created with the card.
    pub async fn card_account(&self, card: &CardRecord) -> CoreResult<AccountId> {
        self.ensure_account(AccountOwner::Card(card.id), AccountKind::Card, card.currency).await
    }

    /// Where a card's money lives now: the card itself, or the card that
    /// (after any number of replacements) took its balance. Refunds go there.
    pub async fn live_card_account(&self, card: CardId) -> CoreResult<AccountId> {
        let mut card = self.store.card(card).await?.ok_or_else(|| CoreError::not_found("card"))?;
        for _ in 0..MAX_REPLACEMENTS {
            match card.replaced_by {
                Some(next) => card = self.store.card(next).await?.ok_or_else(|| CoreError::not_found("card"))?,
                None => return self.card_account(&card).await,
            }
        }
        Err(CoreError::new(ErrorKind::Rejected, "card_replaced", "this card has been replaced too many times"))
    }

    /// Checks every ledger invariant, for operators and auditors.
    pub async fn verify_ledger(&self, principal: &Principal) -> CoreResult<Report> {
        principal.require_any(&[Role::Operator, Role::Auditor])?;
        self.check_ledger().await
    }

    /// Checks every ledger invariant (for the command line and tests, which need no principal).
    pub async fn check_ledger(&self) -> CoreResult<Report> {
        let facts = self.store.ledger_facts().await?;
        Ok(quipu_domain::verify::verify(&facts))
    }
}
