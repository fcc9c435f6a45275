//! Prepaid smart cards: issued by agents and operators, each with its own
//! stored-value ledger account, optionally linked to a customer, protected by
//! the holder's PIN; topped up from an agent's float, paid with at tills,
//! blocked when lost, replaced with the balance moved across.
//!
//! The card number is a bearer credential together with the PIN, so the
//! PIN's attempt limit is counted on the card itself (whoever guesses) and
//! locks for `card_pin_lock_seconds`. Numbers are shown in full only to the
//! card's linked holder and on the answer to issuing it; everyone else sees
//! `990001******4325`.

use std::sync::Arc;

use quipu_domain::Timestamp;
use quipu_domain::card::{CardId, CardNumber, CardStatus, RANDOM_DIGITS};
use quipu_domain::identity::{PhoneNumber, Pin, Role, UserId};
use quipu_domain::ledger::{AccountFlags, Transfer, TransferCode, TransferCommand, TransferId, TransferOp};
use quipu_domain::money::{Amount, AmountInput, Currency};
use quipu_domain::payment::{PaymentId, PaymentReference, PaymentStatus, TillLabel};
use quipu_domain::text::StatedReason;
use quipu_kernel::secrets::derived_id;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, GuessSource, Kernel, Principal};
use quipu_payments::{Charge, Payer, Payment, Payments};
use quipu_store::cards::{CardApprovalRecord, CardInsert, CardRecord, CardReplacement};
use quipu_store::{AccessEntryRecord, StoreError};
use quipu_wallet::Wallet;
use uuid::Uuid;

/// A card payment as the till that took it hears it: the payment, and what was left on the card
/// just after it (as a card terminal's slip says; the holder has just typed the PIN). `None` for a
/// payment that did not complete, or a retry answered from the first attempt.
#[derive(Debug, Clone)]
pub struct CardPayment {
    pub payment: Payment,
    pub balance_after: Option<Amount>,
}

/// Attempts at drawing an unused card number before giving up.
const NUMBER_DRAWS: u32 = 8;
/// How long an operator's approval to replace a card without a PIN stays usable.
const APPROVAL_SECONDS: i64 = 24 * 3600;
/// Rounds of moving a replaced card's balance: each round catches money that landed during the last.
const MAX_SWEEPS: usize = 4;

/// Whether a card may be shown with its full number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reveal {
    Full,
    Masked,
}

/// A prepaid card as someone may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub id: CardId,
    /// The full 16 digits for the card's linked holder and on the answer to
    /// issuing it; masked for everyone else.
    pub number: String,
    pub last4: String,
    pub status: CardStatus,
    pub currency: quipu_domain::money::CurrencyCode,
    /// Whether the card is linked to a customer's account.
    pub linked: bool,
    /// For a replaced card: the card its balance moved to.
    pub replaced_by: Option<CardId>,
    /// What can be spent now; only for the holder (signed in, or with the PIN).
    pub balance: Option<Amount>,
    /// When a PIN locked by too many wrong tries unlocks.
    pub pin_locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// A card top-up at an agent: the card (masked) and the transfer from the agent's float.
#[derive(Debug, Clone)]
pub struct CardTopUp {
    pub card: Card,
    pub transfer: Transfer,
}

/// How a card's holder proves, at the agent, that the card being replaced is theirs.
#[derive(Debug, Clone)]
pub enum HolderProof {
    /// The old card's PIN, typed by the holder.
    CardPin(Pin),
    /// The PIN of the person the card is linked to.
    HolderPin(Pin),
    /// An operator's approval, for a holder who has forgotten both.
    Approval(Uuid),
}

/// An operator's approval to replace a card without a PIN, and the card.
#[derive(Debug, Clone)]
pub struct CardApproval {
    pub approval: CardApprovalRecord,
    pub card: Card,
}

/// A replacement: the retired card (masked), the new one, and the balance moved across.
#[derive(Debug, Clone)]
pub struct CardReplaced {
    pub old_card: Card,
    pub card: Card,
    pub moved: Amount,
}

#[derive(Clone)]
pub struct Cards {
    kernel: Arc<Kernel>,
    payments: Payments,
    wallet: Wallet,
}

impl Cards {
    pub fn new(kernel: Arc<Kernel>, payments: Payments, wallet: Wallet) -> Self {
        Self { kernel, payments, wallet }
    }

    /// An agent or operator issues a card in a currency, optionally linked to
    /// a customer by phone; the holder chooses the PIN. Idempotent on `card_id`.
    pub async fn issue_card(
        &self,
        principal: &Principal,
        card_id: CardId,
        currency: Option<&str>,
        holder: Option<&PhoneNumber>,
        pin: &Pin,
    ) -> CoreResult<Card> {
        let issuer = card_staff(principal)?;
        let currency = self.kernel.settings.currencies.get_or_default(currency)?;
        let holder = match holder {
            Some(phone) => Some(self.kernel.user_with_role(phone, Role::Customer, "customer").await?.id),
            None => None,
        };
        let pin_hash = self.kernel.hash_secret(pin.expose()).await?;
        let now = self.kernel.now();
        let mut card = CardRecord {
            id: card_id,
            number: self.draw_card_number()?,
            currency: currency.code,
            customer_id: holder,
            pin_hash,
            status: CardStatus::Active,
            replaced_by: None,
            issued_by: issuer.0,
            pin_failed_attempts: 0,
            pin_locked_until: None,
            created_at: now,
            updated_at: now,
        };
        let store = &self.kernel.store;
        for _ in 0..NUMBER_DRAWS {
            match store.insert_card(&card).await? {
                // A retry finds the card its first attempt stored.
                CardInsert::Inserted | CardInsert::Exists(_) => break,
                CardInsert::NumberTaken => card.number = self.draw_card_number()?,
            }
        }
        let card = store.card(card_id).await?.ok_or_else(number_exhausted)?;
        self.kernel.card_account(&card).await?;
        tracing::info!(card = %card.id, issuer = %issuer, linked = card.customer_id.is_some(), "card issued");
        self.card(&card, Reveal::Full, false).await
    }

    /// An agent loads a card from their float, against cash. Idempotent on `id`.
    pub async fn top_up_card(
        &self,
        principal: &Principal,
        id: TransferId,
        number: &CardNumber,
        amount: AmountInput<'_>,
    ) -> CoreResult<CardTopUp> {
        let agent = principal.require(Role::Agent)?;
        let money = self.kernel.parse_amount(amount)?;
        self.kernel.check_transfer_limit(money.0, money.1)?;
        let card = self.card_by_number(number).await?;
        ensure_usable(&card)?;
        ensure_currency(&card, money.0)?;
        let float = self.wallet.float_of(agent, money.0).await?;
        let account = self.kernel.card_account(&card).await?;
        let credit_cap = self.kernel.balance_cap(card.customer_id, money.0).await?;
        let reference = format!("card {}", card.number.masked());
        let legs = (TransferCode::CashIn, reference);
        let transfer = self.wallet.move_money(id, (float, account), money, legs, credit_cap).await?;
        // The card is loaded: its issue earns the agent who issued it a commission, once.
        self.wallet.pay_card_issue_commission(UserId(card.issued_by), card.id, money.0).await?;
        Ok(CardTopUp { card: self.card(&card, Reveal::Masked, false).await?, transfer })
    }

    /// Anyone holding a card checks its balance with the PIN; no sign-in, so
    /// wrong PINs count against the address they come from.
    pub async fn card_balance(&self, number: &CardNumber, pin: &Pin, source: &GuessSource) -> CoreResult<Card> {
        let card = self.card_by_number(number).await?;
        self.kernel.check_card_pin(&card, pin, source).await?;
        self.card(&card, Reveal::Masked, true).await
    }

    /// A till takes a card payment: the number (typed, or scanned from the
    /// card's QR or barcode) and the holder's PIN. It completes at once: the
    /// PIN is the approval. Idempotent on `id`.
    #[allow(clippy::too_many_arguments)]
    pub async fn pay_with_card(
        &self,
        principal: &Principal,
        id: PaymentId,
        number: &CardNumber,
        pin: &Pin,
        amount: AmountInput<'_>,
        reference: PaymentReference,
        till: TillLabel,
    ) -> CoreResult<CardPayment> {
        let merchant_id = principal.require_merchant()?;
        if let Some(existing) = self.payments.retried(id, |p| p.merchant_id == merchant_id).await? {
            return Ok(CardPayment { payment: existing, balance_after: None });
        }
        let money = self.kernel.parse_amount(amount)?;
        let card = self.card_by_number(number).await?;
        ensure_usable(&card)?;
        ensure_currency(&card, money.0)?;
        let merchant =
            self.kernel.store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let reference = reference.as_str().to_owned();
        let payer = Payer::Card { card: card.clone(), pin: pin.clone(), source: GuessSource::of(principal) };
        let payment = self
            .payments
            .charge(Charge { id, merchant, money, payer, reference, till, created_by: principal.scope() })
            .await?;
        let balance_after = match payment.record.status {
            PaymentStatus::Completed => self.balance_after(&card).await,
            _ => None,
        };
        Ok(CardPayment { payment, balance_after })
    }

    /// What is left on a card just after a payment. The money has moved by then: a failed read
    /// leaves the slip without it rather than failing the payment's answer.
    async fn balance_after(&self, card: &CardRecord) -> Option<Amount> {
        match self.card(card, Reveal::Masked, true).await {
            Ok(read) => read.balance,
            Err(error) => {
                tracing::warn!(%error, "a card's balance after its payment could not be read");
                None
            }
        }
    }

    /// A customer's linked cards, with full numbers and balances.
    pub async fn my_cards(&self, principal: &Principal) -> CoreResult<Vec<Card>> {
        let customer = principal.require(Role::Customer)?;
        let mut cards = Vec::new();
        for card in self.kernel.store.cards_of(customer).await? {
            cards.push(self.card(&card, Reveal::Full, true).await?);
        }
        Ok(cards)
    }

    /// The linked holder blocks their card: no PIN, so a lost card can be stopped at once.
    pub async fn block_my_card(&self, principal: &Principal, id: CardId) -> CoreResult<Card> {
        let (customer, card) = self.my_card(principal, id).await?;
        let card = self.set_blocked(&card, true, customer).await?;
        self.card(&card, Reveal::Full, true).await
    }

    /// The linked holder unblocks their card with their account PIN.
    pub async fn unblock_my_card(&self, principal: &Principal, id: CardId, pin: &Pin) -> CoreResult<Card> {
        let (customer, card) = self.my_card(principal, id).await?;
        let user = self.kernel.current_user(principal).await?;
        self.kernel.check_pin(&user, pin, &GuessSource::of(principal)).await?;
        let card = self.set_blocked(&card, false, customer).await?;
        self.card(&card, Reveal::Full, true).await
    }

    async fn my_card(&self, principal: &Principal, id: CardId) -> CoreResult<(UserId, CardRecord)> {
        let customer = principal.require(Role::Customer)?;
        match self.kernel.store.card(id).await? {
            Some(card) if card.customer_id == Some(customer) => Ok((customer, card)),
            _ => Err(CoreError::not_found("card")),
        }
    }

    /// An agent or operator blocks or unblocks a card by its number, for a holder at the counter.
    pub async fn set_card_blocked(
        &self,
        principal: &Principal,
        number: &CardNumber,
        blocked: bool,
    ) -> CoreResult<Card> {
        let staff = card_staff(principal)?;
        let card = self.card_by_number(number).await?;
        let card = self.set_blocked(&card, blocked, staff).await?;
        self.card(&card, Reveal::Masked, false).await
    }

    /// An agent or operator replaces a card (lost, worn): a new number with
    /// the holder's new PIN and link, the old card retired for good, and its
    /// whole balance moved across. The holder proves it is theirs with the
    /// old card's PIN or the linked person's PIN (both counted against the
    /// agent's guesses); a holder who has forgotten both needs an operator's
    /// approval, which the holder reads in their access log. Idempotent on
    /// `new_id`: a retry finishes a replacement a crash interrupted.
    pub async fn replace_card(
        &self,
        principal: &Principal,
        new_id: CardId,
        old_number: &CardNumber,
        pin: &Pin,
        proof: &HolderProof,
    ) -> CoreResult<CardReplaced> {
        let staff = card_staff(principal)?;
        let old = self.card_by_number(old_number).await?;
        if old.replaced_by != Some(new_id) {
            if old.status == CardStatus::Replaced {
                return Err(card_replaced());
            }
            let approval = self.check_holder_proof(principal, &old, proof).await?;
            let log = self.replacement_log(principal, &old, new_id, approval.as_ref())?;
            self.retire_card(&old, new_id, pin, staff, approval.map(|a| a.id), &log).await?;
        }
        let store = &self.kernel.store;
        let new = store.card(new_id).await?.ok_or_else(|| CoreError::not_found("card"))?;
        self.kernel.card_account(&new).await?;
        let moved = self.sweep_card(&old, &new).await?;
        tracing::info!(old = %old.id, new = %new.id, by = %staff, "card replaced");
        let old = store.card(old.id).await?.ok_or_else(|| CoreError::not_found("card"))?;
        Ok(CardReplaced {
            old_card: self.card(&old, Reveal::Masked, false).await?,
            card: self.card(&new, Reveal::Full, false).await?,
            moved,
        })
    }

    /// Checks the holder's proof; an operator's approval comes back to be used in the replacement.
    async fn check_holder_proof(
        &self,
        principal: &Principal,
        old: &CardRecord,
        proof: &HolderProof,
    ) -> CoreResult<Option<CardApprovalRecord>> {
        let source = GuessSource::of(principal);
        match proof {
            HolderProof::CardPin(pin) => self.kernel.check_card_pin(old, pin, &source).await.map(|()| None),
            HolderProof::HolderPin(pin) => {
                let holder = old.customer_id.ok_or_else(|| {
                    CoreError::new(
                        ErrorKind::Rejected,
                        "card_not_linked",
                        "this card is linked to nobody; prove it with the card's own PIN or an operator's approval",
                    )
                })?;
                let holder = self.kernel.store.user(holder).await?.ok_or_else(|| CoreError::not_found("user"))?;
                self.kernel.check_pin(&holder, pin, &source).await.map(|()| None)
            }
            HolderProof::Approval(id) => {
                let approval = self.kernel.store.card_approval(*id).await?;
                match approval.filter(|a| a.card_id == old.id && a.used_at.is_none()) {
                    Some(approval) if approval.expires_at > self.kernel.now() => Ok(Some(approval)),
                    _ => Err(approval_unusable()),
                }
            }
        }
    }

    /// What the holder reads about a replacement an operator approved (nothing, if they proved it themselves).
    fn replacement_log(
        &self,
        principal: &Principal,
        old: &CardRecord,
        new_id: CardId,
        approval: Option<&CardApprovalRecord>,
    ) -> CoreResult<Vec<AccessEntryRecord>> {
        let Some(approval) = approval else {
            return Ok(Vec::new());
        };
        let reason = StatedReason::parse(&approval.reason)?;
        let detail = format!("card {} replaced under approval {}", old.number.masked(), approval.id);
        // A linked holder reads it in their own log; a card nobody is linked to keeps it under the new card.
        let subject = old.customer_id.map_or(new_id.0, |customer| customer.0);
        Ok(vec![self.kernel.access_entry(principal, subject, "card_replaced", &reason, detail)?])
    }

    /// An operator lets a card be replaced without any PIN, for a holder who
    /// has forgotten both; the stated reason goes to the holder's access log.
    pub async fn approve_replacement(
        &self,
        principal: &Principal,
        number: &CardNumber,
        reason: &StatedReason,
    ) -> CoreResult<CardApproval> {
        let operator = principal.require(Role::Operator)?;
        let card = self.card_by_number(number).await?;
        if card.status == CardStatus::Replaced {
            return Err(card_replaced());
        }
        let now = self.kernel.now();
        let approval = CardApprovalRecord {
            id: self.kernel.new_id(),
            card_id: card.id,
            approved_by: operator,
            reason: reason.as_str().to_owned(),
            created_at: now,
            expires_at: now.plus_seconds(APPROVAL_SECONDS),
            used_at: None,
        };
        let subject = card.customer_id.map_or(card.id.0, |customer| customer.0);
        let detail = format!("replacement of card {} approved without a PIN", card.number.masked());
        let log = self.kernel.access_entry(principal, subject, "card_replacement_approved", reason, detail)?;
        self.kernel.store.insert_card_approval(&approval, &log).await?;
        Ok(CardApproval { approval, card: self.card(&card, Reveal::Masked, false).await? })
    }

    /// Stores the replacement and retires `old` in its favour, in one transaction.
    async fn retire_card(
        &self,
        old: &CardRecord,
        new_id: CardId,
        pin: &Pin,
        staff: UserId,
        approval: Option<Uuid>,
        log: &[AccessEntryRecord],
    ) -> CoreResult<()> {
        let now = self.kernel.now();
        let mut replacement = CardRecord {
            id: new_id,
            number: self.draw_card_number()?,
            currency: old.currency,
            customer_id: old.customer_id,
            pin_hash: self.kernel.hash_secret(pin.expose()).await?,
            status: CardStatus::Active,
            replaced_by: None,
            issued_by: staff.0,
            pin_failed_attempts: 0,
            pin_locked_until: None,
            created_at: now,
            updated_at: now,
        };
        for _ in 0..NUMBER_DRAWS {
            match self.kernel.store.replace_card(old.id, &replacement, approval, log, now).await {
                Ok(CardReplacement::Replaced) => return Ok(()),
                // Another request replaced it (or took this id) first.
                Ok(CardReplacement::AlreadyReplaced) => return Err(card_replaced()),
                Ok(CardReplacement::ApprovalUnusable) => return Err(approval_unusable()),
                Err(StoreError::Conflict(_)) => replacement.number = self.draw_card_number()?,
                Err(error) => return Err(error.into()),
            }
        }
        Err(number_exhausted())
    }

    /// Moves everything on `old`'s account to `new`'s and closes `old`'s.
    ///
    /// A top-up or refund that passed its checks just before the card was
    /// retired may still land, so this loops: move what is there, close, and
    /// if money arrived before the close took effect, reopen and go again.
    /// Each move's id derives from the debits posted so far, so a retry
    /// after a crash repeats the same move rather than a second one.
    async fn sweep_card(&self, old: &CardRecord, new: &CardRecord) -> CoreResult<Amount> {
        let (store, kernel) = (&self.kernel.store, &self.kernel);
        let from = kernel.card_account(old).await?;
        let to = kernel.card_account(new).await?;
        let mut moved = Amount::ZERO;
        for _ in 0..MAX_SWEEPS {
            let account = store.account(from).await?.ok_or_else(|| CoreError::not_found("account"))?.account;
            let available = Amount::from_minor(account.balances.available().unwrap_or(0));
            if account.flags.contains(AccountFlags::CLOSED) {
                if available == Amount::ZERO {
                    return Ok(moved);
                }
                store.update_account_flags(from, AccountFlags::NONE, AccountFlags::CLOSED).await?;
                continue;
            }
            if available > Amount::ZERO {
                let id = TransferId(derived_id(
                    "quipu.card.sweep",
                    &[old.id.0.as_bytes(), &account.balances.debits_posted.to_be_bytes()],
                ));
                let command = TransferCommand {
                    id,
                    op: TransferOp::Posted { debit: from, credit: to, amount: available, currency: old.currency },
                    code: TransferCode::CardReplacement,
                    reference: format!("card {} replaced by {}", old.number.masked(), new.number.masked()),
                    credit_cap: None,
                };
                kernel.ledger.submit_one(command).await?;
                moved = moved.checked_add(available)?;
            }
            store.update_account_flags(from, AccountFlags::CLOSED, AccountFlags::NONE).await?;
        }
        Err(CoreError::new(ErrorKind::Unavailable, "card_busy", "money is still arriving on the old card; retry"))
    }

    async fn set_blocked(&self, card: &CardRecord, blocked: bool, by: UserId) -> CoreResult<CardRecord> {
        let (from, to) =
            if blocked { (CardStatus::Active, CardStatus::Blocked) } else { (CardStatus::Blocked, CardStatus::Active) };
        if card.status == CardStatus::Replaced {
            return Err(card_replaced());
        }
        let store = &self.kernel.store;
        if card.status == from && store.set_card_status(card.id, from, to, self.kernel.now()).await? {
            tracing::info!(card = %card.id, by = %by, blocked, "card status changed");
        }
        store.card(card.id).await?.ok_or_else(|| CoreError::not_found("card"))
    }

    async fn card_by_number(&self, number: &CardNumber) -> CoreResult<CardRecord> {
        self.kernel.store.card_by_number(number).await?.ok_or_else(|| {
            CoreError::new(
                ErrorKind::NotFound,
                "card_not_found",
                "no card has this number; check it was typed correctly",
            )
        })
    }

    fn draw_card_number(&self) -> CoreResult<CardNumber> {
        let random: [u8; RANDOM_DIGITS] = std::array::from_fn(|_| {
            u8::try_from(quipu_kernel::random::in_range(self.kernel.random.as_ref(), 0..=9)).unwrap_or(0)
        });
        CardNumber::assemble(&self.kernel.settings.payments.card_prefix, random).map_err(|_| {
            CoreError::new(ErrorKind::Unavailable, "card_prefix_invalid", "the card prefix is not 6 digits")
        })
    }

    async fn card(&self, card: &CardRecord, reveal: Reveal, with_balance: bool) -> CoreResult<Card> {
        let balance = if with_balance {
            let account = self.kernel.card_account(card).await?;
            let store = &self.kernel.store;
            let account = store.account(account).await?.ok_or_else(|| CoreError::not_found("account"))?.account;
            Some(Amount::from_minor(account.balances.available().unwrap_or(0)))
        } else {
            None
        };
        Ok(Card {
            id: card.id,
            number: match reveal {
                Reveal::Full => card.number.expose().to_owned(),
                Reveal::Masked => card.number.masked(),
            },
            last4: card.number.last4().to_owned(),
            status: card.status,
            currency: card.currency,
            linked: card.customer_id.is_some(),
            replaced_by: card.replaced_by,
            balance,
            pin_locked_until: card.pin_locked_until.filter(|until| *until > self.kernel.now()),
            created_at: card.created_at,
        })
    }
}

/// Agents and operators handle cards at the counter.
fn card_staff(principal: &Principal) -> CoreResult<UserId> {
    match (principal.role(), principal.user_id()) {
        (Some(Role::Agent | Role::Operator), Some(id)) => Ok(id),
        _ => Err(CoreError::forbidden()),
    }
}

fn approval_unusable() -> CoreError {
    CoreError::new(
        ErrorKind::Rejected,
        "approval_unusable",
        "this approval is not for this card, was already used, or has expired; ask the operator for a new one",
    )
}

fn ensure_usable(card: &CardRecord) -> CoreResult<()> {
    match card.status {
        CardStatus::Active => Ok(()),
        CardStatus::Blocked => Err(CoreError::new(
            ErrorKind::Rejected,
            "card_blocked",
            "this card is blocked; its holder or an agent can unblock it",
        )),
        CardStatus::Replaced => Err(card_replaced()),
    }
}

fn ensure_currency(card: &CardRecord, currency: Currency) -> CoreResult<()> {
    if card.currency == currency.code {
        return Ok(());
    }
    Err(CoreError::invalid("currency_mismatch", format!("this card holds {}", card.currency)))
}

fn card_replaced() -> CoreError {
    CoreError::new(ErrorKind::Conflict, "card_replaced", "this card has been replaced; use the new card")
}

fn number_exhausted() -> CoreError {
    CoreError::new(ErrorKind::Unavailable, "card_number_exhausted", "no free card number; try again")
}
