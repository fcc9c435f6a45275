//! What a seller offers: products with names in Korean and English, units, prices, stock, and for
//! restaurants option groups with their rules. Everything here is parsed from hostile input (forms,
//! CSV files, JSON), so each type refuses what it cannot represent and says which rule it broke.

use crate::Amount;
use crate::ledger::string_enum;
use crate::text::is_display_safe;

/// Longest product, category or option name, in characters.
pub const MAX_NAME_CHARS: usize = 120;
/// Longest product description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// Most option groups one product may have, and options one group may have.
pub const MAX_OPTION_GROUPS: usize = 10;
pub const MAX_OPTIONS_PER_GROUP: usize = 30;
/// Most of one product a line may ask for: a household order, not a wholesale one.
pub const MAX_LINE_QUANTITY: u32 = 99;
/// Highest stock count a product may have.
pub const MAX_STOCK: u32 = 1_000_000;

string_enum!(
    /// How a product is sold and priced.
    Unit {
        Each => "each",
        Kilogram => "kg",
        HundredGrams => "100g",
        Pack => "pack",
    }
);

impl Unit {
    /// Whether the shop weighs it: its final price may differ from the ordered one, within the
    /// room the hold keeps for it (see [`WEIGHED_HOLD_MARGIN_PERCENT`]).
    pub fn is_weighed(self) -> bool {
        matches!(self, Unit::Kilogram | Unit::HundredGrams)
    }
}

/// What the hold keeps beyond a weighed line's price, so a heavier piece can still be paid from it.
pub const WEIGHED_HOLD_MARGIN_PERCENT: i64 = 10;

/// Why a catalog value was refused: the code a problem document and a CSV line report carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("a product needs a name in Korean or English, each at most 120 characters of plain text")]
    Name,
    #[error("a description is at most 2,000 characters of plain text")]
    Description,
    #[error("a price is a positive amount")]
    Price,
    #[error("stock is a whole number from 0 to 1,000,000, or not tracked")]
    Stock,
    #[error("an option group needs a name, 1 to 30 options, and 0 <= minimum <= maximum <= options")]
    OptionGroup,
    #[error("a product has at most 10 option groups")]
    TooManyGroups,
    #[error("an option's extra price is zero or more")]
    OptionPrice,
}

impl CatalogError {
    pub fn code(self) -> &'static str {
        match self {
            CatalogError::Name => "product_name_invalid",
            CatalogError::Description => "product_description_invalid",
            CatalogError::Price => "price_invalid",
            CatalogError::Stock => "stock_invalid",
            CatalogError::OptionGroup => "option_group_invalid",
            CatalogError::TooManyGroups => "too_many_option_groups",
            CatalogError::OptionPrice => "option_price_invalid",
        }
    }
}

/// Checked plain text of at most `max` characters, trimmed; empty is `None`.
fn plain_text(text: Option<&str>, max: usize) -> Result<Option<String>, ()> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max || !is_display_safe(text) {
        return Err(());
    }
    Ok(Some(text.to_owned()))
}

/// A name in Korean and English: either may be missing, not both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalisedName {
    korean: Option<String>,
    english: Option<String>,
}

impl LocalisedName {
    pub fn parse(korean: Option<&str>, english: Option<&str>) -> Result<Self, CatalogError> {
        let korean = plain_text(korean, MAX_NAME_CHARS).map_err(|()| CatalogError::Name)?;
        let english = plain_text(english, MAX_NAME_CHARS).map_err(|()| CatalogError::Name)?;
        if korean.is_none() && english.is_none() {
            return Err(CatalogError::Name);
        }
        Ok(Self { korean, english })
    }

    pub fn korean(&self) -> Option<&str> {
        self.korean.as_deref()
    }

    pub fn english(&self) -> Option<&str> {
        self.english.as_deref()
    }

    /// The name in the reader's language (`ko` or anything else for English), or the other one.
    pub fn in_language(&self, language: &str) -> &str {
        let (first, second) =
            if language == "ko" { (&self.korean, &self.english) } else { (&self.english, &self.korean) };
        first.as_deref().or(second.as_deref()).unwrap_or_default()
    }
}

/// A product description, plain text.
pub fn parse_description(text: Option<&str>) -> Result<Option<String>, CatalogError> {
    plain_text(text, MAX_DESCRIPTION_CHARS).map_err(|()| CatalogError::Description)
}

/// How much of a product is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stock {
    /// The shop does not count it (a cooked meal, say): available unless marked sold out.
    Untracked { sold_out: bool },
    /// Counted: this many can still be ordered (reserved ones already taken off).
    Tracked(u32),
}

impl Stock {
    pub fn tracked(count: i64) -> Result<Self, CatalogError> {
        u32::try_from(count).ok().filter(|count| *count <= MAX_STOCK).map(Stock::Tracked).ok_or(CatalogError::Stock)
    }

    /// Whether `quantity` more can be ordered now.
    pub fn allows(self, quantity: u32) -> bool {
        match self {
            Stock::Untracked { sold_out } => !sold_out,
            Stock::Tracked(left) => quantity <= left,
        }
    }

    pub fn is_sold_out(self) -> bool {
        !self.allows(1)
    }
}

/// A price: a positive amount.
pub fn parse_price(amount: Amount) -> Result<Amount, CatalogError> {
    amount.ensure_positive().map_err(|_| CatalogError::Price)
}

/// One choice in an option group ("Large", "Extra cheese") and what it adds to the price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductOption {
    pub name: LocalisedName,
    pub extra: Amount,
}

/// A group of options with how many the customer must and may choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionGroup {
    pub name: LocalisedName,
    min: u32,
    max: u32,
    options: Vec<ProductOption>,
}

impl OptionGroup {
    pub fn new(name: LocalisedName, min: u32, max: u32, options: Vec<ProductOption>) -> Result<Self, CatalogError> {
        let count = u32::try_from(options.len()).map_err(|_| CatalogError::OptionGroup)?;
        if options.is_empty() || options.len() > MAX_OPTIONS_PER_GROUP || max == 0 || min > max || max > count {
            return Err(CatalogError::OptionGroup);
        }
        if options.iter().any(|option| option.extra.minor() < 0) {
            return Err(CatalogError::OptionPrice);
        }
        Ok(Self { name, min, max, options })
    }

    /// At least one choice is needed.
    pub fn is_required(&self) -> bool {
        self.min > 0
    }

    pub fn min(&self) -> u32 {
        self.min
    }

    pub fn max(&self) -> u32 {
        self.max
    }

    pub fn options(&self) -> &[ProductOption] {
        &self.options
    }
}

/// A product's option groups, checked together.
pub fn option_groups(groups: Vec<OptionGroup>) -> Result<Vec<OptionGroup>, CatalogError> {
    if groups.len() > MAX_OPTION_GROUPS {
        return Err(CatalogError::TooManyGroups);
    }
    Ok(groups)
}

/// Why a line's choices were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    #[error("a quantity is a whole number from 1 to 99")]
    Quantity,
    #[error("choose between {min} and {max} options in group {group}")]
    GroupCount { group: usize, min: u32, max: u32 },
    #[error("an option chosen does not exist, or was chosen twice")]
    UnknownOption,
    #[error("the line's price does not fit in an amount")]
    Overflow,
}

/// A customer's choice: for each of the product's groups, the indexes of the options chosen.
pub type Choices = Vec<Vec<usize>>;

/// The price of one unit with `choices`, checked against every group's rules.
pub fn unit_price(base: Amount, groups: &[OptionGroup], choices: &[Vec<usize>]) -> Result<Amount, ChoiceError> {
    if choices.len() > groups.len() {
        return Err(ChoiceError::UnknownOption);
    }
    let mut price = base;
    for (index, group) in groups.iter().enumerate() {
        let chosen = choices.get(index).map_or(&[][..], Vec::as_slice);
        let count = u32::try_from(chosen.len()).map_err(|_| ChoiceError::UnknownOption)?;
        if count < group.min || count > group.max {
            return Err(ChoiceError::GroupCount { group: index, min: group.min, max: group.max });
        }
        for (position, option) in chosen.iter().enumerate() {
            if chosen.get(..position).is_some_and(|before| before.contains(option)) {
                return Err(ChoiceError::UnknownOption);
            }
            let option = group.options.get(*option).ok_or(ChoiceError::UnknownOption)?;
            price = price.checked_add(option.extra).map_err(|_| ChoiceError::Overflow)?;
        }
    }
    Ok(price)
}

/// A line's total: `quantity` units at `unit_price`.
pub fn line_total(unit_price: Amount, quantity: u32) -> Result<Amount, ChoiceError> {
    if quantity == 0 || quantity > MAX_LINE_QUANTITY {
        return Err(ChoiceError::Quantity);
    }
    unit_price.minor().checked_mul(i64::from(quantity)).map(Amount::from_minor).ok_or(ChoiceError::Overflow)
}

/// What the hold keeps for a line: its total, and for weighed units the margin above it.
pub fn line_hold(total: Amount, unit: Unit) -> Result<Amount, ChoiceError> {
    if !unit.is_weighed() {
        return Ok(total);
    }
    let margin = total
        .minor()
        .checked_mul(WEIGHED_HOLD_MARGIN_PERCENT)
        .and_then(|scaled| scaled.checked_add(99))
        .and_then(|scaled| scaled.checked_div(100))
        .ok_or(ChoiceError::Overflow)?;
    total.checked_add(Amount::from_minor(margin)).map_err(|_| ChoiceError::Overflow)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn name(text: &str) -> LocalisedName {
        LocalisedName::parse(None, Some(text)).unwrap()
    }

    fn won(minor: i64) -> Amount {
        Amount::from_minor(minor)
    }

    fn size_and_toppings() -> Vec<OptionGroup> {
        let size = OptionGroup::new(
            name("Size"),
            1,
            1,
            vec![
                ProductOption { name: name("Regular"), extra: won(0) },
                ProductOption { name: name("Large"), extra: won(2000) },
            ],
        )
        .unwrap();
        let toppings = OptionGroup::new(
            name("Toppings"),
            0,
            2,
            vec![
                ProductOption { name: name("Egg"), extra: won(1000) },
                ProductOption { name: name("Cheese"), extra: won(1500) },
                ProductOption { name: name("Kimchi"), extra: won(500) },
            ],
        )
        .unwrap();
        vec![size, toppings]
    }

    #[test]
    fn a_name_needs_one_language_and_plain_text() {
        let both = LocalisedName::parse(Some(" 신라면 "), Some("Shin Ramyun")).unwrap();
        assert_eq!((both.in_language("ko"), both.in_language("en")), ("신라면", "Shin Ramyun"));
        let korean_only = LocalisedName::parse(Some("흰우유"), Some("  ")).unwrap();
        assert_eq!(korean_only.in_language("en"), "흰우유", "a missing English name falls back to Korean");
        assert_eq!(LocalisedName::parse(None, Some("")), Err(CatalogError::Name));
        assert_eq!(LocalisedName::parse(Some("milk\u{202e}"), None), Err(CatalogError::Name));
        assert_eq!(LocalisedName::parse(Some(&"가".repeat(121)), None), Err(CatalogError::Name));
    }

    #[test]
    fn option_groups_keep_their_minimum_and_maximum() {
        let groups = size_and_toppings();
        assert_eq!(unit_price(won(8000), &groups, &[vec![1], vec![0, 2]]), Ok(won(11_500)));
        assert_eq!(unit_price(won(8000), &groups, &[vec![0]]), Ok(won(8000)), "toppings are optional");
        assert_eq!(unit_price(won(8000), &groups, &[]), Err(ChoiceError::GroupCount { group: 0, min: 1, max: 1 }));
        assert_eq!(
            unit_price(won(8000), &groups, &[vec![0], vec![0, 1, 2]]),
            Err(ChoiceError::GroupCount { group: 1, min: 0, max: 2 })
        );
        assert_eq!(unit_price(won(8000), &groups, &[vec![0], vec![1, 1]]), Err(ChoiceError::UnknownOption));
        assert_eq!(unit_price(won(8000), &groups, &[vec![7]]), Err(ChoiceError::UnknownOption));
        assert_eq!(unit_price(won(8000), &groups, &[vec![0], vec![], vec![0]]), Err(ChoiceError::UnknownOption));
    }

    #[test]
    fn a_group_that_cannot_be_satisfied_is_refused() {
        let one = || vec![ProductOption { name: name("A"), extra: won(0) }];
        assert_eq!(OptionGroup::new(name("G"), 2, 2, one()), Err(CatalogError::OptionGroup));
        assert_eq!(OptionGroup::new(name("G"), 1, 0, one()), Err(CatalogError::OptionGroup));
        assert_eq!(OptionGroup::new(name("G"), 0, 1, vec![]), Err(CatalogError::OptionGroup));
        let negative = vec![ProductOption { name: name("A"), extra: won(-1) }];
        assert_eq!(OptionGroup::new(name("G"), 0, 1, negative), Err(CatalogError::OptionPrice));
        assert!(option_groups((0..11).map(|_| OptionGroup::new(name("G"), 0, 1, one()).unwrap()).collect()).is_err());
    }

    #[test]
    fn quantities_are_bounded_and_totals_never_overflow() {
        assert_eq!(line_total(won(1500), 3), Ok(won(4500)));
        assert_eq!(line_total(won(1500), 0), Err(ChoiceError::Quantity));
        assert_eq!(line_total(won(1500), 100), Err(ChoiceError::Quantity));
        assert_eq!(line_total(won(i64::MAX / 2), 3), Err(ChoiceError::Overflow));
    }

    #[test]
    fn a_weighed_line_holds_a_tenth_more_rounded_up() {
        assert_eq!(line_hold(won(10_000), Unit::Each), Ok(won(10_000)));
        assert_eq!(line_hold(won(10_000), Unit::Kilogram), Ok(won(11_000)));
        assert_eq!(line_hold(won(1_005), Unit::HundredGrams), Ok(won(1_106)));
    }

    #[test]
    fn stock_tracked_or_not() {
        assert!(Stock::Tracked(2).allows(2) && !Stock::Tracked(2).allows(3));
        assert!(Stock::Tracked(0).is_sold_out());
        assert!(Stock::Untracked { sold_out: true }.is_sold_out());
        assert!(Stock::Untracked { sold_out: false }.allows(99));
        assert_eq!(Stock::tracked(-1), Err(CatalogError::Stock));
        assert_eq!(Stock::tracked(1_000_001), Err(CatalogError::Stock));
        assert_eq!(Unit::parse("100g"), Some(Unit::HundredGrams));
    }
}
