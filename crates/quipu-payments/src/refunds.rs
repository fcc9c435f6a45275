//! Refunds: claimed against their payment in one transaction (so concurrent
//! refunds never exceed what was paid), then moved through the ledger, then
//! finished with their event. Housekeeping finishes what a crash cut off.

use quipu_domain::identity::{DisplayName, Role};
use quipu_domain::ledger::{TransferCode, TransferCommand, TransferOp};
use quipu_domain::money::{Amount, AmountInput};
use quipu_domain::payment::{self as rules, PaymentId, PaymentStatus, RefundId, RefundLeg, RefundStatus};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::payments::{PaymentRecord, RefundClaim, RefundRecord};

use crate::{Payments, Refund};

impl Payments {
    /// Gives money back to the customer: the whole remaining amount, or part.
    /// Idempotent on `refund_id`; concurrent refunds never exceed what was paid.
    pub async fn refund(
        &self,
        principal: &Principal,
        refund_id: RefundId,
        payment_id: PaymentId,
        amount: Option<AmountInput<'_>>,
        reason: Option<&DisplayName>,
    ) -> CoreResult<Refund> {
        let merchant_id = principal.require_merchant()?;
        let store = &self.kernel.store;
        if !self.may_refund(principal).await? {
            return Err(CoreError::new(
                ErrorKind::Forbidden,
                "refund_not_allowed",
                "this cashier may not refund; the owner can allow it, for all cashiers or for this one",
            ));
        }
        let payment = match store.payment(payment_id).await? {
            Some(payment) if payment.merchant_id == merchant_id => payment,
            _ => return Err(CoreError::not_found("payment")),
        };
        let currency = self.kernel.settings.currencies.get(payment.currency.as_str())?;
        let asked = match amount {
            Some(input) => {
                if input.currency.is_some_and(|c| c != payment.currency.as_str()) {
                    return Err(CoreError::invalid("currency_mismatch", "a refund is in the payment's currency"));
                }
                Some(currency.parse_amount(input.amount)?.ensure_positive()?)
            }
            None => None,
        };
        // A retry whose first attempt claimed the refund (its id derives from the caller and the key):
        // answered from the refund itself, finished if a crash left it pending, whatever the payment's
        // state is now. The stored answer of the first attempt may be gone: it is written without
        // waiting for the disk, and a crash can take it back while the claim and transfers stay.
        if let Some(existing) = store.refunds_of(payment_id).await?.into_iter().find(|r| r.id == refund_id) {
            if asked.is_some_and(|amount| amount != existing.amount) {
                return Err(CoreError::new(
                    ErrorKind::Conflict,
                    "idempotency_conflict",
                    "a refund of another amount was made with this key",
                ));
            }
            return self.settle_refund(&payment, existing).await;
        }
        let requested = match asked {
            Some(amount) => amount,
            None => payment.amount.checked_sub(payment.refunded)?,
        };
        if !payment.status.is_refundable() || requested <= Amount::ZERO {
            return Err(not_refundable(payment.status));
        }
        let refund = RefundRecord {
            id: refund_id,
            payment_id,
            amount: requested,
            refunded_before: Amount::ZERO,
            status: RefundStatus::Pending,
            reason: reason.map(|r| r.as_str().to_owned()).unwrap_or_default(),
            created_by: principal.scope(),
            created_at: self.kernel.now(),
        };
        let claimed = match store.claim_refund(&refund, self.kernel.now()).await? {
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

    /// Whether this person may refund their shop's payments: an owner always; a cashier by their own
    /// permission, if the owner set one, else by the shop's policy. The till shows Refund only then.
    pub async fn may_refund(&self, principal: &Principal) -> CoreResult<bool> {
        let merchant_id = principal.require_merchant()?;
        if principal.role() != Some(Role::Cashier) {
            return Ok(true);
        }
        let store = &self.kernel.store;
        let merchant = store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let cashier = self.kernel.current_user(principal).await?;
        Ok(cashier.may_refund.unwrap_or(merchant.cashiers_may_refund))
    }

    /// Moves a claimed refund's money and finishes it: completed with its event, or failed with
    /// its claim given back.
    async fn settle_refund(&self, payment: &PaymentRecord, refund: RefundRecord) -> CoreResult<Refund> {
        if refund.status != RefundStatus::Pending {
            return refund_result(refund, payment);
        }
        let accounts = self.payment_accounts(payment).await?;
        // A card's refund goes where its money lives now, which a replacement may have moved.
        let payer = match payment.card_id {
            Some(card) => self.kernel.live_card_account(card).await?,
            None => accounts.payer,
        };
        let fee_back = rules::fee_returned(payment.amount, payment.fee, refund.refunded_before, refund.amount)?;
        let reference = rules::refund_ledger_reference(payment.id);
        // The fee comes back first, so a merchant can always refund everything it was paid.
        let fee_leg = (fee_back > Amount::ZERO).then(|| TransferCommand {
            id: RefundLeg::Fee.transfer_id(refund.id),
            op: TransferOp::Posted {
                debit: accounts.fee_income,
                credit: accounts.merchant,
                amount: fee_back,
                currency: payment.currency,
            },
            code: TransferCode::Fee,
            reference: reference.clone(),
            credit_cap: None,
        });
        let refund_leg = TransferCommand {
            id: RefundLeg::Refund.transfer_id(refund.id),
            op: TransferOp::Posted {
                debit: accounts.merchant,
                credit: payer,
                amount: refund.amount,
                currency: payment.currency,
            },
            code: TransferCode::Refund,
            reference,
            credit_cap: None,
        };
        // A retry after the chain committed (the card may since have been replaced, changing `payer`)
        // must see the money moved, not refuse a transfer it already made.
        let store = &self.kernel.store;
        let outcome = match store.transfer(refund_leg.id).await? {
            Some(_) => Ok(Vec::new()),
            None => self.kernel.ledger.submit([fee_leg, Some(refund_leg)].into_iter().flatten().collect()).await?,
        };
        let completed = refund_result(RefundRecord { status: RefundStatus::Completed, ..refund.clone() }, payment)?;
        let data = self.documents.refund(&completed).map_err(crate::unserialisable)?;
        let now = self.kernel.now();
        let mut event =
            quipu_events::new_event(&self.kernel, "refund.completed", payment.merchant_id, &payment.till, &data, now)?;
        // The customer hears their refund too (a card nobody is linked to has no one to tell).
        event.customer_id = payment.customer_id;
        store.finish_refund(&refund, outcome.is_ok(), now, outcome.is_ok().then_some(&event)).await?;
        self.kernel.events_written();
        match outcome {
            Ok(_) => Ok(completed),
            Err(rejection) => Err(CoreError::from(rejection.error)),
        }
    }

    /// Housekeeping: fails approvals nobody gave in time (so the till hears
    /// `payment.failed` without asking), and finishes payments and refunds
    /// whose request was cut off (a crash, a timeout, a client that never
    /// retried) at least `after_seconds` ago. Every step is idempotent, so
    /// one still running elsewhere is unharmed. Returns how many it found.
    pub async fn finish_interrupted(&self, after_seconds: i64, limit: u32) -> CoreResult<usize> {
        let store = &self.kernel.store;
        let lapsed = store.lapsed_approvals(self.kernel.now(), limit).await?;
        let before = self.kernel.now().plus_seconds(-after_seconds);
        let payments = store.stuck_payments(before, limit).await?;
        let refunds = store.stuck_refunds(before, limit).await?;
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
            let Some(payment) = store.payment(refund.payment_id).await? else { continue };
            if let Err(error) = self.settle_refund(&payment, refund).await {
                tracing::info!(payment = %payment.id, code = error.code, "interrupted refund finished as failed");
            }
        }
        Ok(found)
    }
}

fn not_refundable(status: PaymentStatus) -> CoreError {
    CoreError::new(ErrorKind::Rejected, "not_refundable", format!("a {} payment cannot be refunded", status.as_str()))
}

fn refund_result(refund: RefundRecord, payment: &PaymentRecord) -> CoreResult<Refund> {
    match refund.status {
        RefundStatus::Failed => Err(CoreError::new(ErrorKind::Rejected, "refund_failed", "this refund failed")),
        _ => Ok(Refund { record: refund, currency: payment.currency }),
    }
}
