//! The catalog's search index on both databases: the same terms (made in the domain) find the
//! same products on SQLite's FTS5 and PostgreSQL's text search, Korean by any syllable or pair of
//! syllables inside longer names, English by stem, prefix and one typo; the index changes in the
//! catalog write's own transaction, all or nothing.

use std::sync::Mutex;

use quipu_domain::identity::MerchantId;
use quipu_domain::market::ProductId;
use quipu_domain::market::catalog::{LocalisedName, Stock, Unit};
use quipu_domain::market::search::{index_text, parse_query};
use quipu_domain::market::storefront::{OpeningHours, SellerKind};
use quipu_domain::money::CurrencyCode;
use quipu_domain::{Amount, Timestamp};
use quipu_store::StoreError;
use quipu_store::market::{MatchForms, ProductQuery, ProductRecord, SearchOrder, SellerRecord};
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
            limit: 50,
            offset: 0,
        };
        let (found, count) = app.storage.store.search_products(&query).await.unwrap();
        assert_eq!(usize::try_from(count).unwrap(), found.len(), "{text}: the count matches the page");
        if !found.is_empty() {
            return found.iter().map(|product| product.name.korean().unwrap().to_owned()).collect();
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

        // A hidden product is not found.
        let hidden = ProductRecord { version: 3, visible: false, ..renamed };
        app.storage.store.save_products(&[indexed(&hidden)]).await.unwrap();
        assert!(search(app, "우유", &[grocery], SearchOrder::Relevance).await.is_empty());
    })
    .await;
}
