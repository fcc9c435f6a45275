//! Prepaid smart cards: the 16-digit card number with its Luhn check digit,
//! how it is masked, and where a card stands. Pure rules; the services keep
//! the card's own stored-value account in the ledger.

use std::fmt;

use crate::ledger::{id_type, string_enum};

/// Digits in a card number, check digit included.
pub const CARD_DIGITS: usize = 16;
/// Digits of the issuer prefix every Quipu card starts with.
pub const PREFIX_DIGITS: usize = 6;
/// Digits drawn at random between the prefix and the check digit.
pub const RANDOM_DIGITS: usize = CARD_DIGITS - PREFIX_DIGITS - 1;

id_type!(
    /// A prepaid card's id; the card also owns a ledger account of its own.
    CardId
);

string_enum!(
    /// Where a card stands. A blocked card (lost, stolen) pays nothing and is
    /// not topped up until unblocked; a replaced card is finished for good and
    /// its balance lives on the card that replaced it.
    CardStatus {
        Active => "active",
        Blocked => "blocked",
        Replaced => "replaced",
    }
);

impl CardStatus {
    /// Replaced is final: a replaced card's money lives on its replacement.
    pub const FINAL: CardStatus = CardStatus::Replaced;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardNumberError {
    #[error("a card number is 16 digits")]
    Malformed,
    #[error("this card number's check digit is wrong; check it was typed correctly")]
    CheckDigit,
}

/// A card number: 16 ASCII digits whose last is the Luhn check digit.
/// `Debug` and `Display` show only the masked form; [`CardNumber::expose`]
/// gives the digits to the code that must store or show them to the holder.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CardNumber(String);

impl CardNumber {
    /// Reads a number as typed or scanned: spaces and dashes between digit groups are dropped.
    pub fn parse(text: &str) -> Result<Self, CardNumberError> {
        let digits: String = text.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != CARD_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardNumberError::Malformed);
        }
        if !luhn_sum(digits.as_bytes()).is_multiple_of(10) {
            return Err(CardNumberError::CheckDigit);
        }
        Ok(Self(digits))
    }

    /// The number made of a 6-digit issuer prefix, 9 random digits (each 0–9) and the check digit.
    pub fn assemble(prefix: &str, random: [u8; RANDOM_DIGITS]) -> Result<Self, CardNumberError> {
        if prefix.len() != PREFIX_DIGITS || !prefix.bytes().all(|b| b.is_ascii_digit()) || random.iter().any(|d| *d > 9)
        {
            return Err(CardNumberError::Malformed);
        }
        let mut digits: Vec<u8> = prefix.bytes().chain(random.iter().map(|d| b'0'.saturating_add(*d))).collect();
        // The check digit makes the Luhn sum of all sixteen a multiple of ten.
        digits.push(b'0');
        let check = 10u32.saturating_sub(luhn_sum(&digits) % 10) % 10;
        if let Some(last) = digits.last_mut() {
            *last = b'0'.saturating_add(u8::try_from(check).map_err(|_| CardNumberError::Malformed)?);
        }
        let text = String::from_utf8(digits).map_err(|_| CardNumberError::Malformed)?;
        Self::parse(&text)
    }

    /// The sixteen digits, for storage and for the holder's own eyes only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Issuer prefix and last four, the rest hidden: `990001******4325`.
    pub fn masked(&self) -> String {
        let head = self.0.get(..PREFIX_DIGITS).unwrap_or("");
        let tail = self.0.get(CARD_DIGITS - 4..).unwrap_or("");
        format!("{head}{}{tail}", "*".repeat(CARD_DIGITS - PREFIX_DIGITS - 4))
    }

    pub fn last4(&self) -> &str {
        self.0.get(CARD_DIGITS - 4..).unwrap_or("")
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({})", self.masked())
    }
}

impl fmt::Display for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// The Luhn sum of ASCII digits: every second digit from the right doubled, digits of the doubles added.
fn luhn_sum(digits: &[u8]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(position, digit)| {
            let value = u32::from(digit.saturating_sub(b'0'));
            if position % 2 == 1 {
                // A digit doubled is at most 18.
                let doubled = value.saturating_mul(2);
                if doubled > 9 { doubled.saturating_sub(9) } else { doubled }
            } else {
                value
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn well_known_numbers_pass_the_check_and_one_changed_digit_fails_it() {
        for valid in ["4111111111111111", "4539 1488 0343 6467", "5555-5555-5555-4444", "6011000990139424"] {
            assert!(CardNumber::parse(valid).is_ok(), "{valid}");
        }
        assert_eq!(CardNumber::parse("4111111111111112"), Err(CardNumberError::CheckDigit));
        assert_eq!(CardNumber::parse("4539148803436476"), Err(CardNumberError::CheckDigit), "two digits swapped");
        for malformed in
            ["", "411111111111111", "41111111111111110", "4111x11111111111", "４１１１１１１１１１１１１１１１"]
        {
            assert_eq!(CardNumber::parse(malformed), Err(CardNumberError::Malformed), "{malformed}");
        }
    }

    #[test]
    fn assembling_appends_the_check_digit() {
        let number = CardNumber::assemble("990001", [0, 0, 0, 0, 0, 0, 0, 0, 1]).unwrap();
        assert_eq!(number.expose(), "9900010000000019");
        assert_eq!(number.masked(), "990001******0019");
        assert_eq!(number.last4(), "0019");
        assert_eq!(format!("{number:?}"), "CardNumber(990001******0019)");
        assert_eq!(number.to_string(), "990001******0019");
        assert!(CardNumber::assemble("99000", [0; RANDOM_DIGITS]).is_err());
        assert!(CardNumber::assemble("990001", [10, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }

    proptest! {
        #[test]
        fn every_assembled_number_parses_back_and_any_single_digit_change_is_caught(
            random in prop::array::uniform9(0u8..10),
            position in 0usize..CARD_DIGITS,
            delta in 1u8..10,
        ) {
            let number = CardNumber::assemble("990001", random).unwrap();
            prop_assert_eq!(CardNumber::parse(number.expose()).unwrap(), number.clone());
            let mut digits = number.expose().as_bytes().to_vec();
            digits[position] = b'0' + (digits[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(digits).unwrap();
            prop_assert_eq!(CardNumber::parse(&changed), Err(CardNumberError::CheckDigit));
        }
    }
}
