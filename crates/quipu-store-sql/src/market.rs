//! [`MarketStore`] for every backend. The search index is where the two engines truly differ
//! (FTS5 against text-search vectors): each backend supplies its fragments in [`SearchDialect`]
//! and renders a query's terms ([`Backend::render_search`]); everything else is shared.

use std::collections::HashMap;

use quipu_domain::identity::MerchantId;
use quipu_domain::market::catalog::{LocalisedName, OptionGroup, ProductOption, Stock, Unit, option_groups};
use quipu_domain::market::search::{IndexedText, QueryTerm};
use quipu_domain::market::storefront::{DeliveryTerms, OpeningHours, Period, SellerKind, parse_day};
use quipu_domain::market::{AreaId, ProductId};
use quipu_domain::zone::LocalDate;
use quipu_domain::{Amount, Timestamp};
use quipu_store::market::{
    AreaRecord, FoundProducts, MAX_AREAS, MAX_COUNTED, MAX_PRODUCTS_PAGE, MAX_SEARCH_SELLERS, MarketStore, MatchForms,
    ProductQuery, ProductRecord, RadiusDelivery, SearchOrder, SellerAreaRecord, SellerEntry, SellerFilter, SellerRank,
    SellerRecord, StoredPoint,
};
use quipu_store::market::{ImageAdded, ImageFileRecord};
use quipu_store::{StoreError, StoreResult, async_trait, corrupt, db_error};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::decode::{amount, currency, named};
use crate::driver::{Columns, FromColumns, Statement, execute, execute_unique, fetch_all, fetch_one, fetch_optional};
use crate::{Backend, SqlStore, by_ids, market_images};

/// The search index's statements and fragments on one backend. Fragments name their parameters
/// `{query}`, `{sellers}` and `{ranks}`; the shared code numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchDialect {
    /// An expression giving a new product its search row (the index's key).
    pub next_row: &'static str,
    /// Removes a product's terms: `$1` its search row.
    pub delete_terms: &'static str,
    /// Adds a product's terms: `$1` its search row, `$2` words, `$3` fuzzy forms (space-separated).
    pub insert_terms: &'static str,
    /// Where the index rows do not hold them already, copies the product's search columns
    /// (see [`SearchDialect::rows`]) from its row into the index, replacing any: `$1` its search row.
    pub copy_columns: Option<&'static str>,
    /// The index's rows as `f`, with the columns search filters and sorts by: `search_row`,
    /// `product_id`, `seller_id`, `visible`, `category`, `price`, `name_length`; found from the
    /// text index (what [`Plan::Matches`] reads).
    pub rows: &'static str,
    /// A condition on [`SearchDialect::rows`]: `f` matches `{query}`, the query as
    /// [`Backend::render_search`] made it.
    pub matching: &'static str,
    /// The table of those rows, which has an index for each order but those by sellers (what
    /// [`Plan::InOrder`] reads down), and the condition on its row `f` that it matches `{query}`.
    pub facets: &'static str,
    pub matching_in_order: &'static str,
    /// A condition on `f`: its seller is in `{sellers}`, a JSON array of ids.
    pub among_sellers: &'static str,
    /// What an order by sellers needs joined to `f`, if anything (empty: nothing).
    pub rank_join: &'static str,
    /// The rank of `f`'s seller (its distance in metres, or its rating's rank), NULL when
    /// unknown, from `{ranks}`: a JSON
    /// object of metres by seller id.
    pub rank: &'static str,
    /// Run before a bulk catalog write commits, so the planner knows what the index holds.
    pub after_bulk_write: Option<&'static str>,
}

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_AREA = "INSERT INTO market_areas (id, name, created_at) VALUES ($1, $2, $3)";
        SELECT_AREAS = "SELECT id, name, created_at FROM market_areas ORDER BY name LIMIT $1";
        UPSERT_SELLER = "INSERT INTO sellers (merchant_id, kind, description, address, latitude_micro, longitude_micro, hours, closures, accepting, preparation_minutes, pickup, radius_metres, radius_fee, radius_minimum, radius_free_from, updated_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
            ON CONFLICT (merchant_id) DO UPDATE SET kind = excluded.kind, description = excluded.description, address = excluded.address, \
            latitude_micro = excluded.latitude_micro, longitude_micro = excluded.longitude_micro, hours = excluded.hours, closures = excluded.closures, \
            accepting = excluded.accepting, preparation_minutes = excluded.preparation_minutes, pickup = excluded.pickup, radius_metres = excluded.radius_metres, \
            radius_fee = excluded.radius_fee, radius_minimum = excluded.radius_minimum, radius_free_from = excluded.radius_free_from, updated_at = excluded.updated_at";
        DELETE_SELLER_AREAS = "DELETE FROM seller_areas WHERE seller_id = $1";
        INSERT_SELLER_AREA = "INSERT INTO seller_areas (seller_id, area_id, fee, minimum_order, free_from) VALUES ($1, $2, $3, $4, $5)";
        SELECT_SELLER = "SELECT * FROM sellers WHERE merchant_id = $1";
        SELECT_SELLERS = "SELECT s.*, m.name AS name, m.time_zone AS time_zone FROM sellers s JOIN merchants m ON m.id = s.merchant_id ORDER BY s.merchant_id LIMIT $1";
        SELECT_ALL_SELLER_AREAS = "SELECT seller_id, area_id, fee, minimum_order, free_from FROM seller_areas ORDER BY seller_id, area_id LIMIT $1";
        SELECT_MERCHANT_NAME = "SELECT name FROM merchants WHERE id = $1";
        SELECT_SELLER_AREAS = "SELECT area_id, fee, minimum_order, free_from FROM seller_areas WHERE seller_id = $1 ORDER BY area_id";
        UPDATE_PRODUCT = "UPDATE products SET sku = $3, name_ko = $4, name_en = $5, description = $6, category = $7, currency = $8, price = $9, unit = $10, \
            stock = $11, sold_out = $12, needs_pharmacist = $13, visible = $14, options = $15, name_length = $16, version = $17, updated_at = $18 \
            WHERE id = $1 AND seller_id = $2 AND version = $17 - 1";
        SELECT_SEARCH_ROW = "SELECT search_row FROM products WHERE id = $1";
        SELECT_PRODUCT = "SELECT * FROM products WHERE id = $1";
        SELECT_PRODUCTS = "SELECT * FROM products";
        SELECT_SELLER_PRODUCTS = "SELECT * FROM products WHERE seller_id = $1 AND (visible = 1 OR $2 = 0) ORDER BY category, name_length, id LIMIT $3 OFFSET $4";
        SELECT_SELLER_CATALOG = "SELECT * FROM products WHERE seller_id = $1 ORDER BY category, name_length, id LIMIT $2";
    }
}

/// Every statement built from a backend's fragments, for the test that prepares them all.
pub(crate) fn generated_statements<B: Backend>() -> Vec<(String, String)> {
    let search = B::SEARCH;
    let mut all = vec![
        ("market::insert_product".to_owned(), insert_product_sql(&search)),
        ("market::delete_terms".to_owned(), search.delete_terms.to_owned()),
        ("market::insert_terms".to_owned(), search.insert_terms.to_owned()),
    ];
    all.extend(search.copy_columns.map(|sql| ("market::copy_columns".to_owned(), sql.to_owned())));
    all.extend(search.after_bulk_write.map(|sql| ("market::after_bulk_write".to_owned(), sql.to_owned())));
    for filter in [Scope::Every, Scope::Among, Scope::Except] {
        all.push((format!("market::count({filter:?})"), count_sql(&search, filter)));
        for order in [
            SearchOrder::Relevance,
            SearchOrder::PriceAscending,
            SearchOrder::PriceDescending,
            SearchOrder::Distance,
            SearchOrder::Rating,
        ] {
            for plan in [Plan::Matches, Plan::InOrder].into_iter().filter(|plan| plan.serves(order)) {
                let name = format!("market::page({filter:?}, {order:?}, {plan:?})");
                all.push((name, page_sql(&search, filter, order, plan)));
            }
        }
    }
    all
}

const PRODUCT_COLUMNS: &str = "id, seller_id, sku, name_ko, name_en, description, category, currency, price, unit, stock, sold_out, needs_pharmacist, visible, options, name_length, version, updated_at, search_row";

fn insert_product_sql(search: &SearchDialect) -> String {
    format!(
        "INSERT INTO products ({PRODUCT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, {})",
        search.next_row
    )
}

/// A [`SellerFilter`]'s shape, which is what the statement depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Every,
    Among,
    Except,
}

impl Scope {
    fn of(filter: SellerFilter<'_>) -> Self {
        match filter {
            SellerFilter::Every => Scope::Every,
            SellerFilter::Among(_) => Scope::Among,
            SellerFilter::Except(_) => Scope::Except,
        }
    }
}

/// How a page is read. Which is faster depends on how many match, which the count (read first)
/// tells; the statement says it, so neither database's planner has to guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Every match, from the text index, sorted: for a few hundred matches, or an order no index
    /// keeps (distance, rating), or a page deep in the results.
    Matches,
    /// The order's own index, from the top, keeping the rows that match until the page is full:
    /// for a common word (over [`MAX_COUNTED`] matches), where that is a few rows per result
    /// instead of sorting tens of thousands.
    InOrder,
}

impl Plan {
    /// Pages that end within this many results are read [`Plan::InOrder`] when a word is common.
    const IN_ORDER_WITHIN: u64 = 200;
    /// How many rows of the order [`Plan::InOrder`] reads per result of the page, at most: a word
    /// found in fewer than one in this many of them (say "1L" where the short names come first,
    /// or the most expensive wine by price ascending) is read [`Plan::Matches`] after all.
    const IN_ORDER_ROWS_PER_RESULT: u64 = 50;

    /// No index keeps an order by sellers (the customer's distance, or the latest ratings).
    fn serves(self, order: SearchOrder) -> bool {
        self == Plan::Matches || !order.ranks_sellers()
    }

    fn choose(order: SearchOrder, counted: u64, page_end: u64) -> Self {
        if Plan::InOrder.serves(order) && counted > MAX_COUNTED && page_end <= Self::IN_ORDER_WITHIN {
            Plan::InOrder
        } else {
            Plan::Matches
        }
    }
}

/// Numbers a statement's parameters in the order they are bound: the query; the sellers (unless
/// every seller's products are wanted); the category and the price range; the sellers' ranks (for
/// an order by sellers) or the window ([`Plan::InOrder`]); then the page's limit and offset.
struct Params {
    query: String,
    sellers: Option<String>,
    category: String,
    min_price: String,
    max_price: String,
    ranks: Option<String>,
    /// How many rows of the order [`Plan::InOrder`] reads.
    window: Option<String>,
    limit: String,
    offset: String,
}

impl Params {
    fn new(scope: Scope, ranks: bool, plan: Plan) -> Self {
        let mut next = 0;
        let mut take = || {
            next += 1;
            format!("${next}")
        };
        Self {
            query: take(),
            sellers: (scope != Scope::Every).then(&mut take),
            category: take(),
            min_price: take(),
            max_price: take(),
            ranks: ranks.then(&mut take),
            window: (plan == Plan::InOrder).then(&mut take),
            limit: take(),
            offset: take(),
        }
    }
}

/// `FROM` and `WHERE` of a search: the index rows `f` that match, visible, of the sellers in
/// scope, in the category and price range; with the sellers' ranks `d` for an order by sellers.
fn search_from(search: &SearchDialect, scope: Scope, order: SearchOrder, plan: Plan, params: &Params) -> String {
    let sellers = params.sellers.as_deref().unwrap_or_default();
    let among = search.among_sellers.replace("{sellers}", sellers);
    let seller_condition = match scope {
        Scope::Every => String::new(),
        Scope::Among => format!(" AND {among}"),
        Scope::Except => format!(" AND NOT {among}"),
    };
    let ranks = match &params.ranks {
        Some(param) if !search.rank_join.is_empty() => {
            format!(" {}", search.rank_join.replace("{ranks}", param))
        }
        _ => String::new(),
    };
    let Params { category, min_price, max_price, .. } = params;
    let (rows, matching) = match plan {
        Plan::Matches => (search.rows.to_owned(), search.matching),
        Plan::InOrder => (
            format!(
                "(SELECT * FROM {} ORDER BY {} LIMIT {}) f",
                search.facets,
                order_keys(search, order, "", Plan::InOrder, params),
                params.window.as_deref().unwrap_or_default()
            ),
            search.matching_in_order,
        ),
    };
    format!(
        "FROM {}{ranks} WHERE {} AND f.visible = 1{seller_condition} \
         AND (CAST({category} AS TEXT) IS NULL OR f.category = {category}) \
         AND (CAST({min_price} AS BIGINT) IS NULL OR f.price >= {min_price}) \
         AND (CAST({max_price} AS BIGINT) IS NULL OR f.price <= {max_price})",
        rows,
        matching.replace("{query}", &params.query),
    )
}

/// An order's keys on the index rows (named `{table}column`). Every order ends on the id (in
/// price's direction, so one index serves both), so pages never overlap and both databases agree.
/// Read [`Plan::Matches`], the first key is an expression (`+`), so no planner reads the order's
/// index instead of the matches.
fn order_keys(search: &SearchDialect, order: SearchOrder, table: &str, plan: Plan, params: &Params) -> String {
    let first = if plan == Plan::Matches { "+" } else { "" };
    match order {
        SearchOrder::Relevance => format!("{first}{table}name_length, {table}product_id"),
        SearchOrder::PriceAscending => format!("{first}{table}price, {table}product_id"),
        SearchOrder::PriceDescending => format!("{first}{table}price DESC, {table}product_id DESC"),
        // An unranked seller sorts past every ranked one (ranks are a u32), the same on both
        // databases, which place NULLs differently.
        SearchOrder::Distance | SearchOrder::Rating => format!(
            "COALESCE({}, {UNRANKED}), {table}name_length, {table}product_id",
            search.rank.replace("{ranks}", params.ranks.as_deref().unwrap_or_default())
        ),
    }
}

/// A page of matches, as products' ids in order.
fn page_sql(search: &SearchDialect, scope: Scope, order: SearchOrder, plan: Plan) -> String {
    let params = Params::new(scope, order.ranks_sellers(), plan);
    format!(
        "SELECT f.product_id AS id {} ORDER BY {} LIMIT {} OFFSET {}",
        search_from(search, scope, order, plan, &params),
        order_keys(search, order, "f.", plan, &params),
        params.limit,
        params.offset
    )
}

/// Past any rank a `u32` holds (a distance in metres, a rating's rank).
const UNRANKED: i64 = 1 << 32;

/// How many match, counted up to one past [`MAX_COUNTED`] (which says "more").
fn count_sql(search: &SearchDialect, scope: Scope) -> String {
    let params = Params::new(scope, false, Plan::Matches);
    format!(
        "SELECT COUNT(*) AS found FROM (SELECT 1 AS one {} LIMIT {}) counted",
        search_from(search, scope, SearchOrder::Relevance, Plan::Matches, &params),
        MAX_COUNTED + 1
    )
}

/// An option group as its JSON column holds it.
#[derive(Serialize, Deserialize)]
struct StoredGroup {
    ko: Option<String>,
    en: Option<String>,
    min: u32,
    max: u32,
    options: Vec<StoredOption>,
}

#[derive(Serialize, Deserialize)]
struct StoredOption {
    ko: Option<String>,
    en: Option<String>,
    extra: i64,
}

fn options_json(groups: &[OptionGroup]) -> StoreResult<String> {
    let stored: Vec<StoredGroup> = groups
        .iter()
        .map(|group| StoredGroup {
            ko: group.name.korean().map(str::to_owned),
            en: group.name.english().map(str::to_owned),
            min: group.min(),
            max: group.max(),
            options: group
                .options()
                .iter()
                .map(|option| StoredOption {
                    ko: option.name.korean().map(str::to_owned),
                    en: option.name.english().map(str::to_owned),
                    extra: option.extra.minor(),
                })
                .collect(),
        })
        .collect();
    serde_json::to_string(&stored).map_err(|error| corrupt("products", format!("options not written: {error}")))
}

fn options_from_json(text: &str) -> StoreResult<Vec<OptionGroup>> {
    let bad = |detail: String| corrupt("products", format!("options: {detail}"));
    let stored: Vec<StoredGroup> = serde_json::from_str(text).map_err(|error| bad(error.to_string()))?;
    let groups = stored
        .into_iter()
        .map(|group| {
            let options = group
                .options
                .into_iter()
                .map(|option| {
                    let name = LocalisedName::parse(option.ko.as_deref(), option.en.as_deref())
                        .map_err(|error| bad(error.to_string()))?;
                    Ok(ProductOption { name, extra: Amount::from_minor(option.extra) })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            let name = LocalisedName::parse(group.ko.as_deref(), group.en.as_deref())
                .map_err(|error| bad(error.to_string()))?;
            OptionGroup::new(name, group.min, group.max, options).map_err(|error| bad(error.to_string()))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    option_groups(groups).map_err(|error| bad(error.to_string()))
}

/// A week as stored: one line per weekday, Monday first.
fn hours_text(hours: &OpeningHours) -> String {
    (1..=7u8).map(|day| hours.day_text(day)).collect::<Vec<_>>().join("\n")
}

fn hours_from(row: &dyn Columns) -> StoreResult<OpeningHours> {
    let bad = |detail: String| corrupt("sellers", format!("hours: {detail}"));
    let text = row.text("hours")?;
    let days: Vec<Vec<Period>> =
        text.split('\n').map(parse_day).collect::<Result<_, _>>().map_err(|error| bad(error.to_string()))?;
    let week: [Vec<Period>; 7] = days.try_into().map_err(|_| bad("not seven days".to_owned()))?;
    let closures = row
        .text("closures")?
        .split(',')
        .filter(|date| !date.is_empty())
        .map(|date| LocalDate::parse(date).ok_or_else(|| bad(format!("closure {date:?}"))))
        .collect::<StoreResult<Vec<_>>>()?;
    OpeningHours::new(week, closures).map_err(|error| bad(error.to_string()))
}

fn opt_amount(row: &dyn Columns, column: &str) -> StoreResult<Option<Amount>> {
    Ok(row.opt_int(column)?.map(Amount::from_minor))
}

fn u32_column(table: &'static str, row: &dyn Columns, column: &str) -> StoreResult<u32> {
    let value = row.int(column)?;
    u32::try_from(value).map_err(|_| corrupt(table, format!("{column} = {value}")))
}

impl FromColumns for AreaRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self { id: AreaId(row.uuid("id")?), name: row.text("name")?, created_at: Timestamp(row.int("created_at")?) })
    }
}

impl FromColumns for SellerRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let location = match (row.opt_int("latitude_micro")?, row.opt_int("longitude_micro")?) {
            (Some(latitude_micro), Some(longitude_micro)) => Some(StoredPoint { latitude_micro, longitude_micro }),
            _ => None,
        };
        let radius = match row.opt_int("radius_metres")? {
            Some(metres) => Some(RadiusDelivery {
                metres: u32::try_from(metres).map_err(|_| corrupt("sellers", "radius_metres"))?,
                terms: DeliveryTerms {
                    fee: opt_amount(row, "radius_fee")?.unwrap_or_default(),
                    minimum_order: opt_amount(row, "radius_minimum")?.unwrap_or_default(),
                    free_from: opt_amount(row, "radius_free_from")?,
                },
            }),
            None => None,
        };
        Ok(Self {
            merchant_id: MerchantId(row.uuid("merchant_id")?),
            kind: named("sellers", row, "kind", SellerKind::parse)?,
            description: row.text("description")?,
            address: row.text("address")?,
            location,
            hours: hours_from(row)?,
            accepting: row.int("accepting")? != 0,
            preparation_minutes: u32_column("sellers", row, "preparation_minutes")?,
            pickup: row.int("pickup")? != 0,
            radius,
            updated_at: Timestamp(row.int("updated_at")?),
        })
    }
}

impl FromColumns for SellerAreaRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            area: AreaId(row.uuid("area_id")?),
            terms: DeliveryTerms {
                fee: amount(row, "fee")?,
                minimum_order: amount(row, "minimum_order")?,
                free_from: opt_amount(row, "free_from")?,
            },
        })
    }
}

impl FromColumns for ProductRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let name = LocalisedName::parse(row.opt_text("name_ko")?.as_deref(), row.opt_text("name_en")?.as_deref())
            .map_err(|error| corrupt("products", error.to_string()))?;
        let stock = match row.opt_int("stock")? {
            Some(count) => Stock::tracked(count).map_err(|error| corrupt("products", error.to_string()))?,
            None => Stock::Untracked { sold_out: row.int("sold_out")? != 0 },
        };
        Ok(Self {
            id: ProductId(row.uuid("id")?),
            seller: MerchantId(row.uuid("seller_id")?),
            sku: row.opt_text("sku")?,
            name,
            description: row.opt_text("description")?,
            category: row.text("category")?,
            currency: currency("products", row, "currency")?,
            price: amount(row, "price")?,
            unit: named("products", row, "unit", Unit::parse)?,
            stock,
            needs_pharmacist: row.int("needs_pharmacist")? != 0,
            visible: row.int("visible")? != 0,
            options: options_from_json(&row.text("options")?)?,
            version: u32_column("products", row, "version")?,
            updated_at: Timestamp(row.int("updated_at")?),
            // Read with the product, by `market_images::attach`.
            images: Vec::new(),
        })
    }
}

/// A seller joined with its shop (its areas come from another read).
struct Listed(SellerEntry);

impl FromColumns for Listed {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self(SellerEntry {
            seller: SellerRecord::from_columns(row)?,
            name: row.text("name")?,
            time_zone: row.opt_text("time_zone")?,
            areas: Vec::new(),
            rating: crate::habits::tally_of("sellers", row)?,
        }))
    }
}

/// One seller's area, with whose it is.
struct AreaOf(MerchantId, SellerAreaRecord);

impl FromColumns for AreaOf {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self(MerchantId(row.uuid("seller_id")?), SellerAreaRecord::from_columns(row)?))
    }
}

struct Named(String);

impl FromColumns for Named {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        row.text("name").map(Named)
    }
}

/// A product's search row.
struct SearchRow(i64);

impl FromColumns for SearchRow {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        row.int("search_row").map(SearchRow)
    }
}

struct Found(u64);

impl FromColumns for Found {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let found = row.int("found")?;
        u64::try_from(found).map(Found).map_err(|_| corrupt("products", "a negative count"))
    }
}

/// The columns a product is written with, `$1`–`$18` in [`PRODUCT_COLUMNS`]' order.
fn product_statement<'a>(
    sql: impl Into<std::borrow::Cow<'a, str>>,
    product: &'a ProductRecord,
    options: &'a str,
) -> Statement<'a> {
    let (stock, sold_out) = match product.stock {
        Stock::Tracked(left) => (Some(i64::from(left)), false),
        Stock::Untracked { sold_out } => (None, sold_out),
    };
    let name_length = product.name.korean().or(product.name.english()).map_or(0, |name| name.chars().count());
    Statement::new(sql)
        .bind(product.id.0)
        .bind(product.seller)
        .bind(product.sku.as_deref())
        .bind(product.name.korean())
        .bind(product.name.english())
        .bind(product.description.as_deref())
        .bind(product.category.as_str())
        .bind(&product.currency)
        .bind(product.price)
        .bind(product.unit.as_str())
        .bind(stock)
        .bind(sold_out)
        .bind(product.needs_pharmacist)
        .bind(product.visible)
        .bind(options)
        .bind(i64::try_from(name_length).unwrap_or(i64::MAX))
        .bind(product.version)
        .bind(product.updated_at)
}

#[async_trait]
impl<B: Backend> MarketStore for SqlStore<B> {
    async fn create_area(&self, area: &AreaRecord) -> StoreResult<()> {
        let statement = Statement::new(sql::INSERT_AREA).bind(area.id.0).bind(area.name.as_str()).bind(area.created_at);
        let mut conn = self.writer().await?;
        execute_unique::<B::Db>(&mut conn, "inserting an area", "area name taken", statement).await.map(|_| ())
    }

    async fn areas(&self) -> StoreResult<Vec<AreaRecord>> {
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading areas", Statement::new(sql::SELECT_AREAS).bind(MAX_AREAS)).await
    }

    async fn save_seller(&self, seller: &SellerRecord, areas: &[SellerAreaRecord]) -> StoreResult<()> {
        let hours = hours_text(&seller.hours);
        let closures = seller.hours.closures().iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        let radius = seller.radius;
        let statement = Statement::new(sql::UPSERT_SELLER)
            .bind(seller.merchant_id)
            .bind(seller.kind.as_str())
            .bind(seller.description.as_str())
            .bind(seller.address.as_str())
            .bind(seller.location.map(|point| point.latitude_micro))
            .bind(seller.location.map(|point| point.longitude_micro))
            .bind(hours.as_str())
            .bind(closures.as_str())
            .bind(seller.accepting)
            .bind(seller.preparation_minutes)
            .bind(seller.pickup)
            .bind(radius.map(|radius| radius.metres))
            .bind(radius.map(|radius| radius.terms.fee.minor()))
            .bind(radius.map(|radius| radius.terms.minimum_order.minor()))
            .bind(radius.and_then(|radius| radius.terms.free_from).map(Amount::minor))
            .bind(seller.updated_at);
        let mut tx = self.begin().await?;
        execute::<B::Db>(&mut tx, "saving a storefront", statement).await?;
        let clear = Statement::new(sql::DELETE_SELLER_AREAS).bind(seller.merchant_id);
        execute::<B::Db>(&mut tx, "clearing a seller's areas", clear).await?;
        for area in areas {
            let insert = Statement::new(sql::INSERT_SELLER_AREA)
                .bind(seller.merchant_id)
                .bind(area.area.0)
                .bind(area.terms.fee)
                .bind(area.terms.minimum_order)
                .bind(area.terms.free_from.map(Amount::minor));
            execute::<B::Db>(&mut tx, "adding a seller's area", insert).await?;
        }
        tx.commit().await.map_err(db_error("committing a storefront"))
    }

    async fn seller(&self, merchant: MerchantId) -> StoreResult<Option<SellerRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_SELLER).bind(merchant);
        fetch_optional::<B::Db, _>(&mut conn, "loading a seller", statement).await
    }

    async fn seller_areas(&self, merchant: MerchantId) -> StoreResult<Vec<SellerAreaRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_SELLER_AREAS).bind(merchant);
        fetch_all::<B::Db, _>(&mut conn, "loading a seller's areas", statement).await
    }

    async fn sellers(&self) -> StoreResult<Vec<SellerEntry>> {
        let mut conn = self.reader().await?;
        let limit = i64::try_from(MAX_SEARCH_SELLERS).unwrap_or(i64::MAX);
        let sellers: Vec<Listed> =
            fetch_all::<B::Db, _>(&mut conn, "loading sellers", Statement::new(sql::SELECT_SELLERS).bind(limit))
                .await?;
        let areas_limit = limit.saturating_mul(i64::from(MAX_AREAS));
        let statement = Statement::new(sql::SELECT_ALL_SELLER_AREAS).bind(areas_limit);
        let areas: Vec<AreaOf> = fetch_all::<B::Db, _>(&mut conn, "loading sellers' areas", statement).await?;
        let mut by_seller: HashMap<MerchantId, Vec<SellerAreaRecord>> = HashMap::new();
        for AreaOf(seller, area) in areas {
            by_seller.entry(seller).or_default().push(area);
        }
        Ok(sellers
            .into_iter()
            .map(|Listed(mut entry)| {
                entry.areas = by_seller.remove(&entry.seller.merchant_id).unwrap_or_default();
                entry
            })
            .collect())
    }

    async fn merchant_name(&self, merchant: MerchantId) -> StoreResult<Option<String>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_MERCHANT_NAME).bind(merchant);
        let found: Option<Named> =
            fetch_optional::<B::Db, _>(&mut conn, "loading a merchant's name", statement).await?;
        Ok(found.map(|named| named.0))
    }

    async fn save_products(&self, products: &[(ProductRecord, IndexedText)]) -> StoreResult<()> {
        let search = B::SEARCH;
        let insert = insert_product_sql(&search);
        let mut tx = self.begin().await?;
        for (product, terms) in products {
            let options = options_json(&product.options)?;
            if product.version == 1 {
                let statement = product_statement(insert.as_str(), product, &options);
                execute_unique::<B::Db>(&mut tx, "inserting a product", "product exists", statement).await?;
            } else {
                let statement = product_statement(sql::UPDATE_PRODUCT, product, &options);
                // A change may give a product without a SKU one that another product took meanwhile.
                if execute_unique::<B::Db>(&mut tx, "updating a product", "product sku taken", statement).await? != 1 {
                    return Err(StoreError::Conflict("product changed"));
                }
            }
            let select = Statement::new(sql::SELECT_SEARCH_ROW).bind(product.id.0);
            let SearchRow(row) = fetch_one::<B::Db, _>(&mut tx, "finding a product's search row", select).await?;
            execute::<B::Db>(&mut tx, "removing a product's terms", Statement::new(search.delete_terms).bind(row))
                .await?;
            let add =
                Statement::new(search.insert_terms).bind(row).bind(terms.words.as_str()).bind(terms.fuzzy.as_str());
            execute::<B::Db>(&mut tx, "indexing a product", add).await?;
            if let Some(copy) = search.copy_columns {
                execute::<B::Db>(&mut tx, "indexing a product's columns", Statement::new(copy).bind(row)).await?;
            }
        }
        if products.len() >= BULK_WRITE
            && let Some(analyze) = search.after_bulk_write
        {
            execute::<B::Db>(&mut tx, "updating the planner's statistics", Statement::new(analyze)).await?;
        }
        tx.commit().await.map_err(db_error("committing products"))
    }

    async fn product(&self, id: ProductId) -> StoreResult<Option<ProductRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_PRODUCT).bind(id.0);
        let mut product: Option<ProductRecord> =
            fetch_optional::<B::Db, _>(&mut conn, "loading a product", statement).await?;
        market_images::attach::<B>(&mut conn, product.as_mut_slice()).await?;
        Ok(product)
    }

    async fn seller_products(
        &self,
        seller: MerchantId,
        visible_only: bool,
        limit: u32,
        offset: u32,
    ) -> StoreResult<Vec<ProductRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_SELLER_PRODUCTS)
            .bind(seller)
            .bind(visible_only)
            .bind(limit.min(MAX_PRODUCTS_PAGE))
            .bind(offset);
        let mut products = fetch_all::<B::Db, _>(&mut conn, "loading a seller's products", statement).await?;
        market_images::attach::<B>(&mut conn, &mut products).await?;
        Ok(products)
    }

    async fn seller_catalog(&self, seller: MerchantId, limit: u32) -> StoreResult<Vec<ProductRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_SELLER_CATALOG).bind(seller).bind(limit);
        fetch_all::<B::Db, _>(&mut conn, "loading a seller's catalog", statement).await
    }

    async fn search_products(&self, query: &ProductQuery<'_>) -> StoreResult<FoundProducts> {
        if query.terms.is_empty() || matches!(query.sellers, SellerFilter::Among([])) {
            return Ok(FoundProducts { page: Vec::new(), total: 0, total_capped: false });
        }
        let search = B::SEARCH;
        let scope = Scope::of(query.sellers);
        let rendered = B::render_search(query.terms, query.forms);
        let sellers = match query.sellers {
            SellerFilter::Every => None,
            SellerFilter::Among(ids) | SellerFilter::Except(ids) => Some(ids_json(ids)?),
        };
        let ranks = match query.order {
            order if order.ranks_sellers() => Some(ranks_json(query.seller_ranks)?),
            _ => None,
        };
        let bind = |sql: String, with_ranks: bool| {
            let statement = Statement::new(sql).bind(rendered.as_str());
            let statement = match sellers.as_deref() {
                Some(sellers) => statement.bind(sellers),
                None => statement,
            };
            let statement = statement
                .bind(query.category)
                .bind(query.min_price.map(Amount::minor))
                .bind(query.max_price.map(Amount::minor));
            match ranks.as_deref() {
                Some(ranks) if with_ranks => statement.bind(ranks),
                _ => statement,
            }
        };
        let limit = query.limit.min(MAX_PRODUCTS_PAGE);
        let mut conn = self.reader().await?;
        // The count first: it costs at most a thousand matches, says how to read the page, and
        // whether there is a page at all.
        let count = bind(count_sql(&search, scope), false);
        let Found(counted) = fetch_one::<B::Db, _>(&mut conn, "counting search results", count).await?;
        let total =
            FoundProducts { page: Vec::new(), total: counted.min(MAX_COUNTED), total_capped: counted > MAX_COUNTED };
        if !total.total_capped && counted <= u64::from(query.offset) {
            return Ok(total);
        }
        let page_end = u64::from(query.offset) + u64::from(limit);
        let mut ids: Vec<PageId> = Vec::new();
        if Plan::choose(query.order, counted, page_end) == Plan::InOrder {
            let window = page_end.saturating_mul(Plan::IN_ORDER_ROWS_PER_RESULT);
            let page = bind(page_sql(&search, scope, query.order, Plan::InOrder), false)
                .bind(i64::try_from(window).unwrap_or(i64::MAX))
                .bind(limit)
                .bind(query.offset);
            ids = fetch_all::<B::Db, _>(&mut conn, "searching products in order", page).await?;
        }
        // More than a thousand match, so a short page means the window held too few of them.
        if ids.len() < usize::try_from(limit).unwrap_or(usize::MAX) {
            let page = bind(page_sql(&search, scope, query.order, Plan::Matches), true).bind(limit).bind(query.offset);
            ids = fetch_all::<B::Db, _>(&mut conn, "searching products", page).await?;
        }
        let ids: Vec<Uuid> = ids.into_iter().map(|PageId(id)| id).collect();
        let mut products: Vec<ProductRecord> =
            by_ids::<B, _>(&mut conn, "loading a page of products", sql::SELECT_PRODUCTS, "id", &ids, "").await?;
        let position: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(index, id)| (*id, index)).collect();
        products.sort_by_key(|product| position.get(&product.id.0).copied());
        market_images::attach::<B>(&mut conn, &mut products).await?;
        Ok(FoundProducts { page: products, ..total })
    }

    async fn add_product_image(
        &self,
        product: ProductId,
        thumbnail: &ImageFileRecord,
        detail: &ImageFileRecord,
    ) -> StoreResult<ImageAdded> {
        self.add_image(product, thumbnail, detail).await
    }

    async fn remove_product_image(&self, product: ProductId, image: &str) -> StoreResult<bool> {
        self.remove_image(product, image).await
    }

    async fn image_file(&self, sha256: &str) -> StoreResult<Option<ImageFileRecord>> {
        self.load_image_file(sha256).await
    }
}

/// Below this many products, a catalog write leaves the planner's statistics to the database's
/// own schedule; from it on (an import), they are brought up to date with the write.
const BULK_WRITE: usize = 1_000;

fn ids_json(ids: &[MerchantId]) -> StoreResult<String> {
    let ids: Vec<&MerchantId> = ids.iter().take(MAX_SEARCH_SELLERS).collect();
    serde_json::to_string(&ids).map_err(|error| corrupt("sellers", error.to_string()))
}

/// Ranks by seller id (the id as text, lowercase with hyphens), as [`SearchDialect::rank`] reads them.
fn ranks_json(ranks: &[SellerRank]) -> StoreResult<String> {
    let by_seller: std::collections::BTreeMap<String, u32> = ranks
        .iter()
        .take(MAX_SEARCH_SELLERS)
        .map(|ranked| (ranked.seller.0.hyphenated().to_string(), ranked.rank))
        .collect();
    serde_json::to_string(&by_seller).map_err(|error| corrupt("sellers", error.to_string()))
}

/// A product's id, as a search page lists them.
struct PageId(Uuid);

impl FromColumns for PageId {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        row.uuid("id").map(PageId)
    }
}

/// Renders a query's terms for FTS5, whose table has a `words` and a `fuzzy` column. Terms are
/// plain letters and digits (see `quipu_domain::market::search`); quotes are doubled all the same.
pub fn render_fts5(terms: &[QueryTerm], forms: MatchForms) -> String {
    let quoted = |word: &str| format!("\"{}\"", word.replace('"', "\"\""));
    let rendered: Vec<String> = terms
        .iter()
        .map(|term| match forms {
            MatchForms::Fuzzy if !term.fuzzy.is_empty() => {
                format!("fuzzy : ({})", term.fuzzy.iter().map(|form| quoted(form)).collect::<Vec<_>>().join(" OR "))
            }
            _ => format!("words : {}{}", quoted(&term.exact), if term.prefix { " *" } else { "" }),
        })
        .collect();
    rendered.join(" AND ")
}

/// Marks a fuzzy form in PostgreSQL's one vector of terms, so it never meets a word.
const FUZZY_MARK: char = '~';

/// Renders a query's terms as a tsquery over PostgreSQL's one vector, where fuzzy forms carry
/// [`FUZZY_MARK`]. Quotes are doubled, as for FTS5.
pub fn render_tsquery(terms: &[QueryTerm], forms: MatchForms) -> String {
    let quoted = |word: &str| format!("'{}'", word.replace('\'', "''"));
    let rendered: Vec<String> = terms
        .iter()
        .map(|term| match forms {
            MatchForms::Fuzzy if !term.fuzzy.is_empty() => {
                let marked = term.fuzzy.iter().map(|form| quoted(&format!("{FUZZY_MARK}{form}")));
                format!("({})", marked.collect::<Vec<_>>().join(" | "))
            }
            _ => format!("{}{}", quoted(&term.exact), if term.prefix { ":*" } else { "" }),
        })
        .collect();
    rendered.join(" & ")
}
