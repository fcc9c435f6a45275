//! Pharmacies: the pharmacist's check of flagged lines, the queue of orders waiting for it, and a
//! customer's prescription photo.
//!
//! The check's rule is the domain's (`quipu_domain::market::pharmacy::plan_check`); here it is
//! applied in one store write: every line's verdict, a change recorded for each, and the order's
//! move out of the check (back to the shop as `placed`, or `rejected` with its hold voided first).
//!
//! A prescription photo is re-encoded from its pixels (the upload is never kept) and seen only by
//! the order's customer and that pharmacy's staff. A staff member's read lands in the customer's
//! access log in the same transaction as the read. Housekeeping deletes a photo
//! [`MarketSettings::prescription_retention_days`] after its order ended.

use quipu_domain::Amount;
use quipu_domain::identity::Role;
use quipu_domain::market::checkout::{LineCheck, OrderId};
use quipu_domain::market::order::{ChangeKind, HoldEffect, OrderActor, OrderStatus};
use quipu_domain::market::pharmacy::{
    CheckError, CheckedLineNow, DEFAULT_PRESCRIPTION_RETENTION_DAYS, LineDecision, plan_check,
};
use quipu_domain::market::storefront::SellerKind;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::AccessEntryRecord;
use quipu_store::orders::{LineChange, MAX_ORDERS_PAGE, OrderChange, OrderMove, OrderRecord, PrescriptionRecord};

use crate::images::{self, JPEG};
use crate::orders::JobWrites;
use crate::{Market, Order};

/// What an operator tunes about the market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketSettings {
    /// Days a prescription photo is kept after its order ended (completed, rejected, cancelled,
    /// expired); then housekeeping deletes it.
    pub prescription_retention_days: u32,
    /// Minutes an offered delivery waits for a courier's claim before its shop is told.
    pub unclaimed_delivery_minutes: u32,
}

impl Default for MarketSettings {
    fn default() -> Self {
        Self { prescription_retention_days: DEFAULT_PRESCRIPTION_RETENTION_DAYS, unclaimed_delivery_minutes: 10 }
    }
}

/// A check the domain refused, as the caller reads it.
fn check_refused(error: CheckError) -> CoreError {
    let detail = error.to_string();
    match error {
        CheckError::NotAwaiting(_) | CheckError::Move(_) => {
            CoreError::new(ErrorKind::Conflict, "order_not_awaiting_check", detail)
        }
        CheckError::NotFlagged(_) | CheckError::Duplicate(_) | CheckError::Undecided(_) => {
            CoreError::rejected("check_lines_invalid", detail)
        }
        CheckError::NoteMissing(_) => CoreError::rejected("check_note_required", detail),
        CheckError::NoteInvalid(_) => CoreError::rejected("check_note_invalid", detail),
    }
}

impl Market {
    /// The merchant of an owner whose shop is a pharmacy: only a pharmacy has pharmacists.
    pub async fn own_pharmacy(&self, principal: &Principal) -> CoreResult<quipu_domain::identity::MerchantId> {
        principal.require(Role::MerchantOwner)?;
        let merchant = principal.require_merchant()?;
        match self.store.seller(merchant).await? {
            Some(seller) if seller.kind == SellerKind::Pharmacy => Ok(merchant),
            _ => Err(CoreError::new(
                ErrorKind::Conflict,
                "not_a_pharmacy",
                "only a shop that sells as a pharmacy has pharmacists",
            )),
        }
    }

    /// The caller's shop's orders waiting for a pharmacist's check, oldest first.
    pub async fn pharmacy_queue(&self, principal: &Principal, limit: u32) -> CoreResult<Vec<Order>> {
        let seller = principal.require_merchant()?;
        let records =
            self.orders.seller_orders_in(seller, OrderStatus::AwaitingPharmacist, limit.min(MAX_ORDERS_PAGE)).await?;
        let mut orders = Vec::with_capacity(records.len());
        for record in records {
            let actor = Self::actor_for(principal, &record)?;
            orders.push(self.order_view(record, actor).await?);
        }
        Ok(orders)
    }

    /// A pharmacist decides every flagged line of an order at once: each approved, or refused with
    /// a note. A refused line comes to nothing; the order goes back to the shop, or is rejected
    /// (its hold voided) when nothing is left to supply.
    pub async fn check_order(
        &self,
        principal: &Principal,
        id: OrderId,
        decisions: &[LineDecision],
    ) -> CoreResult<Order> {
        let (order, actor) = self.visible_order(principal, id).await?;
        if actor != OrderActor::Pharmacist {
            return Err(CoreError::new(
                ErrorKind::Forbidden,
                "pharmacist_only",
                "only the pharmacy's pharmacist checks flagged lines",
            ));
        }
        let lines: Vec<_> =
            order.lines.iter().map(|line| CheckedLineNow { position: line.position, check: line.check }).collect();
        let plan = plan_check(order.status, &lines, decisions).map_err(check_refused)?;
        let to = plan.transition.to();
        if to.hold_effect() == HoldEffect::Void {
            self.void_hold(&order).await?;
        }
        let now = self.kernel.now();
        let by = Some(principal.scope());
        let mut changed = Vec::with_capacity(plan.lines.len());
        let mut line_changes = Vec::with_capacity(plan.lines.len());
        for verdict in &plan.lines {
            let final_total = (verdict.check == LineCheck::Refused).then_some(Amount::ZERO);
            changed.push(LineChange {
                position: verdict.position,
                final_total,
                check: Some(verdict.check),
                check_note: verdict.note.clone(),
            });
            line_changes.push(OrderChange {
                at: now,
                actor,
                by,
                kind: ChangeKind::LineChecked,
                from: None,
                to: None,
                line: Some(verdict.position),
                amount: final_total,
                note: verdict.note.clone(),
            });
        }
        let change = OrderChange {
            at: now,
            actor,
            by,
            kind: ChangeKind::Moved,
            from: Some(order.status),
            to: Some(to),
            line: None,
            amount: None,
            note: plan.reason.clone(),
        };
        let moved = OrderRecord { status: to, updated_at: now, ..order.clone() };
        let events = self.order_events(&moved)?;
        let jobs = JobWrites::of(&order, to, now, plan.reason.as_deref());
        let order_move = OrderMove {
            order: order.id,
            transition: plan.transition,
            change,
            ready_at: None,
            release_stock: to.hold_effect() == HoldEffect::Void,
            lines: &changed,
            line_changes: &line_changes,
            events: &events,
            offer: jobs.offer.as_ref(),
            cancel_job: jobs.cancel.as_ref(),
            job_step: None,
        };
        if !self.orders.move_order(&order_move).await? {
            return Err(CoreError::new(ErrorKind::Conflict, "order_changed", "this order changed; read it again"));
        }
        if !events.is_empty() {
            self.kernel.events_written();
        }
        let stored = self.orders.order(order.id).await?.ok_or_else(|| CoreError::not_found("order"))?;
        self.order_view(stored, actor).await
    }

    /// The customer attaches a photo of their prescription to an open pharmacy order (a new one
    /// replaces the one before). Only a JPEG re-encoded from its pixels is kept.
    pub async fn put_prescription(&self, principal: &Principal, id: OrderId, upload: Vec<u8>) -> CoreResult<Order> {
        let order = self.prescription_order(principal, id).await?;
        let page = self.decode_upload(upload, images::process_document).await?;
        let prescription = PrescriptionRecord {
            order: order.id,
            content_type: JPEG.to_owned(),
            width: page.width,
            height: page.height,
            bytes: page.bytes,
            uploaded_at: self.kernel.now(),
        };
        self.orders.put_prescription(&prescription).await?;
        self.order_view(order, OrderActor::Customer).await
    }

    /// The customer's own prescription photo for their order.
    pub async fn my_prescription(&self, principal: &Principal, id: OrderId) -> CoreResult<PrescriptionRecord> {
        let (order, actor) = self.visible_order(principal, id).await?;
        if actor != OrderActor::Customer {
            return Err(CoreError::not_found("order"));
        }
        self.orders.prescription(order.id, None).await?.ok_or_else(|| CoreError::not_found("prescription"))
    }

    /// A prescription photo read by a person on the pharmacy's staff (owner, cashier, pharmacist;
    /// not an API key: the log names a person). The read is written to the customer's access log.
    pub async fn staff_prescription(&self, principal: &Principal, id: OrderId) -> CoreResult<PrescriptionRecord> {
        let (order, actor) = self.visible_order(principal, id).await?;
        let (Some(reader), Some(role)) = (principal.user_id(), principal.role()) else {
            return Err(CoreError::forbidden());
        };
        if actor == OrderActor::Customer {
            return Err(CoreError::not_found("order"));
        }
        let entry = AccessEntryRecord {
            id: self.kernel.new_id(),
            subject: order.customer.0,
            actor: reader,
            actor_role: role,
            action: "prescription_read".to_owned(),
            reason: "checking the medicines of an order at the pharmacy".to_owned(),
            detail: format!("the prescription photo of order {}", order.id),
            at: self.kernel.now(),
        };
        self.orders.prescription(order.id, Some(&entry)).await?.ok_or_else(|| CoreError::not_found("prescription"))
    }

    /// Housekeeping: deletes prescription photos of orders that ended more than the retention ago.
    pub async fn delete_old_prescriptions(&self, limit: u32) -> CoreResult<u64> {
        let days = i64::from(self.settings.prescription_retention_days);
        let ended_before = self.kernel.now().plus_seconds(-days.saturating_mul(24 * 3600));
        Ok(self.orders.delete_old_prescriptions(ended_before, limit).await?)
    }

    /// The caller's own open order from a pharmacy, which takes a prescription photo; any other is
    /// not found, or refused for being over or not a pharmacy's. Asked before an upload is read.
    pub async fn prescription_order(&self, principal: &Principal, id: OrderId) -> CoreResult<OrderRecord> {
        let order = self.customer_pharmacy_order(principal, id).await?;
        if order.status.is_final() {
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "order_ended",
                format!("this order is {}: a prescription is attached while it is open", order.status),
            ));
        }
        Ok(order)
    }

    /// The caller's own order from a pharmacy; any other is not found, or refused for not being a
    /// pharmacy's.
    async fn customer_pharmacy_order(&self, principal: &Principal, id: OrderId) -> CoreResult<OrderRecord> {
        let (order, actor) = self.visible_order(principal, id).await?;
        if actor != OrderActor::Customer {
            return Err(CoreError::not_found("order"));
        }
        match self.store.seller(order.seller).await? {
            Some(seller) if seller.kind == SellerKind::Pharmacy => Ok(order),
            _ => Err(CoreError::new(
                ErrorKind::Conflict,
                "not_a_pharmacy_order",
                "a prescription is attached only to an order from a pharmacy",
            )),
        }
    }
}
