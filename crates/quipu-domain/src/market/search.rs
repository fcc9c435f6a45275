//! How product text becomes search terms, identically for both databases. The engines (SQLite's
//! FTS5, PostgreSQL's text search) only match and rank the terms made here, so a query finds the
//! same products on either.
//!
//! - **Hangul** runs become overlapping syllable unigrams and bigrams (the idea of Lucene's CJK
//!   analyzer): "우유식빵" is indexed as 우 유 식 빵 우유 유식 식빵, so "빵" and "우유" are found
//!   inside longer names. A query of one syllable asks for its unigram; a longer one for all its
//!   bigrams. A trigram index could not answer these (see `search-ko.md` in the reference notes).
//! - **Latin** words are lowercased and stemmed (Snowball English: "noodles" and "noodle" meet). A
//!   query's last word also matches as a prefix, for search as you type.
//! - **Typos**: a stem of four letters or more is also indexed with each one-letter deletion, in a
//!   separate fuzzy field; a query word of five letters or more matches there by its own
//!   deletions, so one wrong, missing, extra or swapped letter still finds it ("noodel", "ramun").
//!   Exact words rank above fuzzy ones because the engines weigh the fields differently.

use rust_stemmers::{Algorithm, Stemmer};

/// Longest query accepted, in characters: a search box, not a document.
pub const MAX_QUERY_CHARS: usize = 100;
/// Most words (or Hangul bigrams) one query may ask for.
pub const MAX_QUERY_TERMS: usize = 8;
/// Shortest stem indexed with its deletions, and shortest query word matched by them.
const MIN_FUZZY_STEM: usize = 4;
const MIN_FUZZY_QUERY: usize = 5;
/// Longest word kept: longer runs are noise (or an attack) and are cut here.
const MAX_WORD_CHARS: usize = 40;

/// The terms to index for a product, as space-separated words both engines take as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexedText {
    /// Stems and Hangul n-grams.
    pub words: String,
    /// Stems and their one-letter deletions, for typo-tolerant matching.
    pub fuzzy: String,
}

/// One thing a query asks for; a product must match every term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    /// Matched against `words`.
    pub exact: String,
    /// Whether `exact` also matches as a prefix (the word being typed).
    pub prefix: bool,
    /// Matched against `fuzzy` as alternatives: the stem and its deletions. Empty for short words
    /// and Hangul.
    pub fuzzy: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("type a word to search for: letters or numbers")]
    Empty,
    #[error("a search is at most 100 characters")]
    TooLong,
}

impl QueryError {
    pub fn code(self) -> &'static str {
        match self {
            QueryError::Empty => "search_empty",
            QueryError::TooLong => "search_too_long",
        }
    }
}

/// A run of one script within the text.
#[derive(Debug, PartialEq, Eq)]
enum Run {
    Hangul(Vec<char>),
    Latin(String),
}

fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// Splits text into Hangul syllable runs and runs of other letters and digits; everything else
/// separates. Runs are cut at [`MAX_WORD_CHARS`].
fn runs(text: &str) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut current: Option<Run> = None;
    for c in text.chars().flat_map(char::to_lowercase) {
        let hangul = is_hangul_syllable(c);
        let word = !hangul && c.is_alphanumeric();
        match (&mut current, hangul, word) {
            (Some(Run::Hangul(chars)), true, _) => chars.push(c),
            (Some(Run::Latin(word)), _, true) => word.push(c),
            _ => {
                runs.extend(current.take());
                current = if hangul {
                    Some(Run::Hangul(vec![c]))
                } else if word {
                    Some(Run::Latin(c.to_string()))
                } else {
                    None
                };
            }
        }
    }
    runs.extend(current);
    for run in &mut runs {
        match run {
            Run::Hangul(chars) => chars.truncate(MAX_WORD_CHARS),
            Run::Latin(word) => *word = word.chars().take(MAX_WORD_CHARS).collect(),
        }
    }
    runs
}

fn stem(stemmer: &Stemmer, word: &str) -> String {
    stemmer.stem(word).into_owned()
}

/// The word with each one of its letters left out.
fn deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len())
        .map(move |skip| chars.iter().enumerate().filter(|(index, _)| *index != skip).map(|(_, c)| *c).collect())
}

fn bigrams(chars: &[char]) -> impl Iterator<Item = String> + '_ {
    chars.windows(2).map(|pair| pair.iter().collect())
}

/// The terms of a product's texts (names in both languages, category, description).
pub fn index_text(texts: &[&str]) -> IndexedText {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut words: Vec<String> = Vec::new();
    let mut fuzzy: Vec<String> = Vec::new();
    for run in texts.iter().flat_map(|text| runs(text)) {
        match run {
            Run::Hangul(chars) => {
                words.extend(chars.iter().map(char::to_string));
                words.extend(bigrams(&chars));
            }
            Run::Latin(word) => {
                let stem = stem(&stemmer, &word);
                if stem.chars().count() >= MIN_FUZZY_STEM {
                    fuzzy.extend(deletions(&stem));
                }
                fuzzy.push(stem.clone());
                words.push(stem);
            }
        }
    }
    words.sort_unstable();
    words.dedup();
    fuzzy.sort_unstable();
    fuzzy.dedup();
    IndexedText { words: words.join(" "), fuzzy: fuzzy.join(" ") }
}

/// A person's search, as terms a product must all match.
pub fn parse_query(text: &str) -> Result<Vec<QueryTerm>, QueryError> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong);
    }
    let stemmer = Stemmer::create(Algorithm::English);
    let runs = runs(text);
    let last = runs.len().checked_sub(1);
    let mut terms: Vec<QueryTerm> = Vec::new();
    for (index, run) in runs.into_iter().enumerate() {
        match run {
            Run::Hangul(chars) if chars.len() == 1 => {
                terms.push(QueryTerm { exact: chars.iter().collect(), prefix: false, fuzzy: vec![] });
            }
            Run::Hangul(chars) => {
                terms.extend(bigrams(&chars).map(|exact| QueryTerm { exact, prefix: false, fuzzy: vec![] }));
            }
            Run::Latin(word) => {
                let stem = stem(&stemmer, &word);
                let fuzzy = if word.chars().count() >= MIN_FUZZY_QUERY {
                    std::iter::once(stem.clone()).chain(deletions(&stem)).collect()
                } else {
                    vec![]
                };
                // The word being typed: "nood" should already find noodles.
                let prefix = Some(index) == last;
                terms.push(QueryTerm { exact: stem, prefix, fuzzy });
            }
        }
    }
    terms.dedup_by(|a, b| a.exact == b.exact);
    terms.truncate(MAX_QUERY_TERMS);
    if terms.is_empty() {
        return Err(QueryError::Empty);
    }
    Ok(terms)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Whether a product with these texts matches the query, as the engines match: every term is
    /// in `words` (whole or, for a prefix term, as a prefix) or one of its fuzzy forms is in `fuzzy`.
    fn finds(query: &str, texts: &[&str]) -> bool {
        let indexed = index_text(texts);
        let words: Vec<&str> = indexed.words.split(' ').collect();
        let fuzzy: Vec<&str> = indexed.fuzzy.split(' ').collect();
        parse_query(query).unwrap().iter().all(|term| {
            words.iter().any(|word| *word == term.exact || (term.prefix && word.starts_with(&term.exact)))
                || term.fuzzy.iter().any(|form| fuzzy.contains(&form.as_str()))
        })
    }

    #[test]
    fn korean_words_are_found_inside_longer_names() {
        assert!(finds("우유", &["서울우유 흰우유 1L"]));
        assert!(finds("우유", &["우유식빵"]));
        assert!(finds("빵", &["단팥빵"]));
        assert!(finds("라면", &["신라면 5개입"]));
        assert!(finds("냉면", &["물냉면"]));
        assert!(finds("우유식", &["우유식빵"]));
        assert!(!finds("우유", &["두유 950ml"]), "두유 (soy milk) is not 우유");
        assert!(!finds("식우", &["우유식빵"]), "the bigrams must be there, not just the syllables");
    }

    #[test]
    fn english_is_stemmed_prefixed_and_forgives_one_typo() {
        assert!(finds("noodle", &["Instant noodles, spicy"]));
        assert!(finds("Noodles", &["Cup noodle"]));
        assert!(finds("nood", &["Instant noodles"]), "the word being typed is a prefix");
        assert!(finds("noodel", &["Instant noodles"]), "two letters swapped");
        assert!(finds("ramun", &["Shin Ramen"]), "one letter wrong");
        assert!(finds("spicy noodles", &["Instant noodles, spicy"]));
        assert!(!finds("spicy noodles", &["Instant noodles"]), "every word must match");
        assert!(!finds("milk", &["Silk scarf"]), "short words are not fuzzy-matched");
        assert!(finds("milk 우유", &["흰우유", "White milk"]));
    }

    #[test]
    fn hostile_queries_get_a_clear_refusal() {
        assert_eq!(parse_query("!!! ??? ---"), Err(QueryError::Empty));
        assert_eq!(parse_query(""), Err(QueryError::Empty));
        assert_eq!(parse_query(&"a".repeat(10 * 1024)), Err(QueryError::TooLong));
        let many = parse_query("a b c d e f g h i j k").unwrap();
        assert_eq!(many.len(), MAX_QUERY_TERMS);
        let quoting = parse_query("\"milk\" OR * NEAR(a b) 'x'").unwrap();
        for term in quoting {
            assert!(term.exact.chars().all(char::is_alphanumeric), "{term:?}");
        }
    }

    #[test]
    fn indexed_terms_are_plain_words_each_once() {
        let indexed = index_text(&["우유 우유", "Milk, milk!"]);
        assert_eq!(indexed.words, "milk 우 우유 유");
        assert!(indexed.words.split(' ').chain(indexed.fuzzy.split(' ')).all(|t| t.chars().all(char::is_alphanumeric)));
        assert_eq!(index_text(&[&"가".repeat(500)]).words.split(' ').count(), 2, "runs are cut");
    }
}
