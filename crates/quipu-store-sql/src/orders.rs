//! [`OrderStore`] for every backend: carts, orders with their lines, and each order's changes.
//! A move is a compare-and-set on the status the domain's table allowed; stock is taken at
//! checkout with a compare-and-set on what is left, and given back when an order ends unfinished.

use std::collections::HashMap;

use quipu_domain::card::CardId;
use quipu_domain::delivery::JobId;
use quipu_domain::delivery::job::JobStatus;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::market::catalog::{Choices, LocalisedName, Unit};
use quipu_domain::market::checkout::{
    CartLineId, CheckoutId, FulfilmentKind, LineCheck, LineState, OrderId, OrderPayment,
};
use quipu_domain::market::order::{OrderActor, OrderStatus};
use quipu_domain::market::{AreaId, ProductId};
use quipu_domain::{Amount, Timestamp};
use quipu_store::delivery::JobRecord;
use quipu_store::events::EventRecord;
use quipu_store::market::StoredPoint;
use quipu_store::orders::{
    CartLineRecord, ChangeKind, DueBy, HandoverGuess, HandoverHash, LineChange, MAX_ORDER_CHANGES, MAX_ORDERS_PAGE,
    OrderChange, OrderLineRecord, OrderMove, OrderRecord, OrderStore, Placing, PrescriptionRecord,
};
use quipu_store::{AccessEntryRecord, StoreError, StoreResult, async_trait, corrupt, db_error};
use uuid::Uuid;

use crate::decode::{amount, currency, named};
use crate::driver::{Columns, FromColumns, Statement, execute, execute_unique, fetch_all, fetch_one, fetch_optional};
use crate::{Backend, Conn, SqlStore, by_ids};

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_HANDOVER = "INSERT INTO handover_codes (order_id, code_hash, failed_attempts, locked_until, checked_at) \
            VALUES ($1, $2, 0, NULL, NULL) ON CONFLICT (order_id) DO NOTHING";
        INSERT_INSTANCE_KEY = "INSERT INTO instance_keys (purpose, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (purpose) DO NOTHING";
        SELECT_INSTANCE_KEY = "SELECT secret FROM instance_keys WHERE purpose = $1";
        /// Counts a guess unless the code is locked ($2 now, $3 the most, $4 locked until); an
        /// expired lock is lifted and the count starts again. (Right-hand sides see the old row.)
        CLAIM_HANDOVER_GUESS = "UPDATE handover_codes SET \
            failed_attempts = CASE WHEN locked_until <= $2 THEN 1 ELSE failed_attempts + 1 END, \
            locked_until = CASE WHEN locked_until <= $2 THEN NULL WHEN failed_attempts + 1 >= $3 THEN CAST($4 AS BIGINT) ELSE locked_until END \
            WHERE order_id = $1 AND (locked_until IS NULL OR locked_until <= $2) RETURNING code_hash, failed_attempts";
        SELECT_HANDOVER_LOCK = "SELECT locked_until FROM handover_codes WHERE order_id = $1";
        HANDOVER_RIGHT = "UPDATE handover_codes SET failed_attempts = 0, locked_until = NULL, checked_at = $2 WHERE order_id = $1";
        SELECT_CART = "SELECT * FROM cart_lines WHERE customer_id = $1 ORDER BY added_at, id LIMIT $2";
        UPSERT_CART_LINE = "INSERT INTO cart_lines (id, customer_id, product_id, seller_id, quantity, choices, unit_price, added_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
            ON CONFLICT (customer_id, product_id, choices) DO UPDATE SET quantity = excluded.quantity, unit_price = excluded.unit_price";
        SET_CART_QUANTITY = "UPDATE cart_lines SET quantity = $3 WHERE customer_id = $1 AND id = $2";
        DELETE_CART_LINE = "DELETE FROM cart_lines WHERE customer_id = $1 AND id = $2";
        DELETE_CART = "DELETE FROM cart_lines WHERE customer_id = $1";
        INSERT_ORDER = "INSERT INTO orders (id, checkout_id, customer_id, seller_id, status, payment, card_id, currency, subtotal, delivery_fee, held, captured, fee, \
            fulfilment, area_id, latitude_micro, longitude_micro, address, note, ready_at, accept_by, reason, created_at, updated_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)";
        INSERT_LINE = "INSERT INTO order_lines (order_id, position, product_id, name_ko, name_en, options, unit, quantity, unit_price, total, hold, final_total, reserved, line_check, check_note, choices) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
        /// Takes counted stock, only if enough is left; the product's version moves on, so a
        /// seller's edit made from the count before it is refused rather than overwriting it.
        TAKE_STOCK = "UPDATE products SET stock = stock - $2, version = version + 1, updated_at = $3 WHERE id = $1 AND stock >= $2";
        RETURN_STOCK = "UPDATE products SET stock = stock + $2, version = version + 1, updated_at = $3 WHERE id = $1 AND stock IS NOT NULL";
        INSERT_CHANGE = "INSERT INTO order_changes (order_id, seq, at, actor, by_id, kind, from_status, to_status, line, amount, note) \
            VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM order_changes WHERE order_id = $1), $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        SELECT_ORDER = "SELECT * FROM orders WHERE id = $1";
        SELECT_CHECKOUT_ORDERS = "SELECT * FROM orders WHERE checkout_id = $1 ORDER BY id";
        /// Followed by the backend's filter on `order_id`.
        SELECT_LINES = "SELECT * FROM order_lines";
        SELECT_ORDER_LINES = "SELECT * FROM order_lines WHERE order_id = $1";
        MOVE_ORDER = "UPDATE orders SET status = $3, ready_at = COALESCE($4, ready_at), reason = COALESCE($5, reason), updated_at = $6 WHERE id = $1 AND status = $2";
        SET_CAPTURE = "UPDATE orders SET captured = $3, fee = $4 WHERE id = $1 AND status = $2 AND captured = 0";
        LOCK_FOR_LINES = "UPDATE orders SET updated_at = $3 WHERE id = $1 AND status = $2 AND captured = 0";
        CHANGE_LINE = "UPDATE order_lines SET final_total = COALESCE($3, final_total), line_check = COALESCE($4, line_check), \
            check_note = COALESCE($5, check_note) WHERE order_id = $1 AND position = $2";
        SELECT_CHANGES = "SELECT * FROM order_changes WHERE order_id = $1 ORDER BY seq LIMIT $2";
        SELECT_CUSTOMER_ORDERS = "SELECT * FROM orders WHERE customer_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
            AND status <> $4 ORDER BY created_at DESC, id DESC LIMIT $5";
        /// A shop's open orders (`$2`–`$6`), oldest first: the board.
        SELECT_OPEN_SELLER_ORDERS = "SELECT * FROM orders WHERE seller_id = $1 AND status IN ($2, $3, $4, $5, $6) ORDER BY created_at, id LIMIT $7";
        /// A shop's ended orders (`$2`–`$5`), newest first.
        SELECT_ENDED_SELLER_ORDERS = "SELECT * FROM orders WHERE seller_id = $1 AND status IN ($2, $3, $4, $5) ORDER BY updated_at DESC, id DESC LIMIT $6";
        SELECT_SELLER_ORDERS_IN = "SELECT * FROM orders WHERE seller_id = $1 AND status = $2 ORDER BY created_at, id LIMIT $3";
        UPSERT_PRESCRIPTION = "INSERT INTO order_prescriptions (order_id, content_type, width, height, uploaded_at, bytes) \
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO UPDATE SET content_type = excluded.content_type, \
            width = excluded.width, height = excluded.height, uploaded_at = excluded.uploaded_at, bytes = excluded.bytes";
        SELECT_PRESCRIPTION_UPLOADED = "SELECT uploaded_at FROM order_prescriptions WHERE order_id = $1";
        SELECT_PRESCRIPTION = "SELECT order_id, content_type, width, height, uploaded_at, bytes FROM order_prescriptions WHERE order_id = $1";
        /// Photos of orders that ended (`$1`–`$5`) before `$6`, at most `$7` of them.
        DELETE_OLD_PRESCRIPTIONS = "DELETE FROM order_prescriptions WHERE order_id IN (SELECT p.order_id FROM order_prescriptions p \
            JOIN orders o ON o.id = p.order_id WHERE o.status IN ($1, $2, $3, $4, $5) AND o.updated_at < $6 LIMIT $7)";
        /// Waiting for acceptance (`$1`, `$2`) past `$3`; paying (`$4`) since before `$5`; in hand
        /// (`$6`–`$8`) since before `$9`.
        SELECT_DUE_ORDERS = "SELECT id FROM orders WHERE (status IN ($1, $2) AND accept_by <= $3) OR (status = $4 AND created_at <= $5) \
            OR (status IN ($6, $7, $8) AND created_at <= $9) ORDER BY accept_by LIMIT $10";
        /// What a payer's orders hold or took since `$4`, except those that ended unfinished (`$5`–`$8`).
        ORDERS_SPENT_SINCE = "SELECT CAST(COALESCE(SUM(CASE WHEN captured > 0 THEN captured ELSE held END), 0) AS BIGINT) AS spent FROM orders \
            WHERE (customer_id = $1 OR card_id = $2) AND currency = $3 AND created_at >= $4 AND status NOT IN ($5, $6, $7, $8)";
    }
}

/// Choices as the cart stores them: JSON, so the same product with the same choices is one line.
fn choices_json(choices: &Choices) -> StoreResult<String> {
    serde_json::to_string(choices).map_err(|error| corrupt("cart_lines", format!("choices not written: {error}")))
}

fn u32_of(table: &'static str, row: &dyn Columns, column: &str) -> StoreResult<u32> {
    let value = row.int(column)?;
    u32::try_from(value).map_err(|_| corrupt(table, format!("{column} = {value}")))
}

impl FromColumns for CartLineRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let choices = serde_json::from_str(&row.text("choices")?)
            .map_err(|error| corrupt("cart_lines", format!("choices: {error}")))?;
        Ok(Self {
            id: CartLineId(row.uuid("id")?),
            customer: UserId(row.uuid("customer_id")?),
            product: ProductId(row.uuid("product_id")?),
            seller: MerchantId(row.uuid("seller_id")?),
            quantity: u32_of("cart_lines", row, "quantity")?,
            choices,
            unit_price: amount(row, "unit_price")?,
            added_at: Timestamp(row.int("added_at")?),
        })
    }
}

/// An order's line, with whose it is.
struct LineOf(OrderId, OrderLineRecord);

impl FromColumns for LineOf {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let name = LocalisedName::parse(row.opt_text("name_ko")?.as_deref(), row.opt_text("name_en")?.as_deref())
            .map_err(|error| corrupt("order_lines", error.to_string()))?;
        let line = OrderLineRecord {
            position: u32_of("order_lines", row, "position")?,
            product: ProductId(row.uuid("product_id")?),
            name,
            options: row.text("options")?,
            money: LineState {
                unit: named("order_lines", row, "unit", Unit::parse)?,
                quantity: u32_of("order_lines", row, "quantity")?,
                unit_price: amount(row, "unit_price")?,
                total: amount(row, "total")?,
                hold: amount(row, "hold")?,
                final_total: row.opt_int("final_total")?.map(Amount::from_minor),
            },
            reserved: row.int("reserved")? != 0,
            check: named("order_lines", row, "line_check", LineCheck::parse)?,
            check_note: row.opt_text("check_note")?,
            choices: match row.opt_text("choices")? {
                Some(choices) => Some(
                    serde_json::from_str(&choices)
                        .map_err(|error| corrupt("order_lines", format!("choices: {error}")))?,
                ),
                None => None,
            },
        };
        Ok(Self(OrderId(row.uuid("order_id")?), line))
    }
}

impl FromColumns for OrderRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let location = match (row.opt_int("latitude_micro")?, row.opt_int("longitude_micro")?) {
            (Some(latitude_micro), Some(longitude_micro)) => Some(StoredPoint { latitude_micro, longitude_micro }),
            _ => None,
        };
        Ok(Self {
            id: OrderId(row.uuid("id")?),
            checkout: CheckoutId(row.uuid("checkout_id")?),
            customer: UserId(row.uuid("customer_id")?),
            seller: MerchantId(row.uuid("seller_id")?),
            status: named("orders", row, "status", OrderStatus::parse)?,
            payment: named("orders", row, "payment", OrderPayment::parse)?,
            card: row.opt_uuid("card_id")?.map(CardId),
            currency: currency("orders", row, "currency")?,
            subtotal: amount(row, "subtotal")?,
            delivery_fee: amount(row, "delivery_fee")?,
            held: amount(row, "held")?,
            captured: amount(row, "captured")?,
            fee: amount(row, "fee")?,
            fulfilment: named("orders", row, "fulfilment", FulfilmentKind::parse)?,
            area: row.opt_uuid("area_id")?.map(AreaId),
            location,
            address: row.text("address")?,
            note: row.text("note")?,
            ready_at: row.opt_int("ready_at")?.map(Timestamp),
            accept_by: Timestamp(row.int("accept_by")?),
            reason: row.opt_text("reason")?,
            created_at: Timestamp(row.int("created_at")?),
            updated_at: Timestamp(row.int("updated_at")?),
            lines: Vec::new(),
        })
    }
}

impl FromColumns for OrderChange {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let status = |column: &str| -> StoreResult<Option<OrderStatus>> {
            row.opt_text(column)?
                .map(|text| {
                    OrderStatus::parse(&text).ok_or_else(|| corrupt("order_changes", format!("{column} {text:?}")))
                })
                .transpose()
        };
        Ok(Self {
            at: Timestamp(row.int("at")?),
            actor: named("order_changes", row, "actor", OrderActor::parse)?,
            by: row.opt_uuid("by_id")?,
            kind: named("order_changes", row, "kind", ChangeKind::parse)?,
            from: status("from_status")?,
            to: status("to_status")?,
            line: row.opt_int("line")?.map(|line| u32::try_from(line).unwrap_or(u32::MAX)),
            amount: row.opt_int("amount")?.map(Amount::from_minor),
            note: row.opt_text("note")?,
        })
    }
}

struct DueOrder(OrderId);

impl FromColumns for DueOrder {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self(OrderId(row.uuid("id")?)))
    }
}

struct Spent(Amount);

impl FromColumns for Spent {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        amount(row, "spent").map(Spent)
    }
}

fn change_statement(order: OrderId, change: &OrderChange) -> Statement<'_> {
    Statement::new(sql::INSERT_CHANGE)
        .bind(order)
        .bind(change.at)
        .bind(change.actor.as_str())
        .bind(change.by)
        .bind(change.kind.as_str())
        .bind(change.from.map(OrderStatus::as_str))
        .bind(change.to.map(OrderStatus::as_str))
        .bind(change.line)
        .bind(change.amount.map(Amount::minor))
        .bind(change.note.as_deref())
}

async fn change_line<B: Backend>(conn: &mut Conn<B>, order: OrderId, line: &LineChange) -> StoreResult<()> {
    let statement = Statement::new(sql::CHANGE_LINE)
        .bind(order)
        .bind(line.position)
        .bind(line.final_total.map(Amount::minor))
        .bind(line.check.map(LineCheck::as_str))
        .bind(line.check_note.as_deref());
    if execute::<B::Db>(conn, "changing an order's line", statement).await? != 1 {
        return Err(StoreError::Conflict("no such order line"));
    }
    Ok(())
}

impl FromColumns for PrescriptionRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            order: OrderId(row.uuid("order_id")?),
            content_type: row.text("content_type")?,
            width: u32_of("order_prescriptions", row, "width")?,
            height: u32_of("order_prescriptions", row, "height")?,
            uploaded_at: Timestamp(row.int("uploaded_at")?),
            bytes: row.bytes("bytes")?,
        })
    }
}

/// When a prescription photo was uploaded.
struct Uploaded(Timestamp);

impl FromColumns for Uploaded {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self(Timestamp(row.int("uploaded_at")?)))
    }
}

async fn insert_order<B: Backend>(conn: &mut Conn<B>, order: &OrderRecord) -> StoreResult<bool> {
    let insert = Statement::new(sql::INSERT_ORDER)
        .bind(order.id)
        .bind(order.checkout)
        .bind(order.customer)
        .bind(order.seller)
        .bind(order.status.as_str())
        .bind(order.payment.as_str())
        .bind(order.card)
        .bind(&order.currency)
        .bind(order.subtotal)
        .bind(order.delivery_fee)
        .bind(order.held)
        .bind(order.captured)
        .bind(order.fee)
        .bind(order.fulfilment.as_str())
        .bind(order.area)
        .bind(order.location.map(|point| point.latitude_micro))
        .bind(order.location.map(|point| point.longitude_micro))
        .bind(order.address.as_str())
        .bind(order.note.as_str())
        .bind(order.ready_at)
        .bind(order.accept_by)
        .bind(order.reason.as_deref())
        .bind(order.created_at)
        .bind(order.updated_at);
    match execute_unique::<B::Db>(conn, "inserting an order", "order exists", insert).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => return Ok(false),
        Err(error) => return Err(error),
    }
    for line in &order.lines {
        let money = &line.money;
        let choices = line.choices.as_ref().map(choices_json).transpose()?;
        let insert = Statement::new(sql::INSERT_LINE)
            .bind(order.id)
            .bind(line.position)
            .bind(line.product)
            .bind(line.name.korean())
            .bind(line.name.english())
            .bind(line.options.as_str())
            .bind(money.unit.as_str())
            .bind(money.quantity)
            .bind(money.unit_price)
            .bind(money.total)
            .bind(money.hold)
            .bind(money.final_total.map(Amount::minor))
            .bind(line.reserved)
            .bind(line.check.as_str())
            .bind(line.check_note.as_deref())
            .bind(choices.as_deref());
        execute::<B::Db>(conn, "inserting an order's line", insert).await?;
    }
    Ok(true)
}

/// Orders with their lines, in the order given.
async fn with_lines<B: Backend>(conn: &mut Conn<B>, mut orders: Vec<OrderRecord>) -> StoreResult<Vec<OrderRecord>> {
    let ids: Vec<Uuid> = orders.iter().map(|order| order.id.0).collect();
    let lines: Vec<LineOf> =
        by_ids::<B, _>(conn, "loading orders' lines", sql::SELECT_LINES, "order_id", &ids, "").await?;
    let mut by_order: HashMap<OrderId, Vec<OrderLineRecord>> = HashMap::new();
    for LineOf(order, line) in lines {
        by_order.entry(order).or_default().push(line);
    }
    for order in &mut orders {
        let mut lines = by_order.remove(&order.id).unwrap_or_default();
        lines.sort_by_key(|line| line.position);
        order.lines = lines;
    }
    Ok(orders)
}

const OPEN: [OrderStatus; 5] = [
    OrderStatus::Placed,
    OrderStatus::AwaitingPharmacist,
    OrderStatus::Accepted,
    OrderStatus::Preparing,
    OrderStatus::Ready,
];
const ENDED: [OrderStatus; 4] =
    [OrderStatus::Completed, OrderStatus::Rejected, OrderStatus::Cancelled, OrderStatus::Expired];
const FINAL: [OrderStatus; 5] =
    [OrderStatus::Completed, OrderStatus::Rejected, OrderStatus::Cancelled, OrderStatus::Expired, OrderStatus::Failed];
const UNFINISHED: [OrderStatus; 4] =
    [OrderStatus::Failed, OrderStatus::Rejected, OrderStatus::Cancelled, OrderStatus::Expired];

#[async_trait]
impl<B: Backend> OrderStore for SqlStore<B> {
    async fn cart(&self, customer: UserId) -> StoreResult<Vec<CartLineRecord>> {
        let mut conn = self.reader().await?;
        let limit = i64::try_from(quipu_domain::market::checkout::MAX_CART_LINES).unwrap_or(i64::MAX);
        let statement = Statement::new(sql::SELECT_CART).bind(customer).bind(limit.saturating_mul(2));
        fetch_all::<B::Db, _>(&mut conn, "loading a cart", statement).await
    }

    async fn put_cart_line(&self, line: &CartLineRecord) -> StoreResult<()> {
        self.put_cart_lines(std::slice::from_ref(line)).await
    }

    async fn put_cart_lines(&self, lines: &[CartLineRecord]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for line in lines {
            let choices = choices_json(&line.choices)?;
            let statement = Statement::new(sql::UPSERT_CART_LINE)
                .bind(line.id)
                .bind(line.customer)
                .bind(line.product)
                .bind(line.seller)
                .bind(line.quantity)
                .bind(choices.as_str())
                .bind(line.unit_price)
                .bind(line.added_at);
            execute::<B::Db>(&mut tx, "saving a cart line", statement).await?;
        }
        tx.commit().await.map_err(db_error("committing cart lines"))
    }

    async fn set_cart_quantity(&self, customer: UserId, line: CartLineId, quantity: u32) -> StoreResult<bool> {
        let statement = Statement::new(sql::SET_CART_QUANTITY).bind(customer).bind(line).bind(quantity);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "changing a cart line", statement).await? == 1)
    }

    async fn remove_cart_lines(&self, customer: UserId, lines: Option<&[CartLineId]>) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        match lines {
            None => {
                execute::<B::Db>(&mut tx, "emptying a cart", Statement::new(sql::DELETE_CART).bind(customer)).await?;
            }
            Some(lines) => {
                for line in lines {
                    let statement = Statement::new(sql::DELETE_CART_LINE).bind(customer).bind(*line);
                    execute::<B::Db>(&mut tx, "removing a cart line", statement).await?;
                }
            }
        }
        tx.commit().await.map_err(db_error("committing a cart"))
    }

    async fn place_orders(
        &self,
        orders: &[OrderRecord],
        codes: &[HandoverHash],
        cart_lines: &[CartLineId],
    ) -> StoreResult<Placing> {
        let mut tx = self.begin().await?;
        for order in orders {
            if !insert_order::<B>(&mut tx, order).await? {
                return Ok(Placing::Exists);
            }
            for line in order.lines.iter().filter(|line| line.reserved) {
                let take =
                    Statement::new(sql::TAKE_STOCK).bind(line.product).bind(line.money.quantity).bind(order.created_at);
                if execute::<B::Db>(&mut tx, "taking stock", take).await? != 1 {
                    return Ok(Placing::OutOfStock(line.product));
                }
            }
            let change = OrderChange {
                at: order.created_at,
                actor: OrderActor::Customer,
                by: Some(order.customer.0),
                kind: ChangeKind::Moved,
                from: None,
                to: Some(order.status),
                line: None,
                amount: None,
                note: None,
            };
            execute::<B::Db>(&mut tx, "recording an order's change", change_statement(order.id, &change)).await?;
        }
        for code in codes {
            let insert = Statement::new(sql::INSERT_HANDOVER).bind(code.order).bind(&code.hash[..]);
            execute::<B::Db>(&mut tx, "storing a hand-over code's hash", insert).await?;
        }
        if let Some(customer) = orders.first().map(|order| order.customer) {
            for line in cart_lines {
                let statement = Statement::new(sql::DELETE_CART_LINE).bind(customer).bind(*line);
                execute::<B::Db>(&mut tx, "removing a checked-out cart line", statement).await?;
            }
        }
        tx.commit().await.map_err(db_error("committing a checkout"))?;
        Ok(Placing::Written)
    }

    async fn instance_key(&self, purpose: &str, fresh: &[u8], now: Timestamp) -> StoreResult<Vec<u8>> {
        let mut conn = self.writer().await?;
        let insert = Statement::new(sql::INSERT_INSTANCE_KEY).bind(purpose).bind(fresh).bind(now);
        execute::<B::Db>(&mut conn, "keeping an instance key", insert).await?;
        let select = Statement::new(sql::SELECT_INSTANCE_KEY).bind(purpose);
        let key: InstanceKey = fetch_one::<B::Db, _>(&mut conn, "loading an instance key", select).await?;
        Ok(key.0)
    }

    async fn claim_handover_guess(
        &self,
        order: OrderId,
        now: Timestamp,
        max: u32,
        lock_until: Timestamp,
    ) -> StoreResult<HandoverGuess> {
        let mut conn = self.writer().await?;
        let claim = Statement::new(sql::CLAIM_HANDOVER_GUESS).bind(order).bind(now).bind(max).bind(lock_until);
        let counted: Option<CountedGuess> =
            fetch_optional::<B::Db, _>(&mut conn, "counting a hand-over guess", claim).await?;
        if let Some(CountedGuess { hash, counted }) = counted {
            return Ok(HandoverGuess::Counted { hash, counted });
        }
        let select = Statement::new(sql::SELECT_HANDOVER_LOCK).bind(order);
        let lock: Option<HandoverLock> =
            fetch_optional::<B::Db, _>(&mut conn, "reading a hand-over lock", select).await?;
        Ok(match lock {
            Some(HandoverLock(Some(until))) => HandoverGuess::Locked(until),
            // Unlocked between the two reads: the caller's next guess is counted.
            Some(HandoverLock(None)) => HandoverGuess::Locked(now),
            None => HandoverGuess::Missing,
        })
    }

    async fn handover_right(&self, order: OrderId, now: Timestamp) -> StoreResult<()> {
        let mut conn = self.writer().await?;
        let statement = Statement::new(sql::HANDOVER_RIGHT).bind(order).bind(now);
        execute::<B::Db>(&mut conn, "clearing a hand-over code's count", statement).await.map(|_| ())
    }

    async fn set_tip(&self, job: JobId, tip: Amount) -> StoreResult<bool> {
        let statement = Statement::new(crate::delivery::sql::SET_TIP)
            .bind(job)
            .bind(tip)
            .bind(JobStatus::PickedUp.as_str())
            .bind(JobStatus::AtDropOff.as_str());
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "recording a tip", statement).await? == 1)
    }

    async fn clear_tip(&self, job: JobId, tip: Amount) -> StoreResult<()> {
        let mut conn = self.writer().await?;
        execute::<B::Db>(
            &mut conn,
            "dropping a tip",
            Statement::new(crate::delivery::sql::CLEAR_TIP).bind(job).bind(tip),
        )
        .await?;
        Ok(())
    }

    async fn job_of_order(&self, id: OrderId) -> StoreResult<Option<JobRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(crate::delivery::sql::SELECT_ORDER_JOB).bind(id);
        fetch_optional::<B::Db, _>(&mut conn, "loading an order's delivery job", statement).await
    }

    async fn order(&self, id: OrderId) -> StoreResult<Option<OrderRecord>> {
        let mut conn = self.reader().await?;
        let order: Option<OrderRecord> =
            fetch_optional::<B::Db, _>(&mut conn, "loading an order", Statement::new(sql::SELECT_ORDER).bind(id))
                .await?;
        match order {
            Some(order) => Ok(with_lines::<B>(&mut conn, vec![order]).await?.pop()),
            None => Ok(None),
        }
    }

    async fn checkout_orders(&self, checkout: CheckoutId) -> StoreResult<Vec<OrderRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_CHECKOUT_ORDERS).bind(checkout);
        let orders = fetch_all::<B::Db, _>(&mut conn, "loading a checkout's orders", statement).await?;
        with_lines::<B>(&mut conn, orders).await
    }

    async fn move_order(&self, order_move: &OrderMove<'_>) -> StoreResult<bool> {
        let transition = order_move.transition;
        debug_assert!(transition.is_allowed(), "an order's move the table does not allow: {transition:?}");
        let change = &order_move.change;
        let reason = if transition.to().needs_reason() || transition.to() == OrderStatus::Failed {
            change.note.as_deref()
        } else {
            None
        };
        let mut tx = self.begin().await?;
        let statement = Statement::new(sql::MOVE_ORDER)
            .bind(order_move.order)
            .bind(transition.from().as_str())
            .bind(transition.to().as_str())
            .bind(order_move.ready_at)
            .bind(reason)
            .bind(change.at);
        if execute::<B::Db>(&mut tx, "moving an order", statement).await? != 1 {
            return Ok(false);
        }
        if let Some(job) = order_move.offer {
            crate::delivery::offer_job::<B>(&mut tx, job).await?;
        }
        // A courier who picked the goods up first wins: the order stays as it was.
        if let Some(step) = order_move.cancel_job
            && !crate::delivery::cancel_order_job::<B>(&mut tx, order_move.order, step).await?
        {
            return Ok(false);
        }
        // The job's step that settles the order lands with it, or neither does.
        if let Some(job_move) = order_move.job_step
            && !crate::delivery::write_job_move::<B>(&mut tx, job_move).await?
        {
            return Ok(false);
        }
        for line in order_move.lines {
            change_line::<B>(&mut tx, order_move.order, line).await?;
        }
        for line_change in order_move.line_changes {
            let statement = change_statement(order_move.order, line_change);
            execute::<B::Db>(&mut tx, "recording an order's line check", statement).await?;
        }
        execute::<B::Db>(&mut tx, "recording an order's move", change_statement(order_move.order, change)).await?;
        if order_move.release_stock {
            let statement = Statement::new(sql::SELECT_ORDER_LINES).bind(order_move.order);
            let lines: Vec<LineOf> =
                fetch_all::<B::Db, _>(&mut tx, "loading an order's reserved lines", statement).await?;
            for LineOf(_, line) in lines.iter().filter(|LineOf(_, line)| line.reserved) {
                let give =
                    Statement::new(sql::RETURN_STOCK).bind(line.product).bind(line.money.quantity).bind(change.at);
                execute::<B::Db>(&mut tx, "returning stock", give).await?;
            }
        }
        for event in order_move.events {
            crate::events::insert_event::<B>(&mut tx, event).await?;
        }
        tx.commit().await.map_err(db_error("committing an order's move"))?;
        Ok(true)
    }

    async fn set_capture(&self, order: OrderId, at: OrderStatus, captured: Amount, fee: Amount) -> StoreResult<bool> {
        let statement = Statement::new(sql::SET_CAPTURE).bind(order).bind(at.as_str()).bind(captured).bind(fee);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "recording an order's capture", statement).await? == 1)
    }

    async fn change_lines(
        &self,
        order: OrderId,
        at: OrderStatus,
        lines: &[LineChange],
        changes: &[OrderChange],
        events: &[EventRecord],
    ) -> StoreResult<bool> {
        let now = changes.first().map_or(Timestamp(0), |change| change.at);
        let mut tx = self.begin().await?;
        let lock = Statement::new(sql::LOCK_FOR_LINES).bind(order).bind(at.as_str()).bind(now);
        if execute::<B::Db>(&mut tx, "claiming an order's lines", lock).await? != 1 {
            return Ok(false);
        }
        for line in lines {
            change_line::<B>(&mut tx, order, line).await?;
        }
        for change in changes {
            execute::<B::Db>(&mut tx, "recording an order's change", change_statement(order, change)).await?;
        }
        for event in events {
            crate::events::insert_event::<B>(&mut tx, event).await?;
        }
        tx.commit().await.map_err(db_error("committing an order's lines"))?;
        Ok(true)
    }

    async fn order_changes(&self, order: OrderId) -> StoreResult<Vec<OrderChange>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_CHANGES).bind(order).bind(MAX_ORDER_CHANGES);
        fetch_all::<B::Db, _>(&mut conn, "loading an order's changes", statement).await
    }

    async fn customer_orders(
        &self,
        customer: UserId,
        (before, before_id): (Timestamp, OrderId),
        limit: u32,
    ) -> StoreResult<Vec<OrderRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_CUSTOMER_ORDERS)
            .bind(customer)
            .bind(before)
            .bind(before_id)
            .bind(OrderStatus::Paying.as_str())
            .bind(limit.min(MAX_ORDERS_PAGE));
        let orders = fetch_all::<B::Db, _>(&mut conn, "loading a customer's orders", statement).await?;
        with_lines::<B>(&mut conn, orders).await
    }

    async fn seller_orders(&self, seller: MerchantId, open: bool, limit: u32) -> StoreResult<Vec<OrderRecord>> {
        let mut conn = self.reader().await?;
        let limit = limit.min(MAX_ORDERS_PAGE);
        let statement = if open {
            OPEN.iter()
                .fold(Statement::new(sql::SELECT_OPEN_SELLER_ORDERS).bind(seller), |s, status| s.bind(status.as_str()))
        } else {
            ENDED
                .iter()
                .fold(Statement::new(sql::SELECT_ENDED_SELLER_ORDERS).bind(seller), |s, status| s.bind(status.as_str()))
        };
        let orders = fetch_all::<B::Db, _>(&mut conn, "loading a shop's orders", statement.bind(limit)).await?;
        with_lines::<B>(&mut conn, orders).await
    }

    async fn seller_orders_in(
        &self,
        seller: MerchantId,
        status: OrderStatus,
        limit: u32,
    ) -> StoreResult<Vec<OrderRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_SELLER_ORDERS_IN)
            .bind(seller)
            .bind(status.as_str())
            .bind(limit.min(MAX_ORDERS_PAGE));
        let orders = fetch_all::<B::Db, _>(&mut conn, "loading a shop's orders in a status", statement).await?;
        with_lines::<B>(&mut conn, orders).await
    }

    async fn put_prescription(&self, prescription: &PrescriptionRecord) -> StoreResult<()> {
        let statement = Statement::new(sql::UPSERT_PRESCRIPTION)
            .bind(prescription.order)
            .bind(prescription.content_type.as_str())
            .bind(prescription.width)
            .bind(prescription.height)
            .bind(prescription.uploaded_at)
            .bind(prescription.bytes.as_slice());
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "storing a prescription photo", statement).await?;
        Ok(())
    }

    async fn prescription_uploaded(&self, order: OrderId) -> StoreResult<Option<Timestamp>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_PRESCRIPTION_UPLOADED).bind(order);
        let uploaded: Option<Uploaded> =
            fetch_optional::<B::Db, _>(&mut conn, "finding a prescription photo", statement).await?;
        Ok(uploaded.map(|Uploaded(at)| at))
    }

    async fn prescription(
        &self,
        order: OrderId,
        log: Option<&AccessEntryRecord>,
    ) -> StoreResult<Option<PrescriptionRecord>> {
        let statement = Statement::new(sql::SELECT_PRESCRIPTION).bind(order);
        let Some(entry) = log else {
            let mut conn = self.reader().await?;
            return fetch_optional::<B::Db, _>(&mut conn, "reading a prescription photo", statement).await;
        };
        let mut tx = self.begin().await?;
        let prescription: Option<PrescriptionRecord> =
            fetch_optional::<B::Db, _>(&mut tx, "reading a prescription photo", statement).await?;
        if prescription.is_some() {
            crate::support::insert_access_entry::<B>(&mut tx, entry).await?;
        }
        tx.commit().await.map_err(db_error("committing a logged read"))?;
        Ok(prescription)
    }

    async fn delete_old_prescriptions(&self, ended_before: Timestamp, limit: u32) -> StoreResult<u64> {
        let statement = FINAL
            .iter()
            .fold(Statement::new(sql::DELETE_OLD_PRESCRIPTIONS), |s, status| s.bind(status.as_str()))
            .bind(ended_before)
            .bind(limit);
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "deleting old prescription photos", statement).await
    }

    async fn due_orders(&self, due: DueBy, limit: u32) -> StoreResult<Vec<OrderId>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_DUE_ORDERS)
            .bind(OrderStatus::Placed.as_str())
            .bind(OrderStatus::AwaitingPharmacist.as_str())
            .bind(due.now)
            .bind(OrderStatus::Paying.as_str())
            .bind(due.stalled_before)
            .bind(OrderStatus::Accepted.as_str())
            .bind(OrderStatus::Preparing.as_str())
            .bind(OrderStatus::Ready.as_str())
            .bind(due.in_hand_before)
            .bind(limit);
        let due: Vec<DueOrder> = fetch_all::<B::Db, _>(&mut conn, "finding due orders", statement).await?;
        Ok(due.into_iter().map(|DueOrder(id)| id).collect())
    }

    async fn orders_spent_since(
        &self,
        customer: Option<UserId>,
        card: Option<CardId>,
        currency: &str,
        since: Timestamp,
    ) -> StoreResult<Amount> {
        let mut conn = self.reader().await?;
        let statement = UNFINISHED.iter().fold(
            Statement::new(sql::ORDERS_SPENT_SINCE).bind(customer).bind(card).bind(currency).bind(since),
            |s, status| s.bind(status.as_str()),
        );
        let Spent(spent) = fetch_one::<B::Db, _>(&mut conn, "adding up a payer's orders", statement).await?;
        Ok(spent)
    }
}

/// The instance key read back.
struct InstanceKey(Vec<u8>);

impl FromColumns for InstanceKey {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self(row.bytes("secret")?))
    }
}

/// A guess counted at a hand-over code: the hash to compare with, and the count now.
struct CountedGuess {
    hash: Vec<u8>,
    counted: u32,
}

impl FromColumns for CountedGuess {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            hash: row.bytes("code_hash")?,
            counted: u32::try_from(row.int("failed_attempts")?).unwrap_or(u32::MAX),
        })
    }
}

/// A hand-over code's lock, if it has one.
struct HandoverLock(Option<Timestamp>);

impl FromColumns for HandoverLock {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self(row.opt_int("locked_until")?.map(Timestamp)))
    }
}
