//! Storage for prepaid smart cards. Like payments, the SQL is shared and
//! [`card_store_methods!`] writes the method bodies once for both backends.
//! A card's money is not here: it is the card's own ledger account.

use quipu_domain::Timestamp;
use quipu_domain::card::{CardNumber, CardStatus};
use quipu_domain::identity::UserId;
use quipu_domain::money::CurrencyCode;
use uuid::Uuid;

use crate::{StoreResult, corrupt};

/// Most cards one customer's list shows.
pub const MAX_CARDS_LISTED: u32 = 50;

/// A prepaid card. The PIN is an Argon2id hash; `Debug` shows neither it nor the full number.
#[derive(Clone, PartialEq, Eq)]
pub struct CardRecord {
    pub id: Uuid,
    pub number: CardNumber,
    pub currency: CurrencyCode,
    /// The customer the card is linked to, if any: they see it in the app and may block it.
    pub customer_id: Option<UserId>,
    pub pin_hash: String,
    pub status: CardStatus,
    /// For a replaced card: the card its balance moved to.
    pub replaced_by: Option<Uuid>,
    /// The agent or operator who issued it.
    pub issued_by: Uuid,
    pub pin_failed_attempts: u32,
    pub pin_locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for CardRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardRecord")
            .field("id", &self.id)
            .field("number", &self.number)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// What inserting a card found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardInsert {
    Inserted,
    /// A card with this id exists: the same request, retried.
    Exists(Box<CardRecord>),
    /// Another card has this number: draw another.
    NumberTaken,
}

#[derive(Debug, sqlx::FromRow)]
pub struct CardRow {
    pub id: Uuid,
    pub number: String,
    pub currency: String,
    pub customer_id: Option<Uuid>,
    pub pin_hash: String,
    pub status: String,
    pub replaced_by: Option<Uuid>,
    pub issued_by: Uuid,
    pub pin_failed_attempts: i64,
    pub pin_locked_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl CardRow {
    pub fn into_record(self) -> StoreResult<CardRecord> {
        Ok(CardRecord {
            id: self.id,
            number: CardNumber::parse(&self.number).map_err(|_| corrupt("cards", format!("number of {}", self.id)))?,
            currency: CurrencyCode::parse(&self.currency)
                .map_err(|_| corrupt("cards", format!("currency {:?}", self.currency)))?,
            customer_id: self.customer_id.map(UserId),
            pin_hash: self.pin_hash,
            status: CardStatus::parse(&self.status)
                .ok_or_else(|| corrupt("cards", format!("status {:?}", self.status)))?,
            replaced_by: self.replaced_by,
            issued_by: self.issued_by,
            pin_failed_attempts: u32::try_from(self.pin_failed_attempts).unwrap_or(u32::MAX),
            pin_locked_until: self.pin_locked_until.map(Timestamp),
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

pub mod sql {
    pub const INSERT_CARD: &str = "INSERT INTO cards (id, number, currency, customer_id, pin_hash, status, replaced_by, issued_by, pin_failed_attempts, pin_locked_until, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, 0, NULL, $8, $8) ON CONFLICT DO NOTHING";
    pub const SELECT_CARD: &str = "SELECT id, number, currency, customer_id, pin_hash, status, replaced_by, issued_by, pin_failed_attempts, pin_locked_until, created_at, updated_at FROM cards WHERE id = $1";
    pub const SELECT_CARD_BY_NUMBER: &str = "SELECT id, number, currency, customer_id, pin_hash, status, replaced_by, issued_by, pin_failed_attempts, pin_locked_until, created_at, updated_at FROM cards WHERE number = $1";
    pub const SELECT_CARDS_OF: &str = "SELECT id, number, currency, customer_id, pin_hash, status, replaced_by, issued_by, pin_failed_attempts, pin_locked_until, created_at, updated_at FROM cards WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2";
    /// A compare-and-set: a card moves only from the state the caller saw; replaced is final.
    pub const UPDATE_CARD_STATUS: &str =
        "UPDATE cards SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2 AND status <> 'replaced'";
    /// Retires a card in favour of its replacement, once.
    pub const RETIRE_CARD: &str = "UPDATE cards SET status = 'replaced', replaced_by = $2, updated_at = $3 WHERE id = $1 AND status <> 'replaced'";
}

/// Card storage. A supertrait of [`crate::Store`]; both backends implement
/// it by expanding [`card_store_methods!`].
#[async_trait::async_trait]
pub trait CardStore: Send + Sync {
    /// Stores a new card; a retry with the same id finds it, a number in use says so.
    async fn insert_card(&self, card: &CardRecord) -> StoreResult<CardInsert>;
    async fn card(&self, id: Uuid) -> StoreResult<Option<CardRecord>>;
    async fn card_by_number(&self, number: &CardNumber) -> StoreResult<Option<CardRecord>>;
    /// A customer's linked cards, newest first, at most [`MAX_CARDS_LISTED`].
    async fn cards_of(&self, customer: UserId) -> StoreResult<Vec<CardRecord>>;
    /// Moves a card from `from` to `to`; `false` if it was no longer in `from`.
    async fn set_card_status(&self, id: Uuid, from: CardStatus, to: CardStatus, now: Timestamp) -> StoreResult<bool>;
    /// In one transaction: stores `replacement` and retires `old` in its
    /// favour. `false` (nothing written) if `old` was already replaced or the
    /// replacement's id exists (a retry); a number in use is `StoreError::Conflict`.
    async fn replace_card(&self, old: Uuid, replacement: &CardRecord, now: Timestamp) -> StoreResult<bool>;
}

/// Implements [`CardStore`] for a backend:
/// `card_store_methods!(SqliteStore, writer, reader, sqlx::SqliteConnection)`.
#[macro_export]
macro_rules! card_store_methods {
    ($store:ty, $writer:ident, $reader:ident, $conn:ty) => {
        #[$crate::async_trait]
        impl $crate::cards::CardStore for $store {
            async fn insert_card(
                &self,
                card: &$crate::cards::CardRecord,
            ) -> $crate::StoreResult<$crate::cards::CardInsert> {
                let mut conn = self.$writer.acquire().await.map_err(db_error("acquiring the writer"))?;
                insert_card_in(&mut *conn, card).await
            }

            async fn card(&self, id: uuid::Uuid) -> $crate::StoreResult<Option<$crate::cards::CardRecord>> {
                let row: Option<$crate::cards::CardRow> = sqlx::query_as($crate::cards::sql::SELECT_CARD)
                    .bind(id)
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(db_error("loading a card"))?;
                row.map($crate::cards::CardRow::into_record).transpose()
            }

            async fn card_by_number(
                &self,
                number: &quipu_domain::card::CardNumber,
            ) -> $crate::StoreResult<Option<$crate::cards::CardRecord>> {
                let row: Option<$crate::cards::CardRow> = sqlx::query_as($crate::cards::sql::SELECT_CARD_BY_NUMBER)
                    .bind(number.expose())
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(db_error("loading a card"))?;
                row.map($crate::cards::CardRow::into_record).transpose()
            }

            async fn cards_of(
                &self,
                customer: quipu_domain::identity::UserId,
            ) -> $crate::StoreResult<Vec<$crate::cards::CardRecord>> {
                let rows: Vec<$crate::cards::CardRow> = sqlx::query_as($crate::cards::sql::SELECT_CARDS_OF)
                    .bind(customer.0)
                    .bind(i64::from($crate::cards::MAX_CARDS_LISTED))
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(db_error("listing cards"))?;
                rows.into_iter().map($crate::cards::CardRow::into_record).collect()
            }

            async fn set_card_status(
                &self,
                id: uuid::Uuid,
                from: quipu_domain::card::CardStatus,
                to: quipu_domain::card::CardStatus,
                now: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<bool> {
                let done = sqlx::query($crate::cards::sql::UPDATE_CARD_STATUS)
                    .bind(id)
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .bind(now.0)
                    .execute(&self.$writer)
                    .await
                    .map_err(db_error("updating a card"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn replace_card(
                &self,
                old: uuid::Uuid,
                replacement: &$crate::cards::CardRecord,
                now: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<bool> {
                let mut tx = self.$writer.begin().await.map_err(db_error("starting a transaction"))?;
                match insert_card_in(&mut tx, replacement).await? {
                    $crate::cards::CardInsert::Inserted => {}
                    $crate::cards::CardInsert::Exists(_) => return Ok(false),
                    $crate::cards::CardInsert::NumberTaken => {
                        return Err($crate::StoreError::Conflict("card number in use"));
                    }
                }
                let retired = sqlx::query($crate::cards::sql::RETIRE_CARD)
                    .bind(old)
                    .bind(replacement.id)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("retiring a card"))?;
                if retired.rows_affected() != 1 {
                    return Ok(false);
                }
                tx.commit().await.map_err(db_error("committing a card replacement"))?;
                Ok(true)
            }
        }

        /// Inserts a card on `conn`; shared by issuing and replacing.
        async fn insert_card_in(
            conn: &mut $conn,
            card: &$crate::cards::CardRecord,
        ) -> $crate::StoreResult<$crate::cards::CardInsert> {
            use $crate::cards::{CardInsert, CardRow, sql};
            let inserted = sqlx::query(sql::INSERT_CARD)
                .bind(card.id)
                .bind(card.number.expose())
                .bind(card.currency.as_str())
                .bind(card.customer_id.map(|c| c.0))
                .bind(&card.pin_hash)
                .bind(card.status.as_str())
                .bind(card.issued_by)
                .bind(card.created_at.0)
                .execute(&mut *conn)
                .await
                .map_err(db_error("inserting a card"))?;
            if inserted.rows_affected() == 1 {
                return Ok(CardInsert::Inserted);
            }
            let existing: Option<CardRow> = sqlx::query_as(sql::SELECT_CARD)
                .bind(card.id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error("loading a card"))?;
            match existing {
                Some(row) => Ok(CardInsert::Exists(Box::new(row.into_record()?))),
                None => Ok(CardInsert::NumberTaken),
            }
        }
    };
}
