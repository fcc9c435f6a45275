//! What more than one context's requests parse: PINs, card numbers, notes, whole numbers, cursors, pages.
//!
//! Every context's request bodies (its `requests` module) follow the same rules: each becomes the
//! domain values the services take (`TryFrom`), so phone numbers, PINs, passwords, labels and
//! references are parsed here, at the edge, and a service never sees an unchecked string. Unknown
//! fields are refused (a typo is an error, not a silently ignored field); amounts are decimal
//! strings, never JSON numbers; PINs and passwords are `SecretText`, which never Debug-prints and
//! serialises as a placeholder, so no secret reaches an idempotency fingerprint; the document marks
//! them `writeOnly`, `format: password`.

use quipu_core::{CoreError, CoreResult, ErrorKind};
use quipu_domain::card::{CardNumber, CardNumberError};
use quipu_domain::identity::{DisplayName, Pin, SecretText};
use serde::Deserialize;
use utoipa::IntoParams;

/// A PIN as typed, checked for form.
pub(crate) fn pin(text: &SecretText) -> CoreResult<Pin> {
    Ok(Pin::parse(text.expose())?)
}

/// A card number as typed. Not 16 digits is malformed (400); 16 digits whose check digit does not
/// match are well formed but can name no card (422, the same code), so the document can say what
/// a well-formed number is.
pub(crate) fn card_number(text: &str) -> CoreResult<CardNumber> {
    CardNumber::parse(text).map_err(|error| match error {
        CardNumberError::CheckDigit => CoreError::new(ErrorKind::Rejected, "invalid_card_number", error.to_string()),
        other => CoreError::from(other),
    })
}

pub(crate) fn note(text: Option<&str>) -> CoreResult<Option<DisplayName>> {
    // Not trimmed before parsing: the parser refuses a control character wherever it stands.
    match text.filter(|n| !n.trim().is_empty()) {
        Some(text) => Ok(Some(
            DisplayName::parse(text)
                .map_err(|_| CoreError::invalid("invalid_note", "a note is at most 100 printable characters"))?,
        )),
        None => Ok(None),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `next_cursor` of the previous page; empty is the first page.
    #[param(example = "1767225600000000", pattern = "^[0-9]{0,18}$")]
    #[serde(default, deserialize_with = "cursor")]
    pub cursor: Option<String>,
    /// 1 to 100; default 50 (20 for deliveries).
    #[param(example = 50, minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A whole number as JSON may write it: to JSON Schema, which the document follows, `68.0` is the
/// integer 68, so it is read as 68; a fraction, or a number out of the field's range, is refused.
/// A form's text is read by its own deserializer, which asks for the same `i64`.
pub(crate) fn whole<'de, D: serde::Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_i64(WholeVisitor(std::marker::PhantomData))
}

pub(crate) fn optional_whole<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    deserializer.deserialize_option(OptionalWhole(std::marker::PhantomData))
}

struct WholeVisitor<T>(std::marker::PhantomData<T>);

impl<T: TryFrom<i64> + TryFrom<u64>> serde::de::Visitor<'_> for WholeVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a whole number in range")
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::custom(format!("{value} is out of range")))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::custom(format!("{value} is out of range")))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<T, E> {
        // A whole f64 prints without a point; any other does not parse as an integer.
        let whole =
            format!("{value}").parse::<i64>().map_err(|_| E::custom(format!("{value} is not a whole number")))?;
        self.visit_i64(whole)
    }
}

struct OptionalWhole<T>(std::marker::PhantomData<T>);

impl<'de, T: TryFrom<i64> + TryFrom<u64>> serde::de::Visitor<'de> for OptionalWhole<T> {
    type Value = Option<T>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a whole number in range, or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        whole(deserializer).map(Some)
    }
}

/// A page cursor as a query carries it: empty is none (a form's blank field asks for the first
/// page), anything else the digits of a `next_cursor` we issued.
pub(crate) fn cursor<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    match text.as_deref() {
        None | Some("") => Ok(None),
        Some(digits) if digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(text),
        Some(_) => Err(serde::de::Error::custom("the cursor is not one this server issued")),
    }
}
