//! Money: an `i64` count of minor units tied to an ISO 4217 currency.
//!
//! There is no float anywhere on this path. Arithmetic is checked: an
//! overflow is an error the caller must handle, never a silent wrap.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount arithmetic overflowed")]
    Overflow,
    #[error("amount is not a decimal number: {0}")]
    Malformed(&'static str),
    #[error("{currency} has {exponent} decimal places; the amount has more")]
    TooManyDecimals { currency: CurrencyCode, exponent: u8 },
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error("unknown currency code")]
    UnknownCurrency,
}

/// A three-letter ISO 4217 alphabetic code, validated as `[A-Z]{3}`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    /// `amount` as a decimal in this currency ("12.50"); in minor units if the code is not a
    /// currency this build knows (every stored one is, so that is a safety net, not a format).
    pub fn format_amount(self, amount: Amount) -> String {
        Currency::from_code(self.as_str()).map_or_else(|_| amount.minor().to_string(), |c| c.format_amount(amount))
    }

    pub fn parse(text: &str) -> Result<Self, MoneyError> {
        match text.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|byte| byte.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err(MoneyError::UnknownCurrency),
        }
    }

    /// For constants: `None` unless the bytes are three ASCII uppercase letters.
    pub const fn parse_const(bytes: [u8; 3]) -> Option<Self> {
        if bytes[0].is_ascii_uppercase() && bytes[1].is_ascii_uppercase() && bytes[2].is_ascii_uppercase() {
            Some(Self(bytes))
        } else {
            None
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII uppercase bytes are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An ISO 4217 currency: alphabetic code, numeric code and minor-unit exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    pub code: CurrencyCode,
    pub numeric: u16,
    /// Number of decimal places of the minor unit (KRW 0, USD 2, KWD 3).
    pub exponent: u8,
}

/// The ISO 4217 currencies Quipu knows. An operator enables a subset in configuration.
const ISO_4217: &[(&str, u16, u8)] = &[
    ("AED", 784, 2),
    ("ARS", 32, 2),
    ("AUD", 36, 2),
    ("BDT", 50, 2),
    ("BHD", 48, 3),
    ("BOB", 68, 2),
    ("BRL", 986, 2),
    ("CAD", 124, 2),
    ("CHF", 756, 2),
    ("CLP", 152, 0),
    ("CNY", 156, 2),
    ("COP", 170, 2),
    ("EGP", 818, 2),
    ("ETB", 230, 2),
    ("EUR", 978, 2),
    ("GBP", 826, 2),
    ("GHS", 936, 2),
    ("IDR", 360, 2),
    ("INR", 356, 2),
    ("IQD", 368, 3),
    ("ISK", 352, 0),
    ("JOD", 400, 3),
    ("JPY", 392, 0),
    ("KES", 404, 2),
    ("KHR", 116, 2),
    ("KPW", 408, 2),
    ("KRW", 410, 0),
    ("KWD", 414, 3),
    ("LKR", 144, 2),
    ("LYD", 434, 3),
    ("MMK", 104, 2),
    ("MNT", 496, 2),
    ("MXN", 484, 2),
    ("MYR", 458, 2),
    ("NGN", 566, 2),
    ("NPR", 524, 2),
    ("OMR", 512, 3),
    ("PEN", 604, 2),
    ("PHP", 608, 2),
    ("PKR", 586, 2),
    ("PYG", 600, 0),
    ("RWF", 646, 0),
    ("SGD", 702, 2),
    ("THB", 764, 2),
    ("TND", 788, 3),
    ("TZS", 834, 2),
    ("UGX", 800, 0),
    ("USD", 840, 2),
    ("VND", 704, 0),
    ("XAF", 950, 0),
    ("XOF", 952, 0),
    ("ZAR", 710, 2),
    ("ZMW", 967, 2),
];

/// Largest exponent we accept; 10^18 still fits in an i64.
const MAX_EXPONENT: u8 = 4;

impl Currency {
    /// Looks a currency up in the built-in ISO 4217 table.
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        let code = CurrencyCode::parse(code)?;
        ISO_4217
            .iter()
            .find(|(alpha, _, _)| *alpha == code.as_str())
            .map(|&(_, numeric, exponent)| Currency { code, numeric, exponent })
            .ok_or(MoneyError::UnknownCurrency)
    }

    /// Parses a decimal string such as `"1234.5"` into minor units.
    ///
    /// Accepts an optional leading `-`, digits, and at most `exponent`
    /// fraction digits. No exponents, no thousands separators, no `+`, no
    /// whitespace: a form field or JSON string is hostile until proven not.
    pub fn parse_amount(&self, text: &str) -> Result<Amount, MoneyError> {
        const MAX_LEN: usize = 40;
        if text.is_empty() {
            return Err(MoneyError::Malformed("empty"));
        }
        if text.len() > MAX_LEN {
            return Err(MoneyError::Overflow);
        }
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (unsigned, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Malformed("expected digits before the decimal point"));
        }
        let fraction = fraction.unwrap_or("");
        if unsigned.contains('.') && fraction.is_empty() {
            return Err(MoneyError::Malformed("expected digits after the decimal point"));
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Malformed("expected digits after the decimal point"));
        }
        if fraction.len() > usize::from(self.exponent) {
            return Err(MoneyError::TooManyDecimals { currency: self.code, exponent: self.exponent });
        }
        let mut minor: i64 = 0;
        let padding = usize::from(self.exponent).saturating_sub(fraction.len());
        let digits = whole.bytes().chain(fraction.bytes()).chain(std::iter::repeat_n(b'0', padding));
        for digit in digits {
            minor = minor
                .checked_mul(10)
                // Every byte was checked to be an ASCII digit above.
                .and_then(|m| m.checked_add(i64::from(digit.saturating_sub(b'0'))))
                .ok_or(MoneyError::Overflow)?;
        }
        let signed = if negative { minor.checked_neg().ok_or(MoneyError::Overflow)? } else { minor };
        Ok(Amount(signed))
    }

    /// Formats minor units with exactly `exponent` decimals: 123450 USD is `"1234.50"`.
    pub fn format_amount(&self, amount: Amount) -> String {
        let exponent = u32::from(self.exponent.min(MAX_EXPONENT));
        let sign = if amount.0 < 0 { "-" } else { "" };
        let magnitude = amount.0.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        // At most 10^MAX_EXPONENT, never zero.
        let scale = 10u64.pow(exponent);
        let (units, cents) = (magnitude.checked_div(scale).unwrap_or(0), magnitude.checked_rem(scale).unwrap_or(0));
        format!("{sign}{units}.{cents:0width$}", width = usize::from(self.exponent.min(MAX_EXPONENT)))
    }
}

/// A count of minor units. Signed, because balances and corrections may be;
/// transfer amounts are additionally checked to be positive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// An amount of `minor` units (cents, fils, won): any i64, so balances and stored values read back as they are.
    pub const fn from_minor(minor: i64) -> Amount {
        Amount(minor)
    }

    /// The count of minor units.
    pub const fn minor(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Amount) -> Result<Amount, MoneyError> {
        self.0.checked_add(other.0).map(Amount).ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Amount) -> Result<Amount, MoneyError> {
        self.0.checked_sub(other.0).map(Amount).ok_or(MoneyError::Overflow)
    }

    pub fn ensure_positive(self) -> Result<Amount, MoneyError> {
        if self.0 > 0 { Ok(self) } else { Err(MoneyError::NotPositive) }
    }
}

/// An amount as a person typed it, in a currency they named (or the network's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountInput<'a> {
    /// A decimal string, e.g. "12.50".
    pub amount: &'a str,
    /// An ISO 4217 code; `None` means the network's default currency.
    pub currency: Option<&'a str>,
}

/// The set of currencies an operator enabled; the first one is the network's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencySet {
    currencies: Vec<Currency>,
}

impl CurrencySet {
    /// Builds the set from ISO codes; refuses an empty list, unknown codes and duplicates.
    pub fn from_codes<S: AsRef<str>>(codes: &[S]) -> Result<Self, MoneyError> {
        let mut currencies: Vec<Currency> = Vec::with_capacity(codes.len());
        for code in codes {
            let currency = Currency::from_code(code.as_ref().trim())?;
            if !currencies.contains(&currency) {
                currencies.push(currency);
            }
        }
        if currencies.is_empty() {
            return Err(MoneyError::UnknownCurrency);
        }
        Ok(Self { currencies })
    }

    pub fn default_currency(&self) -> Currency {
        // from_codes guarantees at least one element.
        self.currencies.first().copied().unwrap_or(Currency { code: CurrencyCode(*b"USD"), numeric: 840, exponent: 2 })
    }

    /// Finds an enabled currency; a known ISO code the operator did not enable is still unknown here.
    pub fn get(&self, code: &str) -> Result<Currency, MoneyError> {
        let code = CurrencyCode::parse(code)?;
        self.currencies.iter().find(|c| c.code == code).copied().ok_or(MoneyError::UnknownCurrency)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Currency> {
        self.currencies.iter()
    }

    /// The currency named, or the default if none is.
    pub fn get_or_default(&self, code: Option<&str>) -> Result<Currency, MoneyError> {
        match code {
            Some(code) => self.get(code),
            None => Ok(self.default_currency()),
        }
    }

    /// A positive amount, parsed by its currency's exponent.
    pub fn positive_amount(&self, input: AmountInput<'_>) -> Result<(Currency, Amount), MoneyError> {
        let currency = self.get_or_default(input.currency)?;
        let amount = currency.parse_amount(input.amount)?.ensure_positive()?;
        Ok((currency, amount))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    #[test]
    fn parses_by_exponent() {
        assert_eq!(usd().parse_amount("1234.5"), Ok(Amount(123_450)));
        assert_eq!(usd().parse_amount("0.01"), Ok(Amount(1)));
        assert_eq!(usd().parse_amount("7"), Ok(Amount(700)));
        assert!(matches!(usd().parse_amount("1.234"), Err(MoneyError::TooManyDecimals { .. })));
        let krw = Currency::from_code("KRW").unwrap();
        assert_eq!(krw.parse_amount("1500"), Ok(Amount(1500)));
        assert!(krw.parse_amount("1.5").is_err());
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(kwd.parse_amount("1.234"), Ok(Amount(1234)));
        assert_eq!(kwd.format_amount(Amount(1234)), "1.234");
        assert_eq!(kwd.numeric, 414);
        assert_eq!(Currency::from_code("KPW").map(|c| c.exponent), Ok(2));
        assert_eq!(Currency::from_code("JPY").map(|c| c.exponent), Ok(0));
    }

    #[test]
    fn refuses_hostile_strings() {
        for text in ["", ".", "1.", ".5", "+1", " 1", "1 ", "1e3", "1,000", "0x10", "--1", "1.2.3", "١٢"] {
            assert!(usd().parse_amount(text).is_err(), "{text:?} should be refused");
        }
        assert_eq!(usd().parse_amount("92233720368547758.08"), Err(MoneyError::Overflow));
        assert_eq!(usd().parse_amount("99999999999999999999999"), Err(MoneyError::Overflow));
    }

    #[test]
    fn unknown_currencies_are_refused() {
        assert_eq!(Currency::from_code("XYZ"), Err(MoneyError::UnknownCurrency));
        assert_eq!(Currency::from_code("usd"), Err(MoneyError::UnknownCurrency));
        let set = CurrencySet::from_codes(&["USD"]).unwrap();
        assert_eq!(set.get("EUR"), Err(MoneyError::UnknownCurrency));
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Amount(i64::MAX).checked_add(Amount(1)), Err(MoneyError::Overflow));
        assert_eq!(Amount(i64::MIN).checked_sub(Amount(1)), Err(MoneyError::Overflow));
        assert_eq!(Amount(0).ensure_positive(), Err(MoneyError::NotPositive));
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(minor in any::<i64>().prop_filter("abs", |m| *m != i64::MIN), code in prop::sample::select(vec!["USD", "KRW", "KWD", "JPY"])) {
            let currency = Currency::from_code(code).unwrap();
            let text = currency.format_amount(Amount(minor));
            prop_assert_eq!(currency.parse_amount(&text), Ok(Amount(minor)));
        }
    }
}
