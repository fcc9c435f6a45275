//! Every problem code the services, the API and the pages can answer has a message in both
//! languages (`error-<code>` in `locales/*/errors.ftl`), so no engine text reaches a page. The
//! codes are read from the workspace's sources: the string given to an error's constructor
//! (`CoreError::new`, `::invalid`, `::unauthenticated`, `ApiError::new`, the `invalid`
//! and `locked` helpers, `CoreError::rejected`) and every code a `let code = match` or a domain error's `fn code(self)` chooses from. A
//! new code without its messages fails here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::string_slice)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::i18n::{Lang, Tr};

/// The `.rs` and `.html` files under `roots`, recursively.
pub fn sources(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending: Vec<PathBuf> = roots.to_vec();
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(std::fs::read_dir(&path).unwrap().map(|entry| entry.unwrap().path()));
        } else if path.extension().is_some_and(|ext| ext == "rs" || ext == "html") {
            found.push(path);
        }
    }
    found.sort();
    found
}

const CONSTRUCTORS: [&str; 8] = [
    "CoreError::new(",
    "CoreError::invalid(",
    "CoreError::rejected(",
    "CoreError::unauthenticated(",
    "ApiError::new(",
    "Self::new(",
    "invalid(",
    "locked(",
];

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && text.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

/// The literal a constructor call starts with, after at most one other argument (a kind or status).
fn first_literal(args: &str) -> Option<&str> {
    let args = args.trim_start();
    let args = match args.strip_prefix('"') {
        Some(_) => args,
        None => {
            let (first, rest) = args.split_once(',')?;
            let plain = first.trim().chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':'));
            if !plain {
                return None;
            }
            rest.trim_start()
        }
    };
    let literal = args.strip_prefix('"')?.split('"').next()?;
    is_code(literal).then_some(literal)
}

/// The text of the block that starts at the first `{` of `text`, braces balanced.
fn block(text: &str) -> &str {
    let Some(start) = text.find('{') else { return "" };
    let mut depth = 0usize;
    for (at, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[start..start + at];
                }
            }
            _ => {}
        }
    }
    ""
}

/// The codes one source file makes errors with (its tests left out).
fn codes_in(text: &str, own_constructors: bool, domain: bool) -> BTreeSet<String> {
    let text = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut codes = BTreeSet::new();
    for constructor in CONSTRUCTORS {
        if constructor == "Self::new(" && !own_constructors {
            continue;
        }
        for piece in text.split(constructor).skip(1) {
            if let Some(code) = first_literal(piece) {
                codes.insert(code.to_owned());
            }
        }
    }
    // The domain's errors name their codes in `fn code(self)`; elsewhere such a function names other things.
    let openings: &[&str] =
        if domain { &["let code = match", "fn code(self) -> &'static str"] } else { &["let code = match"] };
    for opening in openings {
        for piece in text.split(opening).skip(1) {
            for arm in block(piece).split("=> \"").skip(1) {
                if let Some(code) = arm.split('"').next().filter(|code| is_code(code)) {
                    codes.insert(code.to_owned());
                }
            }
        }
    }
    codes
}

/// Every problem code in the workspace's sources.
fn workspace_codes() -> BTreeSet<String> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut codes = BTreeSet::new();
    for file in sources(&[crates]) {
        let path = file.to_string_lossy().replace('\\', "/");
        if !path.contains("/src/") || !path.ends_with(".rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // `Self::new` makes an error only where the error types are defined.
        let own = text.contains("pub struct CoreError") || text.contains("pub struct ApiError");
        codes.extend(codes_in(&text, own, path.contains("/quipu-domain/")));
    }
    codes
}

#[test]
fn the_scan_finds_codes_however_they_are_made() {
    let source = r#"
        fn a() { CoreError::new(ErrorKind::Rejected, "card_blocked", "x") }
        fn b() { CoreError::invalid(
            "invalid_city", format!("y")) }
        fn c() { ApiError::new(StatusCode::BAD_REQUEST, "invalid_form", "z") }
        fn d(e: E) -> CoreError { let code = match e { E::A => "daily_limit", E::B => "payment_limit" }; x }
        fn e() { CoreError::new(kind, error.code(), "not a literal") }
        #[cfg(test)]
        fn f() { CoreError::invalid("only_in_a_test", "") }
    "#;
    let codes: Vec<String> = codes_in(source, false, false).into_iter().collect();
    assert_eq!(codes, ["card_blocked", "daily_limit", "invalid_city", "invalid_form", "payment_limit"]);
}

#[test]
fn every_problem_code_has_a_message_in_both_languages() {
    let codes = workspace_codes();
    assert!(codes.len() > 150, "the scan found only {} codes", codes.len());
    for code in ["wrong_pin", "insufficient_funds", "payment_limit", "invalid_phone", "hidden_characters"] {
        assert!(codes.contains(code), "the scan misses {code}");
    }
    let mut missing = Vec::new();
    for lang in [Lang::En, Lang::Ko] {
        for code in &codes {
            let key = format!("error-{}", code.replace('_', "-"));
            let t = Tr { lang };
            if t.try_msg(&key).is_none() {
                missing.push(format!("{}: {key}", lang.code()));
            }
        }
    }
    assert!(missing.is_empty(), "problem codes without a message:\n{}", missing.join("\n"));
}
