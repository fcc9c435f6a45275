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

use quipu_domain::card::{CardNumber, CardStatus, RANDOM_DIGITS};
use quipu_domain::identity::{Pin, Role, UserId};
use quipu_domain::ledger::{
    AccountFlags, AccountId, AccountKind, TransferCode, TransferCommand, TransferId, TransferOp,
};
use quipu_domain::money::{Amount, Currency};
use quipu_domain::payment::PaymentMethod;
use quipu_store::cards::{CardInsert, CardRecord};
use quipu_store::payments::{PaymentInsert, PaymentRecord};
use quipu_store::{AccountOwner, SecretKind, StoreError};
use uuid::Uuid;

use crate::Services;
use crate::access::{Principal, pin_outcome};
use crate::error::{CoreError, CoreResult, ErrorKind};
use crate::secrets::derived_id;
use crate::views::{CardReplacedView, CardTopUpView, CardView, MoneyView, PaymentView, rfc3339};
use crate::wallet::AmountInput;

/// Attempts at drawing an unused card number before giving up.
const NUMBER_DRAWS: u32 = 8;
/// Longest chain of replacements followed to find where a card's money lives now.
const MAX_REPLACEMENTS: usize = 16;
/// Rounds of moving a replaced card's balance: each round catches money that landed during the last.
const MAX_SWEEPS: usize = 4;

/// Whether a card view may show the full number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reveal {
    Full,
    Masked,
}

impl Services {
    /// An agent or operator issues a card in a currency, optionally linked to
    /// a customer by phone; the holder chooses the PIN. Idempotent on `card_id`.
    pub async fn issue_card(
        &self,
        principal: &Principal,
        card_id: Uuid,
        currency: Option<&str>,
        holder_phone: Option<&str>,
        pin: &str,
    ) -> CoreResult<CardView> {
        let issuer = card_staff(principal)?;
        let currency = match currency {
            Some(code) => self.settings.currencies.get(code)?,
            None => self.settings.currencies.default_currency(),
        };
        let holder = match holder_phone.map(str::trim).filter(|p| !p.is_empty()) {
            Some(phone) => Some(self.user_with_role(phone, Role::Customer, "customer").await?.id),
            None => None,
        };
        let pin_hash = self.hasher.hash(Pin::parse(pin)?.expose()).await?;
        let now = self.now();
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
        for _ in 0..NUMBER_DRAWS {
            match self.store.insert_card(&card).await? {
                // A retry finds the card its first attempt stored.
                CardInsert::Inserted | CardInsert::Exists(_) => break,
                CardInsert::NumberTaken => card.number = self.draw_card_number()?,
            }
        }
        let card = self.store.card(card_id).await?.ok_or_else(number_exhausted)?;
        self.card_account(&card).await?;
        tracing::info!(card = %card.id, issuer = %issuer, linked = card.customer_id.is_some(), "card issued");
        self.card_view(&card, Reveal::Full, false).await
    }

    /// An agent loads a card from their float, against cash. Idempotent on `id`.
    pub async fn top_up_card(
        &self,
        principal: &Principal,
        id: TransferId,
        number: &str,
        amount: AmountInput<'_>,
    ) -> CoreResult<CardTopUpView> {
        let agent = principal.require(Role::Agent)?;
        let money = self.parse_amount(amount)?;
        self.check_limit(money.0, money.1)?;
        let card = self.card_by_number(number).await?;
        ensure_usable(&card)?;
        ensure_currency(&card, money.0)?;
        let float = self.float_of(agent, money.0).await?;
        let account = self.card_account(&card).await?;
        self.check_balance_limit(card.customer_id, account, money.0, money.1).await?;
        let reference = format!("card {}", card.number.masked());
        let transfer = self.move_money(id, (float, account), money, TransferCode::CashIn, reference).await?;
        Ok(CardTopUpView { card: self.card_view(&card, Reveal::Masked, false).await?, transfer })
    }

    /// Anyone holding a card checks its balance with the PIN; no sign-in.
    pub async fn card_balance(&self, number: &str, pin: &str) -> CoreResult<CardView> {
        let card = self.card_by_number(number).await?;
        self.check_card_pin(&card, pin).await?;
        self.card_view(&card, Reveal::Masked, true).await
    }

    /// A till takes a card payment: the number (typed, or scanned from the
    /// card's QR or barcode) and the holder's PIN. It completes at once: the
    /// PIN is the approval. Idempotent on `payment_id`.
    #[allow(clippy::too_many_arguments)]
    pub async fn pay_with_card(
        &self,
        principal: &Principal,
        payment_id: Uuid,
        number: &str,
        pin: &str,
        amount: AmountInput<'_>,
        reference: Option<&str>,
        till: Option<&str>,
    ) -> CoreResult<PaymentView> {
        let merchant_id = principal.merchant().ok_or_else(CoreError::forbidden)?;
        if let Some(existing) = self.store.payment(payment_id).await? {
            if existing.merchant_id != merchant_id {
                return Err(CoreError::not_found("payment"));
            }
            return self.resume_payment(existing).await;
        }
        let (currency, amount) = self.parse_amount(amount)?;
        let reference = crate::payments::payment_reference(reference)?;
        let till = crate::merchant_qr::till_label(till)?;
        let card = self.card_by_number(number).await?;
        ensure_usable(&card)?;
        ensure_currency(&card, currency)?;
        self.check_payment_limits(card.customer_id, Some(card.id), currency, amount).await?;
        self.check_card_pin(&card, pin).await?;
        let merchant = self.store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let payment = PaymentRecord {
            customer_id: card.customer_id,
            reference,
            till,
            card_id: Some(card.id),
            card_number: Some(card.number.clone()),
            ..self.new_payment(payment_id, &merchant, PaymentMethod::Card, (currency, amount), principal.scope())?
        };
        match self.store.insert_payment(&payment).await? {
            PaymentInsert::Inserted => self.resume_payment(payment).await,
            PaymentInsert::Exists(existing) if existing.merchant_id == merchant_id => {
                self.resume_payment(*existing).await
            }
            PaymentInsert::Exists(_) | PaymentInsert::Taken => Err(CoreError::not_found("payment")),
        }
    }

    /// A customer's linked cards, with full numbers and balances.
    pub async fn my_cards(&self, principal: &Principal) -> CoreResult<Vec<CardView>> {
        let customer = principal.require(Role::Customer)?;
        let mut views = Vec::new();
        for card in self.store.cards_of(customer).await? {
            views.push(self.card_view(&card, Reveal::Full, true).await?);
        }
        Ok(views)
    }

    /// The linked holder blocks their card (no PIN: a lost card must be
    /// stoppable at once) or unblocks it with their account PIN.
    pub async fn set_my_card_blocked(
        &self,
        principal: &Principal,
        card_id: Uuid,
        blocked: bool,
        pin: Option<&str>,
    ) -> CoreResult<CardView> {
        let customer = principal.require(Role::Customer)?;
        let card = match self.store.card(card_id).await? {
            Some(card) if card.customer_id == Some(customer) => card,
            _ => return Err(CoreError::not_found("card")),
        };
        if !blocked {
            let user = self.current_user(principal).await?;
            self.check_pin(&user, pin.unwrap_or_default()).await?;
        }
        let card = self.set_blocked(&card, blocked, customer).await?;
        self.card_view(&card, Reveal::Full, true).await
    }

    /// An agent or operator blocks or unblocks a card by its number, for a holder at the counter.
    pub async fn set_card_blocked(&self, principal: &Principal, number: &str, blocked: bool) -> CoreResult<CardView> {
        let staff = card_staff(principal)?;
        let card = self.card_by_number(number).await?;
        let card = self.set_blocked(&card, blocked, staff).await?;
        self.card_view(&card, Reveal::Masked, false).await
    }

    /// An agent or operator replaces a card (lost, worn): a new number with
    /// the holder's new PIN and link, the old card retired for good, and its
    /// whole balance moved across. Idempotent on `new_id`: a retry finishes a
    /// replacement a crash interrupted.
    pub async fn replace_card(
        &self,
        principal: &Principal,
        new_id: Uuid,
        old_number: &str,
        pin: &str,
    ) -> CoreResult<CardReplacedView> {
        let staff = card_staff(principal)?;
        let old = self.card_by_number(old_number).await?;
        if old.replaced_by != Some(new_id) {
            if old.status == CardStatus::Replaced {
                return Err(card_replaced());
            }
            self.retire_card(&old, new_id, pin, staff).await?;
        }
        let new = self.store.card(new_id).await?.ok_or_else(|| CoreError::not_found("card"))?;
        self.card_account(&new).await?;
        let moved = self.sweep_card(&old, &new).await?;
        tracing::info!(old = %old.id, new = %new.id, by = %staff, "card replaced");
        let old = self.store.card(old.id).await?.ok_or_else(|| CoreError::not_found("card"))?;
        Ok(CardReplacedView {
            old_card: self.card_view(&old, Reveal::Masked, false).await?,
            card: self.card_view(&new, Reveal::Full, false).await?,
            moved: MoneyView::new(moved, old.currency),
        })
    }

    /// Stores the replacement and retires `old` in its favour, in one transaction.
    async fn retire_card(&self, old: &CardRecord, new_id: Uuid, pin: &str, staff: UserId) -> CoreResult<()> {
        let now = self.now();
        let mut replacement = CardRecord {
            id: new_id,
            number: self.draw_card_number()?,
            currency: old.currency,
            customer_id: old.customer_id,
            pin_hash: self.hasher.hash(Pin::parse(pin)?.expose()).await?,
            status: CardStatus::Active,
            replaced_by: None,
            issued_by: staff.0,
            pin_failed_attempts: 0,
            pin_locked_until: None,
            created_at: now,
            updated_at: now,
        };
        for _ in 0..NUMBER_DRAWS {
            match self.store.replace_card(old.id, &replacement, now).await {
                Ok(true) => return Ok(()),
                // Another request replaced it (or took this id) first.
                Ok(false) => return Err(card_replaced()),
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
        let from = self.card_account(old).await?;
        let to = self.card_account(new).await?;
        let mut moved = Amount::ZERO;
        for _ in 0..MAX_SWEEPS {
            let account = self.store.account(from).await?.ok_or_else(|| CoreError::not_found("account"))?.account;
            let available = Amount(account.balances.available().unwrap_or(0));
            if account.flags.contains(AccountFlags::CLOSED) {
                if available == Amount::ZERO {
                    return Ok(moved);
                }
                self.store.update_account_flags(from, AccountFlags::NONE, AccountFlags::CLOSED).await?;
                continue;
            }
            if available > Amount::ZERO {
                let id = TransferId(derived_id(
                    "quipu.card.sweep",
                    &[old.id.as_bytes(), &account.balances.debits_posted.to_be_bytes()],
                ));
                let command = TransferCommand {
                    id,
                    op: TransferOp::Posted { debit: from, credit: to, amount: available, currency: old.currency },
                    code: TransferCode::CardReplacement,
                    reference: format!("card {} replaced by {}", old.number.masked(), new.number.masked()),
                };
                self.ledger.submit_one(command).await?;
                moved = moved.checked_add(available)?;
            }
            self.store.update_account_flags(from, AccountFlags::CLOSED, AccountFlags::NONE).await?;
        }
        Err(CoreError::new(ErrorKind::Unavailable, "card_busy", "money is still arriving on the old card; retry"))
    }

    async fn set_blocked(&self, card: &CardRecord, blocked: bool, by: UserId) -> CoreResult<CardRecord> {
        let (from, to) =
            if blocked { (CardStatus::Active, CardStatus::Blocked) } else { (CardStatus::Blocked, CardStatus::Active) };
        if card.status == CardStatus::Replaced {
            return Err(card_replaced());
        }
        if card.status == from && self.store.set_card_status(card.id, from, to, self.now()).await? {
            tracing::info!(card = %card.id, by = %by, blocked, "card status changed");
        }
        self.store.card(card.id).await?.ok_or_else(|| CoreError::not_found("card"))
    }

    /// The card's own ledger account, created with the card.
    async fn card_account(&self, card: &CardRecord) -> CoreResult<AccountId> {
        self.ensure_account(AccountOwner::Card(card.id), AccountKind::Card, card.currency).await
    }

    /// Where a card's money lives now: the card itself, or the card that
    /// (after any number of replacements) took its balance. Refunds go there.
    pub(crate) async fn live_card_account(&self, card_id: Uuid) -> CoreResult<AccountId> {
        let mut card = self.store.card(card_id).await?.ok_or_else(|| CoreError::not_found("card"))?;
        for _ in 0..MAX_REPLACEMENTS {
            match card.replaced_by {
                Some(next) => card = self.store.card(next).await?.ok_or_else(|| CoreError::not_found("card"))?,
                None => return self.card_account(&card).await,
            }
        }
        Err(CoreError::new(ErrorKind::Rejected, "card_replaced", "this card has been replaced too many times"))
    }

    async fn card_by_number(&self, number: &str) -> CoreResult<CardRecord> {
        let number = CardNumber::parse(number).map_err(|e| CoreError::invalid("invalid_card_number", e.to_string()))?;
        self.store.card_by_number(&number).await?.ok_or_else(|| {
            CoreError::new(
                ErrorKind::NotFound,
                "card_not_found",
                "no card has this number; check it was typed correctly",
            )
        })
    }

    async fn check_card_pin(&self, card: &CardRecord, pin: &str) -> CoreResult<()> {
        let pin = Pin::parse(pin)?;
        pin_outcome(self.check_secret(card.id, SecretKind::CardPin, pin.expose(), &card.pin_hash).await?)
    }

    fn draw_card_number(&self) -> CoreResult<CardNumber> {
        let random: [u8; RANDOM_DIGITS] = std::array::from_fn(|_| rand::Rng::gen_range(&mut rand::thread_rng(), 0..10));
        CardNumber::assemble(&self.settings.payments.card_prefix, random).map_err(|_| {
            CoreError::new(ErrorKind::Unavailable, "card_prefix_invalid", "the card prefix is not 6 digits")
        })
    }

    async fn card_view(&self, card: &CardRecord, reveal: Reveal, with_balance: bool) -> CoreResult<CardView> {
        let balance = if with_balance {
            let account = self.card_account(card).await?;
            let account = self.store.account(account).await?.ok_or_else(|| CoreError::not_found("account"))?.account;
            Some(MoneyView::new(Amount(account.balances.available().unwrap_or(0)), card.currency))
        } else {
            None
        };
        Ok(CardView {
            id: card.id,
            number: match reveal {
                Reveal::Full => card.number.expose().to_owned(),
                Reveal::Masked => card.number.masked(),
            },
            last4: card.number.last4().to_owned(),
            status: card.status.as_str().to_owned(),
            currency: card.currency.to_string(),
            linked: card.customer_id.is_some(),
            replaced_by: card.replaced_by,
            balance,
            pin_locked_until: card.pin_locked_until.filter(|until| *until > self.now()).map(rfc3339),
            created_at: rfc3339(card.created_at),
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
