//! The business records' side of `quipu ledger verify`: pages through
//! payments (with their refunds) and card replacement transfers inside the
//! verification's snapshot, finds each record's transfers by their derived
//! ids, and lets [`quipu_domain::reconcile`] judge them. Memory stays bounded
//! by a page, however many payments the network has taken.

use std::collections::HashMap;

use quipu_domain::card::CardId;
use quipu_domain::delivery::job::JobStatus;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::ledger::{AccountKind, HoldState, Transfer, TransferCode, TransferId};
use quipu_domain::market::checkout::{OrderId, OrderLeg};
use quipu_domain::market::order::OrderStatus;
use quipu_domain::money::Amount;
use quipu_domain::payment::{PaymentId, PaymentLeg, PaymentStatus, RefundLeg};
use quipu_domain::reconcile::{
    CommissionFacts, CommissionSource, DeliveryFacts, FoundTransfer, Holder, OrderFacts, PaidFrom, PaymentFacts,
    PayoutFacts, RecordFacts, RefundFacts, SweepFacts,
};
use quipu_domain::settlement::{CommissionOperation, PayoutId, PayoutLeg, PayoutStatus, parse_commission_reference};
use quipu_store::payments::RefundRecord;
use quipu_store::{AccountOwner, StoreResult, corrupt};
use uuid::Uuid;

use crate::Backend;
use crate::Conn;
use crate::by_ids;
use crate::decode::{amount, currency, named};
use crate::driver::{Columns, FromColumns, Statement, fetch_all};

/// Payments read at a time (each brings up to five transfers and its refunds).
const PAYMENTS_PER_PAGE: i64 = 500;
/// Card replacement transfers read at a time.
const SWEEPS_PER_PAGE: i64 = 1_000;
/// Payouts, and commission transfers, read at a time.
const PAYOUTS_PER_PAGE: i64 = 500;

pub(crate) mod sql {
    crate::sql_statements! {
        PAYMENTS_PAGE = "SELECT id, merchant_id, customer_id, card_id, status, amount, fee, refunded, currency FROM payments WHERE id > $1 ORDER BY id LIMIT $2";
        /// Followed by the backend's filter on `payment_id`.
        REFUNDS_OF = "SELECT id, payment_id, amount, refunded_before, status, reason, created_by, created_at FROM refunds";
        /// Followed by the backend's filter on `t.id`: transfers with whose accounts they join, and their hold.
        FOUND_TRANSFERS = "SELECT t.id, t.debit_account_id, t.credit_account_id, t.amount, t.currency, t.code, t.reference, t.kind, t.pending_id, t.expires_at, t.timestamp,
    d.kind AS debit_kind, d.owner_kind AS debit_owner_kind, d.owner_id AS debit_owner,
    c.kind AS credit_kind, c.owner_kind AS credit_owner_kind, c.owner_id AS credit_owner,
    h.state AS hold_state
    FROM transfers t
    JOIN accounts d ON d.id = t.debit_account_id
    JOIN accounts c ON c.id = t.credit_account_id
    LEFT JOIN holds h ON h.pending_id = t.id";
        SWEEPS_PAGE = "SELECT t.id,
    d.kind AS debit_kind, d.owner_kind AS debit_owner_kind, d.owner_id AS debit_owner,
    c.kind AS credit_kind, c.owner_kind AS credit_owner_kind, c.owner_id AS credit_owner,
    k.replaced_by
    FROM transfers t
    JOIN accounts d ON d.id = t.debit_account_id
    JOIN accounts c ON c.id = t.credit_account_id
    LEFT JOIN cards k ON k.id = d.owner_id
    WHERE t.code = $1 AND t.id > $2 ORDER BY t.id LIMIT $3";
        PAYOUTS_PAGE = "SELECT id, merchant_id, status, amount, currency FROM payouts WHERE id > $1 ORDER BY id LIMIT $2";
        /// Orders with their delivery job's status, courier, fee and tip (none for a pickup).
        ORDERS_PAGE = "SELECT o.id, o.seller_id, o.customer_id, o.card_id, o.status, o.held, o.captured, o.fee, o.currency, \
    j.status AS job_status, j.courier_id, j.fee AS courier_fee, j.tip \
    FROM orders o LEFT JOIN delivery_jobs j ON j.order_id = o.id WHERE o.id > $1 ORDER BY o.id LIMIT $2";
        /// Commission transfers with their accounts' holders, a page at a time by id.
        COMMISSIONS_PAGE = "SELECT t.id, t.debit_account_id, t.credit_account_id, t.amount, t.currency, t.code, t.reference, t.kind, t.pending_id, t.expires_at, t.timestamp,
    d.kind AS debit_kind, d.owner_kind AS debit_owner_kind, d.owner_id AS debit_owner,
    c.kind AS credit_kind, c.owner_kind AS credit_owner_kind, c.owner_id AS credit_owner,
    NULL AS hold_state
    FROM transfers t
    JOIN accounts d ON d.id = t.debit_account_id
    JOIN accounts c ON c.id = t.credit_account_id
    WHERE t.code = $1 AND t.id > $2 ORDER BY t.id LIMIT $3";
        /// Followed by the backend's filter on `id`.
        CARD_ISSUERS = "SELECT id, issued_by FROM cards";
        TRANSFERS_BY_CODE = "SELECT code, CAST(COUNT(*) AS BIGINT) AS transfers FROM transfers GROUP BY code";
    }
}

/// Cross-checks every record against the ledger, on `conn`'s snapshot.
pub(crate) async fn record_facts<B: Backend>(conn: &mut Conn<B>) -> StoreResult<RecordFacts> {
    let mut facts = RecordFacts::default();
    let mut after = Uuid::nil();
    loop {
        let page = Statement::new(sql::PAYMENTS_PAGE).bind(after).bind(PAYMENTS_PER_PAGE);
        let payments: Vec<PaymentRow> = fetch_all::<B::Db, _>(conn, "reading payments to verify", page).await?;
        let Some(last) = payments.last() else { break };
        after = last.id.0;
        for payment in payment_facts::<B>(conn, payments).await? {
            facts.check_payment(&payment);
        }
    }
    let mut after = Uuid::nil();
    loop {
        let page = Statement::new(sql::SWEEPS_PAGE)
            .bind(TransferCode::CardReplacement.as_str())
            .bind(after)
            .bind(SWEEPS_PER_PAGE);
        let sweeps: Vec<SweepFacts> = fetch_all::<B::Db, _>(conn, "reading card replacements to verify", page).await?;
        let Some(last) = sweeps.last() else { break };
        after = last.transfer.0;
        for sweep in &sweeps {
            facts.check_sweep(sweep);
        }
    }
    let mut after = Uuid::nil();
    loop {
        let page = Statement::new(sql::PAYOUTS_PAGE).bind(after).bind(PAYOUTS_PER_PAGE);
        let payouts: Vec<PayoutRow> = fetch_all::<B::Db, _>(conn, "reading payouts to verify", page).await?;
        let Some(last) = payouts.last() else { break };
        after = last.id.0;
        for payout in payout_facts::<B>(conn, payouts).await? {
            facts.check_payout(&payout);
        }
    }
    let mut after = Uuid::nil();
    loop {
        let page = Statement::new(sql::ORDERS_PAGE).bind(after).bind(PAYOUTS_PER_PAGE);
        let orders: Vec<OrderFacts> = fetch_all::<B::Db, _>(conn, "reading orders to verify", page).await?;
        let Some(last) = orders.last() else { break };
        after = last.id.0;
        for order in order_facts::<B>(conn, orders).await? {
            facts.check_order(&order);
        }
    }
    let mut after = Uuid::nil();
    loop {
        let page = Statement::new(sql::COMMISSIONS_PAGE)
            .bind(TransferCode::Commission.as_str())
            .bind(after)
            .bind(PAYOUTS_PER_PAGE);
        let commissions: Vec<FoundTransfer> =
            fetch_all::<B::Db, _>(conn, "reading commissions to verify", page).await?;
        let Some(last) = commissions.last() else { break };
        after = last.transfer.id.0;
        for commission in commission_facts::<B>(conn, commissions).await? {
            facts.check_commission(&commission);
        }
    }
    let counts: Vec<CodeCount> =
        fetch_all::<B::Db, _>(conn, "counting transfers by code", Statement::new(sql::TRANSFERS_BY_CODE)).await?;
    facts.in_ledger = counts.into_iter().map(|count| (count.code, count.transfers)).collect();
    Ok(facts)
}

/// A page of payments with their refunds and every transfer found under their legs' ids.
async fn payment_facts<B: Backend>(conn: &mut Conn<B>, payments: Vec<PaymentRow>) -> StoreResult<Vec<PaymentFacts>> {
    let payment_ids: Vec<Uuid> = payments.iter().map(|p| p.id.0).collect();
    let refunds: Vec<RefundRecord> =
        by_ids::<B, _>(conn, "reading refunds to verify", sql::REFUNDS_OF, "payment_id", &payment_ids, "").await?;
    let mut wanted: Vec<Uuid> = Vec::with_capacity(payments.len() * PaymentLeg::ALL.len());
    for payment in &payments {
        wanted.extend(PaymentLeg::ALL.iter().map(|leg| leg.transfer_id(payment.id).0));
    }
    for refund in &refunds {
        wanted.extend(RefundLeg::ALL.iter().map(|leg| leg.transfer_id(refund.id).0));
    }
    let found: Vec<FoundTransfer> =
        by_ids::<B, _>(conn, "reading records' transfers to verify", sql::FOUND_TRANSFERS, "t.id", &wanted, "").await?;
    let mut found: HashMap<TransferId, FoundTransfer> =
        found.into_iter().map(|transfer| (transfer.transfer.id, transfer)).collect();
    let mut refunds_of: HashMap<PaymentId, Vec<RefundFacts>> = HashMap::new();
    for refund in refunds {
        let legs = RefundLeg::ALL
            .iter()
            .filter_map(|leg| found.remove(&leg.transfer_id(refund.id)).map(|transfer| (*leg, transfer)))
            .collect();
        refunds_of.entry(refund.payment_id).or_default().push(RefundFacts {
            id: refund.id,
            status: refund.status,
            amount: refund.amount,
            refunded_before: refund.refunded_before,
            legs,
        });
    }
    Ok(payments
        .into_iter()
        .map(|payment| PaymentFacts {
            legs: PaymentLeg::ALL
                .iter()
                .filter_map(|leg| found.remove(&leg.transfer_id(payment.id)).map(|transfer| (*leg, transfer)))
                .collect(),
            refunds: refunds_of.remove(&payment.id).unwrap_or_default(),
            id: payment.id,
            status: payment.status,
            merchant: payment.merchant,
            payer: payment.payer,
            amount: payment.amount,
            fee: payment.fee,
            refunded: payment.refunded,
            currency: payment.currency,
        })
        .collect())
}

/// A page of payouts with every transfer found under their legs' ids.
async fn payout_facts<B: Backend>(conn: &mut Conn<B>, payouts: Vec<PayoutRow>) -> StoreResult<Vec<PayoutFacts>> {
    let wanted: Vec<Uuid> =
        payouts.iter().flat_map(|payout| PayoutLeg::ALL.iter().map(|leg| leg.transfer_id(payout.id).0)).collect();
    let found: Vec<FoundTransfer> =
        by_ids::<B, _>(conn, "reading payouts' transfers to verify", sql::FOUND_TRANSFERS, "t.id", &wanted, "").await?;
    let mut found: HashMap<TransferId, FoundTransfer> =
        found.into_iter().map(|transfer| (transfer.transfer.id, transfer)).collect();
    Ok(payouts
        .into_iter()
        .map(|payout| PayoutFacts {
            legs: PayoutLeg::ALL
                .iter()
                .filter_map(|leg| found.remove(&leg.transfer_id(payout.id)).map(|transfer| (*leg, transfer)))
                .collect(),
            id: payout.id,
            status: payout.status,
            merchant: payout.merchant,
            amount: payout.amount,
            currency: payout.currency,
        })
        .collect())
}

/// A page of orders with every transfer found under their legs' ids.
async fn order_facts<B: Backend>(conn: &mut Conn<B>, mut orders: Vec<OrderFacts>) -> StoreResult<Vec<OrderFacts>> {
    let wanted: Vec<Uuid> =
        orders.iter().flat_map(|order| OrderLeg::ALL.iter().map(|leg| leg.transfer_id(order.id).0)).collect();
    let found: Vec<FoundTransfer> =
        by_ids::<B, _>(conn, "reading orders' transfers to verify", sql::FOUND_TRANSFERS, "t.id", &wanted, "").await?;
    let mut found: HashMap<TransferId, FoundTransfer> =
        found.into_iter().map(|transfer| (transfer.transfer.id, transfer)).collect();
    for order in &mut orders {
        order.legs = OrderLeg::ALL
            .iter()
            .filter_map(|leg| found.remove(&leg.transfer_id(order.id)).map(|transfer| (*leg, transfer)))
            .collect();
    }
    Ok(orders)
}

/// An order as verification reads it, its legs still to be found.
impl FromColumns for OrderFacts {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let payer = match (row.opt_uuid("card_id")?, row.opt_uuid("customer_id")?) {
            (Some(card), _) => Some(PaidFrom::Card(CardId(card))),
            (None, Some(customer)) => Some(PaidFrom::Customer(UserId(customer))),
            (None, None) => None,
        };
        Ok(OrderFacts {
            id: OrderId(row.uuid("id")?),
            status: named("orders", row, "status", OrderStatus::parse)?,
            merchant: MerchantId(row.uuid("seller_id")?),
            payer,
            held: amount(row, "held")?,
            captured: amount(row, "captured")?,
            fee: amount(row, "fee")?,
            currency: currency("orders", row, "currency")?,
            delivery: match row.opt_text("job_status")? {
                Some(status) => Some(DeliveryFacts {
                    status: JobStatus::parse(&status)
                        .ok_or_else(|| corrupt("delivery_jobs", format!("status {status:?}")))?,
                    courier: row.opt_uuid("courier_id")?.map(UserId),
                    fee: amount(row, "courier_fee")?,
                    tip: amount(row, "tip")?,
                    customer: UserId(row.uuid("customer_id")?),
                }),
                None => None,
            },
            legs: Vec::new(),
        })
    }
}

/// A page of commission transfers with what each one's reference names: the operation's transfer,
/// or the card issued.
async fn commission_facts<B: Backend>(
    conn: &mut Conn<B>,
    commissions: Vec<FoundTransfer>,
) -> StoreResult<Vec<CommissionFacts>> {
    let sources: Vec<Option<(CommissionOperation, Uuid)>> =
        commissions.iter().map(|c| parse_commission_reference(&c.transfer.reference)).collect();
    let operations: Vec<Uuid> = sources
        .iter()
        .flatten()
        .filter(|(operation, _)| *operation != CommissionOperation::CardIssue)
        .map(|(_, id)| *id)
        .collect();
    let cards: Vec<Uuid> = sources
        .iter()
        .flatten()
        .filter(|(operation, _)| *operation == CommissionOperation::CardIssue)
        .map(|(_, id)| *id)
        .collect();
    let found: Vec<FoundTransfer> =
        by_ids::<B, _>(conn, "reading commissions' operations", sql::FOUND_TRANSFERS, "t.id", &operations, "").await?;
    let found: HashMap<Uuid, FoundTransfer> =
        found.into_iter().map(|transfer| (transfer.transfer.id.0, transfer)).collect();
    let issuers: Vec<CardIssuer> =
        by_ids::<B, _>(conn, "reading commissions' cards", sql::CARD_ISSUERS, "id", &cards, "").await?;
    let issuers: HashMap<Uuid, Uuid> = issuers.into_iter().map(|card| (card.id, card.issued_by)).collect();
    Ok(commissions
        .into_iter()
        .zip(sources)
        .map(|(commission, source)| {
            let source = match source {
                Some((CommissionOperation::CardIssue, card)) => issuers
                    .get(&card)
                    .map_or(CommissionSource::Missing, |issued_by| CommissionSource::Card { issued_by: *issued_by }),
                Some((_, transfer)) => {
                    found.get(&transfer).cloned().map_or(CommissionSource::Missing, CommissionSource::Transfer)
                }
                None => CommissionSource::Missing,
            };
            CommissionFacts { commission, source }
        })
        .collect())
}

/// The statements in this module, for the test that prepares every one.
pub(crate) fn generated_statements() -> Vec<(String, String)> {
    let filtered = |select: &str, column: &str| format!("{select} WHERE {column} = $1");
    vec![
        ("reconcile::REFUNDS_OF (by payment)".into(), filtered(sql::REFUNDS_OF, "payment_id")),
        ("reconcile::FOUND_TRANSFERS (by id)".into(), filtered(sql::FOUND_TRANSFERS, "t.id")),
        ("reconcile::CARD_ISSUERS (by id)".into(), filtered(sql::CARD_ISSUERS, "id")),
    ]
}

struct PayoutRow {
    id: PayoutId,
    status: PayoutStatus,
    merchant: MerchantId,
    amount: Amount,
    currency: quipu_domain::money::CurrencyCode,
}

impl FromColumns for PayoutRow {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(PayoutRow {
            id: PayoutId(row.uuid("id")?),
            status: named("payouts", row, "status", PayoutStatus::parse)?,
            merchant: MerchantId(row.uuid("merchant_id")?),
            amount: amount(row, "amount")?,
            currency: currency("payouts", row, "currency")?,
        })
    }
}

struct CardIssuer {
    id: Uuid,
    issued_by: Uuid,
}

impl FromColumns for CardIssuer {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(CardIssuer { id: row.uuid("id")?, issued_by: row.uuid("issued_by")? })
    }
}

struct PaymentRow {
    id: PaymentId,
    status: PaymentStatus,
    merchant: MerchantId,
    payer: Option<PaidFrom>,
    amount: Amount,
    fee: Amount,
    refunded: Amount,
    currency: quipu_domain::money::CurrencyCode,
}

impl FromColumns for PaymentRow {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let card = row.opt_uuid("card_id")?.map(|id| PaidFrom::Card(CardId(id)));
        let customer = row.opt_uuid("customer_id")?.map(|id| PaidFrom::Customer(UserId(id)));
        Ok(PaymentRow {
            id: PaymentId(row.uuid("id")?),
            status: named("payments", row, "status", PaymentStatus::parse)?,
            merchant: MerchantId(row.uuid("merchant_id")?),
            // A card pays from its own account, whoever holds it.
            payer: card.or(customer),
            amount: amount(row, "amount")?,
            fee: amount(row, "fee")?,
            refunded: amount(row, "refunded")?,
            currency: currency("payments", row, "currency")?,
        })
    }
}

/// The columns naming one side of a transfer's joined account.
struct Side {
    kind: &'static str,
    owner_kind: &'static str,
    owner: &'static str,
}

const DEBIT: Side = Side { kind: "debit_kind", owner_kind: "debit_owner_kind", owner: "debit_owner" };
const CREDIT: Side = Side { kind: "credit_kind", owner_kind: "credit_owner_kind", owner: "credit_owner" };

/// The holder of a transfer's account on one side.
fn holder(row: &dyn Columns, side: &Side) -> StoreResult<Holder> {
    let kind = named("accounts", row, side.kind, AccountKind::parse)?;
    let system = row.text(side.owner_kind)? == AccountOwner::System.kind_str();
    let owner = row.uuid(side.owner)?;
    Ok(Holder { kind, owner: (!system).then_some(owner) })
}

impl FromColumns for FoundTransfer {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let hold_state = match row.opt_text("hold_state")? {
            Some(state) => Some(HoldState::parse(&state).ok_or_else(|| corrupt("holds", format!("state {state:?}")))?),
            None => None,
        };
        Ok(FoundTransfer {
            transfer: Transfer::from_columns(row)?,
            debit: holder(row, &DEBIT)?,
            credit: holder(row, &CREDIT)?,
            hold_state,
        })
    }
}

impl FromColumns for SweepFacts {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(SweepFacts {
            transfer: TransferId(row.uuid("id")?),
            from: holder(row, &DEBIT)?,
            to: holder(row, &CREDIT)?,
            replaced_by: row.opt_uuid("replaced_by")?.map(CardId),
        })
    }
}

struct CodeCount {
    code: TransferCode,
    transfers: u64,
}

impl FromColumns for CodeCount {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let transfers = row.int("transfers")?;
        Ok(CodeCount {
            code: named("transfers", row, "code", TransferCode::parse)?,
            transfers: u64::try_from(transfers).map_err(|_| corrupt("transfers", format!("count {transfers}")))?,
        })
    }
}
