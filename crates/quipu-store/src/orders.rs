//! Carts and orders: what a customer means to buy, and what each shop was asked for, with every
//! change made to it since. [`OrderStore`] is the market context's handle for them, like
//! [`crate::MarketStore`] for the catalog: the context is given these traits, not the whole store.

use quipu_domain::card::CardId;
use quipu_domain::delivery::JobId;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::market::AreaId;
use quipu_domain::market::ProductId;
use quipu_domain::market::catalog::{Choices, LocalisedName};
use quipu_domain::market::checkout::{
    CartLineId, CheckoutId, FulfilmentKind, LineCheck, LineState, OrderId, OrderPayment,
};
pub use quipu_domain::market::order::ChangeKind;
use quipu_domain::market::order::{OrderActor, OrderStatus};
use quipu_domain::money::CurrencyCode;
use quipu_domain::state::Transition;
use quipu_domain::{Amount, Timestamp};
use uuid::Uuid;

use crate::StoreResult;
use crate::delivery::{JobMove, JobRecord, JobStep};
use crate::events::EventRecord;
use crate::market::StoredPoint;
use crate::support::AccessEntryRecord;

/// When orders are due for housekeeping (see [`OrderStore::due_orders`]).
#[derive(Debug, Clone, Copy)]
pub struct DueBy {
    pub now: Timestamp,
    pub stalled_before: Timestamp,
    pub in_hand_before: Timestamp,
}

/// Most orders one page of a customer's or a shop's list holds.
pub const MAX_ORDERS_PAGE: u32 = 100;
/// Most changes one order's history holds (moves, line edits and checks: a few dozen at most).
pub const MAX_ORDER_CHANGES: u32 = 500;

/// A line in a customer's cart: a product with its chosen options, and the unit price the
/// customer saw when adding it (checkout refuses a line whose price has moved since).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLineRecord {
    pub id: CartLineId,
    pub customer: UserId,
    pub product: ProductId,
    pub seller: MerchantId,
    pub quantity: u32,
    pub choices: Choices,
    pub unit_price: Amount,
    pub added_at: Timestamp,
}

/// An order's line as the customer ordered it, and what the shop and a pharmacist made of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLineRecord {
    pub position: u32,
    pub product: ProductId,
    pub name: LocalisedName,
    /// The options chosen, as words (a snapshot: the menu may change later).
    pub options: String,
    pub money: LineState,
    /// Whether checkout took the quantity off the product's counted stock (and a void gives it back).
    pub reserved: bool,
    pub check: LineCheck,
    pub check_note: Option<String>,
    /// The options chosen, as the cart kept them (to order it again); none on lines written
    /// before they were kept.
    pub choices: Option<Choices>,
}

/// One seller's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: OrderId,
    pub checkout: CheckoutId,
    pub customer: UserId,
    pub seller: MerchantId,
    pub status: OrderStatus,
    pub payment: OrderPayment,
    pub card: Option<CardId>,
    pub currency: CurrencyCode,
    pub subtotal: Amount,
    pub delivery_fee: Amount,
    pub held: Amount,
    /// What completion takes, written just before the hold is captured; zero until then.
    pub captured: Amount,
    pub fee: Amount,
    pub fulfilment: FulfilmentKind,
    pub area: Option<AreaId>,
    pub location: Option<StoredPoint>,
    pub address: String,
    pub note: String,
    /// When the shop said it will be ready.
    pub ready_at: Option<Timestamp>,
    /// When it expires if nobody accepts it.
    pub accept_by: Timestamp,
    /// Why it was rejected, cancelled or failed.
    pub reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub lines: Vec<OrderLineRecord>,
}

impl OrderRecord {
    /// Lines flagged for a pharmacist that nobody has checked yet.
    pub fn unchecked_lines(&self) -> u32 {
        let waiting = self.lines.iter().filter(|line| line.check == LineCheck::Waiting).count();
        u32::try_from(waiting).unwrap_or(u32::MAX)
    }
}

/// One change to an order: who, when, what, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderChange {
    pub at: Timestamp,
    pub actor: OrderActor,
    /// The person (or API key) who made it; none for housekeeping.
    pub by: Option<Uuid>,
    pub kind: ChangeKind,
    pub from: Option<OrderStatus>,
    pub to: Option<OrderStatus>,
    pub line: Option<u32>,
    /// A changed line's new amount.
    pub amount: Option<Amount>,
    /// A reason, or a pharmacist's note.
    pub note: Option<String>,
}

/// A move of an order's status, with what it writes alongside.
#[derive(Debug, Clone)]
pub struct OrderMove<'a> {
    pub order: OrderId,
    pub transition: Transition<OrderStatus>,
    pub change: OrderChange,
    pub ready_at: Option<Timestamp>,
    /// Give reserved stock back (the order ended without completing).
    pub release_stock: bool,
    /// Lines the move changes with it (a pharmacist's check), each recorded by its own change
    /// before the move's.
    pub lines: &'a [LineChange],
    pub line_changes: &'a [OrderChange],
    pub events: &'a [EventRecord],
    /// The delivery job to offer with the move (a delivery order accepted), written in its
    /// transaction; a job already there is kept.
    pub offer: Option<&'a JobRecord>,
    /// Cancel the order's job with the move, if nobody has picked its goods up (the order ended).
    pub cancel_job: Option<&'a JobStep>,
    /// The job's own step that settles the order (delivered at the door, or the return confirmed),
    /// written as the job's compare-and-set in the move's transaction: neither lands alone.
    pub job_step: Option<&'a JobMove<'a>>,
}

/// An order's hand-over code as stored at checkout: its keyed hash, never the digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandoverHash {
    pub order: OrderId,
    pub hash: [u8; 32],
}

/// What claiming one guess at an order's hand-over code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandoverGuess {
    /// The guess is counted (as wrong, until [`OrderStore::handover_right`] says otherwise): the
    /// hash to compare with, and how many guesses are counted now, this one included.
    Counted { hash: Vec<u8>, counted: u32 },
    /// Too many wrong guesses: locked until then.
    Locked(Timestamp),
    /// The order has no code (it was placed before codes existed).
    Missing,
}

/// A line changed by the shop or checked by a pharmacist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineChange {
    pub position: u32,
    pub final_total: Option<Amount>,
    pub check: Option<LineCheck>,
    pub check_note: Option<String>,
}

/// A customer's prescription photo for an order: only a re-encoded JPEG, never the upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrescriptionRecord {
    pub order: OrderId,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    pub uploaded_at: Timestamp,
}

/// What placing a checkout's orders came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placing {
    Written,
    /// The checkout's orders are already stored (a retry): nothing was written.
    Exists,
    /// This product has too little counted stock left: nothing was written.
    OutOfStock(ProductId),
}

#[async_trait::async_trait]
pub trait OrderStore: Send + Sync {
    /// A customer's cart, oldest line first.
    async fn cart(&self, customer: UserId) -> StoreResult<Vec<CartLineRecord>>;

    /// Adds a line, or sets the quantity and price of the same product with the same choices.
    async fn put_cart_line(&self, line: &CartLineRecord) -> StoreResult<()>;

    /// [`OrderStore::put_cart_line`] for several lines, all or none (an order placed again).
    async fn put_cart_lines(&self, lines: &[CartLineRecord]) -> StoreResult<()>;

    /// Sets a line's quantity; false if the customer has no such line.
    async fn set_cart_quantity(&self, customer: UserId, line: CartLineId, quantity: u32) -> StoreResult<bool>;

    /// Removes lines (all of them when `lines` is `None`).
    async fn remove_cart_lines(&self, customer: UserId, lines: Option<&[CartLineId]>) -> StoreResult<()>;

    /// Writes a checkout's orders in one transaction: the orders and their lines, the stock their
    /// reserved lines take, the cart lines they came from removed, and each order's first change.
    async fn place_orders(
        &self,
        orders: &[OrderRecord],
        codes: &[HandoverHash],
        cart_lines: &[CartLineId],
    ) -> StoreResult<Placing>;

    /// The instance's key for `purpose`: `fresh` is kept if there is none yet (the first process
    /// to start wins, and every process reads the same key).
    async fn instance_key(&self, purpose: &str, fresh: &[u8], now: Timestamp) -> StoreResult<Vec<u8>>;

    /// Counts one guess at an order's hand-over code before it is compared, so a burst of
    /// guesses is counted exactly; at `max` counted the code locks until `lock_until`. An expired
    /// lock is lifted and the count starts again.
    async fn claim_handover_guess(
        &self,
        order: OrderId,
        now: Timestamp,
        max: u32,
        lock_until: Timestamp,
    ) -> StoreResult<HandoverGuess>;

    /// The right code came: the count and any lock go.
    async fn handover_right(&self, order: OrderId, now: Timestamp) -> StoreResult<()>;

    /// Records the customer's tip on a delivery job carrying their goods that has none yet:
    /// false otherwise.
    async fn set_tip(&self, job: JobId, tip: Amount) -> StoreResult<bool>;
    /// Drops a tip whose hold the ledger refused (the customer's money was gone).
    async fn clear_tip(&self, job: JobId, tip: Amount) -> StoreResult<()>;

    async fn order(&self, id: OrderId) -> StoreResult<Option<OrderRecord>>;

    /// The delivery job of a delivery order the shop accepted: what ending the order must respect.
    async fn job_of_order(&self, id: OrderId) -> StoreResult<Option<JobRecord>>;

    /// The orders a checkout wrote.
    async fn checkout_orders(&self, checkout: CheckoutId) -> StoreResult<Vec<OrderRecord>>;

    /// Moves an order if it still stands where the transition starts; false if it moved first.
    async fn move_order(&self, order_move: &OrderMove<'_>) -> StoreResult<bool>;

    /// Records what completion will take, while the order is still in `at` and nothing was taken yet.
    async fn set_capture(&self, order: OrderId, at: OrderStatus, captured: Amount, fee: Amount) -> StoreResult<bool>;

    /// Changes lines while the order is still in `at` and completion has not begun; false otherwise.
    async fn change_lines(
        &self,
        order: OrderId,
        at: OrderStatus,
        lines: &[LineChange],
        changes: &[OrderChange],
        events: &[EventRecord],
    ) -> StoreResult<bool>;

    /// An order's changes, oldest first.
    async fn order_changes(&self, order: OrderId) -> StoreResult<Vec<OrderChange>>;

    /// A customer's orders placed before the order `before` (its time and id: orders of one
    /// checkout share a time), newest first.
    async fn customer_orders(
        &self,
        customer: UserId,
        before: (Timestamp, OrderId),
        limit: u32,
    ) -> StoreResult<Vec<OrderRecord>>;

    /// A shop's open orders, oldest first (the board's queue), or its ended ones, latest first.
    async fn seller_orders(&self, seller: MerchantId, open: bool, limit: u32) -> StoreResult<Vec<OrderRecord>>;

    /// A shop's orders in `status`, oldest first (a pharmacist's queue).
    async fn seller_orders_in(
        &self,
        seller: MerchantId,
        status: OrderStatus,
        limit: u32,
    ) -> StoreResult<Vec<OrderRecord>>;

    /// Stores an order's prescription photo, replacing the one before.
    async fn put_prescription(&self, prescription: &PrescriptionRecord) -> StoreResult<()>;

    /// When an order's prescription photo was uploaded, if it has one (reads none of its bytes).
    async fn prescription_uploaded(&self, order: OrderId) -> StoreResult<Option<Timestamp>>;

    /// An order's prescription photo. With `log`, the read is written to the customer's access
    /// log in the same transaction: what is read is logged, or it is not read.
    async fn prescription(
        &self,
        order: OrderId,
        log: Option<&AccessEntryRecord>,
    ) -> StoreResult<Option<PrescriptionRecord>>;

    /// Deletes at most `limit` prescription photos of orders that ended before `ended_before`;
    /// returns how many.
    async fn delete_old_prescriptions(&self, ended_before: Timestamp, limit: u32) -> StoreResult<u64>;

    /// Orders housekeeping must act on: waiting for acceptance past `now`, still paying since
    /// before `stalled_before`, or in a shop's hands since before `in_hand_before`.
    async fn due_orders(&self, due: DueBy, limit: u32) -> StoreResult<Vec<OrderId>>;

    /// What a payer's orders since `since` hold or took, except those that ended without completing.
    async fn orders_spent_since(
        &self,
        customer: Option<UserId>,
        card: Option<CardId>,
        currency: &str,
        since: Timestamp,
    ) -> StoreResult<Amount>;
}
