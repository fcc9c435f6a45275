//! [`CardStore`] for every backend. Which card state is final is the
//! domain's ([`CardStatus::FINAL`]); the SQL compares and sets.

use quipu_domain::Timestamp;
use quipu_domain::card::{CardId, CardNumber, CardStatus};
use quipu_domain::identity::UserId;
use quipu_store::cards::{CardApprovalRecord, CardInsert, CardRecord, CardReplacement, CardStore, MAX_CARDS_LISTED};
use quipu_store::{AccessEntryRecord, StoreError, StoreResult, async_trait, db_error};
use uuid::Uuid;

use crate::driver::{Columns, FromColumns, Statement, execute, fetch_all, fetch_optional};
use crate::support::insert_access_entry;
use crate::{Backend, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_CARD = "INSERT INTO cards (id, number, currency, customer_id, pin_hash, status, replaced_by, issued_by, pin_failed_attempts, pin_locked_until, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, 0, NULL, $8, $8) ON CONFLICT DO NOTHING";
        SELECT_CARD = "SELECT id, number, currency, customer_id, pin_hash, status, replaced_by, issued_by, pin_failed_attempts, pin_locked_until, created_at, updated_at FROM cards WHERE id = $1";
        SELECT_CARD_BY_NUMBER = "SELECT id, number, currency, customer_id, pin_hash, status, replaced_by, issued_by, pin_failed_attempts, pin_locked_until, created_at, updated_at FROM cards WHERE number = $1";
        SELECT_CARDS_OF = "SELECT id, number, currency, customer_id, pin_hash, status, replaced_by, issued_by, pin_failed_attempts, pin_locked_until, created_at, updated_at FROM cards WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2";
        /// A compare-and-set: a card moves only from the state the caller saw, never from its final state ($5).
        UPDATE_CARD_STATUS = "UPDATE cards SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2 AND status <> $5";
        /// Retires a card ($4: the final state) in favour of its replacement, once.
        RETIRE_CARD = "UPDATE cards SET status = $4, replaced_by = $2, updated_at = $3 WHERE id = $1 AND status <> $4";
        INSERT_CARD_APPROVAL = "INSERT INTO card_replacement_approvals (id, card_id, approved_by, reason, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)";
        SELECT_CARD_APPROVAL = "SELECT id, card_id, approved_by, reason, created_at, expires_at, used_at FROM card_replacement_approvals WHERE id = $1";
        /// Uses an approval once: only for its own card ($2), unused and unexpired at $3.
        USE_CARD_APPROVAL = "UPDATE card_replacement_approvals SET used_at = $3 WHERE id = $1 AND card_id = $2 AND used_at IS NULL AND expires_at > $3";
    }
}

use crate::Conn;

/// Inserts a card on `conn`; shared by issuing and replacing.
async fn insert_card<B: Backend>(conn: &mut Conn<B>, card: &CardRecord) -> StoreResult<CardInsert> {
    let insert = Statement::new(sql::INSERT_CARD)
        .bind(card.id)
        .bind(card.number.expose())
        .bind(&card.currency)
        .bind(card.customer_id)
        .bind(&card.pin_hash)
        .bind(card.status.as_str())
        .bind(card.issued_by)
        .bind(card.created_at);
    if execute::<B::Db>(conn, "inserting a card", insert).await? == 1 {
        return Ok(CardInsert::Inserted);
    }
    let select = Statement::new(sql::SELECT_CARD).bind(card.id);
    match fetch_optional::<B::Db, CardRecord>(conn, "loading a card", select).await? {
        Some(existing) => Ok(CardInsert::Exists(Box::new(existing))),
        None => Ok(CardInsert::NumberTaken),
    }
}

#[async_trait]
impl<B: Backend> CardStore for SqlStore<B> {
    async fn insert_card(&self, card: &CardRecord) -> StoreResult<CardInsert> {
        let mut conn = self.writer().await?;
        insert_card::<B>(&mut conn, card).await
    }

    async fn card(&self, id: CardId) -> StoreResult<Option<CardRecord>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a card", Statement::new(sql::SELECT_CARD).bind(id)).await
    }

    async fn card_by_number(&self, number: &CardNumber) -> StoreResult<Option<CardRecord>> {
        let statement = Statement::new(sql::SELECT_CARD_BY_NUMBER).bind(number.expose());
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a card", statement).await
    }

    async fn cards_of(&self, customer: UserId) -> StoreResult<Vec<CardRecord>> {
        let statement = Statement::new(sql::SELECT_CARDS_OF).bind(customer).bind(MAX_CARDS_LISTED);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing cards", statement).await
    }

    async fn set_card_status(&self, id: CardId, from: CardStatus, to: CardStatus, now: Timestamp) -> StoreResult<bool> {
        let statement = Statement::new(sql::UPDATE_CARD_STATUS)
            .bind(id)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(now)
            .bind(CardStatus::FINAL.as_str());
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "updating a card", statement).await? == 1)
    }

    async fn replace_card(
        &self,
        old: CardId,
        replacement: &CardRecord,
        approval: Option<Uuid>,
        log: &[AccessEntryRecord],
        now: Timestamp,
    ) -> StoreResult<CardReplacement> {
        let mut tx = self.begin().await?;
        match insert_card::<B>(&mut tx, replacement).await? {
            CardInsert::Inserted => {}
            CardInsert::Exists(_) => return Ok(CardReplacement::AlreadyReplaced),
            CardInsert::NumberTaken => return Err(StoreError::Conflict("card number in use")),
        }
        let retire =
            Statement::new(sql::RETIRE_CARD).bind(old).bind(replacement.id).bind(now).bind(CardStatus::FINAL.as_str());
        if execute::<B::Db>(&mut tx, "retiring a card", retire).await? != 1 {
            return Ok(CardReplacement::AlreadyReplaced);
        }
        if let Some(approval) = approval {
            let used = Statement::new(sql::USE_CARD_APPROVAL).bind(approval).bind(old).bind(now);
            if execute::<B::Db>(&mut tx, "using a card approval", used).await? != 1 {
                return Ok(CardReplacement::ApprovalUnusable);
            }
        }
        for entry in log {
            insert_access_entry::<B>(&mut tx, entry).await?;
        }
        tx.commit().await.map_err(db_error("committing a card replacement"))?;
        Ok(CardReplacement::Replaced)
    }

    async fn insert_card_approval(&self, approval: &CardApprovalRecord, log: &AccessEntryRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let insert = Statement::new(sql::INSERT_CARD_APPROVAL)
            .bind(approval.id)
            .bind(approval.card_id)
            .bind(approval.approved_by)
            .bind(approval.reason.as_str())
            .bind(approval.created_at)
            .bind(approval.expires_at);
        execute::<B::Db>(&mut tx, "storing a card approval", insert).await?;
        insert_access_entry::<B>(&mut tx, log).await?;
        tx.commit().await.map_err(db_error("committing a card approval"))
    }

    async fn card_approval(&self, id: Uuid) -> StoreResult<Option<CardApprovalRecord>> {
        let statement = Statement::new(sql::SELECT_CARD_APPROVAL).bind(id);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a card approval", statement).await
    }
}

impl FromColumns for CardApprovalRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(CardApprovalRecord {
            id: row.uuid("id")?,
            card_id: CardId(row.uuid("card_id")?),
            approved_by: UserId(row.uuid("approved_by")?),
            reason: row.text("reason")?,
            created_at: Timestamp(row.int("created_at")?),
            expires_at: Timestamp(row.int("expires_at")?),
            used_at: row.opt_int("used_at")?.map(Timestamp),
        })
    }
}
