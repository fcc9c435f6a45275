//! Reviews and what customers come back to: one 1–5 rating per completed order with an optional
//! comment, the seller's reply, the operator's hiding of abusive text; a seller's running tally
//! (what storefronts show and the rating sort reads); and when a back-in-stock alert fires.
//!
//! A hidden review's rating still counts: hiding is for abusive words, and a rating a shop could
//! have removed by complaining would tell the next customer less than nothing.

use crate::Timestamp;
use crate::ledger::id_type;
use crate::market::catalog::Stock;

id_type!(
    /// A customer's review of one completed order.
    ReviewId
);

/// Longest comment, reply, and operator's reason for hiding, in characters.
pub const MAX_COMMENT_CHARS: usize = 1_000;
pub const MAX_REPLY_CHARS: usize = 1_000;
pub const MAX_HIDE_REASON_CHARS: usize = 200;
/// How long after writing it a customer may change their review: a week, enough to add what
/// they forgot, not so long that a shop's standing shifts under old orders.
pub const EDIT_WINDOW_SECONDS: i64 = 7 * 24 * 60 * 60;
/// Most sellers one customer keeps as favourites, and most alerts one customer keeps waiting.
pub const MAX_FAVOURITES: u32 = 200;
pub const MAX_ALERTS: u32 = 100;

/// A rating: one to five stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a rating is a whole number from 1 to 5")]
pub struct RatingInvalid;

impl Rating {
    pub const FEWEST_STARS: u8 = 1;
    pub const MOST_STARS: u8 = 5;

    pub fn new(stars: i64) -> Result<Self, RatingInvalid> {
        match u8::try_from(stars) {
            Ok(stars @ Self::FEWEST_STARS..=Self::MOST_STARS) => Ok(Self(stars)),
            _ => Err(RatingInvalid),
        }
    }

    pub fn stars(self) -> u8 {
        self.0
    }
}

/// A seller's ratings so far: their sum and how many. Kept on the seller's row, changed in the
/// same transaction as the review, so nothing ever averages the reviews at read time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RatingTally {
    pub sum: u64,
    pub count: u64,
}

impl RatingTally {
    /// The average in tenths of a star, rounded half up (4.25 is 43); none before the first rating.
    pub fn average_tenths(self) -> Option<u32> {
        if self.count == 0 {
            return None;
        }
        let doubled = self.sum.checked_mul(20)?.checked_add(self.count)?;
        u32::try_from(doubled.checked_div(self.count.checked_mul(2)?)?).ok()
    }

    /// Where the seller stands in the rating sort, smaller first: the better the average (in
    /// hundredths of a star, truncated), then the more ratings. Fits a `u32` with room to spare,
    /// so a seller without ratings (no rank) sorts after every ranked one.
    pub fn rank(self) -> Option<u32> {
        /// Ratings counted toward the tie-break; beyond this many, more do not reorder.
        const COUNT_CAP: u64 = (1 << 22) - 1;
        let hundredths = self.sum.checked_mul(100)?.checked_div(self.count)?.min(500);
        let better = 500u64.checked_sub(hundredths)?;
        let fewer = COUNT_CAP.checked_sub(self.count.min(COUNT_CAP))?;
        u32::try_from(better.checked_mul(COUNT_CAP.checked_add(1)?)?.checked_add(fewer)?).ok()
    }
}

/// Whether a review written at `created_at` may still be changed by its customer at `now`.
pub fn may_edit(created_at: Timestamp, now: Timestamp, hidden: bool) -> bool {
    !hidden && created_at <= now && now <= created_at.plus_seconds(EDIT_WINDOW_SECONDS)
}

/// Whether a product can be bought now as far as its shelf goes: what a back-in-stock alert
/// waits for. (Visibility is the catalog's to say.)
pub fn in_stock(stock: Stock) -> bool {
    match stock {
        Stock::Untracked { sold_out } => !sold_out,
        Stock::Tracked(left) => left > 0,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn ratings_are_one_to_five_stars() {
        for stars in 1..=5 {
            assert_eq!(Rating::new(stars).unwrap().stars(), u8::try_from(stars).unwrap());
        }
        for stars in [0, 6, -1, 256, i64::MAX, i64::MIN] {
            assert_eq!(Rating::new(stars), Err(RatingInvalid), "{stars}");
        }
    }

    #[test]
    fn averages_round_half_up_to_a_tenth() {
        assert_eq!(RatingTally::default().average_tenths(), None);
        assert_eq!(RatingTally { sum: 5, count: 1 }.average_tenths(), Some(50));
        assert_eq!(RatingTally { sum: 17, count: 4 }.average_tenths(), Some(43));
        assert_eq!(RatingTally { sum: 13, count: 3 }.average_tenths(), Some(43));
        assert_eq!(RatingTally { sum: 14, count: 3 }.average_tenths(), Some(47));
    }

    #[test]
    fn the_better_average_ranks_first_then_the_more_ratings() {
        let rank = |sum, count| RatingTally { sum, count }.rank().unwrap();
        assert!(rank(5, 1) < rank(9, 2));
        assert!(rank(10, 2) < rank(5, 1));
        assert!(rank(9, 2) < rank(4, 1));
        assert!(rank(1, 1) < u32::MAX);
        assert_eq!(RatingTally::default().rank(), None);
        assert!(RatingTally { sum: 5 * u64::from(u32::MAX), count: u64::from(u32::MAX) }.rank().is_some());
    }

    #[test]
    fn a_review_changes_within_its_week_unless_hidden() {
        let written = Timestamp(1_000);
        let last = written.plus_seconds(EDIT_WINDOW_SECONDS);
        assert!(may_edit(written, last, false));
        assert!(!may_edit(written, Timestamp(last.0 + 1), false));
        assert!(!may_edit(written, Timestamp(1_001), true));
    }

    #[test]
    fn stock_is_there_when_counted_above_zero_or_not_marked_sold_out() {
        assert!(in_stock(Stock::Tracked(1)));
        assert!(!in_stock(Stock::Tracked(0)));
        assert!(in_stock(Stock::Untracked { sold_out: false }));
        assert!(!in_stock(Stock::Untracked { sold_out: true }));
    }
}
