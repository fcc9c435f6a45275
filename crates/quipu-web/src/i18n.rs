//! The pages' two languages. Messages are Fluent files compiled into the
//! binary; the reader's choice is `?lang=`, then the `lang` cookie, then
//! `Accept-Language`, then English.

use std::borrow::Cow;
use std::collections::HashMap;

use axum::http::HeaderMap;
use axum::http::header;
use fluent_langneg::{NegotiationStrategy, negotiate_languages, parse_accepted_languages};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
    };
}

static ENGLISH: LanguageIdentifier = langid!("en");
static KOREAN: LanguageIdentifier = langid!("ko");

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ko,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &ENGLISH,
            Lang::Ko => &KOREAN,
        }
    }

    /// The reader's language: an explicit choice, their cookie, their browser's list, or English.
    pub fn choose(query: Option<&str>, headers: &HeaderMap) -> Self {
        if let Some(lang) = query.and_then(Lang::parse) {
            return lang;
        }
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| pair.trim().strip_prefix("lang=").and_then(Lang::parse));
        if let Some(lang) = cookie {
            return lang;
        }
        let accepted = headers.get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok()).unwrap_or("");
        let requested = parse_accepted_languages(accepted);
        let available = [ENGLISH.clone(), KOREAN.clone()];
        let chosen = negotiate_languages(&requested, &available, Some(&ENGLISH), NegotiationStrategy::Lookup);
        match chosen.first() {
            Some(id) if **id == KOREAN => Lang::Ko,
            _ => Lang::En,
        }
    }
}

/// Messages in one language, for templates: `{{ t.msg("pay-button") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn msg(&self, key: &str) -> String {
        LOCALES.lookup(self.lang.id(), key)
    }

    /// The message, if there is one for this key.
    pub fn try_msg(&self, key: &str) -> Option<String> {
        LOCALES.try_lookup(self.lang.id(), key)
    }

    /// A message with its `{ $name }` places filled in: each value is isolated from the text around
    /// it (U+2068…U+2069), so a name in another script cannot reorder the amount beside it.
    pub fn msg_with(&self, key: &str, args: &[(&'static str, &str)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> =
            args.iter().map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(*value))).collect();
        LOCALES.lookup_with_args(self.lang.id(), key, &args)
    }

    /// A message with a count (`{ $count }`, its plural form chosen by the number) and other values.
    pub fn msg_counted(&self, key: &str, count: u64, args: &[(&'static str, &str)]) -> String {
        let mut values: HashMap<Cow<'static, str>, FluentValue<'_>> =
            args.iter().map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(*value))).collect();
        values.insert(Cow::Borrowed("count"), FluentValue::from(count));
        LOCALES.lookup_with_args(self.lang.id(), key, &values)
    }

    /// The message with a number in it (`{ $name }`), if there is one for this key.
    pub fn try_msg_with(&self, key: &str, name: &'static str, value: u32) -> Option<String> {
        let args = HashMap::from([(Cow::Borrowed(name), FluentValue::from(value))]);
        LOCALES.try_lookup_with_args(self.lang.id(), key, &args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of a message file, in order of appearance.
    fn keys(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|line| !line.starts_with([' ', '#', '\t', '.', '*', '[', '}']) && line.contains('='))
            .filter_map(|line| line.split('=').next().map(str::trim))
            .collect()
    }

    /// Every message file of one language, by name.
    fn files(lang: &str) -> Vec<(String, String)> {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales").join(lang);
        let mut files: Vec<(String, String)> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "ftl"))
            .map(|path| {
                (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        files.sort();
        files
    }

    /// Every key one language defines, across its files; a key defined twice fails.
    fn all_keys(lang: &str) -> std::collections::BTreeSet<String> {
        let mut all = std::collections::BTreeSet::new();
        for (file, text) in files(lang) {
            for key in keys(&text) {
                assert!(all.insert(key.to_owned()), "{lang}: {key} is defined twice (again in {file})");
            }
        }
        all
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        let english_files: Vec<String> = files("en").into_iter().map(|(name, _)| name).collect();
        let korean_files: Vec<String> = files("ko").into_iter().map(|(name, _)| name).collect();
        assert_eq!(english_files, korean_files, "locales/en and locales/ko hold the same files");
        for ((file, english), (_, korean)) in files("en").iter().zip(files("ko").iter()) {
            assert_eq!(
                keys(english),
                keys(korean),
                "{file}: both languages define the same messages, in the same order"
            );
        }
        let (english, korean) = (all_keys("en"), all_keys("ko"));
        assert!(english.len() > 100);
        assert_eq!(english, korean);
    }

    /// Every message a template or page asks for by a literal name (with `msg`) exists, in both languages.
    #[test]
    fn every_message_a_page_asks_for_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (english, korean) = (all_keys("en"), all_keys("ko"));
        let mut asked = 0;
        for file in crate::problem_codes::sources(&[root.join("templates"), root.join("src")]) {
            let text = std::fs::read_to_string(&file).unwrap();
            for piece in text.split("msg(\"").skip(1) {
                let Some(key) = piece.split('"').next() else { continue };
                if key.is_empty() || key.contains(['{', ' ']) {
                    continue;
                }
                asked += 1;
                assert!(english.contains(key), "{}: {key} is not in locales/en", file.display());
                assert!(korean.contains(key), "{}: {key} is not in locales/ko", file.display());
            }
        }
        assert!(asked > 100, "{asked} messages asked for");
    }

    #[test]
    fn the_reader_chooses_then_the_cookie_then_the_browser() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::choose(None, &headers), Lang::En);
        headers.insert(header::ACCEPT_LANGUAGE, "ko-KR,ko;q=0.9,en;q=0.8".parse().unwrap());
        assert_eq!(Lang::choose(None, &headers), Lang::Ko);
        headers.insert(header::COOKIE, "theme=dark; lang=en".parse().unwrap());
        assert_eq!(Lang::choose(None, &headers), Lang::En);
        assert_eq!(Lang::choose(Some("ko"), &headers), Lang::Ko);
        assert_eq!(Lang::choose(Some("xx"), &headers), Lang::En, "an unknown choice falls through");
        assert_eq!(Tr { lang: Lang::Ko }.msg("demo-pin"), "PIN");
        assert_eq!(Tr { lang: Lang::Ko }.msg("apps-heading"), "앱");
    }
}
