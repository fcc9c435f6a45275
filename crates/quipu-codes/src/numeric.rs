//! Quipu's numeric payment code: what a customer's phone shows under its QR,
//! derived offline from a device secret, valid for one 60-second step.
//!
//! ```text
//! 84 DDDDDDDD S OOOOOOOO C        (20 digits)
//! │  │        │ │        └ Luhn check digit over the first 19 digits
//! │  │        │ └ one-time value: HMAC-SHA256 of (step, slot), truncated
//! │  │        └ slot 0–9: the app's count of fresh codes within one step
//! │  └ device reference, assigned when the device was enrolled
//! └ Quipu's prefix
//! ```
//!
//! The one-time value is RFC 4226's dynamic truncation over
//! `HMAC-SHA256(secret, step as 8 bytes big-endian ‖ slot as 1 byte)`, where
//! `step = floor(unix seconds / 60)`, reduced modulo 10^8. The slot lets a
//! customer pay twice within a minute: each (device, step, slot) pays at most
//! once, and an app that has shown a code moves on to the next slot. The check
//! digit catches a mistyped digit before any lookup. docs/payment-codes.md
//! has the algorithm for client authors, with test vectors.

use crate::cpm::{self, CpmPayload, Tlv, TlvValue};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Every Quipu payment code starts with these digits, so a till tells it apart from other schemes'.
pub const PREFIX: &str = "84";
/// Digits in a code.
pub const CODE_DIGITS: usize = 20;
/// Seconds a code lives: one TOTP-style time step.
pub const STEP_SECONDS: u64 = 60;
/// Device references are eight digits.
pub const MAX_DEVICE_REF: u32 = 99_999_999;
/// Slots per step: one digit.
pub const MAX_SLOT: u8 = 9;
/// Bytes of a device secret.
pub const SECRET_BYTES: usize = 32;
const ONE_TIME_MODULUS: u32 = 100_000_000;

/// A parsed payment code. Its fields are what the digits say; only
/// [`verify`] with the device's secret tells whether it is genuine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentCode {
    pub device_ref: u32,
    pub slot: u8,
    pub one_time_value: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a payment code has 20 digits; this has {0} characters")]
    WrongLength(usize),
    #[error("a payment code has only digits")]
    NotDigits,
    #[error("not a Quipu payment code: it must start with 84")]
    WrongPrefix,
    #[error("the check digit is wrong: a digit was misread or mistyped")]
    CheckDigit,
    #[error("{0} is out of range")]
    OutOfRange(&'static str),
}

impl PaymentCode {
    /// Reads exactly 20 ASCII digits. Separators a cashier may type are the caller's to strip.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        if text.len() != CODE_DIGITS {
            return Err(CodeError::WrongLength(text.chars().count()));
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits);
        }
        let (body, check) = text.split_at(CODE_DIGITS - 1);
        if !body.starts_with(PREFIX) {
            return Err(CodeError::WrongPrefix);
        }
        if luhn_check_digit(body) != check.bytes().next() {
            return Err(CodeError::CheckDigit);
        }
        let field = |range: std::ops::Range<usize>| body.get(range).and_then(|digits| digits.parse::<u32>().ok());
        let (Some(device_ref), Some(slot), Some(one_time_value)) = (field(2..10), field(10..11), field(11..19)) else {
            return Err(CodeError::NotDigits);
        };
        Ok(Self { device_ref, slot: u8::try_from(slot).map_err(|_| CodeError::OutOfRange("slot"))?, one_time_value })
    }

    /// The 20 digits, check digit included.
    pub fn to_digits(&self) -> Result<String, CodeError> {
        if self.device_ref > MAX_DEVICE_REF {
            return Err(CodeError::OutOfRange("device_ref"));
        }
        if self.slot > MAX_SLOT {
            return Err(CodeError::OutOfRange("slot"));
        }
        if self.one_time_value >= ONE_TIME_MODULUS {
            return Err(CodeError::OutOfRange("one_time_value"));
        }
        let body = format!("{PREFIX}{:08}{}{:08}", self.device_ref, self.slot, self.one_time_value);
        let check = luhn_check_digit(&body).map(char::from).ok_or(CodeError::NotDigits)?;
        Ok(format!("{body}{check}"))
    }
}

/// The time step a moment falls in. Moments before 1970 have none.
pub fn step_at(unix_seconds: i64) -> Option<u64> {
    u64::try_from(unix_seconds).ok().map(|seconds| seconds / STEP_SECONDS)
}

/// The one-time value for a step and slot: RFC 4226 dynamic truncation of
/// HMAC-SHA256(secret, step ‖ slot), modulo 10^8.
pub fn one_time_value(secret: &[u8], step: u64, slot: u8) -> u32 {
    // HMAC takes keys of any length, so this never fails; the fallback keeps the function total.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&step.to_be_bytes());
    mac.update(&[slot]);
    let digest: [u8; 32] = mac.finalize().into_bytes().into();
    let offset = usize::from(digest[31] & 0x0F);
    // offset ≤ 15, so the four bytes always lie inside the 32-byte digest.
    let window = digest.get(offset..offset + 4).and_then(|bytes| <[u8; 4]>::try_from(bytes).ok()).unwrap_or_default();
    (u32::from_be_bytes(window) & 0x7FFF_FFFF) % ONE_TIME_MODULUS
}

/// The code a device shows at a moment, in a slot.
pub fn generate(secret: &[u8], device_ref: u32, unix_seconds: i64, slot: u8) -> Result<PaymentCode, CodeError> {
    let step = step_at(unix_seconds).ok_or(CodeError::OutOfRange("time"))?;
    let code = PaymentCode { device_ref, slot, one_time_value: one_time_value(secret, step, slot) };
    code.to_digits()?;
    Ok(code)
}

/// The step in which `code` was made with `secret`, if it was made within
/// `skew_steps` steps either side of `unix_seconds`. Every candidate step is
/// compared in constant time, so timing tells nothing about near misses.
pub fn verify(secret: &[u8], code: &PaymentCode, unix_seconds: i64, skew_steps: u64) -> Option<u64> {
    let now = step_at(unix_seconds)?;
    let mut found = None;
    for step in now.saturating_sub(skew_steps)..=now.saturating_add(skew_steps) {
        let expected = one_time_value(secret, step, code.slot);
        if bool::from(expected.ct_eq(&code.one_time_value)) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Luhn's check digit (as an ASCII byte) for a string of digits; `None` if any character is not a digit.
pub fn luhn_check_digit(digits: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (position, byte) in digits.bytes().rev().enumerate() {
        let digit = u32::from(byte.checked_sub(b'0').filter(|d| *d <= 9)?);
        let weighted = if position % 2 == 0 { digit * 2 } else { digit };
        sum += if weighted > 9 { weighted - 9 } else { weighted };
    }
    let check = (10 - sum % 10) % 10;
    u8::try_from(check).ok().map(|c| b'0' + c)
}

/// Whether a string of digits ends in a valid Luhn check digit.
pub fn luhn_valid(digits: &str) -> bool {
    match digits.len().checked_sub(1).map(|at| digits.split_at(at)) {
        Some((body, check)) if !body.is_empty() => luhn_check_digit(body) == check.bytes().next(),
        _ => false,
    }
}

/// Quipu's application identifier in CPM payloads. `F0` marks an AID that
/// is not registered with ISO (ISO/IEC 7816-5 category F), then "QUIPU", then version 1.
pub const QUIPU_AID_HEX: &str = "F0515549505501";
/// The private-class tag, inside the application-specific template `63`, that carries the code as BCD.
const CODE_TAG: &str = "C1";

/// The code as an EMV CPM payload for EMV-capable terminals: Quipu's AID
/// and the code's 20 digits, packed as BCD, in the application-specific template.
pub fn to_cpm(code: &PaymentCode) -> Result<String, CodeError> {
    let digits = code.to_digits()?;
    let payload = CpmPayload {
        objects: vec![
            Tlv { tag: "85".into(), value: TlvValue::Hex("4350563031".into()) },
            Tlv {
                tag: "61".into(),
                value: TlvValue::Children(vec![
                    Tlv { tag: "4F".into(), value: TlvValue::Hex(QUIPU_AID_HEX.into()) },
                    Tlv { tag: "50".into(), value: TlvValue::Hex(cpm::hex_upper(b"QUIPU")) },
                    Tlv {
                        tag: "63".into(),
                        value: TlvValue::Children(vec![Tlv { tag: CODE_TAG.into(), value: TlvValue::Hex(digits) }]),
                    },
                ]),
            },
        ],
    };
    cpm::encode(&payload).map_err(|_| CodeError::OutOfRange("cpm payload"))
}

/// The payment code inside a CPM payload, if its application is Quipu's.
/// `None` means another scheme's payload; `Some(Err)` a Quipu payload whose code is corrupt.
pub fn from_cpm(payload: &CpmPayload) -> Option<Result<PaymentCode, CodeError>> {
    if payload.hex("4F") != Some(QUIPU_AID_HEX) {
        return None;
    }
    Some(match payload.hex(CODE_TAG) {
        Some(bcd) => PaymentCode::parse(bcd),
        None => Err(CodeError::WrongLength(0)),
    })
}
