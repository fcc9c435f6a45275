//! In-store payments: customers' devices and their one-time payment codes,
//! a till charging a code, approval with PIN above a threshold, refunds.
//!
//! A payment is a record plus linked ledger transfers whose ids derive from
//! the payment's id: customer → merchant for the amount, merchant → fee
//! income for the fee. The record is written first (status `processing`),
//! then the transfers, then the status; a retry with the same idempotency
//! key resumes wherever a crash left it, because every step is idempotent.

use quipu_codes::numeric::{self, PaymentCode};
use quipu_codes::scan;
use quipu_domain::Timestamp;
use quipu_domain::card::CardNumber;
use quipu_domain::identity::{DisplayName, MerchantId, Role};
use quipu_domain::ledger::{AccountKind, ChainRejection, TransferCode, TransferCommand, TransferId, TransferOp};
use quipu_domain::money::{Amount, Currency};
use quipu_domain::payment::{self as rules, DeviceStatus, PaymentMethod, PaymentStatus, RefundStatus};
use quipu_store::payments::{DeviceRecord, PaymentInsert, PaymentRecord, RefundClaim, RefundRecord};
use quipu_store::{AccountOwner, MerchantRecord};
use uuid::Uuid;

use crate::Services;
use crate::access::Principal;
use crate::error::{CoreError, CoreResult, ErrorKind};
use crate::secrets::derived_id;
use crate::views::{
    DeviceView, EnrolledDeviceView, MoneyView, PaymentPage, PaymentView, RefundView, cursor_before, next_cursor,
    page_limit, rfc3339,
};
use crate::wallet::AmountInput;

/// Attempts at drawing an unused device reference before giving up.
const DEVICE_REF_DRAWS: u32 = 8;
/// How far back a code is recognised as expired rather than forged: 30 minutes of steps.
const EXPIRED_CODE_STEPS: u64 = 30;
/// Longest reference a till may attach to a payment.
const MAX_REFERENCE_CHARS: usize = 64;

/// What a customer does to an enrolled device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceAction {
    Pause,
    Resume,
    Revoke,
}

/// The ledger transfer ids of a payment, derived so every retry names the same ones.
fn payment_transfer(payment: Uuid, leg: &str) -> TransferId {
    TransferId(derived_id("quipu.payment", &[payment.as_bytes(), leg.as_bytes()]))
}

fn refund_transfer(refund: Uuid, leg: &str) -> TransferId {
    TransferId(derived_id("quipu.refund", &[refund.as_bytes(), leg.as_bytes()]))
}

impl Services {
    /// Enrols a customer's device, confirmed by PIN. The secret is shown once.
    pub async fn enroll_device(&self, principal: &Principal, label: &str, pin: &str) -> CoreResult<EnrolledDeviceView> {
        principal.require(Role::Customer)?;
        let label = DisplayName::parse(label.trim())
            .map_err(|_| CoreError::invalid("invalid_label", "a device label is 1 to 100 printable characters"))?;
        let customer = self.current_user(principal).await?;
        self.check_pin(&customer, pin).await?;
        let secret: [u8; numeric::SECRET_BYTES] = rand::random();
        let now = self.now();
        for _ in 0..DEVICE_REF_DRAWS {
            let device = DeviceRecord {
                id: Uuid::now_v7(),
                user_id: customer.id,
                device_ref: rand::Rng::gen_range(&mut rand::thread_rng(), 1..=numeric::MAX_DEVICE_REF),
                label: label.as_str().to_owned(),
                secret: secret.to_vec(),
                status: DeviceStatus::Active,
                created_at: now,
                updated_at: now,
            };
            match self.store.insert_device(&device, self.settings.payments.max_devices).await {
                Ok(true) => {
                    return Ok(EnrolledDeviceView {
                        device: DeviceView::from(&device),
                        secret_hex: hex::encode(secret),
                        algorithm: "quipu-code-v1: docs/payment-codes.md".into(),
                        step_seconds: numeric::STEP_SECONDS,
                    });
                }
                Ok(false) => {
                    return Err(CoreError::new(
                        ErrorKind::Rejected,
                        "too_many_devices",
                        format!("at most {} devices; revoke one first", self.settings.payments.max_devices),
                    ));
                }
                Err(quipu_store::StoreError::Conflict(_)) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(CoreError::new(ErrorKind::Unavailable, "device_ref_exhausted", "no free device reference; try again"))
    }

    pub async fn devices(&self, principal: &Principal) -> CoreResult<Vec<DeviceView>> {
        let customer = principal.require(Role::Customer)?;
        Ok(self.store.devices_of(customer).await?.iter().map(DeviceView::from).collect())
    }

    /// Pauses, resumes or revokes one of the caller's devices. Revoking is final.
    pub async fn change_device(&self, principal: &Principal, id: Uuid, action: DeviceAction) -> CoreResult<DeviceView> {
        let customer = principal.require(Role::Customer)?;
        let status = match action {
            DeviceAction::Pause => DeviceStatus::Paused,
            DeviceAction::Resume => DeviceStatus::Active,
            DeviceAction::Revoke => DeviceStatus::Revoked,
        };
        if !self.store.set_device_status(id, customer, status, self.now()).await? {
            return Err(CoreError::not_found("device"));
        }
        let devices = self.store.devices_of(customer).await?;
        devices.iter().find(|d| d.id == id).map(DeviceView::from).ok_or_else(|| CoreError::not_found("device"))
    }

    /// A till charges a customer's payment code. Below the approval threshold
    /// the payment completes at once; above it, the amount is held and the
    /// customer approves with their PIN before it expires.
    pub async fn charge_code(
        &self,
        principal: &Principal,
        payment_id: Uuid,
        scanned: &str,
        amount: AmountInput<'_>,
        reference: Option<&str>,
        till: Option<&str>,
    ) -> CoreResult<PaymentView> {
        let merchant_id = principal.merchant().ok_or_else(CoreError::forbidden)?;
        // A retry answers from the payment it names, even once its code has expired.
        if let Some(existing) = self.store.payment(payment_id).await? {
            return self.resume_payment(existing).await;
        }
        let (currency, amount) = self.parse_amount(amount)?;
        let reference = payment_reference(reference)?;
        let till = crate::merchant_qr::till_label(till)?;
        let code = parse_code(scanned)?;
        let now = self.now();
        let (device, step) = self.verify_code(&code, now).await?;
        self.check_payment_limits(Some(device.user_id), None, currency, amount).await?;
        let merchant = self.store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let needs_approval = self.settings.payments.approval_threshold(currency).is_some_and(|limit| amount > limit);
        let payment = PaymentRecord {
            customer_id: Some(device.user_id),
            device_id: Some(device.id),
            code_step: i64::try_from(step).ok(),
            code_slot: Some(i64::from(code.slot)),
            reference,
            expires_at: needs_approval.then(|| now.plus_seconds(self.settings.payments.approval_seconds)),
            till,
            ..self.new_payment(
                payment_id,
                &merchant,
                PaymentMethod::PaymentCode,
                (currency, amount),
                principal.scope(),
            )?
        };
        match self.store.insert_payment(&payment).await? {
            PaymentInsert::Inserted => self.resume_payment(payment).await,
            PaymentInsert::Exists(existing) => self.resume_payment(*existing).await,
            PaymentInsert::Taken => Err(CoreError::new(
                ErrorKind::Conflict,
                "payment_code_used",
                "this payment code has already been used; ask the customer for a fresh one",
            )),
        }
    }

    /// A payment about to move money: `processing`, the merchant's fee on it, nothing refunded, and no
    /// payer, code, request or card yet; each way of paying fills in what it adds.
    pub(crate) fn new_payment(
        &self,
        id: Uuid,
        merchant: &MerchantRecord,
        method: PaymentMethod,
        (currency, amount): (Currency, Amount),
        created_by: Uuid,
    ) -> CoreResult<PaymentRecord> {
        let now = self.now();
        Ok(PaymentRecord {
            id,
            merchant_id: merchant.id,
            customer_id: None,
            method,
            device_id: None,
            code_step: None,
            code_slot: None,
            amount,
            fee: rules::fee_for(amount, merchant.fee_bps)?,
            currency: currency.code,
            refunded: Amount::ZERO,
            status: PaymentStatus::Processing,
            failure_code: None,
            reference: String::new(),
            created_by,
            created_at: now,
            expires_at: None,
            updated_at: now,
            till: String::new(),
            request_id: None,
            card_id: None,
            card_number: None,
        })
    }

    /// The customer approves a payment awaiting approval, with their PIN.
    pub async fn approve_payment(&self, principal: &Principal, id: Uuid, pin: &str) -> CoreResult<PaymentView> {
        let customer = principal.require(Role::Customer)?;
        let payment = self.awaiting_payment(id, |p| p.customer_id == Some(customer)).await?;
        let user = self.current_user(principal).await?;
        self.check_pin(&user, pin).await?;
        let accounts = self.payment_accounts(&payment).await?;
        let post = TransferCommand {
            id: payment_transfer(payment.id, "post"),
            op: TransferOp::Post { pending_id: payment_transfer(payment.id, "hold"), amount: None },
            code: TransferCode::Payment,
            reference: payment_ledger_reference(&payment),
        };
        let chain = [Some(post), self.fee_leg(&payment, &accounts)].into_iter().flatten().collect();
        match self.ledger.submit(chain).await? {
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
    pub async fn cancel_payment(&self, principal: &Principal, id: Uuid) -> CoreResult<PaymentView> {
        let merchant = principal.merchant();
        let customer = principal.user_id().filter(|_| principal.role() == Some(Role::Customer));
        let payment = self
            .awaiting_payment(id, |p| {
                customer.is_some() && p.customer_id == customer || Some(p.merchant_id) == merchant
            })
            .await?;
        self.release_hold(&payment, "cancelled").await
    }

    /// A payment, as its customer or its merchant sees it.
    pub async fn payment_view(&self, principal: &Principal, id: Uuid) -> CoreResult<PaymentView> {
        let payment = self.visible_payment(principal, id).await?;
        let payment = self.lapse_if_expired(payment).await?;
        self.view_of(&payment).await
    }

    /// A merchant's payments, newest first; `cursor` continues a previous page.
    pub async fn merchant_payments(
        &self,
        principal: &Principal,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> CoreResult<PaymentPage> {
        let merchant = principal.merchant().ok_or_else(CoreError::forbidden)?;
        let limit = page_limit(limit, 50, quipu_store::payments::MAX_PAYMENT_PAGE)?;
        let payments = self.store.merchant_payments(merchant, cursor_before(cursor)?, limit).await?;
        let next_cursor = next_cursor(&payments, limit, |p| p.created_at);
        let name = self.store.merchant(merchant).await?.map(|m| m.name).unwrap_or_default();
        Ok(PaymentPage { payments: payments.iter().map(|p| payment_view(p, &name)).collect(), next_cursor })
    }

    /// Gives money back to the customer: the whole remaining amount, or part.
    /// Idempotent on `refund_id`; concurrent refunds never exceed what was paid.
    pub async fn refund(
        &self,
        principal: &Principal,
        refund_id: Uuid,
        payment_id: Uuid,
        amount: Option<AmountInput<'_>>,
        reason: Option<&str>,
    ) -> CoreResult<RefundView> {
        let merchant_id = principal.merchant().ok_or_else(CoreError::forbidden)?;
        let merchant = self.store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        if principal.role() == Some(Role::Cashier) && !merchant.cashiers_may_refund {
            return Err(CoreError::new(
                ErrorKind::Forbidden,
                "refund_not_allowed",
                "only the merchant's owner may refund; the owner can allow cashiers to",
            ));
        }
        let payment = match self.store.payment(payment_id).await? {
            Some(payment) if payment.merchant_id == merchant_id => payment,
            _ => return Err(CoreError::not_found("payment")),
        };
        let currency = self.settings.currencies.get(payment.currency.as_str())?;
        let requested = match amount {
            Some(input) => {
                if input.currency.is_some_and(|c| c != payment.currency.as_str()) {
                    return Err(CoreError::invalid("currency_mismatch", "a refund is in the payment's currency"));
                }
                currency.parse_amount(input.amount)?.ensure_positive()?
            }
            None => payment.amount.checked_sub(payment.refunded)?,
        };
        if !payment.status.is_refundable() || requested <= Amount::ZERO {
            return Err(not_refundable(payment.status));
        }
        let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(text) => DisplayName::parse(text)
                .map_err(|_| CoreError::invalid("invalid_reason", "a reason is at most 100 printable characters"))?
                .as_str()
                .to_owned(),
            None => String::new(),
        };
        let refund = RefundRecord {
            id: refund_id,
            payment_id,
            amount: requested,
            refunded_before: Amount::ZERO,
            status: RefundStatus::Pending,
            reason,
            created_by: principal.scope(),
            created_at: self.now(),
        };
        let claimed = match self.store.claim_refund(&refund, self.now()).await? {
            RefundClaim::Claimed(claimed) => claimed,
            RefundClaim::Exists(existing) if existing.payment_id == payment_id => existing,
            RefundClaim::Exists(_) | RefundClaim::PaymentNotFound => return Err(CoreError::not_found("payment")),
            RefundClaim::Exceeds { refundable } => {
                return Err(CoreError::new(
                    ErrorKind::Rejected,
                    "refund_exceeds_payment",
                    format!("at most {} {} is left to refund", currency.format_amount(refundable), currency.code),
                ));
            }
            RefundClaim::NotRefundable(status) => return Err(not_refundable(status)),
        };
        self.settle_refund(&payment, claimed).await
    }

    async fn settle_refund(&self, payment: &PaymentRecord, refund: RefundRecord) -> CoreResult<RefundView> {
        if refund.status != RefundStatus::Pending {
            return refund_result(&refund, payment);
        }
        let accounts = self.payment_accounts(payment).await?;
        // A card's refund goes where its money lives now, which a replacement may have moved.
        let payer = match payment.card_id {
            Some(card) => self.live_card_account(card).await?,
            None => accounts.customer,
        };
        let fee_back = rules::fee_returned(payment.amount, payment.fee, refund.refunded_before, refund.amount)?;
        let reference = format!("refund:{}", payment.id);
        // The fee comes back first, so a merchant can always refund everything it was paid.
        let fee_leg = (fee_back > Amount::ZERO).then(|| TransferCommand {
            id: refund_transfer(refund.id, "fee"),
            op: TransferOp::Posted {
                debit: accounts.fee_income,
                credit: accounts.merchant,
                amount: fee_back,
                currency: payment.currency,
            },
            code: TransferCode::Fee,
            reference: reference.clone(),
        });
        let refund_leg = TransferCommand {
            id: refund_transfer(refund.id, "refund"),
            op: TransferOp::Posted {
                debit: accounts.merchant,
                credit: payer,
                amount: refund.amount,
                currency: payment.currency,
            },
            code: TransferCode::Refund,
            reference,
        };
        // A retry after the chain committed (the card may since have been replaced, changing `payer`)
        // must see the money moved, not refuse a transfer it already made.
        let outcome = match self.store.transfer(refund_leg.id).await? {
            Some(_) => Ok(Vec::new()),
            None => self.ledger.submit([fee_leg, Some(refund_leg)].into_iter().flatten().collect()).await?,
        };
        let completed = RefundRecord { status: RefundStatus::Completed, ..refund.clone() };
        let view = refund_result(&completed, payment)?;
        let now = self.now();
        let event = crate::events::new_event("refund.completed", payment.merchant_id, &payment.till, &view, now)?;
        self.store.finish_refund(&refund, outcome.is_ok(), now, outcome.is_ok().then_some(&event)).await?;
        self.events_written.notify_waiters();
        match outcome {
            Ok(_) => Ok(view),
            Err(rejection) => Err(CoreError::from(rejection.error)),
        }
    }

    /// Housekeeping: fails approvals nobody gave in time (so the till hears
    /// `payment.failed` without asking), and finishes payments and refunds
    /// whose request was cut off (a crash, a timeout, a client that never
    /// retried) at least `after_seconds` ago. Every step is idempotent, so
    /// one still running elsewhere is unharmed. Returns how many it found.
    pub(crate) async fn finish_interrupted(&self, after_seconds: i64, limit: u32) -> CoreResult<usize> {
        let lapsed = self.store.lapsed_approvals(self.now(), limit).await?;
        let before = self.now().plus_seconds(-after_seconds);
        let payments = self.store.stuck_payments(before, limit).await?;
        let refunds = self.store.stuck_refunds(before, limit).await?;
        let found = lapsed.len() + payments.len() + refunds.len();
        for payment in lapsed {
            self.lapse_if_expired(payment).await?;
        }
        for payment in payments {
            let id = payment.id;
            // A refusal (insufficient funds, say) is a resting state too: the payment is now `failed`.
            if let Err(error) = self.resume_payment(payment).await {
                tracing::info!(payment = %id, code = error.code, "interrupted payment finished as failed");
            }
        }
        for refund in refunds {
            let Some(payment) = self.store.payment(refund.payment_id).await? else { continue };
            if let Err(error) = self.settle_refund(&payment, refund).await {
                tracing::info!(payment = %payment.id, code = error.code, "interrupted refund finished as failed");
            }
        }
        Ok(found)
    }

    /// Takes a payment from wherever it stands to its next resting state.
    pub(crate) async fn resume_payment(&self, payment: PaymentRecord) -> CoreResult<PaymentView> {
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
                return self.view_of(&payment).await;
            }
        }
        let accounts = self.payment_accounts(&payment).await?;
        let reference = payment_ledger_reference(&payment);
        let (chain, resting) = match payment.expires_at {
            None => {
                let pay = TransferCommand {
                    id: payment_transfer(payment.id, "pay"),
                    op: TransferOp::Posted {
                        debit: accounts.customer,
                        credit: accounts.merchant,
                        amount: payment.amount,
                        currency: payment.currency,
                    },
                    code: TransferCode::Payment,
                    reference,
                };
                let chain: Vec<TransferCommand> =
                    [Some(pay), self.fee_leg(&payment, &accounts)].into_iter().flatten().collect();
                (chain, PaymentStatus::Completed)
            }
            Some(expires_at) => {
                let seconds = (expires_at.0.saturating_sub(self.now().0) / Timestamp::MICROS_PER_SECOND).max(1);
                let hold = TransferCommand {
                    id: payment_transfer(payment.id, "hold"),
                    op: TransferOp::Pending {
                        debit: accounts.customer,
                        credit: accounts.merchant,
                        amount: payment.amount,
                        currency: payment.currency,
                        timeout_seconds: Some(u32::try_from(seconds).unwrap_or(u32::MAX)),
                    },
                    code: TransferCode::Payment,
                    reference,
                };
                (vec![hold], PaymentStatus::AwaitingApproval)
            }
        };
        match self.ledger.submit(chain).await? {
            Ok(_) => self.move_payment(&payment, resting, None).await,
            Err(rejection) => {
                let error = CoreError::from(rejection.error);
                self.move_payment(&payment, PaymentStatus::Failed, Some(error.code)).await?;
                Err(error)
            }
        }
    }

    /// The fee transfer, merchant → fee income, if the merchant pays a fee.
    fn fee_leg(&self, payment: &PaymentRecord, accounts: &PaymentAccounts) -> Option<TransferCommand> {
        (payment.fee > Amount::ZERO).then(|| TransferCommand {
            id: payment_transfer(payment.id, "fee"),
            op: TransferOp::Posted {
                debit: accounts.merchant,
                credit: accounts.fee_income,
                amount: payment.fee,
                currency: payment.currency,
            },
            code: TransferCode::Fee,
            reference: payment_ledger_reference(payment),
        })
    }

    async fn move_payment(
        &self,
        payment: &PaymentRecord,
        to: PaymentStatus,
        failure: Option<&str>,
    ) -> CoreResult<PaymentView> {
        let now = self.now();
        let name = self.merchant_name(payment.merchant_id).await?;
        let moved =
            PaymentRecord { status: to, failure_code: failure.map(str::to_owned), updated_at: now, ..payment.clone() };
        let event = crate::events::payment_event(&moved, &name, now)?;
        if self.store.set_payment_status(payment.id, payment.status, to, failure, now, event.as_ref()).await? {
            self.events_written.notify_waiters();
            return Ok(payment_view(&moved, &name));
        }
        // Someone else moved it first (a retry in another process, housekeeping): show what they left.
        let current = self.store.payment(payment.id).await?.ok_or_else(|| CoreError::not_found("payment"))?;
        Ok(payment_view(&current, &name))
    }

    /// A payment awaiting approval that `allowed` accepts; expired ones are lapsed first.
    async fn awaiting_payment(&self, id: Uuid, allowed: impl Fn(&PaymentRecord) -> bool) -> CoreResult<PaymentRecord> {
        let payment = match self.store.payment(id).await? {
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
    async fn lapse_if_expired(&self, payment: PaymentRecord) -> CoreResult<PaymentRecord> {
        let expired = payment.status == PaymentStatus::AwaitingApproval
            && payment.expires_at.is_some_and(|deadline| deadline <= self.now());
        if !expired {
            return Ok(payment);
        }
        self.release_hold(&payment, "expired").await?;
        self.store.payment(payment.id).await?.ok_or_else(|| CoreError::not_found("payment"))
    }

    async fn release_hold(&self, payment: &PaymentRecord, why: &'static str) -> CoreResult<PaymentView> {
        let void = TransferCommand {
            id: payment_transfer(payment.id, "void"),
            op: TransferOp::Void { pending_id: payment_transfer(payment.id, "hold") },
            code: TransferCode::Payment,
            reference: payment_ledger_reference(payment),
        };
        match self.ledger.submit(vec![void]).await? {
            Ok(_) => {}
            // The expiry sweeper released it first: the money is back either way.
            Err(rejection) if is_already_released(&rejection) => {}
            Err(rejection) => return Err(CoreError::from(rejection.error)),
        }
        self.move_payment(payment, PaymentStatus::Failed, Some(why)).await
    }

    pub(crate) async fn visible_payment(&self, principal: &Principal, id: Uuid) -> CoreResult<PaymentRecord> {
        let payment = self.store.payment(id).await?.ok_or_else(|| CoreError::not_found("payment"))?;
        let is_customer = principal.role() == Some(Role::Customer) && principal.user_id() == payment.customer_id;
        let is_merchant = principal.merchant() == Some(payment.merchant_id);
        if is_customer || is_merchant { Ok(payment) } else { Err(CoreError::not_found("payment")) }
    }

    async fn verify_code(&self, code: &PaymentCode, now: Timestamp) -> CoreResult<(DeviceRecord, u64)> {
        let invalid = || {
            CoreError::new(
                ErrorKind::Rejected,
                "invalid_payment_code",
                "this payment code is not valid; ask the customer to show a fresh one",
            )
        };
        let device = self.store.device_by_ref(code.device_ref).await?.ok_or_else(invalid)?;
        let seconds = now.0 / Timestamp::MICROS_PER_SECOND;
        match numeric::verify(&device.secret, code, seconds, self.settings.payments.code_skew_steps) {
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

    async fn payment_accounts(&self, payment: &PaymentRecord) -> CoreResult<PaymentAccounts> {
        // A card pays from its own account; refunds follow its money (see `settle_refund`).
        let customer = match (payment.card_id, payment.customer_id) {
            (Some(card), _) => {
                self.ensure_account(AccountOwner::Card(card), AccountKind::Card, payment.currency).await?
            }
            (None, Some(customer)) => {
                self.ensure_account(AccountOwner::User(customer), AccountKind::CustomerWallet, payment.currency).await?
            }
            (None, None) => return Err(CoreError::from(quipu_store::corrupt("payments", "a payment with no payer"))),
        };
        Ok(PaymentAccounts {
            customer,
            merchant: self
                .ensure_account(AccountOwner::Merchant(payment.merchant_id), AccountKind::Merchant, payment.currency)
                .await?,
            fee_income: self.ensure_account(AccountOwner::System, AccountKind::FeeIncome, payment.currency).await?,
        })
    }

    pub(crate) async fn view_of(&self, payment: &PaymentRecord) -> CoreResult<PaymentView> {
        Ok(payment_view(payment, &self.merchant_name(payment.merchant_id).await?))
    }

    async fn merchant_name(&self, merchant: MerchantId) -> CoreResult<String> {
        Ok(self.store.merchant(merchant).await?.map(|m| m.name).unwrap_or_default())
    }

    /// Sets a merchant's fee rate (operators only).
    pub async fn set_merchant_fee(&self, principal: &Principal, merchant: Uuid, fee_bps: u32) -> CoreResult<()> {
        principal.require(Role::Operator)?;
        if fee_bps > rules::MAX_FEE_BPS {
            return Err(CoreError::invalid("invalid_fee", "a fee is at most 1000 basis points (10%)"));
        }
        if !self.store.set_merchant_terms(MerchantId(merchant), Some(fee_bps), None).await? {
            return Err(CoreError::not_found("merchant"));
        }
        Ok(())
    }

    /// The merchant's owner lets cashiers refund, or stops them.
    pub async fn set_cashier_refunds(&self, principal: &Principal, allowed: bool) -> CoreResult<()> {
        principal.require(Role::MerchantOwner)?;
        let merchant = principal.merchant().ok_or_else(CoreError::forbidden)?;
        self.store.set_merchant_terms(merchant, None, Some(allowed)).await?;
        Ok(())
    }
}

struct PaymentAccounts {
    customer: quipu_domain::ledger::AccountId,
    merchant: quipu_domain::ledger::AccountId,
    fee_income: quipu_domain::ledger::AccountId,
}

/// Reads a scanned or typed code: the 20 digits (spaces and dashes a cashier typed are dropped) or a CPM payload.
fn parse_code(scanned: &str) -> CoreResult<PaymentCode> {
    let trimmed = scanned.trim();
    let digits: String = trimmed.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let text = if digits.bytes().all(|b| b.is_ascii_digit()) { digits.as_str() } else { trimmed };
    let refused = |detail: String| CoreError::invalid("unreadable_payment_code", detail);
    let scanned = scan::scan(text).map_err(|e| refused(e.to_string()))?;
    match scanned.payment_code() {
        Some(Ok(code)) => Ok(code),
        Some(Err(error)) => Err(refused(error.to_string())),
        None => Err(refused("this is not a Quipu payment code".into())),
    }
}

pub(crate) fn payment_view(payment: &PaymentRecord, merchant_name: &str) -> PaymentView {
    PaymentView {
        id: payment.id,
        status: payment.status.as_str().to_owned(),
        failure_code: payment.failure_code.clone(),
        method: payment.method.as_str().to_owned(),
        amount: MoneyView::new(payment.amount, payment.currency),
        fee: MoneyView::new(payment.fee, payment.currency),
        refunded: MoneyView::new(payment.refunded, payment.currency),
        merchant_id: payment.merchant_id.0,
        merchant_name: merchant_name.to_owned(),
        reference: payment.reference.clone(),
        till: payment.till.clone(),
        request_id: payment.request_id,
        card: payment.card_number.as_ref().map(CardNumber::masked),
        created_at: rfc3339(payment.created_at),
        expires_at: payment.expires_at.map(rfc3339),
    }
}

pub(crate) fn payment_reference(reference: Option<&str>) -> CoreResult<String> {
    let text = reference.map(str::trim).unwrap_or("");
    if text.chars().count() > MAX_REFERENCE_CHARS || text.chars().any(char::is_control) {
        return Err(CoreError::invalid("invalid_reference", "a reference is at most 64 printable characters"));
    }
    Ok(text.to_owned())
}

fn payment_ledger_reference(payment: &PaymentRecord) -> String {
    format!("payment:{}", payment.id)
}

fn is_already_released(rejection: &ChainRejection) -> bool {
    matches!(
        rejection.error,
        quipu_domain::ledger::TransferError::PendingAlreadyVoided | quipu_domain::ledger::TransferError::PendingExpired
    )
}

fn not_refundable(status: PaymentStatus) -> CoreError {
    CoreError::new(ErrorKind::Rejected, "not_refundable", format!("a {} payment cannot be refunded", status.as_str()))
}

fn refund_result(refund: &RefundRecord, payment: &PaymentRecord) -> CoreResult<RefundView> {
    match refund.status {
        RefundStatus::Failed => Err(CoreError::new(ErrorKind::Rejected, "refund_failed", "this refund failed")),
        _ => Ok(RefundView {
            id: refund.id,
            payment_id: refund.payment_id,
            amount: MoneyView::new(refund.amount, payment.currency),
            status: refund.status.as_str().to_owned(),
            reason: refund.reason.clone(),
            created_at: rfc3339(refund.created_at),
        }),
    }
}
