//! What a merchant is to the network besides its name: the category its
//! QRs carry.

use serde::Serialize;

/// ISO 18245 "miscellaneous and specialty retail", until the merchant says otherwise.
pub const DEFAULT_CATEGORY_CODE: &str = "5999";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a category code is four digits (ISO 18245)")]
pub struct CategoryCodeError;

/// An ISO 18245 merchant category code: four digits (5411 groceries, 5912 pharmacies, 5812 restaurants).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CategoryCode(String);

impl CategoryCode {
    pub fn parse(text: &str) -> Result<Self, CategoryCodeError> {
        if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(CategoryCodeError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_codes_are_four_digits() {
        assert!(CategoryCode::parse("5411").is_ok());
        assert!(CategoryCode::parse(DEFAULT_CATEGORY_CODE).is_ok());
        for bad in ["541", "54111", "54a1", "", "٥٤١١"] {
            assert_eq!(CategoryCode::parse(bad), Err(CategoryCodeError), "{bad}");
        }
    }
}
