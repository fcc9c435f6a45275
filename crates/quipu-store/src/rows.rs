//! Row shapes shared by the SQL backends, and their checked conversion into
//! domain types. Both backends store the same columns with the same meaning;
//! a value that fails to parse back is reported as corruption, never unwrapped.

use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::ledger::{
    Account, AccountFlags, AccountId, AccountKind, Balances, Hold, HoldState, Transfer, TransferCode, TransferId,
    TransferKind,
};
use quipu_domain::money::{Amount, CurrencyCode};
use uuid::Uuid;

use crate::{
    AccountOwner, ApiKeyRecord, FundingSourceRecord, IdempotencyRecord, MerchantRecord, OwnedAccount, SessionRecord,
    StoreResult, UserRecord, corrupt,
};

fn currency(table: &'static str, text: &str) -> StoreResult<CurrencyCode> {
    CurrencyCode::parse(text).map_err(|_| corrupt(table, format!("currency {text:?}")))
}

fn count(table: &'static str, value: i64) -> StoreResult<u32> {
    u32::try_from(value).map_err(|_| corrupt(table, format!("counter {value}")))
}

#[derive(Debug, sqlx::FromRow)]
pub struct AccountRow {
    pub id: Uuid,
    pub currency: String,
    pub kind: String,
    pub flags: i64,
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
    pub owner_kind: String,
    pub owner_id: Uuid,
    pub created_at: i64,
}

impl AccountRow {
    pub fn into_owned(self) -> StoreResult<OwnedAccount> {
        let owner = AccountOwner::from_parts(&self.owner_kind, self.owner_id)
            .ok_or_else(|| corrupt("accounts", format!("owner kind {:?}", self.owner_kind)))?;
        Ok(OwnedAccount { account: self.into_account()?, owner })
    }

    pub fn into_account(self) -> StoreResult<Account> {
        Ok(Account {
            id: AccountId(self.id),
            currency: currency("accounts", &self.currency)?,
            kind: AccountKind::parse(&self.kind).ok_or_else(|| corrupt("accounts", format!("kind {:?}", self.kind)))?,
            flags: AccountFlags::from_bits(self.flags)
                .ok_or_else(|| corrupt("accounts", format!("flags {}", self.flags)))?,
            balances: Balances {
                debits_posted: self.debits_posted,
                credits_posted: self.credits_posted,
                debits_pending: self.debits_pending,
                credits_pending: self.credits_pending,
            },
            created_at: Timestamp(self.created_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct TransferRow {
    pub id: Uuid,
    pub debit_account_id: Uuid,
    pub credit_account_id: Uuid,
    pub amount: i64,
    pub currency: String,
    pub code: String,
    pub reference: String,
    pub kind: String,
    pub pending_id: Option<Uuid>,
    pub expires_at: Option<i64>,
    pub timestamp: i64,
}

impl TransferRow {
    pub fn into_transfer(self) -> StoreResult<Transfer> {
        Ok(Transfer {
            id: TransferId(self.id),
            debit_account_id: AccountId(self.debit_account_id),
            credit_account_id: AccountId(self.credit_account_id),
            amount: Amount(self.amount),
            currency: currency("transfers", &self.currency)?,
            code: TransferCode::parse(&self.code)
                .ok_or_else(|| corrupt("transfers", format!("code {:?}", self.code)))?,
            reference: self.reference,
            kind: TransferKind::parse(&self.kind)
                .ok_or_else(|| corrupt("transfers", format!("kind {:?}", self.kind)))?,
            pending_id: self.pending_id.map(TransferId),
            expires_at: self.expires_at.map(Timestamp),
            timestamp: Timestamp(self.timestamp),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct HoldRow {
    pub pending_id: Uuid,
    pub debit_account_id: Uuid,
    pub credit_account_id: Uuid,
    pub amount: i64,
    pub currency: String,
    pub expires_at: Option<i64>,
    pub state: String,
}

impl HoldRow {
    pub fn into_hold(self) -> StoreResult<Hold> {
        Ok(Hold {
            pending_id: TransferId(self.pending_id),
            debit_account_id: AccountId(self.debit_account_id),
            credit_account_id: AccountId(self.credit_account_id),
            amount: Amount(self.amount),
            currency: currency("holds", &self.currency)?,
            expires_at: self.expires_at.map(Timestamp),
            state: HoldState::parse(&self.state).ok_or_else(|| corrupt("holds", format!("state {:?}", self.state)))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub role: String,
    pub phone: String,
    pub full_name: String,
    pub password_hash: String,
    pub pin_hash: Option<String>,
    pub merchant_id: Option<Uuid>,
    pub pin_failed_attempts: i64,
    pub pin_locked_until: Option<i64>,
    pub login_failed_attempts: i64,
    pub login_locked_until: Option<i64>,
    pub created_at: i64,
}

impl UserRow {
    pub fn into_record(self) -> StoreResult<UserRecord> {
        Ok(UserRecord {
            id: UserId(self.id),
            role: Role::parse(&self.role).ok_or_else(|| corrupt("users", format!("role {:?}", self.role)))?,
            phone: self.phone,
            full_name: self.full_name,
            password_hash: self.password_hash,
            pin_hash: self.pin_hash,
            merchant_id: self.merchant_id.map(MerchantId),
            pin_failed_attempts: count("users", self.pin_failed_attempts)?,
            pin_locked_until: self.pin_locked_until.map(Timestamp),
            login_failed_attempts: count("users", self.login_failed_attempts)?,
            login_locked_until: self.login_locked_until.map(Timestamp),
            created_at: Timestamp(self.created_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct MerchantRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: i64,
    pub fee_bps: i64,
    pub cashiers_may_refund: i64,
    pub city: String,
    pub category_code: String,
}

impl MerchantRow {
    pub fn into_record(self) -> StoreResult<MerchantRecord> {
        Ok(MerchantRecord {
            id: MerchantId(self.id),
            name: self.name,
            created_at: Timestamp(self.created_at),
            fee_bps: count("merchants", self.fee_bps)?,
            cashiers_may_refund: self.cashiers_may_refund != 0,
            city: self.city,
            category_code: self.category_code,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: Vec<u8>,
    pub user_id: Uuid,
    pub created_at: i64,
    pub expires_at: i64,
}

impl From<SessionRow> for SessionRecord {
    fn from(row: SessionRow) -> Self {
        SessionRecord {
            token_hash: row.token_hash,
            user_id: UserId(row.user_id),
            created_at: Timestamp(row.created_at),
            expires_at: Timestamp(row.expires_at),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub prefix: String,
    pub secret_hash: Vec<u8>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl From<ApiKeyRow> for ApiKeyRecord {
    fn from(row: ApiKeyRow) -> Self {
        ApiKeyRecord {
            id: row.id,
            merchant_id: MerchantId(row.merchant_id),
            prefix: row.prefix,
            secret_hash: row.secret_hash,
            created_at: Timestamp(row.created_at),
            revoked_at: row.revoked_at.map(Timestamp),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct FundingSourceRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub bank_name: String,
    pub account_number: String,
    pub created_at: i64,
}

impl From<FundingSourceRow> for FundingSourceRecord {
    fn from(row: FundingSourceRow) -> Self {
        FundingSourceRecord {
            id: row.id,
            user_id: UserId(row.user_id),
            bank_name: row.bank_name,
            account_number: row.account_number,
            created_at: Timestamp(row.created_at),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct IdempotencyRow {
    pub scope: Uuid,
    pub key: String,
    pub request_hash: Vec<u8>,
    pub status: i64,
    pub body: Vec<u8>,
    pub created_at: i64,
}

impl IdempotencyRow {
    pub fn into_record(self) -> StoreResult<IdempotencyRecord> {
        Ok(IdempotencyRecord {
            scope: self.scope,
            key: self.key,
            request_hash: self.request_hash,
            status: u16::try_from(self.status)
                .map_err(|_| corrupt("idempotency", format!("status {}", self.status)))?,
            body: self.body,
            created_at: Timestamp(self.created_at),
        })
    }
}

/// One account's sums from an aggregate query: (account id, debits, credits).
#[derive(Debug, sqlx::FromRow)]
pub struct SumsRow {
    pub account_id: Uuid,
    pub debits: i64,
    pub credits: i64,
}
