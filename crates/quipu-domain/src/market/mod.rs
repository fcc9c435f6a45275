//! The marketplace's rules: storefronts (kinds, places, hours, delivery terms), the catalog
//! (names, units, prices, stock, options), search terms, and the order's state machine. Pure, like
//! the rest of this crate; the `quipu-market` context applies them.

pub mod catalog;
pub mod order;
pub mod search;
pub mod storefront;
