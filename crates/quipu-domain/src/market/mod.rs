//! The marketplace's rules: storefronts (kinds, places, hours, delivery terms), the catalog
//! (names, units, prices, stock, options), search terms, and the order's state machine. Pure, like
//! the rest of this crate; the `quipu-market` context applies them.

pub mod catalog;
pub mod checkout;
pub mod order;
pub mod pharmacy;
pub mod review;
pub mod search;
pub mod storefront;

use crate::ledger::id_type;

id_type!(
    /// A delivery area the operator named (a district: addresses there are often a district and a
    /// building, not a street a map can find).
    AreaId
);
id_type!(
    /// A product in a seller's catalog.
    ProductId
);
