//! A seller's catalog as CSV, both ways: the file a spreadsheet opens (the export) and the file a
//! seller sends back (the import). Pure: the market context reads the shop's products, hands them
//! here, and writes what [`plan_import`] decided in one transaction.
//!
//! The file is UTF-8 (a leading byte-order mark is accepted, and the export writes one so that
//! spreadsheets read Korean right), with a header row naming its columns in any order:
//!
//! | column | cell |
//! | --- | --- |
//! | `sku` | the shop's code for the product: what an import matches rows on (the header must have it) |
//! | `name_ko`, `name_en` | the name in Korean and English; a product needs one of them |
//! | `description` | plain text; empty is none |
//! | `category` | 1 to 60 characters |
//! | `price` | a positive decimal in the network's currency, as the JSON API writes amounts (`2.90`) |
//! | `unit` | `each`, `kg`, `100g` or `pack` |
//! | `stock` | a whole number (counted), or empty (not counted; a sold-out switch stays as it is) |
//! | `needs_pharmacist` | `true` or `false` (empty: false) |
//! | `visible` | `true` or `false` (empty: true) |
//! | `id` | the product's id as the export wrote it; lets a product without a SKU be matched (and given one) |
//!
//! A column the file does not have keeps what a matched product has (a file of `sku` and `price`
//! changes prices only); a new product needs a name, a category, a price and a unit. Option groups
//! are not in the file, and an import keeps a product's options.
//!
//! A cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return, after any apostrophes) is written with a leading apostrophe, and an import takes
//! exactly that apostrophe off again: the round trip gives back what was stored.

use std::borrow::Cow;
use std::collections::HashMap;

use quipu_domain::market::ProductId;
use quipu_domain::market::catalog::{CatalogError, LocalisedName, Stock, Unit, parse_description, parse_price};
use quipu_domain::market::storefront::SellerKind;
use quipu_domain::money::{Amount, Currency};
use quipu_store::market::ProductRecord;

use crate::ProductInput;
use crate::catalog::{MAX_CATEGORY, MAX_SKU, checked_flag, plain};

/// Most products one file may hold. They are written in one transaction (all or none), which on
/// SQLite holds the database's write lock while it runs and on PostgreSQL costs four statements a
/// product: measured on a debug build, 20,000 new products took 3.1 s on SQLite and 10 s on a local
/// PostgreSQL, 20,000 changes 4.6 s and 16 s. Half that keeps the lock short and a distant
/// PostgreSQL within the 30 s a request may take, and still holds a supermarket's range.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// Most errors a refusal lists; it says how many there were in all.
pub const MAX_ERRORS_SHOWN: usize = 100;

/// A column of the file, in the order the export writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Sku,
    NameKo,
    NameEn,
    Description,
    Category,
    Price,
    Unit,
    Stock,
    NeedsPharmacist,
    Visible,
    Id,
}

pub const COLUMNS: [Column; 11] = [
    Column::Sku,
    Column::NameKo,
    Column::NameEn,
    Column::Description,
    Column::Category,
    Column::Price,
    Column::Unit,
    Column::Stock,
    Column::NeedsPharmacist,
    Column::Visible,
    Column::Id,
];

impl Column {
    pub fn name(self) -> &'static str {
        match self {
            Column::Sku => "sku",
            Column::NameKo => "name_ko",
            Column::NameEn => "name_en",
            Column::Description => "description",
            Column::Category => "category",
            Column::Price => "price",
            Column::Unit => "unit",
            Column::Stock => "stock",
            Column::NeedsPharmacist => "needs_pharmacist",
            Column::Visible => "visible",
            Column::Id => "id",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        COLUMNS.into_iter().find(|column| column.name().eq_ignore_ascii_case(text))
    }
}

/// One thing wrong with a file's line or a list's item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    /// A file's line as a spreadsheet numbers it (the header is line 1), or an item's place in
    /// its list (from 0).
    pub at: u64,
    /// The column or field at fault, where one is.
    pub field: Option<&'static str>,
    pub code: &'static str,
    pub detail: String,
}

/// An error with its code and sentence; [`ItemError::at`] and [`ItemError::field`] place it.
pub(crate) fn invalid(code: &'static str, detail: impl Into<String>) -> ItemError {
    ItemError { at: 0, field: None, code, detail: detail.into() }
}

impl ItemError {
    pub(crate) fn at(self, at: u64) -> Self {
        Self { at, ..self }
    }

    pub(crate) fn field(self, field: &'static str) -> Self {
        Self { field: Some(field), ..self }
    }

    fn catalog(error: CatalogError) -> Self {
        invalid_code(error.code(), error.to_string())
    }
}

/// The same as [`invalid`], for a code chosen elsewhere (a domain error's).
fn invalid_code(code: &'static str, detail: String) -> ItemError {
    ItemError { at: 0, field: None, code, detail }
}

/// Why a whole file or list was refused: its first errors, and how many there were in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refusal {
    pub errors: Vec<ItemError>,
    pub total: usize,
}

impl Refusal {
    pub(crate) fn one(error: ItemError) -> Self {
        Self { errors: vec![error], total: 1 }
    }

    pub(crate) fn push(&mut self, error: ItemError) {
        self.total = self.total.saturating_add(1);
        if self.errors.len() < MAX_ERRORS_SHOWN {
            self.errors.push(error);
        }
    }

    pub(crate) fn check(self) -> Result<(), Refusal> {
        if self.total == 0 { Ok(()) } else { Err(self) }
    }
}

/// One line of an import. Each field but the line, the SKU and the id is `None` when the file has
/// no such column (a matched product keeps its value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportRow {
    pub line: u64,
    pub id: Option<ProductId>,
    pub sku: Option<String>,
    pub name_ko: Option<Option<String>>,
    pub name_en: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub category: Option<String>,
    pub price: Option<Amount>,
    pub unit: Option<Unit>,
    /// `Some(None)`: not counted.
    pub stock: Option<Option<u32>>,
    pub needs_pharmacist: Option<bool>,
    pub visible: Option<bool>,
}

/// Whether a spreadsheet would take `cell` (past its apostrophes) for a formula.
fn looks_like_formula(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A cell as the export writes it: one that a spreadsheet would run gets a leading apostrophe.
pub fn guard(cell: &str) -> Cow<'_, str> {
    if looks_like_formula(cell) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// A cell as the import reads it: the apostrophe [`guard`] added, and only that, is taken off.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if looks_like_formula(rest) => rest,
        _ => cell,
    }
}

/// The line (from 1) that byte `offset` of `bytes` is on.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let newlines = before.iter().filter(|byte| **byte == b'\n').count();
    u64::try_from(newlines).unwrap_or(u64::MAX).saturating_add(1)
}

/// The line a record starts on: the reader places it where it started reading, before the blank
/// lines it skipped, so those are counted here (a spreadsheet shows them as rows).
fn start_line(text: &str, position: &::csv::Position) -> u64 {
    let from = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let rest = text.as_bytes().get(from..).unwrap_or_default();
    let blank = rest.iter().take_while(|byte| matches!(byte, b'\r' | b'\n')).filter(|byte| **byte == b'\n').count();
    position.line().saturating_add(u64::try_from(blank).unwrap_or(0))
}

/// At most 40 characters of what someone typed, to quote it back.
fn quoted(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    format!("{short:?}")
}

/// Reads an import file: every line checked on its own (its cells, and that no SKU or id is on
/// two lines). Any error refuses the whole file, listing each line's.
pub fn parse_catalog(bytes: &[u8], currency: &Currency) -> Result<Vec<ImportRow>, Refusal> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        let line = line_of(bytes, error.valid_up_to());
        Refusal::one(
            invalid(
                "csv_not_utf8",
                format!(
                    "the file is not UTF-8 text (line {line} has a byte that is not); save it as \"CSV UTF-8\" and send it again"
                ),
            )
            .at(line),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut record = ::csv::StringRecord::new();
    let columns = header(text, &mut reader, &mut record)?;

    let mut refusal = Refusal::default();
    let mut rows = Vec::new();
    let mut skus: HashMap<String, u64> = HashMap::new();
    let mut ids: HashMap<ProductId, u64> = HashMap::new();
    let mut lines = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                let line = error.position().map_or(0, ::csv::Position::line);
                refusal.push(invalid("csv_unreadable", "this line cannot be read as CSV").at(line));
                break;
            }
        }
        let line = record.position().map_or(0, |position| start_line(text, position));
        // A spreadsheet saves rows it once touched as empty cells: they are no products.
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        lines = lines.saturating_add(1);
        if lines > MAX_IMPORT_ROWS {
            return Err(Refusal::one(
                invalid(
                    "csv_too_many_rows",
                    format!("a file holds at most {MAX_IMPORT_ROWS} products; this one has more from this line on"),
                )
                .at(line),
            ));
        }
        if record.len() != columns.len() {
            let detail = format!("this line has {} cells and the header {}", record.len(), columns.len());
            refusal.push(invalid("csv_row_length", detail).at(line));
            continue;
        }
        let (row, errors) = parse_row(line, &columns, &record, currency);
        let mut fine = errors.is_empty();
        errors.into_iter().for_each(|error| refusal.push(error));
        // A SKU or id read from a line with other errors still counts: its repeat is an error too.
        if let Some(sku) = &row.sku {
            if let Some(first) = skus.get(sku) {
                let detail = format!("SKU {sku} is also on line {first}: each product is on one line");
                refusal.push(invalid("csv_sku_repeated", detail).at(line).field("sku"));
                fine = false;
            } else {
                skus.insert(sku.clone(), line);
            }
        }
        if let Some(id) = row.id {
            if let Some(first) = ids.get(&id) {
                let detail = format!("this id is also on line {first}: each product is on one line");
                refusal.push(invalid("csv_id_repeated", detail).at(line).field("id"));
                fine = false;
            } else {
                ids.insert(id, line);
            }
        }
        if !fine {
            continue;
        }
        rows.push(row);
    }
    refusal.check()?;
    Ok(rows)
}

/// The header row: known columns, each once, `sku` among them.
fn header<R: std::io::Read>(
    text: &str,
    reader: &mut ::csv::Reader<R>,
    record: &mut ::csv::StringRecord,
) -> Result<Vec<Column>, Refusal> {
    let known = COLUMNS.map(Column::name).join(", ");
    match reader.read_record(record) {
        Ok(true) => {}
        Ok(false) | Err(_) => {
            let detail = format!("the file is empty: its first line names the columns ({known})");
            return Err(Refusal::one(invalid("csv_empty", detail).at(1)));
        }
    }
    let line = record.position().map_or(1, |position| start_line(text, position));
    let mut refusal = Refusal::default();
    let mut columns = Vec::with_capacity(record.len());
    for name in record.iter().map(str::trim) {
        match Column::parse(name) {
            Some(column) if columns.contains(&column) => {
                let detail = format!("the column {} is named twice", column.name());
                refusal.push(invalid("csv_column_repeated", detail).at(line).field(column.name()));
            }
            Some(column) => columns.push(column),
            None => {
                let detail = format!("there is no column {}; the columns are {known}", quoted(name));
                refusal.push(invalid("csv_column_unknown", detail).at(line));
            }
        }
    }
    if refusal.total == 0 && !columns.contains(&Column::Sku) {
        let detail = "the file needs a sku column: it is what the import matches products on";
        refusal.push(invalid("csv_column_missing", detail).at(line).field("sku"));
    }
    refusal.check()?;
    Ok(columns)
}

/// A line's row, as much of it as could be read, and what is wrong with it.
fn parse_row(
    line: u64,
    columns: &[Column],
    record: &::csv::StringRecord,
    currency: &Currency,
) -> (ImportRow, Vec<ItemError>) {
    let mut row = ImportRow { line, ..ImportRow::default() };
    let mut errors = Vec::new();
    for (column, cell) in columns.iter().zip(record.iter()) {
        if let Err(error) = row.set(*column, unguard(cell.trim()).trim(), currency) {
            errors.push(error.at(line).field(column.name()));
        }
    }
    let sku_cell_fine = !errors.iter().any(|error| error.field == Some("sku") || error.field == Some("id"));
    if sku_cell_fine && row.sku.is_none() && row.id.is_none() {
        let detail = "each line needs a SKU: it is what the import matches products on";
        errors.push(invalid("sku_missing", detail).at(line).field("sku"));
    }
    (row, errors)
}

impl ImportRow {
    /// Takes one cell, trimmed and unguarded.
    fn set(&mut self, column: Column, cell: &str, currency: &Currency) -> Result<(), ItemError> {
        let given = (!cell.is_empty()).then_some(cell);
        match column {
            Column::Sku => {
                self.sku = given
                    .map(|sku| {
                        plain(sku, MAX_SKU)
                            .ok_or_else(|| invalid("sku_invalid", "a SKU is at most 64 characters of plain text"))
                    })
                    .transpose()?;
            }
            Column::Id => {
                self.id = given
                    .map(|id| {
                        uuid::Uuid::parse_str(id).map(ProductId).map_err(|_| {
                            invalid(
                                "product_id_invalid",
                                "an id is a product's id as the export wrote it; leave it empty for a new product",
                            )
                        })
                    })
                    .transpose()?;
            }
            Column::NameKo => self.name_ko = Some(name(given)?),
            Column::NameEn => self.name_en = Some(name(given)?),
            Column::Description => {
                self.description = Some(parse_description(given).map_err(ItemError::catalog)?);
            }
            Column::Category => {
                self.category =
                    Some(plain(cell, MAX_CATEGORY).ok_or_else(|| {
                        invalid("category_invalid", "a category is 1 to 60 characters of plain text")
                    })?);
            }
            Column::Price => self.price = Some(price(cell, currency)?),
            Column::Unit => {
                self.unit = Some(
                    Unit::parse(&cell.to_ascii_lowercase())
                        .ok_or_else(|| invalid("unit_invalid", "a unit is each, kg, 100g or pack"))?,
                );
            }
            Column::Stock => {
                let count = given.map(|count| {
                    count
                        .parse::<i64>()
                        .ok()
                        .and_then(|count| Stock::tracked(count).ok())
                        .and_then(|stock| match stock {
                            Stock::Tracked(count) => Some(count),
                            Stock::Untracked { .. } => None,
                        })
                        .ok_or_else(|| {
                            invalid(
                                "stock_invalid",
                                "stock is a whole number from 0 to 1,000,000, or empty when it is not counted",
                            )
                        })
                });
                self.stock = Some(count.transpose()?);
            }
            Column::NeedsPharmacist => self.needs_pharmacist = Some(flag(given, false)?),
            Column::Visible => self.visible = Some(flag(given, true)?),
        }
        Ok(())
    }
}

/// A name in one language: checked as a product's name is; empty is none.
fn name(given: Option<&str>) -> Result<Option<String>, ItemError> {
    match given {
        Some(text) => LocalisedName::parse(Some(text), None).map(|_| Some(text.to_owned())).map_err(ItemError::catalog),
        None => Ok(None),
    }
}

fn price(cell: &str, currency: &Currency) -> Result<Amount, ItemError> {
    let amount = currency.parse_amount(cell).map_err(|error| {
        invalid("price_invalid", format!("a price is a positive amount such as 2900 or 2.90 ({error})"))
    })?;
    parse_price(amount).map_err(ItemError::catalog)
}

/// `true` or `false`, in any case (spreadsheets write TRUE); empty is `default`.
fn flag(given: Option<&str>, default: bool) -> Result<bool, ItemError> {
    match given {
        None => Ok(default),
        Some(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        Some(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(invalid("csv_flag_invalid", "write true or false (or leave it empty)")),
    }
}

/// What an import will do: the products to write, each with its version, and the counts.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    pub writes: Vec<(ProductInput, u32)>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Matches each line with the shop's products (by SKU, or by id for one without a SKU) and decides
/// what to write: a new product for a new SKU, a change (the next version, options kept) where a
/// line differs from its product, nothing where it does not. Any line that cannot be written
/// refuses the whole file.
pub fn plan_import(rows: Vec<ImportRow>, existing: &[ProductRecord], kind: SellerKind) -> Result<ImportPlan, Refusal> {
    let by_sku: HashMap<&str, &ProductRecord> =
        existing.iter().filter_map(|product| product.sku.as_deref().map(|sku| (sku, product))).collect();
    let by_id: HashMap<ProductId, &ProductRecord> = existing.iter().map(|product| (product.id, product)).collect();
    let mut refusal = Refusal::default();
    let mut plan = ImportPlan { writes: Vec::new(), created: 0, updated: 0, unchanged: 0 };
    for row in rows {
        let line = row.line;
        let target = match (row.id, row.sku.as_deref()) {
            (Some(id), sku) => {
                let Some(product) = by_id.get(&id).copied() else {
                    let detail = "this id is not one of the shop's products; leave it empty for a new product";
                    refusal.push(invalid("csv_id_unknown", detail).at(line).field("id"));
                    continue;
                };
                match (product.sku.as_deref(), sku) {
                    (None, Some(sku)) if by_sku.contains_key(sku) => {
                        let detail = format!("SKU {sku} is another product's");
                        refusal.push(invalid("csv_sku_taken", detail).at(line).field("sku"));
                        continue;
                    }
                    // A product without a SKU, given one or not.
                    (None, _) => Some(product),
                    (Some(stored), Some(given)) if stored == given => Some(product),
                    (Some(stored), _) => {
                        let detail = format!(
                            "this id is the product with SKU {stored}: clear the id to add a new product, or write its SKU"
                        );
                        refusal.push(invalid("csv_id_mismatch", detail).at(line).field("id"));
                        continue;
                    }
                }
            }
            (None, Some(sku)) => by_sku.get(sku).copied(),
            (None, None) => {
                let detail = "each line needs a SKU: it is what the import matches products on";
                refusal.push(invalid("sku_missing", detail).at(line).field("sku"));
                continue;
            }
        };
        let input = match merged(&row, target, kind) {
            Ok(input) => input,
            Err(errors) => {
                errors.into_iter().for_each(|error| refusal.push(error.at(line)));
                continue;
            }
        };
        match target {
            None => {
                plan.created = plan.created.saturating_add(1);
                plan.writes.push((input, 1));
            }
            Some(product) if same(&input, product) => plan.unchanged = plan.unchanged.saturating_add(1),
            Some(product) => {
                let Some(version) = product.version.checked_add(1) else {
                    refusal.push(invalid("version_invalid", "this product cannot be changed again").at(line));
                    continue;
                };
                plan.updated = plan.updated.saturating_add(1);
                plan.writes.push((input, version));
            }
        }
    }
    refusal.check()?;
    Ok(plan)
}

/// A product as a stored one states it, to change some of its fields.
pub(crate) fn input_of(product: &ProductRecord) -> ProductInput {
    ProductInput {
        id: Some(product.id),
        expected_version: Some(product.version),
        sku: product.sku.clone(),
        name: product.name.clone(),
        description: product.description.clone(),
        category: product.category.clone(),
        price: product.price,
        unit: product.unit,
        stock: product.stock,
        needs_pharmacist: product.needs_pharmacist,
        visible: product.visible,
        options: product.options.clone(),
    }
}

/// Whether writing `input` would change nothing of `product` that a file or a change can state.
pub(crate) fn same(input: &ProductInput, product: &ProductRecord) -> bool {
    input.sku == product.sku
        && input.name == product.name
        && input.description == product.description
        && input.category == product.category
        && input.price == product.price
        && input.unit == product.unit
        && input.stock == product.stock
        && input.needs_pharmacist == product.needs_pharmacist
        && input.visible == product.visible
}

/// A line over its product (or over nothing, for a new one): the file's columns win, the rest is
/// kept; a new product needs every column a product cannot do without.
fn merged(row: &ImportRow, base: Option<&ProductRecord>, kind: SellerKind) -> Result<ProductInput, Vec<ItemError>> {
    let mut errors = Vec::new();
    let mut missing = |column: Column| {
        let what = if column == Column::NameKo { "name (name_ko or name_en)" } else { column.name() };
        let detail = format!("a new product needs a {what}, and the file has no such column");
        errors.push(invalid("product_incomplete", detail).field(column.name()));
    };
    let category = row.category.clone().or_else(|| base.map(|product| product.category.clone()));
    let price = row.price.or_else(|| base.map(|product| product.price));
    let unit = row.unit.or_else(|| base.map(|product| product.unit));
    let names = (row.name_ko.is_some() || row.name_en.is_some() || base.is_some()).then(|| {
        let korean = row.name_ko.clone().unwrap_or_else(|| base.and_then(|p| p.name.korean().map(str::to_owned)));
        let english = row.name_en.clone().unwrap_or_else(|| base.and_then(|p| p.name.english().map(str::to_owned)));
        LocalisedName::parse(korean.as_deref(), english.as_deref())
    });
    let (Some(category), Some(price), Some(unit), Some(names)) = (category, price, unit, names) else {
        for (column, given) in [
            (Column::NameKo, row.name_ko.is_some() || row.name_en.is_some()),
            (Column::Category, row.category.is_some()),
            (Column::Price, row.price.is_some()),
            (Column::Unit, row.unit.is_some()),
        ] {
            if !given {
                missing(column);
            }
        }
        return Err(errors);
    };
    let name = match names {
        Ok(name) => name,
        Err(error) => {
            let column = if row.name_ko.is_some() { Column::NameKo } else { Column::NameEn };
            return Err(vec![ItemError::catalog(error).field(column.name())]);
        }
    };
    let stock = match row.stock {
        None => base.map_or(Stock::Untracked { sold_out: false }, |product| product.stock),
        Some(Some(count)) => Stock::Tracked(count),
        // Not counted: a sold-out switch (a kitchen's, set in the JSON API) stays as it is.
        Some(None) => Stock::Untracked {
            sold_out: base.is_some_and(|product| product.stock == Stock::Untracked { sold_out: true }),
        },
    };
    let needs_pharmacist =
        row.needs_pharmacist.or_else(|| base.map(|product| product.needs_pharmacist)).unwrap_or(false);
    let needs_pharmacist = checked_flag(kind, needs_pharmacist)
        .map_err(|error| vec![invalid_code(error.code, error.detail).field(Column::NeedsPharmacist.name())])?;
    Ok(ProductInput {
        id: base.map(|product| product.id),
        expected_version: base.map(|product| product.version),
        sku: row.sku.clone(),
        name,
        description: row.description.clone().unwrap_or_else(|| base.and_then(|product| product.description.clone())),
        category,
        price,
        unit,
        stock,
        needs_pharmacist,
        visible: row.visible.or_else(|| base.map(|product| product.visible)).unwrap_or(true),
        options: base.map(|product| product.options.clone()).unwrap_or_default(),
    })
}

/// The shop's products as a file an import takes back unchanged: a byte-order mark, the header,
/// one line a product, each cell guarded against running as a formula.
pub fn write_catalog(products: &[ProductRecord], currency: &Currency) -> Result<Vec<u8>, ::csv::Error> {
    let mut out = ::csv::WriterBuilder::new().from_writer("\u{feff}".as_bytes().to_vec());
    out.write_record(COLUMNS.map(Column::name))?;
    for product in products {
        let stock = match product.stock {
            Stock::Tracked(count) => count.to_string(),
            Stock::Untracked { .. } => String::new(),
        };
        let cells = [
            product.sku.clone().unwrap_or_default(),
            product.name.korean().unwrap_or_default().to_owned(),
            product.name.english().unwrap_or_default().to_owned(),
            product.description.clone().unwrap_or_default(),
            product.category.clone(),
            currency.format_amount(product.price),
            product.unit.as_str().to_owned(),
            stock,
            product.needs_pharmacist.to_string(),
            product.visible.to_string(),
            product.id.to_string(),
        ];
        let guarded: Vec<Cow<'_, str>> = cells.iter().map(|cell| guard(cell)).collect();
        out.write_record(guarded.iter().map(|cell| cell.as_bytes()))?;
    }
    out.into_inner().map_err(|error| ::csv::Error::from(error.into_error()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use quipu_domain::Timestamp;
    use quipu_domain::identity::MerchantId;
    use quipu_domain::market::catalog::{OptionGroup, ProductOption};

    use super::*;

    fn won() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    fn parse(text: &str) -> Result<Vec<ImportRow>, Refusal> {
        parse_catalog(text.as_bytes(), &won())
    }

    fn codes(refusal: &Refusal) -> Vec<(u64, Option<&'static str>, &'static str)> {
        refusal.errors.iter().map(|error| (error.at, error.field, error.code)).collect()
    }

    fn product(sku: Option<&str>, english: &str, price: i64) -> ProductRecord {
        let name = LocalisedName::parse(None, Some(english)).unwrap();
        let option =
            ProductOption { name: LocalisedName::parse(None, Some("Large")).unwrap(), extra: Amount::from_minor(50) };
        ProductRecord {
            id: ProductId(uuid::Uuid::now_v7()),
            seller: MerchantId(uuid::Uuid::nil()),
            sku: sku.map(str::to_owned),
            name: name.clone(),
            description: None,
            category: "food".to_owned(),
            currency: won().code,
            price: Amount::from_minor(price),
            unit: Unit::Each,
            stock: Stock::Untracked { sold_out: true },
            needs_pharmacist: false,
            visible: true,
            options: vec![OptionGroup::new(name, 0, 1, vec![option]).unwrap()],
            version: 3,
            updated_at: Timestamp(0),
            images: Vec::new(),
        }
    }

    #[test]
    fn columns_are_found_by_name_in_any_order_with_a_byte_order_mark() {
        let rows =
            parse("\u{feff}Price,SKU,name_en,unit,category,stock,visible\n2.90,MILK-1L,Milk,each,dairy,12,FALSE\n")
                .unwrap();
        let row = &rows[0];
        assert_eq!((row.line, row.sku.as_deref(), row.price), (2, Some("MILK-1L"), Some(Amount::from_minor(290))));
        assert_eq!((row.stock, row.visible, row.name_ko.clone()), (Some(Some(12)), Some(false), None));
    }

    #[test]
    fn every_bad_line_is_reported_with_its_column() {
        let file = "sku,name_en,category,price,unit,stock,needs_pharmacist\n\
            A,Apple,fruit,1.00,each,,\n\
            B,Bread,bakery,-1,each,3,maybe\n\
            \n\
            C,,bakery,1.005,box,lots,\n\
            A,Again,fruit,1.00,each,,\n\
            ,No code,fruit,1.00,each,,\n\
            D,Short\n";
        let refusal = parse(file).unwrap_err();
        assert_eq!(
            codes(&refusal),
            [
                (3, Some("price"), "price_invalid"),
                (3, Some("needs_pharmacist"), "csv_flag_invalid"),
                (5, Some("price"), "price_invalid"),
                (5, Some("unit"), "unit_invalid"),
                (5, Some("stock"), "stock_invalid"),
                (6, Some("sku"), "csv_sku_repeated"),
                (7, Some("sku"), "sku_missing"),
                (8, None, "csv_row_length"),
            ]
        );
        assert_eq!(refusal.total, 8);
        assert!(refusal.errors[5].detail.contains("line 2"), "{}", refusal.errors[5].detail);
    }

    #[test]
    fn a_header_names_known_columns_once_with_a_sku() {
        let refusal = parse("sku,colour,price,PRICE\n").unwrap_err();
        assert_eq!(codes(&refusal), [(1, None, "csv_column_unknown"), (1, Some("price"), "csv_column_repeated")]);
        assert_eq!(codes(&parse("name_en,price\nMilk,1.00\n").unwrap_err()), [(1, Some("sku"), "csv_column_missing")]);
        assert_eq!(codes(&parse("").unwrap_err()), [(1, None, "csv_empty")]);
        assert_eq!(codes(&parse("\u{feff}").unwrap_err()), [(1, None, "csv_empty")]);
    }

    #[test]
    fn a_file_that_is_not_utf8_is_one_error_naming_its_line() {
        let mut file = b"sku,name_en\nA,Apple\nB,Caf".to_vec();
        file.extend_from_slice(&[0xE9, b'\n']);
        assert_eq!(codes(&parse_catalog(&file, &won()).unwrap_err()), [(3, None, "csv_not_utf8")]);
    }

    #[test]
    fn too_many_rows_are_refused_at_once() {
        let mut file = String::from("sku,price\n");
        for index in 0..=MAX_IMPORT_ROWS {
            file.push_str(&format!("S{index},1.00\n"));
        }
        let refusal = parse(&file).unwrap_err();
        assert_eq!(codes(&refusal), [(u64::try_from(MAX_IMPORT_ROWS).unwrap() + 2, None, "csv_too_many_rows")]);
    }

    #[test]
    fn the_list_of_errors_is_capped_and_counts_them_all() {
        let mut file = String::from("sku,price\n");
        for index in 0..250 {
            file.push_str(&format!("S{index},free\n"));
        }
        let refusal = parse(&file).unwrap_err();
        assert_eq!((refusal.errors.len(), refusal.total), (MAX_ERRORS_SHOWN, 250));
    }

    #[test]
    fn formulas_are_defused_and_the_apostrophe_taken_back_exactly() {
        for text in ["=1+1", "+82", "-x", "@SUM(A1)", "\tx", "'=1", "''@a", "'plain", "plain", "", "'"] {
            assert_eq!(unguard(&guard(text)), text, "{text:?}");
        }
        assert_eq!(guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard("'=1"), "''=1");
        assert_eq!(guard("it's"), "it's");
        assert_eq!(unguard("'it's"), "'it's", "an apostrophe the export did not add stays");
    }

    #[test]
    fn an_export_reads_back_as_the_same_products() {
        let mut shop = vec![product(Some("A-1"), "=cmd|' /C calc'!A0", 290), product(None, "Plain bread", 1200)];
        shop[1].stock = Stock::Tracked(7);
        shop[1].description = Some("@home, fresh".to_owned());
        let file = write_catalog(&shop, &won()).unwrap();
        let text = String::from_utf8(file.clone()).unwrap();
        assert!(text.starts_with("\u{feff}sku,name_ko,name_en,"), "{text}");
        assert!(text.contains("'=cmd") && text.contains("'@home"), "{text}");
        let rows = parse_catalog(&file, &won()).unwrap();
        assert_eq!(rows[0].name_en, Some(Some("=cmd|' /C calc'!A0".to_owned())));
        let plan = plan_import(rows, &shop, SellerKind::Grocery).unwrap();
        assert_eq!((plan.created, plan.updated, plan.unchanged), (0, 0, 2), "{:?}", plan.writes);
    }

    #[test]
    fn rows_update_by_sku_keep_options_and_create_new_skus() {
        let shop = vec![product(Some("A-1"), "Apple", 290), product(None, "No code", 100)];
        let file = format!("sku,price,id\nA-1,3.10,\nB-2,1.00,\nC-3,2.00,{}\n", shop[1].id);
        let rows = parse(&file).unwrap();
        let refusal = plan_import(rows.clone(), &shop, SellerKind::Grocery).unwrap_err();
        assert_eq!(
            codes(&refusal),
            [
                (3, Some("name_ko"), "product_incomplete"),
                (3, Some("category"), "product_incomplete"),
                (3, Some("unit"), "product_incomplete"),
            ],
            "a new product needs its columns"
        );
        let rows = parse(&format!(
            "sku,name_en,category,price,unit,id\nA-1,Apple,food,3.10,each,\nB-2,Bun,bakery,1.00,each,\nC-3,No code,food,1.00,each,{}\n",
            shop[1].id
        ))
        .unwrap();
        let plan = plan_import(rows, &shop, SellerKind::Grocery).unwrap();
        assert_eq!((plan.created, plan.updated, plan.unchanged), (1, 2, 0));
        let (apple, version) = &plan.writes[0];
        assert_eq!((apple.id, *version, apple.price), (Some(shop[0].id), 4, Amount::from_minor(310)));
        assert_eq!(apple.options, shop[0].options, "options are kept");
        assert_eq!(apple.stock, Stock::Untracked { sold_out: true }, "no stock column: kept");
        let (named, _) = &plan.writes[2];
        assert_eq!((named.id, named.sku.as_deref()), (Some(shop[1].id), Some("C-3")), "a product gets its SKU by id");
    }

    #[test]
    fn an_id_never_moves_a_sku_or_names_another_shops_product() {
        let shop = vec![product(Some("A-1"), "Apple", 290), product(None, "No code", 100)];
        let file = format!(
            "sku,price,id\nZ-9,1.00,{}\nA-1,1.00,{}\nX,1.00,{}\n",
            shop[0].id,
            shop[1].id,
            uuid::Uuid::now_v7()
        );
        let refusal = plan_import(parse(&file).unwrap(), &shop, SellerKind::Grocery).unwrap_err();
        assert_eq!(
            codes(&refusal),
            [(2, Some("id"), "csv_id_mismatch"), (3, Some("sku"), "csv_sku_taken"), (4, Some("id"), "csv_id_unknown")]
        );
    }

    #[test]
    fn only_a_pharmacy_flags_a_check() {
        let rows = parse("sku,name_en,category,price,unit,needs_pharmacist\nP,Pill,medicine,1.00,each,true\n").unwrap();
        let refusal = plan_import(rows.clone(), &[], SellerKind::Grocery).unwrap_err();
        assert_eq!(codes(&refusal), [(2, Some("needs_pharmacist"), "pharmacist_check_needs_pharmacy")]);
        assert!(plan_import(rows, &[], SellerKind::Pharmacy).is_ok());
    }
}
