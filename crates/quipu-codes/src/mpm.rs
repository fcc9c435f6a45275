//! EMVCo merchant-presented mode (MPM) payloads: `ID LEN VALUE` data
//! objects, some of them templates of nested objects, ending in a CRC.
//!
//! Lengths count characters (Unicode scalar values), the CRC covers UTF-8
//! bytes. [`decode`] is strict about structure and checksum and tolerant
//! about which objects are present; [`encode`] writes a tree back exactly
//! (so decode → encode round-trips byte for byte); [`encode_strict`] is what
//! Quipu uses for payloads it issues, and also checks every known field.

use serde::{Deserialize, Serialize};

use crate::crc::crc_hex;

/// Longest payload read. The spec asks for under 512 characters; published
/// national payloads run past 1,000, so read generously but not without end.
pub const MAX_PAYLOAD_CHARS: usize = 4096;

/// One data object. In JSON: `{"id": "59", "text": "BEST TRANSPORT"}` or
/// `{"id": "62", "template": [ … ]}`, in payload order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataObject {
    pub id: String,
    #[serde(flatten)]
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Text(String),
    Template(Vec<DataObject>),
}

/// A decoded payload: the root objects in payload order, `00` first and `63` (CRC) last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub objects: Vec<DataObject>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MpmError {
    #[error("the payload is empty")]
    Empty,
    #[error("the payload has {chars} characters; at most 4096 are read")]
    TooLong { chars: usize },
    #[error("at {path}: expected a two-digit id and a two-digit length at character {offset}")]
    MalformedHeader { path: String, offset: usize },
    #[error("{path}: {chars} character(s) left over that cannot form an object; a declared length is wrong")]
    Leftover { path: String, chars: usize },
    #[error("object {path} declares length 00; lengths are 01 to 99")]
    ZeroLength { path: String },
    #[error("object {path} declares {declared} characters but only {remaining} remain")]
    Overrun { path: String, declared: usize, remaining: usize },
    #[error("object {path} occurs twice at the same level")]
    DuplicateId { path: String },
    #[error("the payload format indicator (00) must come first")]
    FormatIndicatorNotFirst,
    #[error("the CRC (63) must be the last object")]
    CrcNotLast,
    #[error("the CRC (63) must be four hexadecimal digits, got {0:?}")]
    MalformedCrc(String),
    #[error("the CRC says {stated} but the payload's CRC is {computed}")]
    CrcMismatch { stated: String, computed: String },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    /// Template 62: its ids 50–99 are payment-system templates.
    AdditionalData,
    /// Inside any other template: only primitives.
    Leaf,
}

/// What an object at a given id holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Text,
    Template,
    /// Nested objects when the value parses as such, otherwise a plain value.
    TemplateOrText,
}

impl Level {
    /// EMV calls root 80–99 (unreserved) and 62's 50–99 (payment-system specific) templates, but
    /// their content belongs to whoever uses them, and real schemes put plain values there (a
    /// wallet's message in 81), so the reader takes either. The ids EMV itself defines stay
    /// strict: 26–51 (merchant accounts: Quipu's 26 and other schemes' GUIs are read from their
    /// sub-id 00, and a broken account template must be refused, not read as text), 62 and 64.
    fn slot(self, id: u8) -> Slot {
        match (self, id) {
            (Level::Root, 26..=51 | 62 | 64) => Slot::Template,
            (Level::Root, 80..=99) | (Level::AdditionalData, 50..=99) => Slot::TemplateOrText,
            _ => Slot::Text,
        }
    }

    fn child(self, id: u8) -> Level {
        if self == Level::Root && id == 62 { Level::AdditionalData } else { Level::Leaf }
    }
}

fn path_of(parent: &str, id: &str) -> String {
    if parent.is_empty() { id.to_owned() } else { format!("{parent}.{id}") }
}

fn two_digits(chars: &[char]) -> Option<u8> {
    match chars {
        [a, b] => Some(u8::try_from(a.to_digit(10)? * 10 + b.to_digit(10)?).ok()?),
        _ => None,
    }
}

/// Reads a payload.
pub fn decode(text: &str) -> Result<Payload, MpmError> {
    if text.is_empty() {
        return Err(MpmError::Empty);
    }
    let count = text.chars().count();
    if count > MAX_PAYLOAD_CHARS {
        return Err(MpmError::TooLong { chars: count });
    }
    let chars: Vec<char> = text.chars().collect();
    let objects = parse_level(&chars, Level::Root, "")?;
    if objects.first().map(|o| o.id.as_str()) != Some("00") {
        return Err(MpmError::FormatIndicatorNotFirst);
    }
    let crc = match objects.last() {
        Some(DataObject { id, value: Value::Text(crc) }) if id == "63" => crc,
        _ => return Err(MpmError::CrcNotLast),
    };
    check_crc(text, crc)?;
    Ok(Payload { objects })
}

/// The CRC object's value must be the checksum of everything before it.
/// Upper or lower case is read (some schemes write lower case); four hex digits are required.
fn check_crc(text: &str, stated: &str) -> Result<(), MpmError> {
    if stated.len() != 4 || !stated.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(MpmError::MalformedCrc(stated.to_owned()));
    }
    // 63 is last and its value is four ASCII characters, so it is the last four bytes.
    let covered = text.len().checked_sub(4).and_then(|end| text.as_bytes().get(..end)).unwrap_or_default();
    let computed = crc_hex(covered);
    if computed.eq_ignore_ascii_case(stated) {
        Ok(())
    } else {
        Err(MpmError::CrcMismatch { stated: stated.to_owned(), computed })
    }
}

fn parse_level(chars: &[char], level: Level, parent: &str) -> Result<Vec<DataObject>, MpmError> {
    let mut objects = Vec::new();
    let mut seen = [false; 100];
    let mut offset = 0usize;
    while offset < chars.len() {
        let level_path = if parent.is_empty() { "root".to_owned() } else { parent.to_owned() };
        let remaining = chars.len() - offset;
        if remaining < 4 {
            return Err(MpmError::Leftover { path: level_path, chars: remaining });
        }
        let malformed = || MpmError::MalformedHeader { path: level_path.clone(), offset };
        let id_chars = chars.get(offset..offset + 2).ok_or_else(malformed)?;
        let id = two_digits(id_chars).ok_or_else(malformed)?;
        let length = chars.get(offset + 2..offset + 4).and_then(two_digits).ok_or_else(malformed)?;
        let id_text: String = id_chars.iter().collect();
        let path = path_of(parent, &id_text);
        if length == 0 {
            return Err(MpmError::ZeroLength { path });
        }
        let start = offset + 4;
        let end = start + usize::from(length);
        let value = chars.get(start..end).ok_or(MpmError::Overrun {
            path: path.clone(),
            declared: usize::from(length),
            remaining: chars.len().saturating_sub(start),
        })?;
        let slot = seen.get_mut(usize::from(id)).ok_or_else(malformed)?;
        if std::mem::replace(slot, true) {
            return Err(MpmError::DuplicateId { path });
        }
        let value = match level.slot(id) {
            Slot::Text => Value::Text(value.iter().collect()),
            Slot::Template => Value::Template(parse_level(value, level.child(id), &path)?),
            // Text that happens to parse reads as a template; either way it writes back the same
            // characters. One extra pass at most: these children are leaves.
            Slot::TemplateOrText => match parse_level(value, level.child(id), &path) {
                Ok(children) => Value::Template(children),
                Err(_) => Value::Text(value.iter().collect()),
            },
        };
        objects.push(DataObject { id: id_text, value });
        offset = end;
    }
    Ok(objects)
}

/// Writes a payload tree back exactly as given, checking its structure: ids,
/// lengths, templates where templates belong (text or a template where the
/// reader takes either), `00` first. A `63` object, if present, must be last
/// and hold the right CRC (in either case, kept as written); without one, the
/// CRC is computed and appended.
pub fn encode(payload: &Payload) -> Result<String, MpmError> {
    write(payload, false)
}

/// `strict` refuses plain values where EMV says template: Quipu writes what the spec says.
fn write(payload: &Payload, strict: bool) -> Result<String, MpmError> {
    if payload.objects.first().map(|o| o.id.as_str()) != Some("00") {
        return Err(MpmError::FormatIndicatorNotFirst);
    }
    let (body, stated_crc) = match payload.objects.split_last() {
        Some((DataObject { id, value: Value::Text(crc) }, body)) if id == "63" => (body, Some(crc)),
        Some((DataObject { id, .. }, _)) if id == "63" => {
            return Err(MpmError::Invalid { path: "63".into(), reason: "the CRC is text, not a template" });
        }
        _ => (payload.objects.as_slice(), None),
    };
    if body.iter().any(|o| o.id == "63") {
        return Err(MpmError::CrcNotLast);
    }
    let mut text = write_level(body, Level::Root, "", strict)?;
    text.push_str("6304");
    let computed = crc_hex(text.as_bytes());
    match stated_crc {
        Some(stated) if stated.eq_ignore_ascii_case(&computed) && stated.len() == 4 => text.push_str(stated),
        Some(stated) => return Err(MpmError::CrcMismatch { stated: stated.clone(), computed }),
        None => text.push_str(&computed),
    }
    Ok(text)
}

fn write_level(objects: &[DataObject], level: Level, parent: &str, strict: bool) -> Result<String, MpmError> {
    let mut out = String::new();
    let mut seen = [false; 100];
    for object in objects {
        let path = path_of(parent, &object.id);
        let chars: Vec<char> = object.id.chars().collect();
        let id = two_digits(&chars).ok_or(MpmError::Invalid { path: path.clone(), reason: "an id is two digits" })?;
        let slot = seen
            .get_mut(usize::from(id))
            .ok_or(MpmError::Invalid { path: path.clone(), reason: "an id is two digits" })?;
        if std::mem::replace(slot, true) {
            return Err(MpmError::DuplicateId { path });
        }
        let value = match (&object.value, level.slot(id)) {
            (Value::Text(text), Slot::Text) => text.clone(),
            (Value::Text(text), Slot::TemplateOrText) if !strict => text.clone(),
            (Value::Template(children), Slot::Template | Slot::TemplateOrText) => {
                write_level(children, level.child(id), &path, strict)?
            }
            (Value::Text(_), _) => return Err(MpmError::Invalid { path, reason: "this id holds a template" }),
            (Value::Template(_), Slot::Text) => {
                return Err(MpmError::Invalid { path, reason: "this id holds text, not a template" });
            }
        };
        let length = value.chars().count();
        if !(1..=99).contains(&length) {
            return Err(MpmError::Invalid { path, reason: "a value is 1 to 99 characters" });
        }
        out.push_str(&object.id);
        out.push_str(&format!("{length:02}"));
        out.push_str(&value);
    }
    Ok(out)
}

impl DataObject {
    /// The value, if it is text.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Text(text) => Some(text),
            Value::Template(_) => None,
        }
    }

    /// The text of the child `id`, if this is a template holding one.
    pub fn child_text(&self, id: &str) -> Option<&str> {
        match &self.value {
            Value::Template(children) => children.iter().find(|o| o.id == id)?.text(),
            Value::Text(_) => None,
        }
    }

    fn is_merchant_account(&self) -> bool {
        self.id.parse::<u8>().is_ok_and(|id| (26..=51).contains(&id))
    }
}

impl Payload {
    /// The root object with this id.
    pub fn get(&self, id: &str) -> Option<&DataObject> {
        self.objects.iter().find(|o| o.id == id)
    }

    /// The text of a root object.
    pub fn text(&self, id: &str) -> Option<&str> {
        self.get(id)?.text()
    }

    /// The text of an object inside a root template, e.g. `("62", "05")`.
    pub fn nested_text(&self, template: &str, id: &str) -> Option<&str> {
        self.get(template)?.child_text(id)
    }

    /// The globally unique identifiers (sub-id 00) of the merchant account templates (26–51), in payload order.
    pub fn merchant_account_guis(&self) -> impl Iterator<Item = &str> {
        self.objects.iter().filter(|o| o.is_merchant_account()).filter_map(|o| o.child_text("00"))
    }

    /// The objects of the merchant account template (26–51) whose globally unique identifier is `gui`.
    pub fn merchant_account(&self, gui: &str) -> Option<&[DataObject]> {
        self.objects
            .iter()
            .filter(|o| o.is_merchant_account() && o.child_text("00").is_some_and(|t| t.eq_ignore_ascii_case(gui)))
            .find_map(|o| match &o.value {
                Value::Template(children) => Some(children.as_slice()),
                Value::Text(_) => None,
            })
    }
}

/// Writes a payload Quipu issues: [`encode`], after checking every known
/// field against the EMVCo formats and that the mandatory ones are present,
/// and with templates wherever EMV says template (80–99, 62's 50–99 included).
pub fn encode_strict(payload: &Payload) -> Result<String, MpmError> {
    let invalid = |path: &str, reason: &'static str| MpmError::Invalid { path: path.to_owned(), reason };
    if payload.text("00") != Some("01") {
        return Err(invalid("00", "the payload format indicator is 01"));
    }
    let has_account = payload.objects.iter().any(|o| o.id.parse::<u8>().is_ok_and(|id| (2..=51).contains(&id)));
    if !has_account {
        return Err(invalid("26", "a merchant account (02-51) is required"));
    }
    for (id, rule) in ROOT_RULES {
        match (payload.get(id), rule) {
            (None, Rule { required: true, .. }) => return Err(invalid(id, "this object is required")),
            (None, _) => {}
            (Some(object), rule) => match &object.value {
                Value::Text(text) if (rule.check)(text) => {}
                _ => return Err(invalid(id, rule.expect)),
            },
        }
    }
    if let Some(Value::Template(children)) = payload.get("62").map(|o| &o.value) {
        for child in children {
            if let (Ok(1..=8), Value::Text(text)) = (child.id.parse::<u8>(), &child.value)
                && !ans(text, 25)
            {
                return Err(invalid(&format!("62.{}", child.id), "at most 25 printable ASCII characters"));
            }
        }
    }
    write(payload, true)
}

struct Rule {
    required: bool,
    check: fn(&str) -> bool,
    expect: &'static str,
}

fn digits(text: &str, length: usize) -> bool {
    text.len() == length && text.bytes().all(|b| b.is_ascii_digit())
}

fn ans(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && text.bytes().all(|b| (0x20..=0x7E).contains(&b))
}

/// Digits with at most one '.', not zero: `98`, `98.`, `98.73`.
fn amount(text: &str) -> bool {
    text.len() <= 13
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|b| *b == b'.').count() <= 1
        && text.bytes().any(|b| (b'1'..=b'9').contains(&b))
}

const ROOT_RULES: [(&str, Rule); 8] = [
    ("01", Rule { required: false, check: |t| t == "11" || t == "12", expect: "11 (static) or 12 (dynamic)" }),
    ("52", Rule { required: true, check: |t| digits(t, 4), expect: "a four-digit merchant category code" }),
    ("53", Rule { required: true, check: |t| digits(t, 3), expect: "a three-digit ISO 4217 numeric code" }),
    ("54", Rule { required: false, check: amount, expect: "a non-zero amount: digits and at most one '.'" }),
    (
        "58",
        Rule {
            required: true,
            check: |t| t.len() == 2 && t.bytes().all(|b| b.is_ascii_uppercase()),
            expect: "an ISO 3166 alpha-2 country code",
        },
    ),
    ("59", Rule { required: true, check: |t| ans(t, 25), expect: "1 to 25 printable ASCII characters" }),
    ("60", Rule { required: true, check: |t| ans(t, 15), expect: "1 to 15 printable ASCII characters" }),
    ("61", Rule { required: false, check: |t| ans(t, 10), expect: "1 to 10 printable ASCII characters" }),
];
