//! Property test: random sequences of ledger commands (single, linked,
//! concurrent, two-phase, replayed, conflicting, invalid, expiring) run
//! through the real writer and database, and against a deliberately simple
//! model. After every step the balances match the model; after every case
//! every invariant holds.

use std::collections::HashMap;
use std::sync::Arc;

use proptest::prelude::*;
use quipu_core::OffsetClock;
use quipu_domain::Timestamp;
use quipu_domain::identity::UserId;
use quipu_domain::ledger::{
    AccountFlags, AccountId, AccountKind, ChainResult, TransferCode, TransferCommand, TransferId, TransferOp,
};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_store::{AccountOwner, Enrollment, OwnedAccount};

use crate::harness::{Backend, Storage, backends, start_services};

/// (kind, currency, extra flags) of the accounts every case starts with.
const ACCOUNTS: [(AccountKind, &str, AccountFlags); 8] = [
    (AccountKind::CustomerWallet, "USD", AccountFlags::NONE),
    (AccountKind::CustomerWallet, "USD", AccountFlags::NONE),
    (AccountKind::CustomerWallet, "USD", AccountFlags::NONE),
    (AccountKind::CustomerWallet, "USD", AccountFlags::NONE),
    (AccountKind::Issuance, "USD", AccountFlags::NONE),
    (AccountKind::Settlement, "USD", AccountFlags::NONE),
    (AccountKind::CustomerWallet, "EUR", AccountFlags::NONE),
    (AccountKind::CustomerWallet, "USD", AccountFlags::FROZEN),
];
const HOLD_TIMEOUT_SECONDS: u32 = 60;

#[derive(Debug, Clone)]
enum Cmd {
    Posted { debit: usize, credit: usize, amount: i64 },
    Pending { debit: usize, credit: usize, amount: i64, timeout: bool },
    Post { hold: usize, amount: Option<i64> },
    Void { hold: usize },
}

#[derive(Debug, Clone)]
enum Step {
    Single(Cmd),
    Linked(Vec<Cmd>),
    Concurrent(Vec<Cmd>),
    Replay(usize),
    Conflict(usize),
    /// Time passes beyond every hold's timeout; the sweeper runs.
    Expire,
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let account = 0..ACCOUNTS.len();
    // Issuance (4) is the usual source of money, so weight it.
    let source = prop_oneof![Just(4usize), 0..ACCOUNTS.len()];
    let amount = prop_oneof![1 => Just(0i64), 1 => Just(-3i64), 12 => 1..300i64];
    prop_oneof![
        4 => (source.clone(), account.clone(), amount.clone()).prop_map(|(debit, credit, amount)| Cmd::Posted { debit, credit, amount }),
        2 => (source, account, amount, any::<bool>()).prop_map(|(debit, credit, amount, timeout)| Cmd::Pending { debit, credit, amount, timeout }),
        2 => (any::<usize>(), prop::option::of(0..400i64)).prop_map(|(hold, amount)| Cmd::Post { hold, amount }),
        1 => any::<usize>().prop_map(|hold| Cmd::Void { hold }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => cmd().prop_map(Step::Single),
        2 => prop::collection::vec(cmd(), 2..4).prop_map(Step::Linked),
        2 => prop::collection::vec(cmd(), 2..8).prop_map(Step::Concurrent),
        1 => any::<usize>().prop_map(Step::Replay),
        1 => any::<usize>().prop_map(Step::Conflict),
        1 => Just(Step::Expire),
    ]
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Balances {
    debits_posted: i64,
    credits_posted: i64,
    debits_pending: i64,
    credits_pending: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HoldState {
    Open,
    Posted,
    Voided,
}

#[derive(Debug, Clone)]
struct Hold {
    debit: usize,
    credit: usize,
    amount: i64,
    expires: bool,
    epoch: u32,
    state: HoldState,
}

/// The simple model: plain maps, checks in the documented order.
#[derive(Debug, Clone, Default)]
struct Model {
    balances: Vec<Balances>,
    committed: HashMap<TransferId, TransferCommand>,
    holds: HashMap<TransferId, Hold>,
    epoch: u32,
}

struct World {
    ids: Vec<AccountId>,
    currencies: Vec<CurrencyCode>,
    flags: Vec<AccountFlags>,
}

impl World {
    fn index(&self, id: AccountId) -> usize {
        self.ids.iter().position(|a| *a == id).unwrap()
    }
}

impl Model {
    fn apply(&mut self, world: &World, command: &TransferCommand) -> Result<bool, &'static str> {
        if let Some(existing) = self.committed.get(&command.id) {
            return if existing == command { Ok(true) } else { Err("idempotency_conflict") };
        }
        match &command.op {
            TransferOp::Posted { debit, credit, amount, currency }
            | TransferOp::Pending { debit, credit, amount, currency, .. } => {
                let pending = matches!(command.op, TransferOp::Pending { .. });
                if amount.minor() <= 0 {
                    return Err("amount_not_positive");
                }
                if debit == credit {
                    return Err("same_account");
                }
                let (d, c) = (world.index(*debit), world.index(*credit));
                for i in [d, c] {
                    if world.currencies[i] != *currency {
                        return Err("currency_mismatch");
                    }
                    if world.flags[i].contains(AccountFlags::FROZEN) {
                        return Err("account_frozen");
                    }
                }
                let mut next = self.balances.clone();
                if pending {
                    next[d].debits_pending += amount.minor();
                    next[c].credits_pending += amount.minor();
                } else {
                    next[d].debits_posted += amount.minor();
                    next[c].credits_posted += amount.minor();
                }
                check_flags(world, &next, d, c)?;
                self.balances = next;
                if let TransferOp::Pending { timeout_seconds, .. } = command.op {
                    self.holds.insert(
                        command.id,
                        Hold {
                            debit: d,
                            credit: c,
                            amount: amount.minor(),
                            expires: timeout_seconds.is_some(),
                            epoch: self.epoch,
                            state: HoldState::Open,
                        },
                    );
                }
            }
            TransferOp::Post { pending_id, .. } | TransferOp::Void { pending_id } => {
                let post_amount = match &command.op {
                    TransferOp::Post { amount, .. } => Some(*amount),
                    _ => None,
                };
                let hold = self.holds.get(pending_id).cloned().ok_or("pending_not_found")?;
                match hold.state {
                    HoldState::Open => {}
                    HoldState::Posted => return Err("pending_already_posted"),
                    HoldState::Voided => return Err("pending_already_voided"),
                }
                let expired = hold.expires && self.epoch > hold.epoch;
                let mut next = self.balances.clone();
                next[hold.debit].debits_pending -= hold.amount;
                next[hold.credit].credits_pending -= hold.amount;
                let state = match post_amount {
                    Some(_) if expired => return Err("pending_expired"),
                    Some(requested) => {
                        let value = requested.map_or(hold.amount, |a| a.minor());
                        if value <= 0 {
                            return Err("amount_not_positive");
                        }
                        if value > hold.amount {
                            return Err("exceeds_pending_amount");
                        }
                        for i in [hold.debit, hold.credit] {
                            if world.flags[i].contains(AccountFlags::FROZEN) {
                                return Err("account_frozen");
                            }
                        }
                        next[hold.debit].debits_posted += value;
                        next[hold.credit].credits_posted += value;
                        check_flags(world, &next, hold.debit, hold.credit)?;
                        HoldState::Posted
                    }
                    None => HoldState::Voided,
                };
                self.balances = next;
                if let Some(h) = self.holds.get_mut(pending_id) {
                    h.state = state;
                }
            }
            _ => unreachable!("the model never generates expiries; the sweeper does"),
        }
        self.committed.insert(command.id, command.clone());
        Ok(false)
    }

    fn apply_chain(&mut self, world: &World, chain: &[TransferCommand]) -> Result<Vec<bool>, (usize, &'static str)> {
        let mut scratch = self.clone();
        let mut replayed = Vec::new();
        for (index, command) in chain.iter().enumerate() {
            replayed.push(scratch.apply(world, command).map_err(|e| (index, e))?);
        }
        *self = scratch;
        Ok(replayed)
    }

    /// What the sweeper does after time passed every timeout.
    fn expire(&mut self) {
        self.epoch += 1;
        for hold in self.holds.values_mut() {
            if hold.state == HoldState::Open && hold.expires && hold.epoch < self.epoch {
                hold.state = HoldState::Voided;
                self.balances[hold.debit].debits_pending -= hold.amount;
                self.balances[hold.credit].credits_pending -= hold.amount;
            }
        }
    }
}

fn check_flags(world: &World, balances: &[Balances], d: usize, c: usize) -> Result<(), &'static str> {
    for i in [d, c] {
        let b = balances[i];
        let flags = world.flags[i];
        if flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS)
            && b.debits_posted + b.debits_pending > b.credits_posted
        {
            return Err("insufficient_funds");
        }
        if flags.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS)
            && b.credits_posted + b.credits_pending > b.debits_posted
        {
            return Err("exceeds_debits");
        }
    }
    Ok(())
}

struct Case {
    world: World,
    model: Model,
    history: Vec<TransferCommand>,
    pendings: Vec<TransferId>,
}

impl Case {
    fn command(&mut self, cmd: &Cmd) -> TransferCommand {
        let id = TransferId(uuid::Uuid::now_v7());
        let hold = |index: usize, pendings: &[TransferId]| {
            if pendings.is_empty() { TransferId(uuid::Uuid::now_v7()) } else { pendings[index % pendings.len()] }
        };
        let op = match *cmd {
            Cmd::Posted { debit, credit, amount } => TransferOp::Posted {
                debit: self.world.ids[debit],
                credit: self.world.ids[credit],
                amount: Amount::from_minor(amount),
                currency: self.world.currencies[debit],
            },
            Cmd::Pending { debit, credit, amount, timeout } => {
                self.pendings.push(id);
                TransferOp::Pending {
                    debit: self.world.ids[debit],
                    credit: self.world.ids[credit],
                    amount: Amount::from_minor(amount),
                    currency: self.world.currencies[debit],
                    timeout_seconds: timeout.then_some(HOLD_TIMEOUT_SECONDS),
                }
            }
            Cmd::Post { hold: index, amount } => {
                TransferOp::Post { pending_id: hold(index, &self.pendings), amount: amount.map(Amount::from_minor) }
            }
            Cmd::Void { hold: index } => TransferOp::Void { pending_id: hold(index, &self.pendings) },
        };
        let command = TransferCommand {
            id,
            op,
            code: TransferCode::P2p,
            reference: format!("model:{}", self.history.len()),
            credit_cap: None,
        };
        self.history.push(command.clone());
        command
    }
}

fn error_code(result: &ChainResult) -> Result<Vec<bool>, (usize, &'static str)> {
    match result {
        Ok(outcomes) => Ok(outcomes.iter().map(|o| o.replayed).collect()),
        Err(rejection) => Err((rejection.index, rejection.error.code())),
    }
}

async fn run_case(backend: Backend, steps: Vec<Step>) {
    let storage = Storage::new(backend).await;
    let clock = Arc::new(OffsetClock::default());
    let (services, background) = start_services(storage.store.clone(), clock.clone()).await;
    let now = Timestamp(0);
    let mut enrollment = Enrollment::default();
    for (kind, currency, extra) in ACCOUNTS {
        let mut owned = OwnedAccount::new(
            quipu_domain::ledger::AccountId(uuid::Uuid::now_v7()),
            AccountOwner::User(UserId(uuid::Uuid::now_v7())),
            kind,
            CurrencyCode::parse(currency).unwrap(),
            now,
        );
        owned.account.flags = owned.account.flags.with(extra);
        enrollment.accounts.push(owned);
    }
    storage.store.enroll(&enrollment).await.unwrap();
    let world = World {
        ids: enrollment.accounts.iter().map(|a| a.account.id).collect(),
        currencies: enrollment.accounts.iter().map(|a| a.account.currency).collect(),
        flags: enrollment.accounts.iter().map(|a| a.account.flags).collect(),
    };
    let mut case = Case {
        model: Model { balances: vec![Balances::default(); ACCOUNTS.len()], ..Model::default() },
        world,
        history: Vec::new(),
        pendings: Vec::new(),
    };

    for step in steps {
        match step {
            Step::Single(cmd) => {
                let command = case.command(&cmd);
                let got = services.kernel.ledger.submit(vec![command.clone()]).await.unwrap();
                let expected = case.model.apply_chain(&case.world, &[command]);
                assert_eq!(error_code(&got), expected, "single {cmd:?}");
            }
            Step::Linked(cmds) => {
                let chain: Vec<TransferCommand> = cmds.iter().map(|c| case.command(c)).collect();
                let got = services.kernel.ledger.submit(chain.clone()).await.unwrap();
                let expected = case.model.apply_chain(&case.world, &chain);
                // The failing index and reason agree, and a failed chain leaves nothing behind.
                assert_eq!(error_code(&got), expected, "linked {cmds:?}");
            }
            Step::Replay(index) | Step::Conflict(index) if case.history.is_empty() => {
                let _ = index;
            }
            Step::Replay(index) => {
                let command = case.history[index % case.history.len()].clone();
                let got = services.kernel.ledger.submit(vec![command.clone()]).await.unwrap();
                assert_eq!(error_code(&got), case.model.apply_chain(&case.world, &[command]), "replay");
            }
            Step::Conflict(index) => {
                let mut command = case.history[index % case.history.len()].clone();
                command.code = TransferCode::Adjustment;
                let got = services.kernel.ledger.submit(vec![command.clone()]).await.unwrap();
                assert_eq!(error_code(&got), case.model.apply_chain(&case.world, &[command]), "conflicting replay");
            }
            Step::Expire => {
                clock.advance_seconds(i64::from(HOLD_TIMEOUT_SECONDS) * 2);
                quipu_core::sweep_once(&services, 10_000).await.unwrap();
                case.model.expire();
            }
            Step::Concurrent(cmds) => {
                let commands: Vec<TransferCommand> = cmds.iter().map(|c| case.command(c)).collect();
                let mut tasks = Vec::new();
                for command in commands.clone() {
                    let services = services.clone();
                    tasks
                        .push(tokio::spawn(async move { services.kernel.ledger.submit(vec![command]).await.unwrap() }));
                }
                let mut created = Vec::new();
                for (command, task) in commands.iter().zip(tasks) {
                    if let Ok(outcomes) = task.await.unwrap() {
                        let outcome = &outcomes[0];
                        assert!(!outcome.replayed, "fresh ids never replay");
                        created.push((outcome.transfer.timestamp, command.clone()));
                    }
                }
                // The ledger chose an order; its timestamps tell which. In that
                // order the model must accept every committed command.
                created.sort_by_key(|(timestamp, _)| *timestamp);
                for (_, command) in created {
                    assert_eq!(
                        case.model.apply_chain(&case.world, std::slice::from_ref(&command)),
                        Ok(vec![false]),
                        "concurrent {command:?}"
                    );
                }
            }
        }
        for (index, id) in case.world.ids.iter().enumerate() {
            let stored = storage.store.account(*id).await.unwrap().unwrap().account.balances;
            let model = case.model.balances[index];
            let stored = Balances {
                debits_posted: stored.debits_posted,
                credits_posted: stored.credits_posted,
                debits_pending: stored.debits_pending,
                credits_pending: stored.credits_pending,
            };
            assert_eq!(stored, model, "account {index} diverged from the model");
        }
    }
    background.shutdown().await;
    storage.assert_ledger_clean().await;
    storage.dispose().await;
}

fn run(backend: Backend, cases: u32) {
    let config = ProptestConfig { cases, max_shrink_iters: 64, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(steps in prop::collection::vec(step(), 1..40))| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run_case(backend, steps));
    });
}

#[test]
fn ledger_matches_model_on_sqlite() {
    run(Backend::Sqlite, 48);
}

#[test]
fn ledger_matches_model_on_postgres() {
    if backends().contains(&Backend::Postgres) {
        run(Backend::Postgres, 12);
    }
}
