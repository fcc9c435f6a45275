//! Identity value types, parsed at the edge so nothing downstream handles
//! an unchecked phone number, PIN or name.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("phone numbers are written in international form: + then 8 to 15 digits")]
    MalformedPhone,
    #[error("a country calling code is + then 1 to 3 digits, e.g. +1 or +82")]
    MalformedCallingCode,
    #[error("a PIN is 4 to 6 digits")]
    MalformedPin,
    #[error("a password is 8 to 128 characters")]
    WeakPassword,
    #[error("a name is 1 to 100 characters")]
    MalformedName,
    #[error("a name may not hold invisible, control or text-direction characters (such as U+202E)")]
    HiddenCharacters,
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

    /// A number as people type it where they live: international (`+82 10-1234-5678`, or `00`
    /// then the country code), or national (`(555) 010-0099`, `010-1234-5678`), which gets the
    /// network's `default` country code after its trunk `0` is dropped. Without a default, only
    /// the international form is taken. Anything but digits and the separators people type is
    /// refused, never repaired.
    pub fn parse_local(text: &str, default: Option<&CallingCode>) -> Result<Self, IdentityError> {
        let trimmed = text.trim();
        if trimmed.len() > 32 || trimmed.starts_with('+') {
            return Self::parse(trimmed);
        }
        let mut digits = String::with_capacity(16);
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' | '.' => {}
                _ => return Err(IdentityError::MalformedPhone),
            }
        }
        if let Some(international) = digits.strip_prefix("00") {
            return Self::parse(&format!("+{international}"));
        }
        let default = default.ok_or(IdentityError::MalformedPhone)?;
        let national = digits.strip_prefix('0').unwrap_or(&digits);
        if national.len() < 4 || national.starts_with('0') {
            return Err(IdentityError::MalformedPhone);
        }
        Self::parse(&format!("+{}{national}", default.digits()))
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

/// A country calling code (`+1`, `+82`, `+250`): the one a network's people leave out when
/// they type a number the way they dial it at home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallingCode(String);

impl CallingCode {
    /// `+` (optional) then 1 to 3 digits, the first not 0.
    pub fn parse(text: &str) -> Result<Self, IdentityError> {
        let digits = text.trim().strip_prefix('+').unwrap_or(text.trim());
        let valid =
            (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if valid { Ok(Self(digits.to_owned())) } else { Err(IdentityError::MalformedCallingCode) }
    }

    /// The code's digits, without the `+`.
    pub fn digits(&self) -> &str {
        &self.0
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
        // Checked before trimming: a control character is refused wherever it stands, even where
        // trimming would have dropped it (a form feed at the end), as the documented pattern says.
        if !crate::text::is_display_safe(text) {
            return Err(IdentityError::HiddenCharacters);
        }
        if (1..=100).contains(&length) { Ok(Self(trimmed.to_owned())) } else { Err(IdentityError::MalformedName) }
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
    Pharmacist => "pharmacist",
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

    fn local(text: &str, code: &str) -> Result<String, IdentityError> {
        let code = CallingCode::parse(code).unwrap();
        PhoneNumber::parse_local(text, Some(&code)).map(|phone| phone.as_str().to_owned())
    }

    #[test]
    fn national_numbers_get_the_default_country_code() {
        assert_eq!(local("555 010 0099", "+1"), Ok("+15550100099".into()));
        assert_eq!(local("(555) 010-0099", "+1"), Ok("+15550100099".into()));
        assert_eq!(local("555.010.0099", "1"), Ok("+15550100099".into()));
        assert_eq!(local("010-1234-5678", "+82"), Ok("+821012345678".into()), "the trunk 0 is dropped");
        assert_eq!(local("0101234567", "+82"), Ok("+82101234567".into()));
        assert_eq!(local("+250 788 123 456", "+1"), Ok("+250788123456".into()), "international stays");
        assert_eq!(local("00 250 788 123 456", "+1"), Ok("+250788123456".into()), "00 is the international prefix");
        assert_eq!(PhoneNumber::parse_local("555 010 0099", None), Err(IdentityError::MalformedPhone));
        for hostile in [
            "555 O10 0099",
            "555\u{202E}0100099",
            "٥٥٥٠١٠٠٠٩٩",
            "555/010/0099",
            "",
            "0",
            "00",
            "000 123",
            "12",
            "1234567890123456789",
            "+1 555 010 0099 x",
            "555 010 0099; drop",
        ] {
            assert!(local(hostile, "+1").is_err(), "{hostile:?}");
        }
    }

    #[test]
    fn calling_codes_are_one_to_three_digits() {
        assert_eq!(CallingCode::parse("+82").map(|code| code.digits().to_owned()), Ok("82".into()));
        assert_eq!(CallingCode::parse("250").map(|code| code.digits().to_owned()), Ok("250".into()));
        for bad in ["", "+", "+0", "+1234", "+1a", "++1", "+ 1"] {
            assert!(CallingCode::parse(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn a_local_number_is_e164_or_refused(text in "\\PC{0,40}", code in 1u16..1000) {
            let code = CallingCode::parse(&code.to_string()).unwrap();
            if let Ok(phone) = PhoneNumber::parse_local(&text, Some(&code)) {
                let digits = phone.as_str().strip_prefix('+').unwrap();
                proptest::prop_assert!((8..=15).contains(&digits.len()));
                proptest::prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'));
            }
        }

        #[test]
        fn a_typed_national_number_keeps_its_digits(national in "[1-9][0-9]{6,9}", code in 1u16..1000) {
            let code = CallingCode::parse(&code.to_string()).unwrap();
            let spaced = format!("0{} {}", &national[..3], &national[3..]);
            let phone = PhoneNumber::parse_local(&spaced, Some(&code)).unwrap();
            proptest::prop_assert_eq!(phone.as_str().to_owned(), format!("+{}{national}", code.digits()));
        }
    }

    #[test]
    fn names_with_hidden_characters_say_so() {
        assert_eq!(DisplayName::parse("Amina\u{202E}gnp"), Err(IdentityError::HiddenCharacters));
        assert_eq!(DisplayName::parse(&"a".repeat(101)), Err(IdentityError::MalformedName));
        assert_eq!(DisplayName::parse("  "), Err(IdentityError::MalformedName));
        assert!(DisplayName::parse("김민준").is_ok());
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
