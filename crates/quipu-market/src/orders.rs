//! Orders after checkout: who may see one, each party's moves through the domain's table (with
//! the hold captured or voided where the move says so), the shop's changes to lines, and
//! housekeeping's part (checkouts cut short, orders nobody accepted).
//!
//! A move that settles money settles the hold first and moves the status after: a crash between
//! leaves the order one step behind its hold, and repeating the move (the ids are derived, the
//! ledger answers a repeat with the transfer it made) finishes it.

use quipu_domain::delivery::JobId;
use quipu_domain::delivery::handover::HandoverCode;
use quipu_domain::delivery::job::{JobActor, JobStatus};
use quipu_domain::identity::Role;
use quipu_domain::ledger::{AccountKind, ChainRejection, TransferCode, TransferCommand, TransferError, TransferOp};
use quipu_domain::market::checkout::{
    FulfilmentKind, LineEdit, MAX_READY_MINUTES, MAX_REASON_CHARS, OrderId, OrderLeg, capture_amount, edit_line,
    order_ledger_reference,
};
use quipu_domain::market::order::{
    ChangeKind, HoldEffect, OrderAction, OrderActor, OrderMoveError, OrderSituation, OrderStatus, next_actions,
    plan_move,
};
use quipu_domain::payment::fee_for;
use quipu_domain::state::StateMachine;
use quipu_domain::text::is_display_safe;
use quipu_domain::{Amount, Timestamp};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::AccountOwner;
use quipu_store::delivery::{JobMove, JobRecord, JobStep};
use quipu_store::events::EventRecord;
use quipu_store::orders::{DueBy, LineChange, MAX_ORDERS_PAGE, OrderChange, OrderMove, OrderRecord};

use crate::checkout::IN_HAND_SECONDS;
use serde::Serialize;

use crate::Market;

/// A checkout still `paying` this long after it was written was cut short: housekeeping finishes it.
const STALLED_AFTER_SECONDS: i64 = 60;

/// An order as one party reads it: what it is, its shop's name, its history, and what that party
/// may do next (decided by the domain, never by a page).
#[derive(Debug, Clone)]
pub struct Order {
    pub record: OrderRecord,
    pub seller_name: String,
    pub changes: Vec<OrderChange>,
    pub next_actions: Vec<OrderAction>,
    /// When the customer attached a prescription photo, if they did.
    pub prescription_at: Option<Timestamp>,
    /// The code the customer gives at hand-over: theirs alone to read, while the order is open.
    pub handover_code: Option<HandoverCode>,
}

/// What order events carry: enough for a board or a phone to know what changed and fetch the rest.
#[derive(Serialize)]
struct OrderEvent<'a> {
    order_id: OrderId,
    status: &'a str,
    seller_id: uuid::Uuid,
    total: String,
    currency: &'a str,
    created_at: i64,
}

impl Market {
    /// Who the caller is to this order, or not found: another customer's order, or another shop's,
    /// looks missing. A pharmacy's pharmacist is its staff, and the one who checks flagged lines.
    pub(crate) fn actor_for(principal: &Principal, order: &OrderRecord) -> CoreResult<OrderActor> {
        match principal.role() {
            Some(Role::Customer) if principal.user_id() == Some(order.customer) => Ok(OrderActor::Customer),
            Some(Role::Pharmacist) if principal.merchant() == Some(order.seller) => Ok(OrderActor::Pharmacist),
            _ if principal.merchant() == Some(order.seller) => Ok(OrderActor::Shop),
            _ => Err(CoreError::not_found("order")),
        }
    }

    pub(crate) async fn visible_order(
        &self,
        principal: &Principal,
        id: OrderId,
    ) -> CoreResult<(OrderRecord, OrderActor)> {
        let order = self.orders.order(id).await?.ok_or_else(|| CoreError::not_found("order"))?;
        let actor = Self::actor_for(principal, &order)?;
        // A checkout still taking its money is nobody's order yet.
        if order.status == OrderStatus::Paying && actor != OrderActor::Customer {
            return Err(CoreError::not_found("order"));
        }
        Ok((order, actor))
    }

    pub(crate) async fn order_view(&self, record: OrderRecord, actor: OrderActor) -> CoreResult<Order> {
        let seller_name = self.store.merchant_name(record.seller).await?.unwrap_or_default();
        let changes = self.orders.order_changes(record.id).await?;
        let situation = situation(&record);
        let reviewed = self.reviewed(&record, actor).await?;
        let next_actions = next_actions(situation, actor, reviewed)
            .into_iter()
            // A line edit is over once completion has begun.
            .filter(|action| *action != OrderAction::EditLines || record.captured == Amount::ZERO)
            .collect();
        let prescription_at = self.orders.prescription_uploaded(record.id).await?;
        let handover_code = if actor == OrderActor::Customer { self.handover_code_for(&record).await? } else { None };
        Ok(Order { record, seller_name, changes, next_actions, prescription_at, handover_code })
    }

    /// One order, for its customer or its shop.
    pub async fn order(&self, principal: &Principal, id: OrderId) -> CoreResult<Order> {
        let (order, actor) = self.visible_order(principal, id).await?;
        self.order_view(order, actor).await
    }

    /// The caller's orders, newest first, placed before `before`.
    pub async fn my_orders(
        &self,
        principal: &Principal,
        before: Option<&OrderRecord>,
        limit: u32,
    ) -> CoreResult<Vec<Order>> {
        let customer = principal.require(Role::Customer)?;
        let before =
            before.map_or((Timestamp(i64::MAX), OrderId(uuid::Uuid::max())), |order| (order.created_at, order.id));
        let records = self.orders.customer_orders(customer, before, limit.min(MAX_ORDERS_PAGE)).await?;
        let mut orders = Vec::with_capacity(records.len());
        for record in records {
            orders.push(self.order_view(record, OrderActor::Customer).await?);
        }
        Ok(orders)
    }

    /// The caller's shop's orders: the open ones oldest first (the board), or the ended ones.
    pub async fn shop_orders(&self, principal: &Principal, open: bool, limit: u32) -> CoreResult<Vec<Order>> {
        let seller = principal.require_merchant()?;
        let records = self.orders.seller_orders(seller, open, limit).await?;
        let mut orders = Vec::with_capacity(records.len());
        for record in records {
            let actor = Self::actor_for(principal, &record)?;
            orders.push(self.order_view(record, actor).await?);
        }
        Ok(orders)
    }

    /// The shop accepts, promising the order ready in `ready_minutes`.
    pub async fn accept_order(&self, principal: &Principal, id: OrderId, ready_minutes: u32) -> CoreResult<Order> {
        if ready_minutes > MAX_READY_MINUTES {
            return Err(CoreError::rejected("ready_time_invalid", "an order is promised ready within 24 hours"));
        }
        let ready_at = self.kernel.now().plus_seconds(i64::from(ready_minutes).saturating_mul(60));
        self.move_by(principal, id, OrderStatus::Accepted, None, Some(ready_at)).await
    }

    /// A move without more to say: preparing, ready, handed over (completion takes the money).
    pub async fn advance_order(&self, principal: &Principal, id: OrderId, to: OrderStatus) -> CoreResult<Order> {
        self.move_by(principal, id, to, None, None).await
    }

    /// The shop rejects, or either party cancels, saying why.
    pub async fn end_order(
        &self,
        principal: &Principal,
        id: OrderId,
        to: OrderStatus,
        reason: &str,
    ) -> CoreResult<Order> {
        let reason = reason.trim();
        if reason.chars().count() > MAX_REASON_CHARS || !is_display_safe(reason) {
            return Err(CoreError::rejected("reason_invalid", "a reason is at most 200 characters of plain text"));
        }
        let reason = (!reason.is_empty()).then(|| reason.to_owned());
        self.move_by(principal, id, to, reason, None).await
    }

    async fn move_by(
        &self,
        principal: &Principal,
        id: OrderId,
        to: OrderStatus,
        reason: Option<String>,
        ready_at: Option<Timestamp>,
    ) -> CoreResult<Order> {
        let (order, actor) = self.visible_order(principal, id).await?;
        let by = Some(principal.scope());
        let moved = self.move_order(&order, actor, by, to, reason, ready_at, Settlement::default()).await?;
        self.order_view(moved, actor).await
    }

    /// Moves an order as the table allows `actor`, settling its hold where the move says so
    /// (with what `settlement` adds: the delivery job's step and its courier's pay).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn move_order(
        &self,
        order: &OrderRecord,
        actor: OrderActor,
        by: Option<uuid::Uuid>,
        to: OrderStatus,
        reason: Option<String>,
        ready_at: Option<Timestamp>,
        settlement: Settlement<'_>,
    ) -> CoreResult<OrderRecord> {
        let situation = situation(order);
        let transition = plan_move(situation, actor, to, reason.is_some()).map_err(move_refused)?;
        // A delivery's own end (its job's step comes with the move) is what the check waits for.
        if settlement.job_step.is_none() {
            self.refuse_ending_carried(order, to).await?;
        }
        match to.hold_effect() {
            HoldEffect::Keep => {}
            HoldEffect::Void => self.void_hold_with(order, settlement.legs).await?,
            HoldEffect::Capture => self.capture_hold(order, settlement.legs).await?,
        }
        let now = self.kernel.now();
        let change = OrderChange {
            at: now,
            actor,
            by,
            kind: ChangeKind::Moved,
            from: Some(order.status),
            to: Some(to),
            line: None,
            amount: None,
            note: reason,
        };
        let moved = OrderRecord { status: to, updated_at: now, ..order.clone() };
        let events = self.order_events(&moved)?;
        let jobs = match settlement.job_step {
            Some(_) => JobWrites { offer: None, cancel: None },
            None => JobWrites::of(order, to, now, change.note.as_deref()),
        };
        let order_move = OrderMove {
            order: order.id,
            transition,
            change,
            ready_at,
            release_stock: to.hold_effect() == HoldEffect::Void,
            lines: &[],
            line_changes: &[],
            events: &events,
            offer: jobs.offer.as_ref(),
            cancel_job: jobs.cancel.as_ref(),
            job_step: settlement.job_step,
        };
        if self.orders.move_order(&order_move).await? {
            if !events.is_empty() || settlement.job_step.is_some() {
                self.kernel.events_written();
            }
            if order_move.release_stock {
                self.after_restock(&reserved_products(order)).await;
            }
        } else {
            // Someone moved it first: say where it stands now.
            let current = self.orders.order(order.id).await?.ok_or_else(|| CoreError::not_found("order"))?;
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "order_changed",
                format!("this order is {} now; read it again", current.status),
            ));
        }
        self.orders.order(order.id).await?.ok_or_else(|| CoreError::not_found("order"))
    }

    /// Housekeeping's move (placing, failing, expiring): no person, no reason asked.
    pub(crate) async fn system_move(
        &self,
        order: &OrderRecord,
        to: OrderStatus,
        note: Option<String>,
    ) -> CoreResult<()> {
        self.system_move_heard(order, to, note, Heard::ByAll).await
    }

    /// As [`Self::system_move`]; `Heard::ByNobody` writes no event, for a step nobody can act on
    /// (a pharmacy order is placed and at once waits for the pharmacist: the shop hears of it
    /// once, when the check is done).
    pub(crate) async fn system_move_heard(
        &self,
        order: &OrderRecord,
        to: OrderStatus,
        note: Option<String>,
        heard: Heard,
    ) -> CoreResult<()> {
        let situation = situation(order);
        let transition = plan_move(situation, OrderActor::System, to, true).map_err(move_refused)?;
        // Housekeeping leaves an order whose goods a courier has: its delivery settles it, and
        // voiding the hold first would leave the order behind its money.
        if self.ending_blocked_by_courier(order, to).await? {
            return Ok(());
        }
        // A checkout that failed holds nothing of its own to give back; anything else ended does.
        let gives_back = matches!(to, OrderStatus::Expired | OrderStatus::Cancelled);
        if gives_back {
            self.void_hold(order).await?;
        }
        let now = self.kernel.now();
        let change = OrderChange {
            at: now,
            actor: OrderActor::System,
            by: None,
            kind: ChangeKind::Moved,
            from: Some(order.status),
            to: Some(to),
            line: None,
            amount: None,
            note,
        };
        let moved = OrderRecord { status: to, updated_at: now, ..order.clone() };
        let events = match heard {
            Heard::ByAll => self.order_events(&moved)?,
            Heard::ByNobody => Vec::new(),
        };
        let release_stock = gives_back || to == OrderStatus::Failed;
        let jobs = JobWrites::of(order, to, now, change.note.as_deref());
        let order_move = OrderMove {
            order: order.id,
            transition,
            change,
            ready_at: None,
            release_stock,
            lines: &[],
            line_changes: &[],
            events: &events,
            offer: jobs.offer.as_ref(),
            cancel_job: jobs.cancel.as_ref(),
            job_step: None,
        };
        // Lost to another process doing the same: what it left stands.
        if self.orders.move_order(&order_move).await? {
            if !events.is_empty() {
                self.kernel.events_written();
            }
            if release_stock {
                self.after_restock(&reserved_products(order)).await;
            }
        }
        Ok(())
    }

    /// Refuses to end a delivery order whose goods a courier has (or delivered, or brought back):
    /// the job ends first, and it settles the order.
    pub(crate) async fn refuse_ending_carried(&self, order: &OrderRecord, to: OrderStatus) -> CoreResult<()> {
        if self.ending_blocked_by_courier(order, to).await? {
            return Err(CoreError::rejected(
                "order_with_courier",
                "a courier has this order's goods; the delivery ends first",
            ));
        }
        Ok(())
    }

    /// Whether moving to `to` would end a delivery order whose job can no longer be cancelled.
    async fn ending_blocked_by_courier(&self, order: &OrderRecord, to: OrderStatus) -> CoreResult<bool> {
        let ends = to.hold_effect() == HoldEffect::Void || to == OrderStatus::Completed;
        if !ends || order.fulfilment != FulfilmentKind::Delivery {
            return Ok(false);
        }
        let job = self.orders.job_of_order(order.id).await?;
        Ok(job.is_some_and(|job| !job.status.may_become(JobStatus::Cancelled) && job.status != JobStatus::Cancelled))
    }

    /// Gives the whole hold back. One already voided, or lapsed in the ledger, is back already.
    pub(crate) async fn void_hold(&self, order: &OrderRecord) -> CoreResult<()> {
        self.void_hold_with(order, Vec::new()).await
    }

    /// As [`Self::void_hold`], with `legs` linked after the void (a returned delivery's courier
    /// pay); with the hold already back, the legs go alone.
    async fn void_hold_with(&self, order: &OrderRecord, legs: Vec<TransferCommand>) -> CoreResult<()> {
        let void = TransferCommand {
            id: OrderLeg::Void.transfer_id(order.id),
            op: TransferOp::Void { pending_id: OrderLeg::Hold.transfer_id(order.id) },
            code: TransferCode::Payment,
            reference: order_ledger_reference(order.id),
            credit_cap: None,
        };
        let mut chain = vec![void];
        chain.extend(legs.iter().cloned());
        match self.kernel.ledger.submit(chain).await? {
            Ok(_) => Ok(()),
            Err(rejection) if is_released(&rejection) && legs.is_empty() => Ok(()),
            Err(rejection) if is_released(&rejection) => match self.kernel.ledger.submit(legs).await? {
                Ok(_) => Ok(()),
                Err(rejection) => Err(CoreError::from(rejection.error)),
            },
            Err(rejection) => Err(CoreError::from(rejection.error)),
        }
    }

    /// Takes the final amount from the hold, with the merchant's fee (on the goods: a delivery fee
    /// is the courier's) and `legs` (the courier's pay), in one linked chain. The amounts are
    /// written on the order first, so a retry (or verification) knows what was meant.
    async fn capture_hold(&self, order: &OrderRecord, legs: Vec<TransferCommand>) -> CoreResult<()> {
        let (captured, fee) = if order.captured > Amount::ZERO {
            (order.captured, order.fee)
        } else {
            let lines: Vec<_> = order.lines.iter().map(|line| line.money).collect();
            let captured = capture_amount(&lines, order.delivery_fee, order.held)
                .map_err(|error| CoreError::rejected("order_not_completable", error.to_string()))?;
            let merchant =
                self.kernel.store.merchant(order.seller).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
            let goods = captured.checked_sub(order.delivery_fee).unwrap_or(captured);
            let fee = fee_for(goods, merchant.fee_bps)
                .map_err(|error| CoreError::invalid("fee_invalid", error.to_string()))?;
            if !self.orders.set_capture(order.id, order.status, captured, fee).await? {
                return Err(CoreError::new(ErrorKind::Conflict, "order_changed", "this order changed; read it again"));
            }
            (captured, fee)
        };
        let reference = order_ledger_reference(order.id);
        let capture = TransferCommand {
            id: OrderLeg::Capture.transfer_id(order.id),
            op: TransferOp::Post { pending_id: OrderLeg::Hold.transfer_id(order.id), amount: Some(captured) },
            code: TransferCode::Payment,
            reference: reference.clone(),
            credit_cap: None,
        };
        let mut chain = vec![capture];
        if fee > Amount::ZERO {
            let kernel = &self.kernel;
            let currency = order.currency;
            chain.push(TransferCommand {
                id: OrderLeg::Fee.transfer_id(order.id),
                op: TransferOp::Posted {
                    debit: kernel
                        .ensure_account(AccountOwner::Merchant(order.seller), AccountKind::Merchant, currency)
                        .await?,
                    credit: kernel.ensure_account(AccountOwner::System, AccountKind::FeeIncome, currency).await?,
                    amount: fee,
                    currency,
                },
                code: TransferCode::Fee,
                reference,
                credit_cap: None,
            });
        }
        chain.extend(legs);
        match self.kernel.ledger.submit(chain).await? {
            Ok(_) => Ok(()),
            Err(rejection) => Err(CoreError::from(rejection.error)),
        }
    }

    /// The shop changes accepted lines before hand-over: an item it cannot supply, fewer than
    /// ordered, or a weighed item's price off the scale (within its hold). The customer reads
    /// every change in the order's history.
    pub async fn change_lines(
        &self,
        principal: &Principal,
        id: OrderId,
        edits: &[(u32, LineEdit)],
    ) -> CoreResult<Order> {
        let (order, actor) = self.visible_order(principal, id).await?;
        let situation = situation(&order);
        if !next_actions(situation, actor, false).contains(&OrderAction::EditLines) {
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "order_not_editable",
                format!("the shop changes lines only while it has the order in hand; it is {}", order.status),
            ));
        }
        if edits.is_empty() || edits.len() > order.lines.len() {
            return Err(CoreError::rejected("lines_invalid", "name each line to change once"));
        }
        let now = self.kernel.now();
        let mut lines = Vec::with_capacity(edits.len());
        let mut changes = Vec::with_capacity(edits.len());
        for (position, edit) in edits {
            let line = order
                .lines
                .iter()
                .find(|line| line.position == *position)
                .ok_or_else(|| CoreError::rejected("line_unknown", format!("this order has no line {position}")))?;
            if lines.iter().any(|changed: &LineChange| changed.position == *position) {
                return Err(CoreError::rejected("lines_invalid", "name each line to change once"));
            }
            let final_total = edit_line(&line.money, *edit)
                .map_err(|error| CoreError::rejected("line_edit_invalid", error.to_string()))?;
            lines.push(LineChange {
                position: *position,
                final_total: Some(final_total),
                check: None,
                check_note: None,
            });
            changes.push(OrderChange {
                at: now,
                actor,
                by: Some(principal.scope()),
                kind: ChangeKind::LineChanged,
                from: None,
                to: None,
                line: Some(*position),
                amount: Some(final_total),
                note: None,
            });
        }
        let mut after = order.clone();
        for change in &lines {
            if let Some(line) = after.lines.iter_mut().find(|line| line.position == change.position) {
                line.money.final_total = change.final_total;
            }
        }
        let money: Vec<_> = after.lines.iter().map(|line| line.money).collect();
        capture_amount(&money, order.delivery_fee, order.held).map_err(|error| {
            CoreError::rejected("order_not_completable", format!("{error}: cancel the order instead"))
        })?;
        let events = self.order_events_of(&after, "order.changed")?;
        if !self.orders.change_lines(order.id, order.status, &lines, &changes, &events).await? {
            return Err(CoreError::new(ErrorKind::Conflict, "order_changed", "this order changed; read it again"));
        }
        self.kernel.events_written();
        let stored = self.orders.order(order.id).await?.ok_or_else(|| CoreError::not_found("order"))?;
        self.order_view(stored, actor).await
    }

    /// Housekeeping: finishes checkouts cut short and expires orders nobody accepted in time.
    /// Returns how many orders it acted on.
    pub async fn run_due_orders(&self, limit: u32) -> CoreResult<usize> {
        let now = self.kernel.now();
        let due = DueBy {
            now,
            stalled_before: now.plus_seconds(-STALLED_AFTER_SECONDS),
            in_hand_before: now.plus_seconds(-IN_HAND_SECONDS),
        };
        let due = self.orders.due_orders(due, limit).await?;
        for id in &due {
            let Some(order) = self.orders.order(*id).await? else { continue };
            match order.status {
                OrderStatus::Paying => {
                    let checkout = self.orders.checkout_orders(order.checkout).await?;
                    // A refusal is the checkout's answer, recorded on its orders; nothing to report here.
                    let _ = self.hold_and_place(checkout).await;
                }
                OrderStatus::Placed | OrderStatus::AwaitingPharmacist => {
                    self.system_move(&order, OrderStatus::Expired, Some("not accepted in time".to_owned())).await?;
                }
                status if status.is_in_hand() => {
                    let why = "not handed over within 3 days: the money is given back";
                    self.system_move(&order, OrderStatus::Cancelled, Some(why.to_owned())).await?;
                }
                _ => {}
            }
        }
        Ok(due.len())
    }

    pub(crate) fn order_events(&self, order: &OrderRecord) -> CoreResult<Vec<EventRecord>> {
        if order.status == OrderStatus::Paying {
            return Ok(Vec::new());
        }
        self.order_events_of(order, &format!("order.{}", order.status))
    }

    /// The event for the shop's stream and webhooks, heard by the customer too. A move the shop
    /// never saw (a checkout that failed) is the customer's alone, and not written at all.
    fn order_events_of(&self, order: &OrderRecord, kind: &str) -> CoreResult<Vec<EventRecord>> {
        if order.status == OrderStatus::Failed {
            return Ok(Vec::new());
        }
        let total = if order.captured > Amount::ZERO {
            order.captured
        } else {
            order.subtotal.checked_add(order.delivery_fee).unwrap_or(order.held)
        };
        let data = OrderEvent {
            order_id: order.id,
            status: order.status.as_str(),
            seller_id: order.seller.0,
            total: self.kernel.settings.currencies.default_currency().format_amount(total),
            currency: order.currency.as_str(),
            created_at: order.created_at.0,
        };
        let data = serde_json::value::to_raw_value(&data)
            .map_err(|error| CoreError::invalid("unserialisable_event", error.to_string()))?;
        let mut event = quipu_events::new_event(&self.kernel, kind, order.seller, "", &data, order.updated_at)?;
        event.customer_id = Some(order.customer);
        Ok(vec![event])
    }
}

/// What an order looks like to the domain's table.
pub(crate) fn situation(order: &OrderRecord) -> OrderSituation {
    OrderSituation {
        status: order.status,
        unchecked_lines: order.unchecked_lines(),
        by_courier: order.fulfilment == FulfilmentKind::Delivery,
    }
}

/// What a move settles beyond the order's hold: the delivery job's step that ends it, written in
/// the move's transaction, and the transfers paying its courier, linked into the hold's chain.
#[derive(Default)]
pub(crate) struct Settlement<'a> {
    pub(crate) job_step: Option<&'a JobMove<'a>>,
    pub(crate) legs: Vec<TransferCommand>,
}

/// Whether a move housekeeping makes is announced on the live streams and webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Heard {
    ByAll,
    ByNobody,
}

/// A move the table refused, as the caller reads it.
fn move_refused(error: OrderMoveError) -> CoreError {
    match error {
        OrderMoveError::NotAllowed { .. } => {
            CoreError::new(ErrorKind::Conflict, "order_move_not_allowed", error.to_string())
        }
        OrderMoveError::NotYours { .. } => {
            CoreError::new(ErrorKind::Forbidden, "order_move_not_yours", error.to_string())
        }
        OrderMoveError::ReasonMissing(_) => CoreError::rejected("reason_required", error.to_string()),
        OrderMoveError::CheckPending => {
            CoreError::new(ErrorKind::Conflict, "pharmacist_check_pending", error.to_string())
        }
    }
}

/// The products whose counted stock an order took, and gives back when it ends unfinished.
fn reserved_products(order: &OrderRecord) -> Vec<quipu_domain::market::ProductId> {
    order.lines.iter().filter(|line| line.reserved).map(|line| line.product).collect()
}

fn is_released(rejection: &ChainRejection) -> bool {
    matches!(rejection.error, TransferError::PendingAlreadyVoided | TransferError::PendingExpired)
}

/// What an order's move writes of its delivery job, in the move's transaction: a delivery order
/// the shop accepts is offered to couriers; one that ends before pickup ends its job.
pub(crate) struct JobWrites {
    pub(crate) offer: Option<JobRecord>,
    pub(crate) cancel: Option<JobStep>,
}

impl JobWrites {
    pub(crate) fn of(order: &OrderRecord, to: OrderStatus, now: Timestamp, reason: Option<&str>) -> Self {
        if order.fulfilment != FulfilmentKind::Delivery {
            return Self { offer: None, cancel: None };
        }
        let offer = (to == OrderStatus::Accepted).then(|| JobRecord {
            id: JobId::of_order(order.id),
            order: order.id,
            seller: order.seller,
            status: JobStatus::Offered,
            courier: None,
            fee: order.delivery_fee,
            tip: Amount::ZERO,
            currency: order.currency,
            version: 1,
            offered_at: now,
            alerted_at: None,
            reason: None,
            created_at: now,
            updated_at: now,
        });
        let ends = to.hold_effect() == HoldEffect::Void || to == OrderStatus::Completed;
        let cancel = ends.then(|| JobStep {
            at: now,
            actor: JobActor::System,
            by: None,
            from: None,
            to: JobStatus::Cancelled,
            courier: None,
            point: None,
            note: reason.map(str::to_owned),
        });
        Self { offer, cancel }
    }
}
