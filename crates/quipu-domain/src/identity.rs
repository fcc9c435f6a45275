//! Identity value types, parsed at the edge so nothing downstream handles
//! an unchecked phone number, PIN or name.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("phone numbers are written in international form: + then 8 to 15 digits")]
    MalformedPhone,
    #[error("a PIN is 4 to 6 digits")]
    MalformedPin,
    #[error("a password is 8 to 128 characters")]
    WeakPassword,
    #[error("a name is 1 to 100 characters, with no control or text-direction characters")]
    MalformedName,
    #[error("an account number is 4 to 34 letters or digits")]
    MalformedAccountNumber,
}

/// A user's id, a UUIDv7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub Uuid);

/// A merchant's id, a UUIDv7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MerchantId(pub Uuid);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for MerchantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An E.164 phone number, normalised to `+` and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts `+`, digits, and the spaces, dashes and brackets people type.
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        if text.len() > 32 {
            return Err(IdentityError::MalformedPhone);
        }
        let rest = text.trim().strip_prefix('+').ok_or(IdentityError::MalformedPhone)?;
        let mut digits = String::with_capacity(16);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' | '.' => {}
                _ => return Err(IdentityError::MalformedPhone),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(IdentityError::MalformedPhone);
        }
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `+2507•••••123`: enough for a person to recognise, not to harvest.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let keep_front = 5.min(chars.len());
        let keep_back = 3.min(chars.len().saturating_sub(keep_front));
        let hidden = chars.len().saturating_sub(keep_front).saturating_sub(keep_back);
        let mut out: String = chars.iter().take(keep_front).collect();
        out.extend(std::iter::repeat_n('•', hidden));
        out.extend(chars.iter().skip(keep_front.saturating_add(hidden)));
        out
    }
}

/// A secret as it arrives (a PIN, a password), before it is checked for form:
/// never Debug-printed, so a request that holds one can be logged, and never
/// serialised (see its `Serialize`).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretText(String);

impl SecretText {
    /// What a secret serialises as, whatever it is.
    pub const SERIALISED: &'static str = "•••";
}

/// Writes [`SecretText::SERIALISED`], never the secret. A request that holds one is
/// serialised for its idempotency fingerprint, which is stored: the secret must not be in it,
/// not even hashed. A field is not skipped instead because the OpenAPI document leaves a skipped
/// field out, and then a client generated from it could not send the secret at all.
impl Serialize for SecretText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(Self::SERIALISED)
    }
}

impl SecretText {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(•••)")
    }
}

/// A payment PIN: 4 to 6 ASCII digits. Never logged, never Debug-printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        if (4..=6).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(IdentityError::MalformedPin)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(•••)")
    }
}

/// A login password. Never logged, never Debug-printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        let length = text.chars().count();
        if (8..=128).contains(&length) { Ok(Self(text.to_owned())) } else { Err(IdentityError::WeakPassword) }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(•••)")
    }
}

/// A person's or business's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        let trimmed = text.trim();
        let length = trimmed.chars().count();
        if (1..=100).contains(&length) && crate::text::is_display_safe(trimmed) {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(IdentityError::MalformedName)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bank account number; stored in full for payouts, shown only masked.
#[derive(Clone, PartialEq, Eq)]
pub struct BankAccountNumber(String);

impl BankAccountNumber {
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if (4..=34).contains(&compact.len()) && compact.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(Self(compact.to_ascii_uppercase()))
        } else {
            Err(IdentityError::MalformedAccountNumber)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask_tail(&self.0, 4)
    }
}

impl fmt::Debug for BankAccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BankAccountNumber({})", self.masked())
    }
}

/// `••••1234`: only the last `visible` characters shown.
pub fn mask_tail(text: &str, visible: usize) -> String {
    let count = text.chars().count();
    let tail: String = text.chars().skip(count.saturating_sub(visible)).collect();
    format!("••••{tail}")
}

macro_rules! roles {
    ($($variant:ident => $text:literal),+ $(,)?) => {
        /// What a user is to the network. One role per user keeps authorization obvious.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Role { $($variant),+ }

        impl Role {
            pub fn as_str(self) -> &'static str {
                match self { $(Role::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Role::$variant),)+ _ => None }
            }
        }
    };
}

roles!(
    Customer => "customer",
    MerchantOwner => "merchant_owner",
    Cashier => "cashier",
    Agent => "agent",
    Courier => "courier",
    Operator => "operator",
    Auditor => "auditor",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_and_checked() {
        assert_eq!(PhoneNumber::parse("+250 788-123 456").map(|p| p.as_str().to_owned()), Ok("+250788123456".into()));
        for bad in ["250788123456", "+0788123456", "+12", "+1234567890123456", "+25078812345a", ""] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
        let phone = PhoneNumber::parse("+250788123456").unwrap();
        assert_eq!(phone.masked(), "+2507•••••456");
    }

    #[test]
    fn pins_are_four_to_six_digits() {
        assert!(Pin::parse("1234").is_ok());
        assert!(Pin::parse("123456").is_ok());
        for bad in ["123", "1234567", "12a4", "", "١٢٣٤"] {
            assert!(Pin::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{:?}", Pin::parse("1234")), "Ok(Pin(•••))");
    }

    #[test]
    fn account_numbers_are_masked() {
        let number = BankAccountNumber::parse("0012 3456 7890").unwrap();
        assert_eq!(number.masked(), "••••7890");
        assert!(!format!("{number:?}").contains("3456"));
    }
}
