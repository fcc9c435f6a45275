//! The market's sellers and catalogs through its services, on both databases: the operator names
//! areas and enables sellers; owners fill in storefronts and catalogs; customers search the
//! sellers that serve them, and a seller that closes, pauses or is out of reach drops out.
//! (The HTTP routes over these services come with the API's market context.)

use quipu_core::ErrorKind;
use quipu_core::Principal;
use quipu_core::market::{ProductInput, SearchInput, StorefrontInput, Whereabouts};
use quipu_domain::identity::MerchantId;
use quipu_domain::market::catalog::{LocalisedName, OptionGroup, ProductOption, Stock, Unit};
use quipu_domain::market::storefront::{Coordinates, DeliveryTerms, OpeningHours, SellerKind, parse_day};
use quipu_domain::money::Amount;
use quipu_store::market::{RadiusDelivery, SearchOrder, SellerAreaRecord};
use uuid::Uuid;

use crate::harness::{TestApp, on_each_backend, shop};

async fn principal(app: &TestApp, token: &str) -> Principal {
    app.services.kernel.authenticate(token, "test").await.unwrap()
}

fn won(minor: i64) -> Amount {
    Amount::from_minor(minor)
}

fn every_day(periods: &str) -> OpeningHours {
    OpeningHours::new(std::array::from_fn(|_| parse_day(periods).unwrap()), vec![]).unwrap()
}

fn storefront(hours: OpeningHours) -> StorefrontInput {
    StorefrontInput {
        description: "Fresh every morning".to_owned(),
        address: "Mapo-gu, Building 3".to_owned(),
        location: None,
        hours,
        accepting: true,
        preparation_minutes: 15,
        pickup: true,
        radius: None,
        areas: vec![],
    }
}

fn product(korean: &str, english: &str, price: i64) -> ProductInput {
    ProductInput {
        id: None,
        expected_version: None,
        sku: None,
        name: LocalisedName::parse(Some(korean), Some(english)).unwrap(),
        description: None,
        category: "food".to_owned(),
        price: won(price),
        unit: Unit::Each,
        stock: Stock::Tracked(20),
        needs_pharmacist: false,
        visible: true,
        options: vec![],
    }
}

fn search(text: &str, whereabouts: Whereabouts) -> SearchInput {
    SearchInput {
        text: text.to_owned(),
        whereabouts,
        kind: None,
        category: None,
        open_now: false,
        min_price: None,
        max_price: None,
        order: SearchOrder::Relevance,
        limit: 20,
        offset: 0,
    }
}

fn names(page: &quipu_core::market::SearchPage) -> Vec<(String, bool)> {
    page.hits.iter().map(|hit| (hit.product.name.korean().unwrap().to_owned(), hit.delivers)).collect()
}

#[tokio::test]
async fn sellers_fill_storefronts_and_catalogs_and_customers_find_those_that_serve_them() {
    on_each_backend(async |app| {
        let market = &app.services.market;
        let operator_token = app.operator().await;
        let operator = principal(app, &operator_token).await;
        let mapo = market.create_area(&operator, "Mapo").await.unwrap();
        let gangnam = market.create_area(&operator, " Gangnam ").await.unwrap();
        assert_eq!(gangnam.name, "Gangnam");
        assert_eq!(market.create_area(&operator, "Mapo").await.unwrap_err().code, "area_exists");
        assert_eq!(market.create_area(&operator, "\u{202e}x").await.unwrap_err().code, "area_name_invalid");

        let grocery_shop = shop(app, &operator_token, "Mapo Mart", 11, 0).await;
        let kitchen_shop = shop(app, &operator_token, "Noodle Kitchen", 12, 0).await;
        let pharmacy_shop = shop(app, &operator_token, "Corner Pharmacy", 13, 0).await;
        let id = |shop: &crate::harness::Shop| MerchantId(Uuid::parse_str(&shop.id).unwrap());
        let grocery_owner = principal(app, &grocery_shop.owner).await;
        let kitchen_owner = principal(app, &kitchen_shop.owner).await;
        let pharmacy_owner = principal(app, &pharmacy_shop.owner).await;

        // Only the operator enables sellers, and only merchants that exist.
        let refused = market.enable_seller(&grocery_owner, id(&grocery_shop), SellerKind::Grocery).await.unwrap_err();
        assert_eq!(refused.kind, ErrorKind::Forbidden);
        let nobody = market.enable_seller(&operator, MerchantId(Uuid::now_v7()), SellerKind::Grocery).await;
        assert_eq!(nobody.unwrap_err().kind, ErrorKind::NotFound);
        for (shop, kind) in [
            (&grocery_shop, SellerKind::Grocery),
            (&kitchen_shop, SellerKind::Restaurant),
            (&pharmacy_shop, SellerKind::Pharmacy),
        ] {
            let seller = market.enable_seller(&operator, id(shop), kind).await.unwrap();
            assert!(!seller.record.accepting, "a new storefront waits for its owner");
        }

        // The grocery delivers to Mapo and offers pickup, open all day.
        let delivery = DeliveryTerms { fee: won(3000), minimum_order: won(10_000), free_from: Some(won(30_000)) };
        let grocery_front = StorefrontInput {
            areas: vec![SellerAreaRecord { area: mapo.id, terms: delivery }],
            ..storefront(every_day("00:00-24:00"))
        };
        let saved = market.set_storefront(&grocery_owner, grocery_front.clone()).await.unwrap();
        assert_eq!((saved.name.as_str(), saved.areas.len()), ("Mapo Mart", 1));
        let unknown_area = StorefrontInput {
            areas: vec![SellerAreaRecord { area: quipu_domain::market::AreaId(Uuid::now_v7()), terms: delivery }],
            ..grocery_front.clone()
        };
        assert_eq!(market.set_storefront(&grocery_owner, unknown_area).await.unwrap_err().code, "area_unknown");
        let cashier = principal(app, &grocery_shop.cashier).await;
        assert_eq!(market.set_storefront(&cashier, grocery_front).await.unwrap_err().kind, ErrorKind::Forbidden);

        // The kitchen delivers within 3 km of its door, no pickup; the pharmacy is closed all week.
        let door = Coordinates::new(37.5563, 126.9236).unwrap();
        let kitchen_front = StorefrontInput {
            location: Some(door),
            pickup: false,
            radius: Some(RadiusDelivery { metres: 3_000, terms: delivery }),
            ..storefront(every_day("00:00-24:00"))
        };
        market.set_storefront(&kitchen_owner, kitchen_front).await.unwrap();
        let no_location = StorefrontInput {
            radius: Some(RadiusDelivery { metres: 3_000, terms: delivery }),
            ..storefront(every_day(""))
        };
        assert_eq!(market.set_storefront(&pharmacy_owner, no_location).await.unwrap_err().code, "radius_invalid");
        market.set_storefront(&pharmacy_owner, storefront(every_day(""))).await.unwrap();

        // Catalogs.
        for (korean, english, price) in [("서울우유 흰우유 1L", "White milk", 2900), ("우유식빵", "Milk bread", 3500)]
        {
            market.save_product(&grocery_owner, product(korean, english, price)).await.unwrap();
        }
        let size = OptionGroup::new(
            LocalisedName::parse(Some("크기"), Some("Size")).unwrap(),
            1,
            1,
            vec![
                ProductOption { name: LocalisedName::parse(None, Some("Regular")).unwrap(), extra: won(0) },
                ProductOption { name: LocalisedName::parse(None, Some("Large")).unwrap(), extra: won(2000) },
            ],
        )
        .unwrap();
        let ramen = market
            .save_product(
                &kitchen_owner,
                ProductInput { options: vec![size], ..product("해물라면", "Seafood ramyun", 7000) },
            )
            .await
            .unwrap();
        assert_eq!(ramen.options.len(), 1);
        let medicine = ProductInput { needs_pharmacist: true, ..product("타이레놀 500mg", "Tylenol", 4000) };
        let not_a_pharmacy = market.save_product(&grocery_owner, medicine.clone()).await.unwrap_err();
        assert_eq!(not_a_pharmacy.code, "pharmacist_check_needs_pharmacy");
        market.save_product(&pharmacy_owner, medicine).await.unwrap();
        market.save_product(&pharmacy_owner, product("우유맛 영양제", "Milk-flavour vitamins", 9000)).await.unwrap();

        // Two edits from the same version: the second is refused, not silently applied.
        let edit = |price| ProductInput {
            id: Some(ramen.id),
            expected_version: Some(1),
            ..product("해물라면", "Seafood ramyun", price)
        };
        market.save_product(&kitchen_owner, edit(7500)).await.unwrap();
        assert_eq!(market.save_product(&kitchen_owner, edit(8000)).await.unwrap_err().code, "product_changed");
        let other_shop = market.save_product(&grocery_owner, edit(1)).await.unwrap_err();
        assert_eq!(other_shop.kind, ErrorKind::NotFound, "another shop's product looks missing");

        // In Mapo: the grocery delivers; the pharmacy offers pickup; the kitchen (radius only) is out of reach.
        let in_mapo = market.search(&search("우유", Whereabouts::Area(mapo.id))).await.unwrap();
        assert_eq!(
            names(&in_mapo),
            [
                ("우유식빵".to_owned(), true),
                ("우유맛 영양제".to_owned(), false),
                ("서울우유 흰우유 1L".to_owned(), true)
            ]
        );
        assert!(market.search(&search("라면", Whereabouts::Area(mapo.id))).await.unwrap().hits.is_empty());
        // Near the kitchen's door it delivers, with the distance.
        let nearby = Coordinates::new(37.5600, 126.9250).unwrap();
        let noodles = market.search(&search("라면", Whereabouts::Location(nearby))).await.unwrap();
        assert_eq!(names(&noodles), [("해물라면".to_owned(), true)]);
        let distance = noodles.hits[0].distance_metres.unwrap();
        assert!((300..600).contains(&distance), "{distance}");
        let far = Coordinates::new(37.4979, 127.0276).unwrap();
        assert!(market.search(&search("라면", Whereabouts::Location(far))).await.unwrap().hits.is_empty());
        // A typo finds it, and says so.
        let typo = market.search(&search("ramyn", Whereabouts::Location(nearby))).await.unwrap();
        assert!(typo.fuzzy && typo.hits.len() == 1, "{typo:?}");

        // Open now: the closed pharmacy drops out; so does the grocery once it pauses.
        let open = SearchInput { open_now: true, ..search("우유", Whereabouts::Area(mapo.id)) };
        assert_eq!(market.search(&open).await.unwrap().hits.len(), 2);
        market.set_accepting(&cashier, false).await.unwrap();
        assert!(market.search(&open).await.unwrap().hits.is_empty(), "a paused kitchen takes no orders");
        let pharmacies = SearchInput { kind: Some(SellerKind::Pharmacy), ..search("우유", Whereabouts::Unknown) };
        assert_eq!(names(&market.search(&pharmacies).await.unwrap()), [("우유맛 영양제".to_owned(), false)]);

        // Hostile searches get a clear refusal.
        let long = market.search(&search(&"우".repeat(10 * 1024), Whereabouts::Unknown)).await.unwrap_err();
        assert_eq!((long.kind, long.code), (ErrorKind::Invalid, "search_too_long"));
        let symbols = market.search(&search("%%% *** ''", Whereabouts::Unknown)).await.unwrap_err();
        assert_eq!(symbols.code, "search_empty");
    })
    .await;
}
