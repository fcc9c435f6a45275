//! Recognising whatever a camera or scanner read: an EMV merchant QR, an
//! EMV consumer QR, or a Quipu numeric payment code. The tree serialises to
//! JSON with a `format` tag and back, so `quipu qr decode | quipu qr encode`
//! writes the same payload again, byte for byte.

use crate::numeric::{self, CodeError, PaymentCode};
use crate::{cpm, mpm};
use serde::{Deserialize, Serialize};

/// Every base64 CPM payload starts so: `85 05 "CPV01"`.
const CPM_START: &str = "hQVDUFY";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum Scanned {
    Mpm(mpm::Payload),
    Cpm(cpm::CpmPayload),
    QuipuCode(PaymentCode),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("EMV merchant QR: {0}")]
    Mpm(#[from] mpm::MpmError),
    #[error("EMV consumer QR: {0}")]
    Cpm(#[from] cpm::CpmError),
    #[error("Quipu payment code: {0}")]
    Code(#[from] CodeError),
    #[error("not a payment code Quipu knows: neither an EMV QR payload nor a 20-digit Quipu code")]
    Unrecognised,
}

/// Reads a scanned payload, choosing the format by its first characters.
pub fn scan(text: &str) -> Result<Scanned, ScanError> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with("000201") {
        return Ok(Scanned::QuipuCode(PaymentCode::parse(text)?));
    }
    if text.starts_with(CPM_START) {
        return Ok(Scanned::Cpm(cpm::decode(text)?));
    }
    if text.starts_with("00") {
        return Ok(Scanned::Mpm(mpm::decode(text)?));
    }
    Err(ScanError::Unrecognised)
}

/// Writes a tree back as its payload.
pub fn encode(scanned: &Scanned) -> Result<String, ScanError> {
    Ok(match scanned {
        Scanned::Mpm(payload) => mpm::encode(payload)?,
        Scanned::Cpm(payload) => cpm::encode(payload)?,
        Scanned::QuipuCode(code) => code.to_digits()?,
    })
}

impl Scanned {
    /// The Quipu payment code a payload carries: the numeric code itself or one inside a CPM payload with Quipu's AID.
    pub fn payment_code(&self) -> Option<Result<PaymentCode, CodeError>> {
        match self {
            Scanned::QuipuCode(code) => Some(Ok(*code)),
            Scanned::Cpm(payload) => numeric::from_cpm(payload),
            Scanned::Mpm(_) => None,
        }
    }
}
