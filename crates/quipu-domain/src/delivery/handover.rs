//! The hand-over code: four digits the customer gives the courier (or the counter) at the door.
//! Only its hash is stored; a wrong guess counts against the guesser, like a PIN's.

/// How many digits a hand-over code has.
pub const CODE_DIGITS: usize = 4;
/// How many codes there are (`10^CODE_DIGITS`).
const CODES: u64 = 10_000;

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
}
