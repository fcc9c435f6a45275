//! Every record read back from its row, checked: a stored value that does
//! not parse into its domain type is `StoreError::Corrupt`, never a panic.

use quipu_domain::Timestamp;
use quipu_domain::card::{CardId, CardNumber, CardStatus};
use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::ledger::{
    Account, AccountFlags, AccountId, AccountKind, Balances, Hold, HoldState, Transfer, TransferCode, TransferId,
    TransferKind,
};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::payment::{
    DeviceId, DeviceStatus, PaymentId, PaymentMethod, PaymentRequestId, PaymentStatus, RefundId, RefundStatus,
};
use quipu_store::cards::CardRecord;
use quipu_store::events::{
    AttemptRecord, CustomerEventRecord, DueDelivery, EventRecord, WebhookDeliveryRecord, WebhookEndpointRecord,
};
use quipu_store::payments::{
    DeviceRecord, PaymentRecord, PaymentRequestRecord, PaymentTotals, RefundRecord, StaffRefunds, StaffTakings,
    SummaryRefund,
};
use quipu_store::{
    AccountOwner, ApiKeyRecord, FundingSourceRecord, IdempotencyRecord, MerchantRecord, OwnedAccount, SessionRecord,
    StoreResult, UserRecord, corrupt,
};

use crate::driver::{Columns, FromColumns};

pub(crate) fn currency(table: &'static str, row: &dyn Columns, column: &str) -> StoreResult<CurrencyCode> {
    let text = row.text(column)?;
    CurrencyCode::parse(&text).map_err(|_| corrupt(table, format!("{column} {text:?}")))
}

/// A stored name of one of the domain's closed sets (a status, a kind, a role).
pub(crate) fn named<T>(
    table: &'static str,
    row: &dyn Columns,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> StoreResult<T> {
    let text = row.text(column)?;
    parse(&text).ok_or_else(|| corrupt(table, format!("{column} {text:?}")))
}

/// A counter or a small number stored as an integer.
fn count<T: TryFrom<i64>>(table: &'static str, row: &dyn Columns, column: &str) -> StoreResult<T> {
    let value = row.int(column)?;
    T::try_from(value).map_err(|_| corrupt(table, format!("{column} {value}")))
}

fn time(row: &dyn Columns, column: &str) -> StoreResult<Timestamp> {
    row.int(column).map(Timestamp)
}

fn opt_time(row: &dyn Columns, column: &str) -> StoreResult<Option<Timestamp>> {
    Ok(row.opt_int(column)?.map(Timestamp))
}

pub(crate) fn amount(row: &dyn Columns, column: &str) -> StoreResult<Amount> {
    row.int(column).map(Amount::from_minor)
}

impl FromColumns for Account {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let flags = row.int("flags")?;
        Ok(Account {
            id: AccountId(row.uuid("id")?),
            currency: currency("accounts", row, "currency")?,
            kind: named("accounts", row, "kind", AccountKind::parse)?,
            flags: AccountFlags::from_bits(flags).ok_or_else(|| corrupt("accounts", format!("flags {flags}")))?,
            balances: Balances {
                debits_posted: row.int("debits_posted")?,
                credits_posted: row.int("credits_posted")?,
                debits_pending: row.int("debits_pending")?,
                credits_pending: row.int("credits_pending")?,
            },
            created_at: time(row, "created_at")?,
        })
    }
}

impl FromColumns for OwnedAccount {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let kind = row.text("owner_kind")?;
        let owner = AccountOwner::from_parts(&kind, row.uuid("owner_id")?)
            .ok_or_else(|| corrupt("accounts", format!("owner kind {kind:?}")))?;
        Ok(OwnedAccount { account: Account::from_columns(row)?, owner })
    }
}

impl FromColumns for Transfer {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Transfer {
            id: TransferId(row.uuid("id")?),
            debit_account_id: AccountId(row.uuid("debit_account_id")?),
            credit_account_id: AccountId(row.uuid("credit_account_id")?),
            amount: amount(row, "amount")?,
            currency: currency("transfers", row, "currency")?,
            code: named("transfers", row, "code", TransferCode::parse)?,
            reference: row.text("reference")?,
            kind: named("transfers", row, "kind", TransferKind::parse)?,
            pending_id: row.opt_uuid("pending_id")?.map(TransferId),
            expires_at: opt_time(row, "expires_at")?,
            timestamp: time(row, "timestamp")?,
        })
    }
}

impl FromColumns for Hold {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Hold {
            pending_id: TransferId(row.uuid("pending_id")?),
            debit_account_id: AccountId(row.uuid("debit_account_id")?),
            credit_account_id: AccountId(row.uuid("credit_account_id")?),
            amount: amount(row, "amount")?,
            currency: currency("holds", row, "currency")?,
            expires_at: opt_time(row, "expires_at")?,
            state: named("holds", row, "state", HoldState::parse)?,
        })
    }
}

/// One account's sums from an aggregate query.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sums {
    pub account: AccountId,
    pub debits: i64,
    pub credits: i64,
}

impl FromColumns for Sums {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Sums {
            account: AccountId(row.uuid("account_id")?),
            debits: row.int("debits")?,
            credits: row.int("credits")?,
        })
    }
}

impl FromColumns for UserRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(UserRecord {
            id: UserId(row.uuid("id")?),
            role: named("users", row, "role", Role::parse)?,
            phone: row.text("phone")?,
            full_name: row.text("full_name")?,
            password_hash: row.text("password_hash")?,
            pin_hash: row.opt_text("pin_hash")?,
            merchant_id: row.opt_uuid("merchant_id")?.map(MerchantId),
            pin_failed_attempts: count("users", row, "pin_failed_attempts")?,
            pin_locked_until: opt_time(row, "pin_locked_until")?,
            login_failed_attempts: count("users", row, "login_failed_attempts")?,
            login_locked_until: opt_time(row, "login_locked_until")?,
            created_at: time(row, "created_at")?,
            removed_at: opt_time(row, "removed_at")?,
            may_refund: row.opt_int("may_refund")?.map(|may| may != 0),
        })
    }
}

impl FromColumns for MerchantRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(MerchantRecord {
            id: MerchantId(row.uuid("id")?),
            name: row.text("name")?,
            created_at: time(row, "created_at")?,
            fee_bps: count("merchants", row, "fee_bps")?,
            cashiers_may_refund: row.int("cashiers_may_refund")? != 0,
            city: row.text("city")?,
            category_code: row.text("category_code")?,
        })
    }
}

impl FromColumns for SessionRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(SessionRecord {
            token_hash: row.bytes("token_hash")?,
            user_id: UserId(row.uuid("user_id")?),
            created_at: time(row, "created_at")?,
            expires_at: time(row, "expires_at")?,
            watched_by: row.opt_uuid("watched_by")?.map(UserId),
        })
    }
}

impl FromColumns for ApiKeyRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(ApiKeyRecord {
            id: row.uuid("id")?,
            merchant_id: MerchantId(row.uuid("merchant_id")?),
            prefix: row.text("prefix")?,
            secret_hash: row.bytes("secret_hash")?,
            name: row.text("name")?,
            created_at: time(row, "created_at")?,
            revoked_at: opt_time(row, "revoked_at")?,
            last_used_at: opt_time(row, "last_used_at")?,
        })
    }
}

impl FromColumns for FundingSourceRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(FundingSourceRecord {
            id: row.uuid("id")?,
            user_id: UserId(row.uuid("user_id")?),
            bank_name: row.text("bank_name")?,
            account_number: row.text("account_number")?,
            created_at: time(row, "created_at")?,
        })
    }
}

impl FromColumns for IdempotencyRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(IdempotencyRecord {
            scope: row.uuid("scope")?,
            key: row.text("key")?,
            request_hash: row.bytes("request_hash")?,
            status: count("idempotency", row, "status")?,
            body: row.bytes("body")?,
            created_at: time(row, "created_at")?,
        })
    }
}

impl FromColumns for DeviceRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(DeviceRecord {
            id: DeviceId(row.uuid("id")?),
            user_id: UserId(row.uuid("user_id")?),
            device_ref: count("devices", row, "device_ref")?,
            label: row.text("label")?,
            secret: row.bytes("secret")?,
            status: named("devices", row, "status", DeviceStatus::parse)?,
            created_at: time(row, "created_at")?,
            updated_at: time(row, "updated_at")?,
        })
    }
}

impl FromColumns for PaymentRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let id = PaymentId(row.uuid("id")?);
        let card_number = match row.opt_text("card_number")? {
            Some(number) => {
                Some(CardNumber::parse(&number).map_err(|_| corrupt("cards", format!("number of payment {id}")))?)
            }
            None => None,
        };
        Ok(PaymentRecord {
            id,
            merchant_id: MerchantId(row.uuid("merchant_id")?),
            customer_id: row.opt_uuid("customer_id")?.map(UserId),
            method: named("payments", row, "method", PaymentMethod::parse)?,
            device_id: row.opt_uuid("device_id")?.map(DeviceId),
            code_step: row.opt_int("code_step")?,
            code_slot: row.opt_int("code_slot")?,
            amount: amount(row, "amount")?,
            fee: amount(row, "fee")?,
            currency: currency("payments", row, "currency")?,
            refunded: amount(row, "refunded")?,
            status: named("payments", row, "status", PaymentStatus::parse)?,
            failure_code: row.opt_text("failure_code")?,
            reference: row.text("reference")?,
            created_by: row.uuid("created_by")?,
            created_at: time(row, "created_at")?,
            expires_at: opt_time(row, "expires_at")?,
            updated_at: time(row, "updated_at")?,
            till: row.text("till")?,
            request_id: row.opt_uuid("request_id")?.map(PaymentRequestId),
            card_id: row.opt_uuid("card_id")?.map(CardId),
            card_number,
        })
    }
}

impl FromColumns for PaymentRequestRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(PaymentRequestRecord {
            id: PaymentRequestId(row.uuid("id")?),
            merchant_id: MerchantId(row.uuid("merchant_id")?),
            till: row.text("till")?,
            amount: amount(row, "amount")?,
            currency: currency("payment_requests", row, "currency")?,
            reference: row.text("reference")?,
            created_by: row.uuid("created_by")?,
            created_at: time(row, "created_at")?,
            expires_at: time(row, "expires_at")?,
        })
    }
}

impl FromColumns for RefundRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(RefundRecord {
            id: RefundId(row.uuid("id")?),
            payment_id: PaymentId(row.uuid("payment_id")?),
            amount: amount(row, "amount")?,
            refunded_before: amount(row, "refunded_before")?,
            status: named("refunds", row, "status", RefundStatus::parse)?,
            reason: row.text("reason")?,
            created_by: row.uuid("created_by")?,
            created_at: time(row, "created_at")?,
        })
    }
}

impl FromColumns for PaymentTotals {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(PaymentTotals {
            currency: currency("payments", row, "currency")?,
            count: count("payments", row, "count")?,
            gross: amount(row, "gross")?,
            fees: amount(row, "fees")?,
        })
    }
}

impl FromColumns for StaffTakings {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(StaffTakings {
            taken_by: row.opt_uuid("taken_by")?,
            method: named("payments", row, "method", PaymentMethod::parse)?,
            currency: currency("payments", row, "currency")?,
            count: count("payments", row, "count")?,
            gross: amount(row, "gross")?,
        })
    }
}

impl FromColumns for StaffRefunds {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(StaffRefunds {
            given_by: row.uuid("given_by")?,
            currency: currency("payments", row, "currency")?,
            count: count("refunds", row, "count")?,
            amount: amount(row, "amount")?,
        })
    }
}

impl FromColumns for SummaryRefund {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(SummaryRefund {
            currency: currency("payments", row, "currency")?,
            amount: amount(row, "amount")?,
            refunded_before: amount(row, "refunded_before")?,
            paid: amount(row, "paid")?,
            fee: amount(row, "fee")?,
        })
    }
}

impl FromColumns for CardRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let id = CardId(row.uuid("id")?);
        let number = row.text("number")?;
        Ok(CardRecord {
            id,
            number: CardNumber::parse(&number).map_err(|_| corrupt("cards", format!("number of {id}")))?,
            currency: currency("cards", row, "currency")?,
            customer_id: row.opt_uuid("customer_id")?.map(UserId),
            pin_hash: row.text("pin_hash")?,
            status: named("cards", row, "status", CardStatus::parse)?,
            replaced_by: row.opt_uuid("replaced_by")?.map(CardId),
            issued_by: row.uuid("issued_by")?,
            pin_failed_attempts: count("cards", row, "pin_failed_attempts")?,
            pin_locked_until: opt_time(row, "pin_locked_until")?,
            created_at: time(row, "created_at")?,
            updated_at: time(row, "updated_at")?,
        })
    }
}

impl FromColumns for EventRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(EventRecord {
            seq: row.int("seq")?,
            id: row.uuid("id")?,
            merchant_id: MerchantId(row.uuid("merchant_id")?),
            till: row.text("till")?,
            kind: row.text("kind")?,
            body: row.text("body")?,
            created_at: time(row, "created_at")?,
            customer_id: None,
        })
    }
}

impl FromColumns for CustomerEventRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(CustomerEventRecord {
            seq: row.int("seq")?,
            id: row.uuid("id")?,
            customer_id: UserId(row.uuid("customer_id")?),
            kind: row.text("kind")?,
            body: row.text("body")?,
            created_at: time(row, "created_at")?,
        })
    }
}

impl FromColumns for WebhookEndpointRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(WebhookEndpointRecord {
            id: row.uuid("id")?,
            merchant_id: MerchantId(row.uuid("merchant_id")?),
            url: row.text("url")?,
            secret: row.bytes("secret")?,
            // Stored space-separated (see the schema).
            events: row.text("events")?.split(' ').filter(|e| !e.is_empty()).map(str::to_owned).collect(),
            created_at: time(row, "created_at")?,
            disabled_at: opt_time(row, "disabled_at")?,
        })
    }
}

impl FromColumns for WebhookDeliveryRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(WebhookDeliveryRecord {
            endpoint_id: row.uuid("endpoint_id")?,
            event_id: row.uuid("event_id")?,
            event_kind: row.text("kind")?,
            status: row.text("status")?,
            attempts: count("webhook_deliveries", row, "attempts")?,
            next_attempt_at: time(row, "next_attempt_at")?,
            created_at: time(row, "created_at")?,
            delivered_at: opt_time(row, "delivered_at")?,
        })
    }
}

impl FromColumns for DueDelivery {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(DueDelivery {
            endpoint_id: row.uuid("endpoint_id")?,
            event_id: row.uuid("event_id")?,
            event_kind: row.text("kind")?,
            url: row.text("url")?,
            secret: row.bytes("secret")?,
            body: row.text("body")?,
            attempts: count("webhook_deliveries", row, "attempts")?,
        })
    }
}

impl FromColumns for AttemptRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(AttemptRecord {
            attempt: count("webhook_attempts", row, "attempt")?,
            at: time(row, "at")?,
            status_code: row.opt_int("status_code")?.and_then(|code| u16::try_from(code).ok()),
            error: row.text("error")?,
            duration_ms: count("webhook_attempts", row, "duration_ms")?,
        })
    }
}
