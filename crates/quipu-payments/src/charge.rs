//! Taking a payment. Every way of paying (a customer's payment code at a
//! till, a merchant QR, a prepaid card) makes a [`Charge`] naming its
//! [`Payer`], and [`Payments::charge`] does the rest the same way for all:
//! the payer's limits, the payer's confirmation (a PIN, where there is
//! one), the record, the transfers, the status and its event.

use quipu_codes::numeric::{self, PaymentCode};
use quipu_codes::scan;
use quipu_domain::Timestamp;
use quipu_domain::card::CardId;
use quipu_domain::identity::{Pin, Role, UserId};
use quipu_domain::ledger::{
    AccountId, AccountKind, ChainRejection, TransferCode, TransferCommand, TransferError, TransferOp,
};
use quipu_domain::money::{Amount, AmountInput, Currency};
use quipu_domain::payment::{
    self as rules, DeviceStatus, PaymentId, PaymentLeg, PaymentMethod, PaymentReference, PaymentRequestId,
    PaymentStatus, TillLabel, payment_ledger_reference,
};
use quipu_domain::state::Transition;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, GuessSource, Principal};
use quipu_store::cards::CardRecord;
use quipu_store::payments::{DeviceRecord, PaymentInsert, PaymentRecord};
use quipu_store::{AccountOwner, MerchantRecord, UserRecord};
use uuid::Uuid;

use crate::{Payment, Payments};

/// How far back a code is recognised as expired rather than forged: 30 minutes of steps.
const EXPIRED_CODE_STEPS: u64 = 30;

/// Who pays, and how they confirm it.
pub enum Payer {
    /// A customer's one-time payment code, read at a till: no PIN at the till; above the
    /// approval threshold the customer approves on their phone.
    Code { device: DeviceRecord, step: u64, slot: u8 },
    /// A customer paying a merchant's QR with their PIN; a dynamic QR names its request.
    Qr { customer: UserRecord, pin: Pin, request: Option<PaymentRequestId> },
    /// A prepaid card and its PIN (typed at `source`, the shop); its money is the card's own account.
    Card { card: CardRecord, pin: Pin, source: GuessSource },
}

impl Payer {
    fn method(&self) -> PaymentMethod {
        match self {
            Payer::Code { .. } => PaymentMethod::PaymentCode,
            Payer::Qr { .. } => PaymentMethod::MerchantQr,
            Payer::Card { .. } => PaymentMethod::Card,
        }
    }

    /// The customer who pays: the code's or the QR's, or a card's linked holder.
    fn customer(&self) -> Option<UserId> {
        match self {
            Payer::Code { device, .. } => Some(device.user_id),
            Payer::Qr { customer, .. } => Some(customer.id),
            Payer::Card { card, .. } => card.customer_id,
        }
    }

    fn card(&self) -> Option<CardId> {
        match self {
            Payer::Card { card, .. } => Some(card.id),
            _ => None,
        }
    }
}

/// A payment about to be taken.
pub struct Charge {
    pub id: PaymentId,
    pub merchant: MerchantRecord,
    pub money: (Currency, Amount),
    pub payer: Payer,
    pub reference: String,
    pub till: TillLabel,
    /// The till, API key or customer that asked.
    pub created_by: Uuid,
}

impl Charge {
    /// Whether an existing payment with this charge's id is this charge, retried: a payment
    /// code's by its derived id alone, a QR payment's by its customer, a card payment's by its
    /// merchant. Anyone else's looks missing.
    fn retries(&self, existing: &PaymentRecord) -> bool {
        match &self.payer {
            Payer::Code { .. } => true,
            Payer::Qr { customer, .. } => existing.customer_id == Some(customer.id),
            Payer::Card { .. } => existing.merchant_id == self.merchant.id,
        }
    }

    /// The payment code, or the payment request, that another payment already used.
    fn taken(&self) -> CoreError {
        match &self.payer {
            Payer::Code { .. } => CoreError::new(
                ErrorKind::Conflict,
                "payment_code_used",
                "this payment code has already been used; ask the customer for a fresh one",
            ),
            Payer::Qr { .. } => request_used(),
            Payer::Card { .. } => CoreError::not_found("payment"),
        }
    }
}

pub(crate) struct PaymentAccounts {
    pub payer: AccountId,
    pub merchant: AccountId,
    pub fee_income: AccountId,
}

impl Payments {
    /// Takes a payment: the payer's limits, the payer's PIN if it has one, the record, the money.
    /// Idempotent on the charge's id.
    pub async fn charge(&self, charge: Charge) -> CoreResult<Payment> {
        let (currency, amount) = charge.money;
        let kernel = &self.kernel;
        kernel.check_payment_limits(charge.payer.customer(), charge.payer.card(), currency, amount).await?;
        match &charge.payer {
            Payer::Code { .. } => {}
            Payer::Qr { customer, pin, .. } => kernel.check_pin(customer, pin, &GuessSource::user(customer.id)).await?,
            Payer::Card { card, pin, source } => kernel.check_card_pin(card, pin, source).await?,
        }
        let now = kernel.now();
        let threshold = kernel.settings.payments.approval_threshold(currency);
        // Only a payment code waits for the customer: the other payers confirmed with a PIN.
        let needs_approval = matches!(charge.payer, Payer::Code { .. }) && threshold.is_some_and(|t| amount > t);
        let record = PaymentRecord {
            id: charge.id,
            merchant_id: charge.merchant.id,
            customer_id: charge.payer.customer(),
            method: charge.payer.method(),
            device_id: None,
            code_step: None,
            code_slot: None,
            amount,
            fee: rules::fee_for(amount, charge.merchant.fee_bps)?,
            currency: currency.code,
            refunded: Amount::ZERO,
            status: PaymentStatus::Processing,
            failure_code: None,
            reference: charge.reference.clone(),
            created_by: charge.created_by,
            created_at: now,
            expires_at: needs_approval.then(|| now.plus_seconds(kernel.settings.payments.approval_seconds)),
            updated_at: now,
            till: charge.till.as_str().to_owned(),
            request_id: None,
            card_id: None,
            card_number: None,
        };
        let record = match &charge.payer {
            Payer::Code { device, step, slot } => PaymentRecord {
                device_id: Some(device.id),
                code_step: i64::try_from(*step).ok(),
                code_slot: Some(i64::from(*slot)),
                ..record
            },
            Payer::Qr { request, .. } => PaymentRecord { request_id: *request, ..record },
            Payer::Card { card, .. } => {
                PaymentRecord { card_id: Some(card.id), card_number: Some(card.number.clone()), ..record }
            }
        };
        match kernel.store.insert_payment(&record).await? {
            PaymentInsert::Inserted => self.resume_payment(record).await,
            PaymentInsert::Exists(existing) if charge.retries(&existing) => self.resume_payment(*existing).await,
            PaymentInsert::Exists(_) => Err(CoreError::not_found("payment")),
            PaymentInsert::Taken => Err(charge.taken()),
        }
    }

    /// A payment already stored under `id` that a retry may resume (`retries` says whose it
    /// is), resumed; `None` if there is none and the charge is to be made.
    pub async fn retried(
        &self,
        id: PaymentId,
        retries: impl Fn(&PaymentRecord) -> bool,
    ) -> CoreResult<Option<Payment>> {
        match self.kernel.store.payment(id).await? {
            Some(existing) if retries(&existing) => self.resume_payment(existing).await.map(Some),
            Some(_) => Err(CoreError::not_found("payment")),
            None => Ok(None),
        }
    }

    /// A till charges a customer's payment code. Below the approval threshold
    /// the payment completes at once; above it, the amount is held and the
    /// customer approves with their PIN before it expires.
    pub async fn charge_code(
        &self,
        principal: &Principal,
        id: PaymentId,
        scanned: &str,
        amount: AmountInput<'_>,
        reference: PaymentReference,
        till: TillLabel,
    ) -> CoreResult<Payment> {
        let merchant_id = principal.require_merchant()?;
        // A retry answers from the payment it names, even once its code has expired.
        if let Some(existing) = self.retried(id, |_| true).await? {
            return Ok(existing);
        }
        let money = self.kernel.parse_amount(amount)?;
        let code = parse_code(scanned)?;
        let (device, step) = self.verify_code(&code, self.kernel.now()).await?;
        let merchant =
            self.kernel.store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let payer = Payer::Code { device, step, slot: code.slot };
        let reference = reference.as_str().to_owned();
        self.charge(Charge { id, merchant, money, payer, reference, till, created_by: principal.scope() }).await
    }

    /// The customer approves a payment awaiting approval, with their PIN.
    pub async fn approve_payment(&self, principal: &Principal, id: PaymentId, pin: &Pin) -> CoreResult<Payment> {
        let customer = principal.require(Role::Customer)?;
        let payment = self.awaiting_payment(id, |p| p.customer_id == Some(customer)).await?;
        let user = self.kernel.current_user(principal).await?;
        self.kernel.check_pin(&user, pin, &GuessSource::of(principal)).await?;
        let accounts = self.payment_accounts(&payment).await?;
        let post = TransferCommand {
            id: PaymentLeg::Post.transfer_id(payment.id),
            op: TransferOp::Post { pending_id: PaymentLeg::Hold.transfer_id(payment.id), amount: None },
            code: TransferCode::Payment,
            reference: payment_ledger_reference(payment.id),
            credit_cap: None,
        };
        let chain = [Some(post), fee_leg(&payment, &accounts)].into_iter().flatten().collect();
        match self.kernel.ledger.submit(chain).await? {
            Ok(_) => self.move_payment(&payment, PaymentStatus::Completed, None).await,
            // The expiry sweeper released the hold between our check and the post.
            Err(rejection) if is_already_released(&rejection) => {
                self.move_payment(&payment, PaymentStatus::Failed, Some("expired")).await?;
                Err(CoreError::new(ErrorKind::Conflict, "payment_expired", "the approval window has passed"))
            }
            Err(rejection) => Err(CoreError::from(rejection.error)),
        }
    }

    /// The customer, or the merchant's staff, cancels a payment awaiting approval; the hold is released.
    pub async fn cancel_payment(&self, principal: &Principal, id: PaymentId) -> CoreResult<Payment> {
        let merchant = principal.merchant();
        let customer = principal.user_id().filter(|_| principal.role() == Some(Role::Customer));
        let payment = self
            .awaiting_payment(id, |p| {
                customer.is_some() && p.customer_id == customer || Some(p.merchant_id) == merchant
            })
            .await?;
        self.release_hold(&payment, "cancelled").await
    }

    /// Takes a payment from wherever it stands to its next resting state.
    pub(crate) async fn resume_payment(&self, payment: PaymentRecord) -> CoreResult<Payment> {
        match payment.status {
            PaymentStatus::Processing => {}
            PaymentStatus::Failed => {
                return Err(CoreError::new(
                    ErrorKind::Rejected,
                    "payment_failed",
                    format!("this payment failed: {}", payment.failure_code.as_deref().unwrap_or("unknown")),
                ));
            }
            _ => {
                let payment = self.lapse_if_expired(payment).await?;
                return self.with_merchant_name(payment).await;
            }
        }
        let accounts = self.payment_accounts(&payment).await?;
        let reference = payment_ledger_reference(payment.id);
        let (chain, resting) = match payment.expires_at {
            None => {
                let pay = TransferCommand {
                    id: PaymentLeg::Pay.transfer_id(payment.id),
                    op: TransferOp::Posted {
                        debit: accounts.payer,
                        credit: accounts.merchant,
                        amount: payment.amount,
                        currency: payment.currency,
                    },
                    code: TransferCode::Payment,
                    reference,
                    credit_cap: None,
                };
                let chain: Vec<TransferCommand> =
                    [Some(pay), fee_leg(&payment, &accounts)].into_iter().flatten().collect();
                (chain, PaymentStatus::Completed)
            }
            Some(expires_at) => {
                let seconds = (expires_at.0.saturating_sub(self.kernel.now().0) / Timestamp::MICROS_PER_SECOND).max(1);
                let hold = TransferCommand {
                    id: PaymentLeg::Hold.transfer_id(payment.id),
                    op: TransferOp::Pending {
                        debit: accounts.payer,
                        credit: accounts.merchant,
                        amount: payment.amount,
                        currency: payment.currency,
                        timeout_seconds: Some(u32::try_from(seconds).unwrap_or(u32::MAX)),
                    },
                    code: TransferCode::Payment,
                    reference,
                    credit_cap: None,
                };
                (vec![hold], PaymentStatus::AwaitingApproval)
            }
        };
        match self.kernel.ledger.submit(chain).await? {
            Ok(_) => self.move_payment(&payment, resting, None).await,
            Err(rejection) => {
                let error = CoreError::from(rejection.error);
                self.move_payment(&payment, PaymentStatus::Failed, Some(error.code)).await?;
                Err(error)
            }
        }
    }

    /// Moves a payment to `to` with its event; if someone else moved it first, shows what they left.
    async fn move_payment(
        &self,
        payment: &PaymentRecord,
        to: PaymentStatus,
        failure: Option<&str>,
    ) -> CoreResult<Payment> {
        let now = self.kernel.now();
        let moved =
            PaymentRecord { status: to, failure_code: failure.map(str::to_owned), updated_at: now, ..payment.clone() };
        let moved = self.with_merchant_name(moved).await?;
        let event = self.payment_event(&moved)?;
        let store = &self.kernel.store;
        let transition = Transition::new(payment.status, to).ok_or_else(|| {
            CoreError::new(
                ErrorKind::Conflict,
                "payment_changed",
                format!("a payment does not move from {} to {}", payment.status, to),
            )
        })?;
        if store.set_payment_status(payment.id, transition, failure, now, event.as_ref()).await? {
            self.kernel.events_written();
            return Ok(moved);
        }
        // Someone else moved it first (a retry in another process, housekeeping): show what they left.
        let current = store.payment(payment.id).await?.ok_or_else(|| CoreError::not_found("payment"))?;
        Ok(Payment { record: current, merchant_name: moved.merchant_name })
    }

    /// A payment awaiting approval that `allowed` accepts; expired ones are lapsed first.
    async fn awaiting_payment(
        &self,
        id: PaymentId,
        allowed: impl Fn(&PaymentRecord) -> bool,
    ) -> CoreResult<PaymentRecord> {
        let payment = match self.kernel.store.payment(id).await? {
            Some(payment) if allowed(&payment) => payment,
            _ => return Err(CoreError::not_found("payment")),
        };
        let payment = self.lapse_if_expired(payment).await?;
        if payment.status != PaymentStatus::AwaitingApproval {
            let detail = match payment.failure_code.as_deref() {
                Some(code) => format!("this payment is {} ({code})", payment.status.as_str()),
                None => format!("this payment is {}", payment.status.as_str()),
            };
            return Err(CoreError::new(ErrorKind::Conflict, "payment_not_awaiting_approval", detail));
        }
        Ok(payment)
    }

    /// A payment awaiting approval past its deadline fails as expired; its hold is released.
    pub(crate) async fn lapse_if_expired(&self, payment: PaymentRecord) -> CoreResult<PaymentRecord> {
        let expired = payment.status == PaymentStatus::AwaitingApproval
            && payment.expires_at.is_some_and(|deadline| deadline <= self.kernel.now());
        if !expired {
            return Ok(payment);
        }
        self.release_hold(&payment, "expired").await?;
        self.kernel.store.payment(payment.id).await?.ok_or_else(|| CoreError::not_found("payment"))
    }

    async fn release_hold(&self, payment: &PaymentRecord, why: &'static str) -> CoreResult<Payment> {
        let void = TransferCommand {
            id: PaymentLeg::Void.transfer_id(payment.id),
            op: TransferOp::Void { pending_id: PaymentLeg::Hold.transfer_id(payment.id) },
            code: TransferCode::Payment,
            reference: payment_ledger_reference(payment.id),
            credit_cap: None,
        };
        match self.kernel.ledger.submit(vec![void]).await? {
            Ok(_) => {}
            // The expiry sweeper released it first: the money is back either way.
            Err(rejection) if is_already_released(&rejection) => {}
            Err(rejection) => return Err(CoreError::from(rejection.error)),
        }
        self.move_payment(payment, PaymentStatus::Failed, Some(why)).await
    }

    async fn verify_code(&self, code: &PaymentCode, now: Timestamp) -> CoreResult<(DeviceRecord, u64)> {
        let invalid = || {
            CoreError::new(
                ErrorKind::Rejected,
                "invalid_payment_code",
                "this payment code is not valid; ask the customer to show a fresh one",
            )
        };
        let device = self.kernel.store.device_by_ref(code.device_ref).await?.ok_or_else(invalid)?;
        let seconds = now.0 / Timestamp::MICROS_PER_SECOND;
        match numeric::verify(&device.secret, code, seconds, self.kernel.settings.payments.code_skew_steps) {
            Some(step) => match device.status {
                DeviceStatus::Active => Ok((device, step)),
                DeviceStatus::Paused => Err(CoreError::new(
                    ErrorKind::Rejected,
                    "payment_codes_paused",
                    "the customer has paused payment codes on this device",
                )),
                DeviceStatus::Revoked => Err(invalid()),
            },
            None => {
                let earlier = seconds
                    .saturating_sub(i64::try_from(EXPIRED_CODE_STEPS * numeric::STEP_SECONDS).unwrap_or(i64::MAX) / 2);
                if numeric::verify(&device.secret, code, earlier, EXPIRED_CODE_STEPS / 2).is_some() {
                    Err(CoreError::new(
                        ErrorKind::Rejected,
                        "payment_code_expired",
                        "this payment code has expired; ask the customer to show a fresh one",
                    ))
                } else {
                    Err(invalid())
                }
            }
        }
    }

    pub(crate) async fn payment_accounts(&self, payment: &PaymentRecord) -> CoreResult<PaymentAccounts> {
        let kernel = &self.kernel;
        // A card pays from its own account; refunds follow its money (see `settle_refund`).
        let payer = match (payment.card_id, payment.customer_id) {
            (Some(card), _) => {
                kernel.ensure_account(AccountOwner::Card(card), AccountKind::Card, payment.currency).await?
            }
            (None, Some(customer)) => {
                kernel
                    .ensure_account(AccountOwner::User(customer), AccountKind::CustomerWallet, payment.currency)
                    .await?
            }
            (None, None) => return Err(CoreError::from(quipu_store::corrupt("payments", "a payment with no payer"))),
        };
        Ok(PaymentAccounts {
            payer,
            merchant: kernel
                .ensure_account(AccountOwner::Merchant(payment.merchant_id), AccountKind::Merchant, payment.currency)
                .await?,
            fee_income: kernel.ensure_account(AccountOwner::System, AccountKind::FeeIncome, payment.currency).await?,
        })
    }
}

/// The fee transfer, merchant → fee income, if the merchant pays a fee.
fn fee_leg(payment: &PaymentRecord, accounts: &PaymentAccounts) -> Option<TransferCommand> {
    (payment.fee > Amount::ZERO).then(|| TransferCommand {
        id: PaymentLeg::Fee.transfer_id(payment.id),
        op: TransferOp::Posted {
            debit: accounts.merchant,
            credit: accounts.fee_income,
            amount: payment.fee,
            currency: payment.currency,
        },
        code: TransferCode::Fee,
        reference: payment_ledger_reference(payment.id),
        credit_cap: None,
    })
}

/// Reads a scanned or typed code: the 20 digits (spaces and dashes a cashier typed are dropped) or a CPM payload.
fn parse_code(scanned: &str) -> CoreResult<PaymentCode> {
    let trimmed = scanned.trim();
    let digits: String = trimmed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let text = if digits.bytes().all(|b| b.is_ascii_digit()) { digits.as_str() } else { trimmed };
    // Any scanned text is well formed to send; one that is no payment code is refused as such (422).
    let refused = |detail: String| CoreError::new(ErrorKind::Rejected, "unreadable_payment_code", detail);
    let scanned = scan::scan(text).map_err(|e| refused(e.to_string()))?;
    match scanned.payment_code() {
        Some(Ok(code)) => Ok(code),
        Some(Err(error)) => Err(refused(error.to_string())),
        None => Err(refused("this is not a Quipu payment code".into())),
    }
}

fn is_already_released(rejection: &ChainRejection) -> bool {
    matches!(rejection.error, TransferError::PendingAlreadyVoided | TransferError::PendingExpired)
}

/// A dynamic QR's request has been paid, or is being paid.
pub fn request_used() -> CoreError {
    CoreError::new(ErrorKind::Conflict, "payment_request_used", "this QR has already been paid")
}
