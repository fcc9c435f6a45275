//! The hand-over code: four digits the customer gives the courier at the door (or the counter,
//! for a pickup). The digits are never stored: they are derived from the instance's hand-over key
//! and the order's id (so the customer's page can show them again, on any device), and the order
//! keeps only a keyed hash of them to check against. Wrong guesses are counted on the order and
//! lock it for a while: the lock stops the guesser, and the customer's code still works after it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::market::checkout::OrderId;

/// How many digits a hand-over code has.
pub const CODE_DIGITS: usize = 4;
/// How many codes there are (`10^CODE_DIGITS`).
const CODES: u64 = 10_000;
/// Wrong codes in a row before the order's code locks: with 10 000 codes and a 15-minute lock,
/// guessing one takes weeks, while a courier who mistypes twice is not stopped.
pub const MAX_WRONG_CODES: u32 = 5;
/// How long a locked code stays locked.
pub const LOCK_SECONDS: i64 = 15 * 60;
/// Bytes of the instance's hand-over key.
pub const KEY_BYTES: usize = 32;

/// A hand-over code as typed: exactly four ASCII digits. Its `Debug` hides the digits, so it is
/// never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct HandoverCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a hand-over code is four digits")]
pub struct BadHandoverCode;

impl HandoverCode {
    /// Accepts four digits, with spaces around them (a courier's keyboard adds them).
    pub fn parse(text: &str) -> Result<Self, BadHandoverCode> {
        let text = text.trim();
        let digits = text.len() == CODE_DIGITS && text.bytes().all(|byte| byte.is_ascii_digit());
        if digits { Ok(Self(text.to_owned())) } else { Err(BadHandoverCode) }
    }

    /// The code for a random number from the caller's injected randomness (64 bits, so taking it
    /// modulo 10 000 favours no code measurably).
    pub fn from_random(random: u64) -> Self {
        Self(format!("{:04}", random % CODES))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The order's code: HMAC-SHA256 of the order's id under the instance's key, its first eight
    /// bytes taken modulo 10 000.
    pub fn of_order(key: &[u8], order: OrderId) -> Self {
        let digest = keyed(key, b"quipu.handover.code", order, b"");
        let mut first = [0_u8; 8];
        first.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
        Self::from_random(u64::from_be_bytes(first))
    }

    /// What the order stores to check a typed code against: a keyed hash of the order and code.
    pub fn check_hash(&self, key: &[u8], order: OrderId) -> [u8; 32] {
        keyed(key, b"quipu.handover.check", order, self.0.as_bytes())
    }
}

fn keyed(key: &[u8], purpose: &[u8], order: OrderId, code: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length; the fallback keeps the function total.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(purpose);
    mac.update(order.0.as_bytes());
    mac.update(code);
    mac.finalize().into_bytes().into()
}

impl std::fmt::Debug for HandoverCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HandoverCode(****)")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn codes_are_four_digits_and_never_printed() {
        assert_eq!(HandoverCode::parse(" 0421 ").unwrap().expose(), "0421");
        for bad in ["", "421", "04210", "04a1", "٠٤٢١", "-421"] {
            assert_eq!(HandoverCode::parse(bad), Err(BadHandoverCode), "{bad}");
        }
        assert_eq!(HandoverCode::from_random(7).expose(), "0007");
        assert_eq!(HandoverCode::from_random(u64::MAX).expose(), "1615");
        assert_eq!(format!("{:?}", HandoverCode::from_random(1234)), "HandoverCode(****)");
    }

    #[test]
    fn an_orders_code_comes_from_the_key_and_the_order_alone() {
        let order = OrderId(uuid::Uuid::from_u128(7));
        let other = OrderId(uuid::Uuid::from_u128(8));
        let key = [1_u8; KEY_BYTES];
        let code = HandoverCode::of_order(&key, order);
        assert_eq!(code, HandoverCode::of_order(&key, order));
        assert_eq!(code.expose().len(), CODE_DIGITS);
        assert_ne!(code.check_hash(&key, order), code.check_hash(&key, other));
        assert_ne!(code.check_hash(&key, order), code.check_hash(&[2; KEY_BYTES], order));
        // Across many orders every digit turns up in every place: the codes are spread.
        let codes: Vec<_> =
            (0..400_u128).map(|n| HandoverCode::of_order(&key, OrderId(uuid::Uuid::from_u128(n)))).collect();
        for place in 0..CODE_DIGITS {
            let digits: std::collections::HashSet<_> =
                codes.iter().filter_map(|c| c.expose().as_bytes().get(place)).collect();
            assert_eq!(digits.len(), 10, "place {place}");
        }
    }
}
