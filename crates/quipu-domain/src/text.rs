//! Text that one person types and others read: names, notes, references,
//! cities. It may hold any script, but nothing that changes how the text
//! around it is shown.

/// Text someone else wrote, for a CSV cell: one a spreadsheet would run as a formula (it starts
/// with `=`, `+`, `-` or `@`) is prefixed with `'`, which shows it as text.
pub fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() }
}

/// Whether `text` is safe to show to someone else: no control characters
/// (a leading CR/LF could forge a line in a statement or a log), no
/// bidirectional overrides, embeddings, isolates or marks (U+202E can make
/// "Amina <RLO>gnp.exe" read as another name, or reorder an amount), no
/// line or paragraph separators, and nothing invisible that makes two names
/// look alike or a name look empty (a zero-width space, a soft hyphen, the
/// Hangul fillers). The zero-width joiner and non-joiner stay: Persian,
/// Indic scripts and emoji need them.
pub fn is_display_safe(text: &str) -> bool {
    !text.chars().any(is_hidden_formatting)
}

fn is_hidden_formatting(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'                  // Arabic letter mark
            | '\u{200E}' | '\u{200F}'   // left-to-right and right-to-left marks
            | '\u{202A}'..='\u{202E}'   // embeddings and overrides
            | '\u{2066}'..='\u{2069}'   // isolates
            | '\u{2028}' | '\u{2029}'   // line and paragraph separators
            | '\u{FEFF}'               // byte order mark, a zero-width no-break space
            | '\u{00AD}'               // soft hyphen
            | '\u{034F}'               // combining grapheme joiner
            | '\u{115F}' | '\u{1160}'  // Hangul choseong and jungseong fillers
            | '\u{17B4}' | '\u{17B5}'  // Khmer inherent vowels, invisible
            | '\u{180E}'               // Mongolian vowel separator
            | '\u{200B}'               // zero-width space
            | '\u{2060}'..='\u{2064}'  // word joiner and invisible operators
            | '\u{206A}'..='\u{206F}'  // deprecated format characters
            | '\u{3164}' | '\u{FFA0}'  // Hangul fillers, full and half width
            | '\u{FFF9}'..='\u{FFFB}'  // interlinear annotation
            | '\u{E0000}'..='\u{E007F}' // tags
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_in_any_script_are_safe() {
        for name in
            ["Amina K.", "Mama Rosa's Groceries", "김민준", "محمد علي", "Zoë Ñúñez", "Warung Sari 2", "می\u{200C}خواهم"]
        {
            assert!(is_display_safe(name), "{name}");
        }
    }

    #[test]
    fn formatting_that_disguises_text_is_not() {
        for text in [
            "\r\nTotal: 0",
            "Amina\u{202E}gnp",
            "a\u{2066}b",
            "x\u{200F}",
            "tab\there",
            "bom\u{FEFF}",
            "nul\0",
            "l\u{2028}",
            "Ami\u{200B}na",
            "\u{3164}",
            "Ami\u{00AD}na",
            "\u{FFA0}x",
            "a\u{2060}b",
        ] {
            assert!(!is_display_safe(text), "{text:?}");
        }
    }
}

/// Why a staff member acts on someone's account, as they state it: the
/// person reads it in their access log, so it must say something.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct StatedReason(String);

/// Shortest reason accepted: "fraud" alone explains nothing to the person who reads it.
pub const MIN_REASON_CHARS: usize = 10;
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a reason is 10 to 500 characters, with no control or text-direction characters: the person reads it")]
pub struct ReasonError;

impl StatedReason {
    pub fn parse(text: &str) -> Result<Self, ReasonError> {
        let text = text.trim();
        let length = text.chars().count();
        if (MIN_REASON_CHARS..=MAX_REASON_CHARS).contains(&length) && is_display_safe(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(ReasonError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name as others see it on a statement: the first name and the
/// last name's initial ("Amina Diallo" becomes "Amina D."), so a payer can
/// tell it is the right person without learning their full name.
pub fn shown_person_name(full_name: &str) -> String {
    let mut words = full_name.split_whitespace();
    let first = words.next().unwrap_or_default();
    match words.last().and_then(|last| last.chars().next()) {
        Some(initial) => format!("{first} {initial}."),
        None => first.to_owned(),
    }
}

#[cfg(test)]
mod shown_name_tests {
    use super::shown_person_name;

    #[test]
    fn people_are_shown_by_first_name_and_initial() {
        assert_eq!(shown_person_name("Amina Diallo"), "Amina D.");
        assert_eq!(shown_person_name("  Chen  Wei Li "), "Chen L.");
        assert_eq!(shown_person_name("Madonna"), "Madonna");
        assert_eq!(shown_person_name("김 민준"), "김 민.");
    }
}
