//! Quipu's pure domain: money, the double-entry ledger rules, the ledger
//! invariants, in-store payment rules, prepaid card numbers and the identity
//! value types.
//!
//! Nothing in this crate performs I/O or reads the clock: time is passed in
//! as a [`Timestamp`], storage hands in the state it loaded, and the caller
//! persists what the rules decided. That keeps every rule testable in
//! microseconds and identical across storage backends.
//!
//! Arithmetic here decides money, so none of it may wrap or panic silently:
//! every operation is checked, saturating, or explains why it cannot overflow.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

pub mod card;
pub mod delivery;
pub mod identity;
pub mod ledger;
pub mod limits;
pub mod market;
pub mod merchant;
pub mod money;
pub mod payment;
pub mod reconcile;
pub mod settlement;
pub mod state;
pub mod statement;
pub mod text;
pub mod time;
pub mod verify;
pub mod zone;

pub use money::{Amount, Currency, CurrencyCode, MoneyError};
pub use time::Timestamp;
