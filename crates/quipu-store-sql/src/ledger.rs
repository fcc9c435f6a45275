//! [`LedgerStore`] for every backend: accounts, transfers, history, holds,
//! and the facts `quipu ledger verify` derives.

use quipu_domain::Timestamp;
use quipu_domain::ledger::{
    Account, AccountFlags, AccountId, AccountKind, Balances, Chain, ChainResult, Transfer, TransferId,
};
use quipu_domain::money::CurrencyCode;
use quipu_domain::verify::LedgerFacts;
use quipu_store::{
    AccountOwner, HistoryQuery, LedgerStore, MAX_PAGE, OwnedAccount, StoreResult, async_trait, db_error,
};

use crate::decode::Sums;
use crate::driver::{Scalar, Statement, execute, execute_unique, fetch_all, fetch_one, fetch_optional};
use crate::{Backend, Dialect, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        SELECT_ACCOUNT = "SELECT id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at FROM accounts WHERE id = $1";
        SELECT_ACCOUNTS_OF = "SELECT id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at FROM accounts WHERE owner_kind = $1 AND owner_id = $2 ORDER BY created_at, id LIMIT 100";
        SELECT_ACCOUNT_BY_OWNER_KIND = "SELECT id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at FROM accounts WHERE owner_kind = $1 AND owner_id = $2 AND kind = $3 AND currency = $4";
        INSERT_ACCOUNT = "INSERT INTO accounts (id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        INSERT_ACCOUNT_IF_ABSENT = "INSERT INTO accounts (id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (owner_kind, owner_id, kind, currency) DO NOTHING";
        UPDATE_ACCOUNT_FLAGS = "UPDATE accounts SET flags = $2 WHERE id = $1";
        SELECT_TRANSFER = "SELECT id, debit_account_id, credit_account_id, amount, currency, code, reference, kind, pending_id, expires_at, timestamp FROM transfers WHERE id = $1";
        SELECT_SETTLEMENT = "SELECT id, debit_account_id, credit_account_id, amount, currency, code, reference, kind, pending_id, expires_at, timestamp FROM transfers WHERE pending_id = $1";
        /// An account's balances just before ledger time $2: posted amounts, and holds not settled by then.
        BALANCES_BEFORE = "SELECT
    CAST(COALESCE(SUM(CASE WHEN t.debit_account_id = $1 AND t.kind IN ('posted', 'post_pending') THEN t.amount ELSE 0 END), 0) AS BIGINT) AS debits_posted,
    CAST(COALESCE(SUM(CASE WHEN t.credit_account_id = $1 AND t.kind IN ('posted', 'post_pending') THEN t.amount ELSE 0 END), 0) AS BIGINT) AS credits_posted,
    CAST(COALESCE(SUM(CASE WHEN t.debit_account_id = $1 AND t.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.pending_id = t.id AND r.timestamp < $2) THEN t.amount ELSE 0 END), 0) AS BIGINT) AS debits_pending,
    CAST(COALESCE(SUM(CASE WHEN t.credit_account_id = $1 AND t.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.pending_id = t.id AND r.timestamp < $2) THEN t.amount ELSE 0 END), 0) AS BIGINT) AS credits_pending
    FROM transfers t WHERE (t.debit_account_id = $1 OR t.credit_account_id = $1) AND t.timestamp < $2";
        SELECT_EXPIRED_HOLDS = "SELECT pending_id FROM holds WHERE state = 'open' AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2";

        SELECT_ALL_ACCOUNTS = "SELECT id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at FROM accounts ORDER BY id";
        POSTED_SUMS = "SELECT account_id, CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits FROM (
    SELECT debit_account_id AS account_id, amount AS debits, 0 AS credits FROM transfers WHERE kind IN ('posted', 'post_pending')
    UNION ALL
    SELECT credit_account_id AS account_id, 0 AS debits, amount AS credits FROM transfers WHERE kind IN ('posted', 'post_pending')
) AS sides GROUP BY account_id";
        /// Pending as derived from transfers alone: pending transfers nothing has settled.
        UNSETTLED_PENDING_SUMS = "SELECT account_id, CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits FROM (
    SELECT p.debit_account_id AS account_id, p.amount AS debits, 0 AS credits FROM transfers p
        WHERE p.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM transfers s WHERE s.pending_id = p.id)
    UNION ALL
    SELECT p.credit_account_id AS account_id, 0 AS debits, p.amount AS credits FROM transfers p
        WHERE p.kind = 'pending' AND NOT EXISTS (SELECT 1 FROM transfers s WHERE s.pending_id = p.id)
) AS sides GROUP BY account_id";
        OPEN_HOLD_SUMS = "SELECT account_id, CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits FROM (
    SELECT debit_account_id AS account_id, amount AS debits, 0 AS credits FROM holds WHERE state = 'open'
    UNION ALL
    SELECT credit_account_id AS account_id, 0 AS debits, amount AS credits FROM holds WHERE state = 'open'
) AS sides GROUP BY account_id";
        CURRENCY_MISMATCHES = "SELECT t.id FROM transfers t
    JOIN accounts d ON d.id = t.debit_account_id
    JOIN accounts c ON c.id = t.credit_account_id
    WHERE t.currency <> d.currency OR t.currency <> c.currency LIMIT 20";
        /// Transfers whose debit or credit account does not exist.
        UNKNOWN_ACCOUNT_TRANSFERS = "SELECT t.id FROM transfers t
    LEFT JOIN accounts d ON d.id = t.debit_account_id
    LEFT JOIN accounts c ON c.id = t.credit_account_id
    WHERE d.id IS NULL OR c.id IS NULL LIMIT 20";
        /// Settlements (post/void) that do not match the hold they settle: no such
        /// pending transfer, other accounts or currency, a post above the hold, a
        /// void for another amount.
        SETTLEMENT_MISMATCHES = "SELECT s.id FROM transfers s
    LEFT JOIN transfers p ON p.id = s.pending_id
    WHERE (s.kind IN ('post_pending', 'void_pending') OR s.pending_id IS NOT NULL)
      AND (s.pending_id IS NULL OR p.id IS NULL OR p.kind <> 'pending'
        OR s.kind NOT IN ('post_pending', 'void_pending')
        OR s.debit_account_id <> p.debit_account_id OR s.credit_account_id <> p.credit_account_id
        OR s.currency <> p.currency
        OR (s.kind = 'post_pending' AND s.amount > p.amount)
        OR (s.kind = 'void_pending' AND s.amount <> p.amount))
    LIMIT 20";
        /// Pending transfers whose hold row disagrees with them or with their
        /// settlement (open exactly when unsettled, posted exactly when posted), and
        /// hold rows without a pending transfer.
        HOLD_RECORD_MISMATCHES = "SELECT id FROM (
    SELECT p.id AS id FROM transfers p
        LEFT JOIN holds h ON h.pending_id = p.id
        LEFT JOIN transfers s ON s.pending_id = p.id
        WHERE p.kind = 'pending' AND (h.pending_id IS NULL
            OR h.debit_account_id <> p.debit_account_id OR h.credit_account_id <> p.credit_account_id
            OR h.amount <> p.amount OR h.currency <> p.currency OR h.expires_at IS DISTINCT FROM p.expires_at
            OR (h.state = 'open') <> (s.id IS NULL)
            OR (h.state = 'posted') <> COALESCE(s.kind = 'post_pending', FALSE))
    UNION ALL
    SELECT h.pending_id AS id FROM holds h
        LEFT JOIN transfers p ON p.id = h.pending_id
        WHERE p.id IS NULL OR p.kind <> 'pending'
) AS bad LIMIT 20";
        DUPLICATE_TIMESTAMPS = "SELECT CAST(COUNT(*) - COUNT(DISTINCT timestamp) AS BIGINT) FROM transfers";
    }
}

/// History: a `UNION ALL` of the two indexed sides, so each side walks its
/// (account, timestamp) index backwards instead of scanning on `OR`.
/// $1 account, $2 before (exclusive), $3 from (inclusive), $4 to (exclusive), $5 limit.
/// `code_filter` is an `AND code IN (…)` fragment built from the closed set of
/// transfer codes, never from input text.
fn history_sql(code_filter: &str) -> String {
    let side = |column: &str| {
        format!(
            "SELECT id, debit_account_id, credit_account_id, amount, currency, code, reference, kind, pending_id, expires_at, timestamp FROM transfers WHERE {column} = $1 AND timestamp < $2 AND timestamp >= $3 AND timestamp < $4{code_filter} ORDER BY timestamp DESC LIMIT $5"
        )
    };
    format!(
        "SELECT * FROM (SELECT * FROM ({}) AS d UNION ALL SELECT * FROM ({}) AS c) AS h ORDER BY timestamp DESC LIMIT $5",
        side("debit_account_id"),
        side("credit_account_id")
    )
}

fn code_filter(query: &HistoryQuery) -> String {
    if query.codes.is_empty() {
        return String::new();
    }
    let list: Vec<String> = query.codes.iter().map(|c| format!("'{}'", c.as_str())).collect();
    format!(" AND code IN ({})", list.join(", "))
}

/// The statements built at run time, in each of their shapes.
pub(crate) fn generated_statements(dialect: &Dialect) -> Vec<(String, String)> {
    vec![
        ("ledger::history_sql (every code)".into(), history_sql("")),
        ("ledger::history_sql (some codes)".into(), history_sql(" AND code IN ('p2p', 'cash_in')")),
        ("ledger::SELECT_ACCOUNT (locked)".into(), dialect.locked(sql::SELECT_ACCOUNT).into_owned()),
    ]
}

/// Inserts an account with `statement` ([`sql::INSERT_ACCOUNT`] or its if-absent form).
pub(crate) fn account_insert<'a>(statement: &'static str, owned: &'a OwnedAccount) -> Statement<'a> {
    let a = &owned.account;
    Statement::new(statement)
        .bind(a.id)
        .bind(&a.currency)
        .bind(a.kind.as_str())
        .bind(i64::from(a.flags.bits()))
        .bind(a.balances.debits_posted)
        .bind(a.balances.credits_posted)
        .bind(a.balances.debits_pending)
        .bind(a.balances.credits_pending)
        .bind(owned.owner.kind_str())
        .bind(owned.owner.id())
        .bind(a.created_at)
}

fn owner_account(owner: AccountOwner, kind: AccountKind, currency: &CurrencyCode) -> Statement<'_> {
    Statement::new(sql::SELECT_ACCOUNT_BY_OWNER_KIND)
        .bind(owner.kind_str())
        .bind(owner.id())
        .bind(kind.as_str())
        .bind(currency)
}

#[async_trait]
impl<B: Backend> LedgerStore for SqlStore<B> {
    async fn commit_batch(&self, chains: &[Chain], now: Timestamp) -> StoreResult<Vec<ChainResult>> {
        crate::batch::commit(self, chains, now).await
    }

    async fn account(&self, id: AccountId) -> StoreResult<Option<OwnedAccount>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading an account", Statement::new(sql::SELECT_ACCOUNT).bind(id)).await
    }

    async fn accounts_of(&self, owner: AccountOwner) -> StoreResult<Vec<Account>> {
        let statement = Statement::new(sql::SELECT_ACCOUNTS_OF).bind(owner.kind_str()).bind(owner.id());
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading an owner's accounts", statement).await
    }

    async fn ensure_account(&self, template: &OwnedAccount) -> StoreResult<Account> {
        let mut conn = self.writer().await?;
        let insert = account_insert(sql::INSERT_ACCOUNT_IF_ABSENT, template);
        execute::<B::Db>(&mut conn, "creating an account", insert).await?;
        let select = owner_account(template.owner, template.account.kind, &template.account.currency);
        fetch_one::<B::Db, _>(&mut conn, "loading an ensured account", select).await
    }

    async fn update_account_flags(
        &self,
        id: AccountId,
        set: AccountFlags,
        clear: AccountFlags,
    ) -> StoreResult<Option<Account>> {
        let mut tx = self.begin().await?;
        let select = B::DIALECT.locked(sql::SELECT_ACCOUNT);
        let found: Option<Account> =
            fetch_optional::<B::Db, _>(&mut tx, "loading an account", Statement::new(select).bind(id)).await?;
        let Some(mut account) = found else { return Ok(None) };
        account.flags = account.flags.with(set).without(clear);
        let update = Statement::new(sql::UPDATE_ACCOUNT_FLAGS).bind(id).bind(i64::from(account.flags.bits()));
        execute::<B::Db>(&mut tx, "updating account flags", update).await?;
        tx.commit().await.map_err(db_error("committing a flag update"))?;
        Ok(Some(account))
    }

    async fn transfer(&self, id: TransferId) -> StoreResult<Option<Transfer>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a transfer", Statement::new(sql::SELECT_TRANSFER).bind(id)).await
    }

    async fn balances_before(&self, account: AccountId, at: Timestamp) -> StoreResult<Balances> {
        let statement = Statement::new(sql::BALANCES_BEFORE).bind(account).bind(at);
        let mut conn = self.reader().await?;
        let BalancesRow(balances) =
            fetch_one::<B::Db, _>(&mut conn, "summing an account's balances", statement).await?;
        Ok(balances)
    }

    async fn settlement_of(&self, pending: TransferId) -> StoreResult<Option<Transfer>> {
        let statement = Statement::new(sql::SELECT_SETTLEMENT).bind(pending);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a hold's settlement", statement).await
    }

    async fn history(&self, query: &HistoryQuery) -> StoreResult<Vec<Transfer>> {
        let statement = Statement::new(history_sql(&code_filter(query)))
            .bind(query.account)
            .bind(query.before.map_or(i64::MAX, |t| t.0))
            .bind(query.from.map_or(i64::MIN, |t| t.0))
            .bind(query.to.map_or(i64::MAX, |t| t.0))
            .bind(query.limit.min(MAX_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading history", statement).await
    }

    async fn expired_holds(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TransferId>> {
        let statement = Statement::new(sql::SELECT_EXPIRED_HOLDS).bind(now).bind(limit);
        let mut conn = self.reader().await?;
        let ids: Vec<Scalar<uuid::Uuid>> = fetch_all::<B::Db, _>(&mut conn, "finding expired holds", statement).await?;
        Ok(ids.into_iter().map(|Scalar(id)| TransferId(id)).collect())
    }

    async fn ledger_facts(&self) -> StoreResult<LedgerFacts> {
        // One read transaction, so every query sees the same snapshot.
        let mut tx = self.reader.begin().await.map_err(db_error("starting verification"))?;
        if let Some(snapshot) = B::DIALECT.snapshot {
            execute::<B::Db>(&mut tx, "taking a verification snapshot", Statement::new(snapshot)).await?;
        }
        let accounts =
            fetch_all::<B::Db, Account>(&mut tx, "loading accounts", Statement::new(sql::SELECT_ALL_ACCOUNTS)).await?;
        let mut facts = LedgerFacts { accounts, ..LedgerFacts::default() };
        let posted: Vec<Sums> =
            fetch_all::<B::Db, _>(&mut tx, "summing posted", Statement::new(sql::POSTED_SUMS)).await?;
        let pending: Vec<Sums> =
            fetch_all::<B::Db, _>(&mut tx, "summing pending", Statement::new(sql::UNSETTLED_PENDING_SUMS)).await?;
        let holds: Vec<Sums> =
            fetch_all::<B::Db, _>(&mut tx, "summing holds", Statement::new(sql::OPEN_HOLD_SUMS)).await?;
        for (statement, context, found) in [
            (sql::CURRENCY_MISMATCHES, "checking currencies", &mut facts.currency_mismatches),
            (sql::UNKNOWN_ACCOUNT_TRANSFERS, "checking transfers' accounts", &mut facts.unknown_account_transfers),
            (sql::SETTLEMENT_MISMATCHES, "checking settlements", &mut facts.settlement_mismatches),
            (sql::HOLD_RECORD_MISMATCHES, "checking holds", &mut facts.hold_record_mismatches),
        ] {
            let ids: Vec<Scalar<uuid::Uuid>> =
                fetch_all::<B::Db, _>(&mut tx, context, Statement::new(statement)).await?;
            *found = ids.into_iter().map(|Scalar(id)| TransferId(id)).collect();
        }
        let Scalar(duplicates): Scalar<i64> =
            fetch_one::<B::Db, _>(&mut tx, "checking timestamps", Statement::new(sql::DUPLICATE_TIMESTAMPS)).await?;
        facts.records = crate::reconcile::record_facts::<B>(&mut tx).await?;
        tx.rollback().await.map_err(db_error("ending verification"))?;
        assemble_facts(&mut facts, &posted, &pending, &holds);
        facts.duplicate_timestamps = u64::try_from(duplicates).unwrap_or(0);
        Ok(facts)
    }

    async fn system_account(&self, kind: AccountKind, currency: CurrencyCode) -> StoreResult<Option<Account>> {
        let mut conn = self.reader().await?;
        let select = owner_account(AccountOwner::System, kind, &currency);
        fetch_optional::<B::Db, _>(&mut conn, "loading a system account", select).await
    }
}

/// Inserts the accounts of an enrollment inside the caller's transaction.
pub(crate) async fn insert_accounts<B: Backend>(
    conn: &mut crate::Conn<B>,
    accounts: &[OwnedAccount],
) -> StoreResult<()> {
    for account in accounts {
        let insert = account_insert(sql::INSERT_ACCOUNT, account);
        execute_unique::<B::Db>(conn, "inserting an account", "account exists", insert).await?;
    }
    Ok(())
}

/// Folds the three aggregate queries of a verification into `facts`.
fn assemble_facts(facts: &mut LedgerFacts, posted: &[Sums], pending: &[Sums], holds: &[Sums]) {
    for row in posted {
        let entry = facts.from_transfers.entry(row.account).or_default();
        entry.debits_posted = row.debits;
        entry.credits_posted = row.credits;
    }
    for row in pending {
        let entry = facts.from_transfers.entry(row.account).or_default();
        entry.debits_pending = row.debits;
        entry.credits_pending = row.credits;
    }
    for row in holds {
        facts.open_holds.insert(row.account, (row.debits, row.credits));
    }
}

/// Balances summed by [`sql::BALANCES_BEFORE`].
struct BalancesRow(Balances);

impl crate::driver::FromColumns for BalancesRow {
    fn from_columns(row: &dyn crate::driver::Columns) -> StoreResult<Self> {
        Ok(BalancesRow(Balances {
            debits_posted: row.int("debits_posted")?,
            credits_posted: row.int("credits_posted")?,
            debits_pending: row.int("debits_pending")?,
            credits_pending: row.int("credits_pending")?,
        }))
    }
}
