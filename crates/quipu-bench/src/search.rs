//! Product search at marketplace scale: `sellers` shops with `products` products between them
//! (Korean and English names built from grocery words), searched through the market's own path
//! (its directory of sellers, the query's terms, the store's index) with the queries people type:
//! one Korean syllable, two, English words, a prefix, a typo, two words, and filters; then the
//! same queries from a shared location, nearest shops first. Every number is measured; none is
//! asserted. What each search found is folded into a digest, so two backends' runs can be compared
//! answer for answer.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quipu_core::market::{SearchInput, Whereabouts};
use quipu_core::{Kernel, Market, OsRandom, Settings, SystemClock};
use quipu_domain::Timestamp;
use quipu_domain::identity::MerchantId;
use quipu_domain::market::catalog::{LocalisedName, Stock, Unit};
use quipu_domain::market::search::index_text;
use quipu_domain::market::storefront::{Coordinates, DeliveryTerms, OpeningHours, SellerKind, parse_day};
use quipu_domain::market::{AreaId, ProductId};
use quipu_domain::money::{Amount, CurrencyCode, CurrencySet};
use quipu_server::Fallible;
use quipu_store::market::{AreaRecord, ProductRecord, SearchOrder, SellerAreaRecord, SellerRecord, StoredPoint};
use quipu_store::{Enrollment, MerchantRecord, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::sync::watch;
use uuid::Uuid;

use crate::{BenchDatabase, Percentiles, Pools, percentiles};

/// How big the catalog is, and how many searches are timed.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub products: usize,
    pub sellers: usize,
    pub queries: usize,
}

impl SearchOptions {
    /// What the issue asks to measure: 100 000 products from 1 000 sellers.
    pub fn full() -> Self {
        Self { products: 100_000, sellers: 1_000, queries: 2_000 }
    }

    /// Small enough for CI.
    pub fn smoke() -> Self {
        Self { products: 2_000, sellers: 20, queries: 200 }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub backend: &'static str,
    pub products: usize,
    pub sellers: usize,
    pub queries: usize,
    /// Seconds to write the catalog and its index.
    pub seed_seconds: f64,
    pub latency: Percentiles,
    /// Products found per search, on average (the total, not the page; a search counts up to
    /// 1 000).
    pub mean_found: f64,
    /// The share of searches that found more than they counted ("1 000+").
    pub capped_share: f64,
    /// The slowest query and its p99 alone, to say where the time goes.
    pub slowest_query: String,
    pub slowest_p99_ms: f64,
    /// Each query's own latency, to say where the time goes (the JSON report only).
    pub per_query: Vec<QueryLatency>,
    /// The same queries from a shared location, sorted by distance (a quarter as many searches).
    pub distance_latency: Percentiles,
    /// Every search's total and page (names, prices, shops' distances), hashed: equal on two
    /// backends when they answered alike.
    pub digest: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryLatency {
    pub query: String,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Where the customer stands, and the shops around them (within about 5 km).
const CENTRE: (f64, f64) = (37.5563, 126.9236);

/// Words of Korean grocery names: one and two syllables that live inside longer names.
const KOREAN: &[&str] = &[
    "우유",
    "흰우유",
    "두유",
    "식빵",
    "우유식빵",
    "단팥빵",
    "크림빵",
    "신라면",
    "진라면",
    "짜파게티",
    "물냉면",
    "비빔냉면",
    "김치",
    "배추김치",
    "깍두기",
    "두부",
    "계란",
    "사과",
    "바나나",
    "딸기",
    "포도",
    "감자",
    "고구마",
    "양파",
    "마늘",
    "대파",
    "쌀",
    "현미",
    "고추장",
    "된장",
    "간장",
    "참기름",
    "소금",
    "설탕",
    "밀가루",
    "떡볶이",
    "어묵",
    "소시지",
    "치즈",
    "요구르트",
    "아이스크림",
    "과자",
    "초코파이",
    "콜라",
    "사이다",
    "생수",
    "녹차",
    "커피",
    "주스",
    "휴지",
    "물티슈",
    "세제",
    "샴푸",
    "비누",
    "치약",
    "칫솔",
    "감기약",
    "소화제",
    "파스",
    "비타민",
    "마스크",
    "삼겹살",
    "닭가슴살",
    "소고기",
    "오징어",
    "고등어",
    "멸치",
    "김",
    "미역",
    "참치",
    "만두",
    "물만두",
    "피자",
    "치킨",
    "짜장면",
    "짬뽕",
    "김밥",
    "불고기",
    "비빔밥",
    "순두부",
];
const BRANDS: &[&str] =
    &["서울", "매일", "남양", "농심", "오뚜기", "삼양", "풀무원", "동원", "해태", "롯데", "오리온", "빙그레"];
const SIZES: &[&str] = &["1L", "500ml", "200ml", "2kg", "1kg", "500g", "5개입", "10개입", "대용량", "소포장", ""];
const ENGLISH: &[&str] = &[
    "milk",
    "bread",
    "noodles",
    "ramen",
    "instant",
    "spicy",
    "cheese",
    "yogurt",
    "apple",
    "banana",
    "strawberry",
    "grape",
    "potato",
    "onion",
    "garlic",
    "rice",
    "sugar",
    "salt",
    "flour",
    "tofu",
    "eggs",
    "kimchi",
    "soup",
    "sauce",
    "chicken",
    "beef",
    "pork",
    "tuna",
    "coffee",
    "tea",
    "juice",
    "water",
    "soap",
    "shampoo",
    "toothpaste",
    "tissue",
    "detergent",
    "vitamin",
    "mask",
    "pizza",
    "dumplings",
    "snack",
    "chips",
    "cola",
];
/// What people type, from the commonest one-syllable word to a typo.
const QUERIES: &[&str] = &[
    "우유",
    "빵",
    "라면",
    "김치",
    "우",
    "물냉면",
    "치즈",
    "noodle",
    "milk",
    "chees",
    "noodel",
    "spicy noodles",
    "우유 1L",
    "strawbery",
    "만두",
];

fn pick<'a>(rng: &mut StdRng, words: &[&'a str]) -> &'a str {
    words.get(rng.gen_range(0..words.len())).copied().unwrap_or_default()
}

fn product_name(rng: &mut StdRng) -> (String, String) {
    let korean = if rng.gen_bool(0.6) {
        format!("{}{} {}", pick(rng, BRANDS), pick(rng, KOREAN), pick(rng, SIZES))
    } else {
        format!("{}{} {}", pick(rng, KOREAN), pick(rng, KOREAN), pick(rng, SIZES))
    };
    let words: Vec<&str> = (0..rng.gen_range(1..=3)).map(|_| pick(rng, ENGLISH)).collect();
    (korean.trim().to_owned(), words.join(" "))
}

/// Runs the search scenario on each backend, each on a fresh database.
pub async fn run(options: &SearchOptions, postgres_url: Option<&str>, scratch: &Path) -> Fallible<Vec<SearchResult>> {
    let mut backends = vec!["sqlite"];
    if postgres_url.is_some() {
        backends.push("postgres");
    }
    let pools = Pools { sqlite_readers: 4, postgres_connections: 8 };
    let mut results = Vec::new();
    for backend in backends {
        let database = BenchDatabase::create_with(backend, postgres_url, scratch, &pools).await?;
        let result = scenario(&database, options).await;
        database.dispose().await;
        let result = result?;
        eprintln!("{}", row(&result));
        results.push(result);
    }
    Ok(results)
}

async fn scenario(database: &BenchDatabase, options: &SearchOptions) -> Fallible<SearchResult> {
    let store = database.store.clone();
    let started = Instant::now();
    let area = seed(&store, options).await?;
    let seed_seconds = started.elapsed().as_secs_f64();

    let (_stop, stop_signal) = watch::channel(false);
    let settings = Settings::new(CurrencySet::from_codes(&["KRW"])?);
    let (kernel, writer) =
        Kernel::start(store.clone(), Arc::new(SystemClock), Arc::new(OsRandom), settings, stop_signal).await?;
    let market = Market::new(kernel, store.clone(), store.clone(), store.clone());
    let mut latencies = Vec::with_capacity(options.queries);
    let mut per_query: Vec<Vec<Duration>> = vec![Vec::new(); QUERIES.len()];
    let mut found = 0u64;
    let mut capped = 0usize;
    let mut digest = DefaultHasher::new();
    for round in 0..options.queries {
        let which = round % QUERIES.len();
        let input = SearchInput {
            text: QUERIES.get(which).copied().unwrap_or("우유").to_owned(),
            whereabouts: Whereabouts::Area(area),
            kind: None,
            category: None,
            open_now: round % 3 == 0,
            min_price: None,
            max_price: None,
            order: if round % 4 == 0 { SearchOrder::PriceAscending } else { SearchOrder::Relevance },
            limit: 20,
            offset: 0,
        };
        let began = Instant::now();
        let page = market.search(&input).await?;
        let took = began.elapsed();
        latencies.push(took);
        if let Some(samples) = per_query.get_mut(which) {
            samples.push(took);
        }
        found += page.total;
        capped += usize::from(page.total_capped);
        fold(&mut digest, &page);
    }
    let centre = Coordinates::new(CENTRE.0, CENTRE.1)?;
    let mut distance_latencies = Vec::with_capacity(options.queries / 4);
    for round in 0..options.queries / 4 {
        let input = SearchInput {
            text: QUERIES.get(round % QUERIES.len()).copied().unwrap_or("우유").to_owned(),
            whereabouts: Whereabouts::Location(centre),
            kind: None,
            category: None,
            open_now: round % 3 == 0,
            min_price: None,
            max_price: None,
            order: SearchOrder::Distance,
            limit: 20,
            offset: 0,
        };
        let began = Instant::now();
        let page = market.search(&input).await?;
        distance_latencies.push(began.elapsed());
        fold(&mut digest, &page);
    }
    writer.abort();
    let per_query: Vec<QueryLatency> = QUERIES
        .iter()
        .zip(per_query)
        .map(|(query, samples)| {
            let latency = percentiles(samples);
            QueryLatency { query: query.to_string(), p50_ms: latency.p50_ms, p99_ms: latency.p99_ms }
        })
        .collect();
    let (slowest_query, slowest_p99_ms) = per_query
        .iter()
        .map(|query| (query.query.clone(), query.p99_ms))
        .fold((String::new(), 0.0), |worst, next| if next.1 > worst.1 { next } else { worst });
    Ok(SearchResult {
        backend: database.backend,
        products: options.products,
        sellers: options.sellers,
        queries: options.queries,
        seed_seconds,
        latency: percentiles(latencies),
        mean_found: found as f64 / options.queries.max(1) as f64,
        capped_share: capped as f64 / options.queries.max(1) as f64,
        slowest_query,
        slowest_p99_ms,
        per_query,
        distance_latency: percentiles(distance_latencies),
        digest: format!("{:016x}", digest.finish()),
    })
}

/// Folds what a search answered into `digest`: what a customer sees, not ids (each backend's
/// run makes its own).
fn fold(digest: &mut DefaultHasher, page: &quipu_core::market::SearchPage) {
    (page.total, page.total_capped, page.fuzzy).hash(digest);
    for hit in &page.hits {
        (hit.product.name.korean(), hit.product.name.english(), hit.product.price.minor(), &hit.seller_name)
            .hash(digest);
        (hit.distance_metres, hit.delivers, hit.open_now).hash(digest);
    }
}

/// Where shop `index` stands: scattered within about 5 km of [`CENTRE`], in a fixed pattern; one
/// in nine has not given its location.
fn location(index: usize) -> Option<StoredPoint> {
    if index % 9 == 4 {
        return None;
    }
    // Microdegrees: about 0.045° of latitude and 0.057° of longitude are 5 km here.
    let step = |modulus: usize, spread: i64| {
        i64::try_from(index.wrapping_mul(7919) % modulus).unwrap_or(0) * spread / i64::try_from(modulus).unwrap_or(1)
            - spread / 2
    };
    #[allow(clippy::cast_possible_truncation)]
    let micro = |degrees: f64| (degrees * 1_000_000.0) as i64;
    Some(StoredPoint {
        latitude_micro: micro(CENTRE.0) + step(997, 90_000),
        longitude_micro: micro(CENTRE.1) + step(991, 114_000),
    })
}

/// Writes the sellers (open all day, delivering to one area) and their products; returns the area.
async fn seed(store: &Arc<dyn Store>, options: &SearchOptions) -> Fallible<AreaId> {
    let now = Timestamp(0);
    let area = AreaRecord { id: AreaId(Uuid::now_v7()), name: "Mapo".to_owned(), created_at: now };
    store.create_area(&area).await?;
    let all_day = OpeningHours::new(std::array::from_fn(|_| parse_day("00:00-24:00").unwrap_or_default()), vec![])?;
    let terms = DeliveryTerms { fee: Amount::from_minor(3000), minimum_order: Amount::ZERO, free_from: None };
    let mut sellers = Vec::with_capacity(options.sellers);
    for index in 0..options.sellers.max(1) {
        let id = MerchantId(Uuid::now_v7());
        let merchant = MerchantRecord {
            id,
            name: format!("Shop {index}"),
            created_at: now,
            fee_bps: 0,
            cashiers_may_refund: false,
            city: String::new(),
            category_code: "5411".to_owned(),
        };
        store.enroll(&Enrollment { merchant: Some(merchant), ..Enrollment::default() }).await?;
        let seller = SellerRecord {
            merchant_id: id,
            kind: if index % 10 == 0 { SellerKind::Pharmacy } else { SellerKind::Grocery },
            description: String::new(),
            address: format!("Building {index}"),
            location: location(index),
            hours: all_day.clone(),
            accepting: index % 7 != 0,
            preparation_minutes: 15,
            pickup: index % 2 == 0,
            radius: None,
            updated_at: now,
        };
        // Half deliver to the area; the other half offer pickup only, or nothing to this customer.
        let areas = if index % 2 == 1 { vec![SellerAreaRecord { area: area.id, terms }] } else { Vec::new() };
        store.save_seller(&seller, &areas).await?;
        sellers.push(id);
    }
    let mut rng = StdRng::seed_from_u64(7);
    let currency = CurrencyCode::parse("KRW")?;
    let mut batch = Vec::with_capacity(5_000);
    for index in 0..options.products {
        let (korean, english) = product_name(&mut rng);
        let name = LocalisedName::parse(Some(&korean), Some(&english))?;
        let seller = sellers.get(index % sellers.len()).copied().unwrap_or(MerchantId(Uuid::nil()));
        let record = ProductRecord {
            id: ProductId(Uuid::now_v7()),
            seller,
            sku: Some(format!("SKU-{index}")),
            name,
            description: None,
            category: pick(&mut rng, &["dairy", "bakery", "noodles", "produce", "household", "medicine"]).to_owned(),
            currency,
            price: Amount::from_minor(rng.gen_range(5..500) * 100),
            unit: Unit::Each,
            stock: Stock::Tracked(rng.gen_range(0..50)),
            needs_pharmacist: false,
            visible: rng.gen_bool(0.97),
            options: Vec::new(),
            version: 1,
            updated_at: now,
            images: Vec::new(),
        };
        let terms = index_text(&[&korean, &english, &record.category]);
        batch.push((record, terms));
        if batch.len() == 5_000 {
            store.save_products(&batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store.save_products(&batch).await?;
    }
    Ok(area.id)
}

fn row(result: &SearchResult) -> String {
    format!(
        "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} ({:.0}% 1 000+) | {} ({:.2}) | {:.2} / {:.2} | {} |",
        result.backend,
        result.products,
        result.sellers,
        result.queries,
        result.seed_seconds,
        result.latency.p50_ms,
        result.latency.p99_ms,
        result.latency.max_ms,
        result.mean_found,
        result.capped_share * 100.0,
        result.slowest_query,
        result.slowest_p99_ms,
        result.distance_latency.p50_ms,
        result.distance_latency.p99_ms,
        result.digest,
    )
}

/// The results as BENCHMARKS.md shows them.
pub fn table(results: &[SearchResult]) -> String {
    let mut out = String::from(
        "| backend | products | sellers | searches | seed s | p50 ms | p99 ms | max ms | found (mean, counted to 1 000) | slowest query (its p99 ms) | by distance p50 / p99 ms | answers digest |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for result in results {
        out.push_str(&row(result));
        out.push('\n');
    }
    out
}
