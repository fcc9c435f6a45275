//! EMVCo consumer-presented mode (CPM) payloads: BER-TLV, base64-encoded.
//!
//! Lengths are in bytes with BER's short and long forms. The reader is
//! strict about structure (and refuses non-minimal lengths, so decode →
//! encode round-trips byte for byte); [`decode`] also checks the CPM frame:
//! `85` "CPV01" first, then one or two `61` application templates, each
//! holding a `4F` AID of 5 to 16 bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// Longest base64 payload read; a QR symbol holds far less.
pub const MAX_PAYLOAD_CHARS: usize = 2048;
/// Deepest nesting read: CPM uses two levels; a little slack, never a stack overflow.
const MAX_DEPTH: usize = 4;

/// One BER-TLV object. In JSON the tag is upper-case hex and primitive
/// values are hex: `{"tag": "4F", "hex": "A0000000555555"}`, or
/// `{"tag": "61", "children": [ … ]}` for constructed ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tlv {
    pub tag: String,
    #[serde(flatten)]
    pub value: TlvValue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlvValue {
    Hex(String),
    Children(Vec<Tlv>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpmPayload {
    pub objects: Vec<Tlv>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpmError {
    #[error("the payload has {0} characters; at most 2048 are read")]
    TooLong(usize),
    #[error("the payload is not base64")]
    NotBase64,
    #[error("at byte {offset}: {reason}")]
    Malformed { offset: usize, reason: &'static str },
    #[error("tag {tag} declares {declared} bytes but only {remaining} remain")]
    Overrun { tag: String, declared: usize, remaining: usize },
    #[error("not a CPM payload: {0}")]
    NotCpm(&'static str),
    #[error("{0}")]
    Invalid(&'static str),
}

/// Reads a base64 CPM payload.
pub fn decode(text: &str) -> Result<CpmPayload, CpmError> {
    if text.len() > MAX_PAYLOAD_CHARS {
        return Err(CpmError::TooLong(text.len()));
    }
    let bytes = STANDARD.decode(text).map_err(|_| CpmError::NotBase64)?;
    let objects = parse(&bytes, 0, 0)?;
    check_frame(&objects)?;
    Ok(CpmPayload { objects })
}

/// Writes a payload tree as base64 BER-TLV with minimal lengths.
pub fn encode(payload: &CpmPayload) -> Result<String, CpmError> {
    check_frame(&payload.objects)?;
    let mut bytes = Vec::new();
    write(&payload.objects, &mut bytes, 0)?;
    Ok(STANDARD.encode(bytes))
}

fn check_frame(objects: &[Tlv]) -> Result<(), CpmError> {
    match objects.first() {
        Some(Tlv { tag, value: TlvValue::Hex(hex) }) if tag == "85" && hex == "4350563031" => {}
        _ => return Err(CpmError::NotCpm("it must start with 85 \"CPV01\"")),
    }
    let applications: Vec<&Vec<Tlv>> = objects
        .iter()
        .filter_map(|o| match (&o.tag[..], &o.value) {
            ("61", TlvValue::Children(children)) => Some(children),
            _ => None,
        })
        .collect();
    if !(1..=2).contains(&applications.len()) {
        return Err(CpmError::NotCpm("it needs one or two application templates (61)"));
    }
    for application in applications {
        let aid = application.iter().find_map(|o| match (&o.tag[..], &o.value) {
            ("4F", TlvValue::Hex(hex)) => Some(hex.len() / 2),
            _ => None,
        });
        if !aid.is_some_and(|length| (5..=16).contains(&length)) {
            return Err(CpmError::NotCpm("each application template needs a 4F AID of 5 to 16 bytes"));
        }
    }
    Ok(())
}

fn parse(bytes: &[u8], base: usize, depth: usize) -> Result<Vec<Tlv>, CpmError> {
    if depth > MAX_DEPTH {
        return Err(CpmError::Malformed { offset: base, reason: "templates nest too deep" });
    }
    let mut objects = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let at = |reason| CpmError::Malformed { offset: base + offset, reason };
        let first = *bytes.get(offset).ok_or_else(|| at("missing tag"))?;
        let mut tag_end = offset + 1;
        if first & 0x1F == 0x1F {
            // Multi-byte tag: continuation bytes have the high bit set; at most three bytes in all.
            loop {
                let next = *bytes.get(tag_end).ok_or_else(|| at("truncated tag"))?;
                tag_end += 1;
                if next & 0x80 == 0 {
                    break;
                }
                if tag_end - offset >= 3 {
                    return Err(at("tag longer than three bytes"));
                }
            }
        }
        let tag = hex_upper(bytes.get(offset..tag_end).unwrap_or_default());
        let (length, value_start) =
            read_length(bytes, tag_end).map_err(|reason| CpmError::Malformed { offset: base + tag_end, reason })?;
        let value = bytes.get(value_start..value_start.saturating_add(length)).ok_or(CpmError::Overrun {
            tag: tag.clone(),
            declared: length,
            remaining: bytes.len().saturating_sub(value_start),
        })?;
        let value = if first & 0x20 != 0 {
            TlvValue::Children(parse(value, base + value_start, depth + 1)?)
        } else {
            TlvValue::Hex(hex_upper(value))
        };
        objects.push(Tlv { tag, value });
        offset = value_start + length;
    }
    Ok(objects)
}

/// BER length at `at`: short form below 128, long form `81 xx` / `82 xx xx`; minimal forms only.
fn read_length(bytes: &[u8], at: usize) -> Result<(usize, usize), &'static str> {
    let first = *bytes.get(at).ok_or("missing length")?;
    match first {
        0..=0x7F => Ok((usize::from(first), at + 1)),
        0x81 => match bytes.get(at + 1) {
            Some(&n) if n >= 0x80 => Ok((usize::from(n), at + 2)),
            Some(_) => Err("non-minimal length"),
            None => Err("truncated length"),
        },
        0x82 => match bytes.get(at + 1..at + 3) {
            Some(&[hi, lo]) if hi != 0 => Ok((usize::from(hi) << 8 | usize::from(lo), at + 3)),
            Some(_) => Err("non-minimal length"),
            None => Err("truncated length"),
        },
        _ => Err("unsupported length form"),
    }
}

fn write(objects: &[Tlv], out: &mut Vec<u8>, depth: usize) -> Result<(), CpmError> {
    if depth > MAX_DEPTH {
        return Err(CpmError::Invalid("templates nest too deep"));
    }
    for object in objects {
        let tag = from_hex(&object.tag).ok_or(CpmError::Invalid("a tag is 1 to 3 bytes of hex"))?;
        let constructed = tag.first().is_some_and(|b| b & 0x20 != 0);
        if tag.is_empty() || tag.len() > 3 || !well_formed_tag(&tag) {
            return Err(CpmError::Invalid("a tag is 1 to 3 bytes of hex"));
        }
        let value = match (&object.value, constructed) {
            (TlvValue::Hex(hex), false) => from_hex(hex).ok_or(CpmError::Invalid("a primitive value is hex"))?,
            (TlvValue::Children(children), true) => {
                let mut inner = Vec::new();
                write(children, &mut inner, depth + 1)?;
                inner
            }
            (TlvValue::Hex(_), true) => return Err(CpmError::Invalid("a constructed tag holds children")),
            (TlvValue::Children(_), false) => return Err(CpmError::Invalid("a primitive tag holds hex")),
        };
        out.extend_from_slice(&tag);
        match (u8::try_from(value.len()), u16::try_from(value.len())) {
            (Ok(length @ 0..=0x7F), _) => out.push(length),
            (Ok(length), _) => out.extend_from_slice(&[0x81, length]),
            (Err(_), Ok(length)) => {
                out.push(0x82);
                out.extend_from_slice(&length.to_be_bytes());
            }
            (Err(_), Err(_)) => return Err(CpmError::Invalid("a value is at most 65535 bytes")),
        }
        out.extend_from_slice(&value);
    }
    Ok(())
}

/// Whether tag bytes follow BER's rules, so that what we write reads back the same.
fn well_formed_tag(tag: &[u8]) -> bool {
    match tag {
        [first] => first & 0x1F != 0x1F,
        [first, rest @ ..] => {
            first & 0x1F == 0x1F
                && rest
                    .split_last()
                    .is_some_and(|(last, middle)| last & 0x80 == 0 && middle.iter().all(|b| b & 0x80 != 0))
        }
        [] => false,
    }
}

pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

impl CpmPayload {
    /// The first object with `tag` anywhere in the tree, depth first.
    pub fn find(&self, tag: &str) -> Option<&Tlv> {
        fn search<'a>(objects: &'a [Tlv], tag: &str) -> Option<&'a Tlv> {
            objects.iter().find_map(|o| {
                if o.tag == tag {
                    Some(o)
                } else if let TlvValue::Children(children) = &o.value {
                    search(children, tag)
                } else {
                    None
                }
            })
        }
        search(&self.objects, tag)
    }

    /// The hex value of the first primitive `tag`.
    pub fn hex(&self, tag: &str) -> Option<&str> {
        match &self.find(tag)?.value {
            TlvValue::Hex(hex) => Some(hex),
            TlvValue::Children(_) => None,
        }
    }
}
