//! The catalog's search index on both databases: the same terms (made in the domain) find the
//! same products on SQLite's FTS5 and PostgreSQL's text search, Korean by any syllable or pair of
//! syllables inside longer names, English by stem, prefix and one typo; the index changes in the
//! catalog write's own transaction, all or nothing. Nearest shops first, and a count that stops at
//! 1 000, give the same answers on both too.

use std::sync::Mutex;

use quipu_core::market::{SearchInput, SearchPage, Whereabouts};
use quipu_domain::identity::MerchantId;
use quipu_domain::market::ProductId;
use quipu_domain::market::catalog::{LocalisedName, Stock, Unit};
use quipu_domain::market::search::{index_text, parse_query};
use quipu_domain::market::storefront::{Coordinates, OpeningHours, SellerKind, parse_day};
use quipu_domain::money::CurrencyCode;
use quipu_domain::{Amount, Timestamp};
use quipu_store::StoreError;
use quipu_store::market::{
    FoundProducts, MAX_COUNTED, MatchForms, ProductQuery, ProductRecord, SearchOrder, SellerFilter, SellerRecord,
    StoredPoint,
};
use uuid::Uuid;

use crate::harness::{TestApp, on_each_backend, shop};

const GROCERY: &[(&str, &str, i64)] = &[
    ("서울우유 흰우유 1L", "Seoul white milk 1L", 2900),
    ("우유식빵", "Milk bread loaf", 3500),
    ("단팥빵", "Red bean bread", 1800),
    ("신라면 5개입", "Shin Ramyun instant noodles, 5 pack", 4500),
    ("두유 950ml", "Soy milk", 2500),
    ("물냉면", "Cold buckwheat noodles", 6000),
];
const CORNER_SHOP: &[(&str, &str, i64)] =
    &[("초코우유", "Chocolate milk", 1500), ("컵라면", "Cup noodle", 1200), ("빵가루", "Bread crumbs", 2200)];

async fn seller(app: &TestApp, operator: &str, name: &str, suffix: u32) -> MerchantId {
    let shop = shop(app, operator, name, suffix, 0).await;
    let id = MerchantId(Uuid::parse_str(&shop.id).unwrap());
    let storefront = SellerRecord {
        merchant_id: id,
        kind: SellerKind::Grocery,
        description: String::new(),
        address: "Mapo-gu".to_owned(),
        location: None,
        hours: OpeningHours::new(Default::default(), vec![]).unwrap(),
        accepting: true,
        preparation_minutes: 15,
        pickup: true,
        radius: None,
        updated_at: Timestamp(0),
    };
    app.storage.store.save_seller(&storefront, &[]).await.unwrap();
    id
}

fn product(seller: MerchantId, (korean, english, price): (&str, &str, i64)) -> ProductRecord {
    ProductRecord {
        id: ProductId(Uuid::now_v7()),
        seller,
        sku: None,
        name: LocalisedName::parse(Some(korean), Some(english)).unwrap(),
        description: None,
        category: "food".to_owned(),
        currency: CurrencyCode::parse("KRW").unwrap(),
        price: Amount::from_minor(price),
        unit: Unit::Each,
        stock: Stock::Tracked(10),
        needs_pharmacist: false,
        visible: true,
        options: vec![],
        version: 1,
        updated_at: Timestamp(0),
        images: vec![],
    }
}

fn indexed(record: &ProductRecord) -> (ProductRecord, quipu_domain::market::search::IndexedText) {
    let texts = [record.name.korean().unwrap_or_default(), record.name.english().unwrap_or_default()];
    (record.clone(), index_text(&texts))
}

/// What a search shows: exact words first, fuzzy forms only when nothing matched exactly (as the
/// market context searches). Korean names, in the order found.
async fn search(app: &TestApp, text: &str, sellers: &[MerchantId], order: SearchOrder) -> Vec<String> {
    search_in(app, text, SellerFilter::Among(sellers), order).await
}

async fn search_in(app: &TestApp, text: &str, sellers: SellerFilter<'_>, order: SearchOrder) -> Vec<String> {
    let terms = parse_query(text).unwrap();
    for forms in [MatchForms::Exact, MatchForms::Fuzzy] {
        let query = ProductQuery {
            terms: &terms,
            forms,
            sellers,
            category: None,
            min_price: None,
            max_price: None,
            order,
            seller_ranks: &[],
            limit: 50,
            offset: 0,
        };
        let FoundProducts { page, total, total_capped } = app.storage.store.search_products(&query).await.unwrap();
        assert_eq!(usize::try_from(total).unwrap(), page.len(), "{text}: the count matches the page");
        assert!(!total_capped);
        // A page that ends where the count does is no different from one counted in full.
        if page.len() > 1 {
            let short = ProductQuery { limit: 1, offset: 1, ..query.clone() };
            let counted = app.storage.store.search_products(&short).await.unwrap();
            assert_eq!((counted.total, counted.page.first()), (total, page.get(1)), "{text}: counted");
        }
        if !page.is_empty() {
            return page.iter().map(|product| product.name.korean().unwrap().to_owned()).collect();
        }
    }
    vec![]
}

#[tokio::test]
async fn korean_and_english_searches_find_the_same_products_on_both_databases() {
    let answers: Mutex<Vec<Vec<Vec<String>>>> = Mutex::default();
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let grocery = seller(app, &operator, "Mapo Mart", 1).await;
        let corner = seller(app, &operator, "Corner Shop", 2).await;
        let mut products: Vec<_> = GROCERY.iter().map(|row| indexed(&product(grocery, *row))).collect();
        products.extend(CORNER_SHOP.iter().map(|row| indexed(&product(corner, *row))));
        app.storage.store.save_products(&products).await.unwrap();
        let both = [grocery, corner];
        let relevance = SearchOrder::Relevance;

        let mut seen = Vec::new();
        let milk = search(app, "우유", &both, relevance).await;
        assert_eq!(
            milk,
            ["우유식빵", "초코우유", "서울우유 흰우유 1L"],
            "two syllables inside longer names; 두유 is not 우유"
        );
        seen.push(milk);
        let bread = search(app, "빵", &both, relevance).await;
        assert_eq!(bread, ["단팥빵", "빵가루", "우유식빵"], "one syllable");
        seen.push(bread);
        let ramen = search(app, "라면", &both, relevance).await;
        assert_eq!(ramen, ["컵라면", "신라면 5개입"]);
        seen.push(ramen);
        seen.push(search(app, "우유식", &both, relevance).await);
        assert_eq!(seen.last().unwrap(), &["우유식빵"]);
        let noodles = search(app, "noodle", &both, relevance).await;
        assert_eq!(noodles, ["물냉면", "컵라면", "신라면 5개입"], "the stem finds noodles and noodle");
        seen.push(noodles);
        let typed = search(app, "nood", &both, relevance).await;
        assert_eq!(typed.len(), 3, "the word being typed is a prefix: {typed:?}");
        seen.push(typed);
        let typo = search(app, "noodel", &both, relevance).await;
        assert_eq!(typo.len(), 3, "one typo is forgiven: {typo:?}");
        seen.push(typo);
        let ramyun = search(app, "ramyn", &both, relevance).await;
        assert_eq!(ramyun, ["신라면 5개입"]);
        seen.push(ramyun);
        let both_words = search(app, "milk 빵", &both, relevance).await;
        assert_eq!(both_words, ["우유식빵"], "every word must match");
        seen.push(both_words);
        assert!(search(app, "kimchi", &both, relevance).await.is_empty());

        let one_shop = search(app, "우유", &[corner], relevance).await;
        assert_eq!(one_shop, ["초코우유"], "only the sellers asked for");
        assert_eq!(search_in(app, "우유", SellerFilter::Except(&[grocery]), relevance).await, one_shop, "all but");
        assert_eq!(search_in(app, "우유", SellerFilter::Every, relevance).await, seen[0]);
        assert!(search_in(app, "우유", SellerFilter::Among(&[]), relevance).await.is_empty(), "no seller, nothing");
        let by_price = search(app, "우유", &both, SearchOrder::PriceDescending).await;
        assert_eq!(by_price, ["우유식빵", "서울우유 흰우유 1L", "초코우유"]);
        seen.push(by_price);
        answers.lock().unwrap().push(seen);
    })
    .await;
    let answers = answers.into_inner().unwrap();
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]), "both databases answer the same: {answers:?}");
}

#[tokio::test]
async fn a_catalog_write_and_its_index_change_commit_together_or_not_at_all() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let grocery = seller(app, &operator, "Mapo Mart", 3).await;
        let milk = product(grocery, GROCERY[0]);
        app.storage.store.save_products(&[indexed(&milk)]).await.unwrap();

        // A batch whose second write is stale (version 3 after 1) writes nothing, its first included.
        let bread = product(grocery, GROCERY[1]);
        let stale = ProductRecord { version: 3, price: Amount::from_minor(1), ..milk.clone() };
        let refused = app.storage.store.save_products(&[indexed(&bread), indexed(&stale)]).await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{refused:?}");
        assert!(app.storage.store.product(bread.id).await.unwrap().is_none(), "nothing half-imported");
        assert!(search(app, "식빵", &[grocery], SearchOrder::Relevance).await.is_empty(), "nor indexed");

        // Renaming re-indexes: the old words no longer find it, the new ones do.
        let renamed = ProductRecord {
            version: 2,
            name: LocalisedName::parse(Some("저지방 우유"), Some("Low-fat milk")).unwrap(),
            ..milk.clone()
        };
        app.storage.store.save_products(&[indexed(&renamed)]).await.unwrap();
        assert_eq!(search(app, "저지방", &[grocery], SearchOrder::Relevance).await, ["저지방 우유"]);
        assert!(search(app, "서울", &[grocery], SearchOrder::Relevance).await.is_empty());
        let stored = app.storage.store.product(milk.id).await.unwrap().unwrap();
        assert_eq!((stored.version, stored.name.english()), (2, Some("Low-fat milk")));

        // A new price is what search filters and sorts by at once.
        let cheaper = ProductRecord { version: 3, price: Amount::from_minor(900), ..renamed };
        app.storage.store.save_products(&[indexed(&cheaper)]).await.unwrap();
        let terms = parse_query("저지방").unwrap();
        let query = ProductQuery {
            terms: &terms,
            forms: MatchForms::Exact,
            sellers: SellerFilter::Every,
            category: None,
            min_price: None,
            max_price: Some(Amount::from_minor(1000)),
            order: SearchOrder::PriceAscending,
            seller_ranks: &[],
            limit: 10,
            offset: 0,
        };
        let found = app.storage.store.search_products(&query).await.unwrap();
        assert_eq!(found.page.iter().map(|product| product.price.minor()).collect::<Vec<_>>(), [900]);

        // A hidden product is not found.
        let hidden = ProductRecord { version: 4, visible: false, ..cheaper };
        app.storage.store.save_products(&[indexed(&hidden)]).await.unwrap();
        assert!(search(app, "우유", &[grocery], SearchOrder::Relevance).await.is_empty());
    })
    .await;
}

fn at(latitude: f64, longitude: f64) -> StoredPoint {
    StoredPoint::from_coordinates(Coordinates::new(latitude, longitude).unwrap())
}

/// A search's hits: each product's Korean name and its shop's distance.
type Hits = Vec<(String, Option<u32>)>;

fn nearest_first(page: &SearchPage) -> Hits {
    page.hits.iter().map(|hit| (hit.product.name.korean().unwrap().to_owned(), hit.distance_metres)).collect()
}

#[tokio::test]
async fn nearest_shops_come_first_and_both_databases_agree_on_the_order() {
    let answers: Mutex<Vec<Vec<Hits>>> = Mutex::default();
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let customer = Coordinates::new(37.5563, 126.9236).unwrap();
        // About 0.4 km, 1.7 km and 4.4 km north of the customer, and one shop that never said where.
        let places = [
            ("Far Mart", Some(at(37.5963, 126.9236))),
            ("Near Mart", Some(at(37.5600, 126.9236))),
            ("Nowhere Mart", None),
            ("Middle Mart", Some(at(37.5713, 126.9236))),
        ];
        let all_day = OpeningHours::new(std::array::from_fn(|_| parse_day("00:00-24:00").unwrap()), vec![]).unwrap();
        let mut products = Vec::new();
        for (index, (name, location)) in places.into_iter().enumerate() {
            let id = seller(app, &operator, name, 20 + u32::try_from(index).unwrap()).await;
            let mut storefront = app.storage.store.seller(id).await.unwrap().unwrap();
            storefront.location = location;
            storefront.hours = all_day.clone();
            app.storage.store.save_seller(&storefront, &[]).await.unwrap();
            let short = name.split(' ').next().unwrap();
            // Two names of different lengths per shop: ties within a shop go by relevance.
            for (korean, price) in [(format!("{short} 우유 1L 대용량"), 3000), (format!("{short} 우유"), 2000)] {
                products.push(indexed(&product(id, (&korean, "milk", price))));
            }
        }
        app.storage.store.save_products(&products).await.unwrap();

        let search = |order, whereabouts, offset| SearchInput {
            text: "우유".to_owned(),
            whereabouts,
            kind: None,
            category: None,
            open_now: false,
            min_price: None,
            max_price: None,
            order,
            limit: 3,
            offset,
        };
        let market = &app.services.market;
        let here = Whereabouts::Location(customer);
        let mut by_distance = Vec::new();
        let mut totals = Vec::new();
        for offset in [0, 3, 6] {
            let page = market.search(&search(SearchOrder::Distance, here, offset)).await.unwrap();
            by_distance.extend(nearest_first(&page));
            totals.push((page.total, page.total_capped));
        }
        let names: Vec<&str> = by_distance.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Near 우유",
                "Near 우유 1L 대용량",
                "Middle 우유",
                "Middle 우유 1L 대용량",
                "Far 우유",
                "Far 우유 1L 대용량",
                "Nowhere 우유",
                "Nowhere 우유 1L 대용량",
            ],
            "nearest first, ties by relevance, a shop without a location last, across pages"
        );
        let metres: Vec<Option<u32>> = by_distance.iter().map(|(_, metres)| *metres).collect();
        assert!(metres[..6].windows(2).all(|pair| pair[0] <= pair[1]), "{metres:?}");
        assert_eq!(metres[6..], [None, None]);
        assert_eq!(totals, [(8, false); 3]);

        // Without a shared location no distance is known: the order is relevance's.
        let area = market.search(&search(SearchOrder::Distance, Whereabouts::Unknown, 0)).await.unwrap();
        let relevance = market.search(&search(SearchOrder::Relevance, Whereabouts::Unknown, 0)).await.unwrap();
        assert_eq!(nearest_first(&area), nearest_first(&relevance));

        // And over HTTP, as `sort=distance`.
        let url = format!(
            "{}/api/v1/market/search?q=%EC%9A%B0%EC%9C%A0&lat=37.5563&lon=126.9236&sort=distance&limit=2",
            app.base()
        );
        let page: serde_json::Value = app.client.get(url).send().await.unwrap().json().await.unwrap();
        let hits: Vec<&str> =
            page["hits"].as_array().unwrap().iter().map(|hit| hit["product"]["name_ko"].as_str().unwrap()).collect();
        assert_eq!(hits, ["Near 우유", "Near 우유 1L 대용량"]);
        assert_eq!((page["total"].as_u64(), page["total_capped"].as_bool()), (Some(8), Some(false)));

        answers.lock().unwrap().push(vec![by_distance, nearest_first(&area)]);
    })
    .await;
    let answers = answers.into_inner().unwrap();
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]), "both databases answer the same: {answers:?}");
}

#[tokio::test]
async fn a_common_word_is_counted_to_a_thousand_and_said_to_be_more() {
    let answers: Mutex<Vec<(Vec<String>, u64, bool)>> = Mutex::default();
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let grocery = seller(app, &operator, "Big Mart", 30).await;
        // One write of more than a thousand products: an import, after which PostgreSQL's
        // planner is told what the index now holds.
        let products: Vec<_> = (0..MAX_COUNTED + 5)
            .map(|index| {
                let korean = format!("우유 {}", "가".repeat(usize::try_from(index % 7).unwrap()));
                indexed(&product(grocery, (&korean, "milk", 1000 + i64::try_from(index).unwrap())))
            })
            .collect();
        app.storage.store.save_products(&products).await.unwrap();
        // And sixty cheaper products that are not milk.
        let cola: Vec<_> = (0..60).map(|index| indexed(&product(grocery, ("콜라", "cola", 100 + index)))).collect();
        app.storage.store.save_products(&cola).await.unwrap();
        let terms = parse_query("우유").unwrap();
        let query = ProductQuery {
            terms: &terms,
            forms: MatchForms::Exact,
            sellers: SellerFilter::Among(&[grocery]),
            category: None,
            min_price: None,
            max_price: None,
            order: SearchOrder::PriceDescending,
            seller_ranks: &[],
            limit: 5,
            offset: 0,
        };
        let found = app.storage.store.search_products(&query).await.unwrap();
        assert_eq!((found.total, found.total_capped), (MAX_COUNTED, true), "1 000+");
        let prices: Vec<String> = found.page.iter().map(|product| product.price.minor().to_string()).collect();
        assert_eq!(prices, ["2004", "2003", "2002", "2001", "2000"]);

        // Fewer than the cap are counted exactly; so is the last page, without a count.
        let cheap = ProductQuery { max_price: Some(Amount::from_minor(1009)), ..query.clone() };
        let few = app.storage.store.search_products(&cheap).await.unwrap();
        assert_eq!((few.total, few.total_capped, few.page.len()), (10, false, 5));
        let last = app.storage.store.search_products(&ProductQuery { offset: 8, ..cheap.clone() }).await.unwrap();
        assert_eq!((last.total, last.page.len()), (10, 2));
        let past = app.storage.store.search_products(&ProductQuery { offset: 50, ..cheap }).await.unwrap();
        assert_eq!((past.total, past.page.len()), (10, 0), "past the end, the count still says how many");

        // Read down the order's index (a common word, a page near the top) or by sorting every
        // match (deeper), the order is the same: shortest names first, then the product's id.
        let mut expected: Vec<(usize, ProductId)> =
            products.iter().map(|(product, _)| (product.name.korean().unwrap().chars().count(), product.id)).collect();
        expected.sort();
        let mut pages = Vec::new();
        for offset in [0, 100, 200] {
            let relevance = ProductQuery { order: SearchOrder::Relevance, limit: 100, offset, ..query.clone() };
            let page = app.storage.store.search_products(&relevance).await.unwrap().page;
            pages.extend(page.iter().map(|product| product.id));
        }
        let expected: Vec<ProductId> = expected.iter().take(300).map(|(_, id)| *id).collect();
        assert_eq!(pages, expected);

        // The cheapest milk comes after all the cola: read down the price index, a page of one
        // finds none in its first rows, and is read from the matches instead.
        let cheapest = ProductQuery { order: SearchOrder::PriceAscending, limit: 1, ..query.clone() };
        let cheapest = app.storage.store.search_products(&cheapest).await.unwrap();
        assert_eq!(cheapest.page.iter().map(|product| product.price.minor()).collect::<Vec<_>>(), [1000]);

        // The service and the API say it too.
        let url = format!("{}/api/v1/market/search?q=%EC%9A%B0%EC%9C%A0&limit=1", app.base());
        let page: serde_json::Value = app.client.get(url).send().await.unwrap().json().await.unwrap();
        assert_eq!((page["total"].as_u64(), page["total_capped"].as_bool()), (Some(MAX_COUNTED), Some(true)));
        answers.lock().unwrap().push((prices, found.total, found.total_capped));
    })
    .await;
    let answers = answers.into_inner().unwrap();
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]), "both databases answer the same: {answers:?}");
}
