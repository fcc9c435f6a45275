//! The demo's marketplace: districts the operator names, a grocery of a few hundred products, a
//! pharmacy whose stronger medicines wait for a pharmacist, and two restaurants whose dishes take
//! options. Seeded through the market's services, as an operator and the shops' owners would, and
//! the same every run: the lists below are fixed, and nothing is drawn at random.
//!
//! Every shop is open around the clock and accepting orders, so a walk-through works at any hour.
//! Nothing here is named "식빵" or delivers to "Riverside": the README's walk-through makes those
//! itself (step 18) and picks its bread by that word (step 19).

use quipu_core::market::{ProductInput, StorefrontInput};
use quipu_core::{Principal, Services};
use quipu_domain::identity::MerchantId;
use quipu_domain::market::AreaId;
use quipu_domain::market::catalog::{LocalisedName, OptionGroup, ProductOption, Stock, Unit};
use quipu_domain::market::storefront::{Coordinates, DeliveryTerms, OpeningHours, SellerKind, parse_day};
use quipu_domain::money::Amount;
use quipu_store::market::{RadiusDelivery, SellerAreaRecord};

use crate::Fallible;

/// The districts the demo's shops deliver to.
pub const AREAS: [&str; 3] = ["Mangwon-dong", "Hapjeong", "Yeonnam-dong"];

/// A seller as the demo's start-up lines describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerNote {
    pub name: String,
    pub kind: SellerKind,
    pub products: usize,
    pub sold_out: usize,
    /// Products that wait for a pharmacist's check.
    pub flagged: usize,
    /// Products that take options.
    pub with_options: usize,
}

impl SellerNote {
    /// One line of the start-up output.
    pub fn line(&self) -> String {
        let mut line = format!("{:<18} {:<10} {} products", self.name, self.kind.as_str(), self.products);
        if self.flagged > 0 {
            line.push_str(&format!(", {} need a pharmacist's check", self.flagged));
        }
        if self.with_options > 0 {
            line.push_str(&format!(", {} with options", self.with_options));
        }
        if self.sold_out > 0 {
            line.push_str(&format!(", {} sold out", self.sold_out));
        }
        line
    }
}

/// A demo merchant the market may enable: its name, id and its owner acting.
pub struct Shop {
    pub name: &'static str,
    pub id: MerchantId,
    pub owner: Principal,
}

/// Delivery terms in minor units: the fee, the minimum order, and the subtotal it is free from.
type Terms = (i64, i64, Option<i64>);

/// How one demo seller trades: its kind, storefront and catalog.
struct SellerPlan {
    name: &'static str,
    kind: SellerKind,
    description: &'static str,
    address: &'static str,
    /// Microdegrees, in Mapo-gu, Seoul, where the districts are.
    location: (i32, i32),
    preparation_minutes: u32,
    /// Per district (in the order of [`AREAS`]): fee, minimum order, free from (minor units).
    terms: [Option<Terms>; 3],
    /// Metres around the shop, and on what terms.
    radius: Option<(u32, Terms)>,
    catalog: fn() -> Fallible<Vec<ProductInput>>,
}

const SELLERS: [SellerPlan; 4] = [
    SellerPlan {
        name: "Hanbit Mart",
        kind: SellerKind::Grocery,
        description: "A neighbourhood supermarket: fresh produce, dairy, noodles, kimchi and household goods.",
        address: "21 Worldcup-ro 19-gil, Mangwon-dong",
        location: (37_556_100, 126_905_400),
        preparation_minutes: 15,
        terms: [Some((200, 1_000, Some(3_000))), Some((300, 1_500, Some(4_000))), Some((300, 1_500, None))],
        radius: Some((2_000, (350, 2_000, Some(5_000)))),
        catalog: grocery,
    },
    SellerPlan {
        name: "Farmacia Central",
        kind: SellerKind::Pharmacy,
        description: "Medicines and health care; prescription medicines are checked by our pharmacist.",
        address: "5 Hapjeong-ro, Hapjeong",
        location: (37_549_600, 126_913_700),
        preparation_minutes: 10,
        terms: [Some((150, 500, Some(2_000))), Some((150, 500, Some(2_000))), None],
        radius: None,
        catalog: pharmacy,
    },
    SellerPlan {
        name: "Warung Sari",
        kind: SellerKind::Restaurant,
        description: "Indonesian home cooking: nasi goreng, satay and sweet iced tea.",
        address: "88 Yeonhui-ro, Yeonnam-dong",
        location: (37_562_300, 126_923_800),
        preparation_minutes: 25,
        terms: [None, Some((250, 1_200, Some(3_500))), Some((200, 1_000, Some(3_000)))],
        radius: None,
        catalog: warung,
    },
    SellerPlan {
        name: "Seoul Bapsang",
        kind: SellerKind::Restaurant,
        description: "Korean comfort food: bibimbap, stews, tteokbokki and fried chicken.",
        address: "12 Donggyo-ro, Yeonnam-dong",
        location: (37_560_800, 126_921_200),
        preparation_minutes: 20,
        terms: [Some((200, 1_200, Some(3_000))), None, Some((250, 1_500, None))],
        radius: None,
        catalog: bapsang,
    },
];

/// Names the districts, enables the sellers among `shops`, fills in their storefronts and writes
/// their catalogs (each in one write). Returns what it made, for the start-up output.
pub async fn seed(services: &Services, operator: &Principal, shops: &[Shop]) -> Fallible<Vec<SellerNote>> {
    let mut areas = Vec::with_capacity(AREAS.len());
    for name in AREAS {
        areas.push(services.market.create_area(operator, name).await?.id);
    }
    let mut notes = Vec::with_capacity(SELLERS.len());
    for plan in &SELLERS {
        let shop = shops
            .iter()
            .find(|shop| shop.name == plan.name)
            .ok_or_else(|| format!("the demo has no merchant named {}", plan.name))?;
        services.market.enable_seller(operator, shop.id, plan.kind).await?;
        services.market.set_storefront(&shop.owner, storefront(plan, &areas)?).await?;
        let catalog = (plan.catalog)()?;
        let note = note(plan, &catalog);
        services.market.save_products(&shop.owner, catalog).await?;
        notes.push(note);
    }
    Ok(notes)
}

fn note(plan: &SellerPlan, catalog: &[ProductInput]) -> SellerNote {
    SellerNote {
        name: plan.name.to_owned(),
        kind: plan.kind,
        products: catalog.len(),
        sold_out: catalog.iter().filter(|product| product.stock.is_sold_out()).count(),
        flagged: catalog.iter().filter(|product| product.needs_pharmacist).count(),
        with_options: catalog.iter().filter(|product| !product.options.is_empty()).count(),
    }
}

fn terms((fee, minimum, free_from): Terms) -> DeliveryTerms {
    DeliveryTerms {
        fee: Amount::from_minor(fee),
        minimum_order: Amount::from_minor(minimum),
        free_from: free_from.map(Amount::from_minor),
    }
}

fn storefront(plan: &SellerPlan, areas: &[AreaId]) -> Fallible<StorefrontInput> {
    let all_day = parse_day("00:00-24:00")?;
    let (latitude, longitude) = plan.location;
    let delivery = areas
        .iter()
        .zip(plan.terms)
        .filter_map(|(area, stated)| stated.map(|stated| SellerAreaRecord { area: *area, terms: terms(stated) }))
        .collect();
    Ok(StorefrontInput {
        description: plan.description.to_owned(),
        address: plan.address.to_owned(),
        location: Some(Coordinates::new(f64::from(latitude) / 1e6, f64::from(longitude) / 1e6)?),
        hours: OpeningHours::new(std::array::from_fn(|_| all_day.clone()), Vec::new())?,
        accepting: true,
        preparation_minutes: plan.preparation_minutes,
        pickup: true,
        radius: plan.radius.map(|(metres, stated)| RadiusDelivery { metres, terms: terms(stated) }),
        areas: delivery,
    })
}

/// A new product, visible, with no options.
fn product(
    sku: String,
    (korean, english): (&str, &str),
    category: &str,
    unit: Unit,
    price: i64,
    stock: Stock,
) -> Fallible<ProductInput> {
    Ok(ProductInput {
        id: None,
        expected_version: None,
        sku: Some(sku),
        name: LocalisedName::parse(Some(korean), Some(english))?,
        description: None,
        category: category.to_owned(),
        price: Amount::from_minor(price),
        unit,
        stock,
        needs_pharmacist: false,
        visible: true,
        options: Vec::new(),
    })
}

/// A grocery staple: Korean and English names, category, unit, price (minor units), and whether
/// an organic line of it is sold too.
type Staple = (&'static str, &'static str, &'static str, Unit, i64, bool);

const STAPLES: &[Staple] = &[
    ("흰우유 1L", "White milk 1L", "dairy", Unit::Each, 290, true),
    ("딸기우유 200ml", "Strawberry milk 200ml", "dairy", Unit::Each, 150, false),
    ("두유 190ml", "Soy milk 190ml", "dairy", Unit::Each, 120, false),
    ("요구르트", "Drinking yogurt", "dairy", Unit::Pack, 380, true),
    ("플레인 요거트 450g", "Plain yogurt 450g", "dairy", Unit::Each, 420, true),
    ("슬라이스 치즈", "Sliced cheese", "dairy", Unit::Pack, 560, false),
    ("모차렐라 치즈", "Mozzarella cheese", "dairy", Unit::Each, 720, false),
    ("버터 200g", "Butter 200g", "dairy", Unit::Each, 650, false),
    ("계란 10구", "Eggs, 10", "eggs", Unit::Pack, 390, true),
    ("메추리알", "Quail eggs", "eggs", Unit::Pack, 450, false),
    ("모닝빵", "Dinner rolls", "bakery", Unit::Pack, 320, false),
    ("단팥빵", "Red bean bun", "bakery", Unit::Each, 180, false),
    ("크림빵", "Cream bun", "bakery", Unit::Each, 190, false),
    ("소보로빵", "Streusel bun", "bakery", Unit::Each, 180, false),
    ("바게트", "Baguette", "bakery", Unit::Each, 350, false),
    ("크루아상", "Croissant", "bakery", Unit::Each, 280, false),
    ("카스텔라", "Castella sponge cake", "bakery", Unit::Each, 550, false),
    ("신라면", "Shin ramyun spicy noodles", "noodles", Unit::Pack, 450, false),
    ("진라면", "Jin ramen noodles", "noodles", Unit::Pack, 420, false),
    ("짜파게티", "Chapagetti black bean noodles", "noodles", Unit::Pack, 480, false),
    ("비빔면", "Bibim cold spicy noodles", "noodles", Unit::Pack, 460, false),
    ("물냉면", "Cold buckwheat noodles", "noodles", Unit::Pack, 520, false),
    ("칼국수", "Knife-cut noodles", "noodles", Unit::Pack, 380, false),
    ("소면", "Thin wheat noodles", "noodles", Unit::Each, 290, false),
    ("당면", "Sweet potato glass noodles", "noodles", Unit::Each, 340, false),
    ("사과", "Apples", "produce", Unit::Kilogram, 480, true),
    ("배", "Korean pears", "produce", Unit::Kilogram, 560, false),
    ("바나나", "Bananas", "produce", Unit::Kilogram, 260, true),
    ("딸기", "Strawberries", "produce", Unit::Pack, 890, true),
    ("귤", "Tangerines", "produce", Unit::Kilogram, 420, false),
    ("포도", "Grapes", "produce", Unit::Kilogram, 790, false),
    ("수박", "Watermelon", "produce", Unit::Each, 1_590, false),
    ("감자", "Potatoes", "produce", Unit::Kilogram, 320, true),
    ("고구마", "Sweet potatoes", "produce", Unit::Kilogram, 380, true),
    ("양파", "Onions", "produce", Unit::Kilogram, 250, false),
    ("마늘", "Garlic", "produce", Unit::HundredGrams, 120, false),
    ("대파", "Spring onions", "produce", Unit::Each, 190, false),
    ("배추", "Napa cabbage", "produce", Unit::Each, 350, true),
    ("무", "Korean radish", "produce", Unit::Each, 220, false),
    ("애호박", "Korean zucchini", "produce", Unit::Each, 160, false),
    ("오이", "Cucumber", "produce", Unit::Each, 90, false),
    ("당근", "Carrots", "produce", Unit::Kilogram, 290, true),
    ("시금치", "Spinach", "produce", Unit::HundredGrams, 110, true),
    ("깻잎", "Perilla leaves", "produce", Unit::Pack, 200, false),
    ("청양고추", "Green chili peppers", "produce", Unit::HundredGrams, 150, false),
    ("콩나물", "Soybean sprouts", "produce", Unit::Pack, 130, false),
    ("표고버섯", "Shiitake mushrooms", "produce", Unit::HundredGrams, 240, false),
    ("쌀", "White rice", "grains", Unit::Kilogram, 340, true),
    ("현미", "Brown rice", "grains", Unit::Kilogram, 420, true),
    ("찹쌀", "Glutinous rice", "grains", Unit::Kilogram, 450, false),
    ("잡곡", "Mixed grains", "grains", Unit::Kilogram, 520, false),
    ("밀가루", "Wheat flour", "grains", Unit::Kilogram, 210, false),
    ("부침가루", "Korean pancake mix", "grains", Unit::Each, 290, false),
    ("두부", "Tofu", "tofu", Unit::Each, 180, true),
    ("순두부", "Soft tofu", "tofu", Unit::Each, 130, false),
    ("배추김치", "Napa cabbage kimchi", "kimchi", Unit::Kilogram, 890, false),
    ("깍두기", "Radish kimchi", "kimchi", Unit::Kilogram, 760, false),
    ("총각김치", "Ponytail radish kimchi", "kimchi", Unit::Kilogram, 820, false),
    ("어묵", "Fish cakes", "side dishes", Unit::Pack, 350, false),
    ("조미김", "Seasoned seaweed", "side dishes", Unit::Pack, 420, false),
    ("미역", "Dried seaweed", "side dishes", Unit::Each, 380, false),
    ("멸치", "Dried anchovies", "side dishes", Unit::HundredGrams, 520, false),
    ("삼겹살", "Pork belly", "meat", Unit::HundredGrams, 280, false),
    ("목살", "Pork neck", "meat", Unit::HundredGrams, 260, false),
    ("소불고기", "Beef bulgogi", "meat", Unit::HundredGrams, 450, false),
    ("닭가슴살", "Chicken breast", "meat", Unit::Kilogram, 990, false),
    ("닭다리", "Chicken drumsticks", "meat", Unit::Kilogram, 760, false),
    ("고등어", "Mackerel", "seafood", Unit::Each, 450, false),
    ("오징어", "Squid", "seafood", Unit::Each, 590, false),
    ("새우", "Shrimp", "seafood", Unit::HundredGrams, 390, false),
    ("참치캔", "Canned tuna", "seafood", Unit::Pack, 690, false),
    ("고추장", "Red chili paste (gochujang)", "sauces", Unit::Each, 620, false),
    ("된장", "Soybean paste (doenjang)", "sauces", Unit::Each, 580, false),
    ("간장", "Soy sauce", "sauces", Unit::Each, 450, false),
    ("참기름", "Sesame oil", "sauces", Unit::Each, 790, false),
    ("식용유", "Cooking oil", "sauces", Unit::Each, 520, false),
    ("천일염", "Sea salt", "sauces", Unit::Each, 190, false),
    ("설탕", "Sugar", "sauces", Unit::Kilogram, 230, false),
    ("고춧가루", "Red chili flakes", "sauces", Unit::HundredGrams, 310, false),
    ("초코파이", "Choco pie", "snacks", Unit::Pack, 420, false),
    ("새우깡", "Shrimp crackers", "snacks", Unit::Each, 150, false),
    ("감자칩", "Potato chips", "snacks", Unit::Each, 170, false),
    ("빼빼로", "Pepero chocolate sticks", "snacks", Unit::Each, 140, false),
    ("약과", "Honey cookies (yakgwa)", "snacks", Unit::Pack, 380, false),
    ("생수 2L", "Still water 2L", "drinks", Unit::Each, 110, false),
    ("탄산수", "Sparkling water", "drinks", Unit::Each, 130, false),
    ("콜라", "Cola", "drinks", Unit::Each, 180, false),
    ("사이다", "Lemon-lime soda", "drinks", Unit::Each, 170, false),
    ("오렌지주스", "Orange juice", "drinks", Unit::Each, 390, false),
    ("녹차 티백", "Green tea bags", "drinks", Unit::Pack, 450, true),
    ("보리차", "Barley tea", "drinks", Unit::Pack, 320, false),
    ("믹스커피", "Instant coffee mix", "drinks", Unit::Pack, 890, false),
    ("물만두", "Boiled dumplings", "frozen", Unit::Pack, 590, false),
    ("군만두", "Fried dumplings", "frozen", Unit::Pack, 620, false),
    ("냉동 피자", "Frozen pizza", "frozen", Unit::Each, 750, false),
    ("아이스크림", "Ice cream", "frozen", Unit::Each, 320, false),
    ("화장지", "Toilet paper", "household", Unit::Pack, 990, false),
    ("물티슈", "Wet wipes", "household", Unit::Pack, 290, false),
    ("주방세제", "Dish soap", "household", Unit::Each, 380, false),
    ("세탁세제", "Laundry detergent", "household", Unit::Each, 1_290, false),
    ("샴푸", "Shampoo", "household", Unit::Each, 690, false),
    ("비누", "Bar soap", "household", Unit::Pack, 350, false),
    ("치약", "Toothpaste", "household", Unit::Each, 320, false),
    ("칫솔", "Toothbrushes", "household", Unit::Pack, 450, false),
    ("고무장갑", "Rubber gloves", "household", Unit::Each, 210, false),
    ("쓰레기봉투", "Trash bags", "household", Unit::Pack, 260, false),
];

/// `price` × `numerator` ÷ `denominator`, to ten minor units, at least ten.
fn scaled(price: i64, numerator: i64, denominator: i64) -> i64 {
    (price.saturating_mul(numerator) / denominator.max(1) / 10 * 10).max(10)
}

/// Product `index`'s stock: most untracked, every third counted, a few sold out either way.
fn grocery_stock(index: usize) -> Stock {
    match index {
        _ if index % 47 == 13 => Stock::Tracked(0),
        _ if index % 61 == 29 => Stock::Untracked { sold_out: true },
        _ if index.is_multiple_of(3) => Stock::Tracked(u32::try_from(6 + index * 7 % 40).unwrap_or(6)),
        _ => Stock::Untracked { sold_out: false },
    }
}

/// Every staple as sold, in an organic line where there is one, a family pack and a small pack.
fn grocery() -> Fallible<Vec<ProductInput>> {
    let mut lines = Vec::with_capacity(STAPLES.len() * 4);
    for &(korean, english, category, unit, price, organic) in STAPLES {
        lines.push((korean.to_owned(), english.to_owned(), category, unit, price));
        if organic {
            lines.push((
                format!("유기농 {korean}"),
                format!("{english}, organic"),
                category,
                unit,
                scaled(price, 7, 5),
            ));
        }
        lines.push((
            format!("{korean} 대용량"),
            format!("{english}, family pack"),
            category,
            Unit::Pack,
            scaled(price, 5, 2),
        ));
        lines.push((
            format!("{korean} 소포장"),
            format!("{english}, small pack"),
            category,
            Unit::Pack,
            scaled(price, 3, 5),
        ));
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(index, (korean, english, category, unit, price))| {
            product(format!("HB-{index:04}"), (&korean, &english), category, unit, price, grocery_stock(index))
        })
        .collect()
}

/// A medicine: names, category, unit, price (minor units), counted stock, and whether a
/// pharmacist checks it before the order goes ahead.
type Medicine = (&'static str, &'static str, &'static str, Unit, i64, u32, bool);

const MEDICINES: &[Medicine] = &[
    ("타이레놀 500mg", "Acetaminophen 500 mg, 10 tablets", "pain relief", Unit::Pack, 350, 40, false),
    ("이부프로펜 200mg", "Ibuprofen 200 mg, 10 tablets", "pain relief", Unit::Pack, 420, 35, false),
    ("파스", "Pain relief patches", "pain relief", Unit::Pack, 450, 20, false),
    ("종합감기약", "Cold and flu tablets", "cold and flu", Unit::Pack, 560, 30, false),
    ("코데인 기침 시럽", "Cough syrup with codeine", "cold and flu", Unit::Each, 640, 8, true),
    ("목캔디", "Throat lozenges", "cold and flu", Unit::Pack, 220, 50, false),
    ("아목시실린 500mg", "Amoxicillin 500 mg (antibiotic)", "prescription", Unit::Pack, 890, 12, true),
    ("암로디핀 5mg", "Amlodipine 5 mg (blood pressure)", "prescription", Unit::Pack, 950, 15, true),
    ("메트포르민 500mg", "Metformin 500 mg (diabetes)", "prescription", Unit::Pack, 870, 15, true),
    ("사후피임약", "Emergency contraceptive pill", "prescription", Unit::Each, 2_500, 5, true),
    ("수면유도제", "Sleep aid (doxylamine)", "sleep", Unit::Pack, 720, 10, true),
    ("하이드로코티손 연고", "Hydrocortisone cream 1%", "skin", Unit::Each, 550, 12, true),
    ("항생제 연고", "Antibiotic ointment", "skin", Unit::Each, 490, 18, false),
    ("소화제", "Digestive tablets", "digestion", Unit::Pack, 290, 40, false),
    ("제산제", "Antacid tablets", "digestion", Unit::Pack, 310, 30, false),
    ("지사제", "Anti-diarrhoea tablets", "digestion", Unit::Pack, 380, 25, false),
    ("항히스타민제", "Antihistamine (cetirizine)", "allergy", Unit::Pack, 480, 20, false),
    ("인공눈물", "Artificial tears", "eye care", Unit::Pack, 690, 0, false),
    ("일회용 밴드", "Adhesive bandages", "first aid", Unit::Pack, 250, 60, false),
    ("소독약", "Antiseptic solution", "first aid", Unit::Each, 320, 25, false),
    ("체온계", "Digital thermometer", "devices", Unit::Each, 1_290, 6, false),
    ("비타민C 1000mg", "Vitamin C 1000 mg", "vitamins", Unit::Pack, 990, 30, false),
    ("종합비타민", "Multivitamins", "vitamins", Unit::Pack, 1_590, 20, false),
    ("KF94 마스크 5매", "KF94 masks, 5", "masks", Unit::Pack, 450, 100, false),
];

fn pharmacy() -> Fallible<Vec<ProductInput>> {
    MEDICINES
        .iter()
        .enumerate()
        .map(|(index, &(korean, english, category, unit, price, stock, flagged))| {
            let mut medicine =
                product(format!("FC-{index:03}"), (korean, english), category, unit, price, Stock::Tracked(stock))?;
            medicine.needs_pharmacist = flagged;
            Ok(medicine)
        })
        .collect()
}

/// An option group: names, how many to choose (at least, at most), and the options with their
/// extra prices (minor units).
struct Group {
    names: (&'static str, &'static str),
    min: u32,
    max: u32,
    options: &'static [(&'static str, &'static str, i64)],
}

/// A dish: names, category, price (minor units), its option groups, and whether today's is gone.
type Dish = (&'static str, &'static str, &'static str, i64, &'static [&'static Group], bool);

const PORTION: Group =
    Group {
        names: ("양", "Portion"), min: 1, max: 1, options: &[("보통", "Regular", 0), ("곱빼기", "Large", 150)]
    };
const SPICE: Group = Group {
    names: ("맵기", "Spice level"),
    min: 1,
    max: 1,
    options: &[("순한맛", "Mild", 0), ("보통맛", "Medium", 0), ("매운맛", "Hot", 0)],
};
const WARUNG_TOPPINGS: Group = Group {
    names: ("토핑", "Toppings"),
    min: 0,
    max: 3,
    options: &[
        ("계란 프라이", "Fried egg", 80),
        ("닭고기 추가", "Extra chicken", 150),
        ("새우칩", "Prawn crackers", 50),
        ("삼발 소스", "Extra sambal", 30),
    ],
};
const SKEWERS: Group = Group {
    names: ("꼬치 수", "Skewers"),
    min: 1,
    max: 1,
    options: &[("5개", "5 skewers", 0), ("10개", "10 skewers", 650)],
};
const SATAY_SAUCE: Group = Group {
    names: ("소스", "Sauces"),
    min: 0,
    max: 2,
    options: &[("땅콩 소스", "Peanut sauce", 0), ("달콤 간장", "Sweet soy", 0), ("삼발", "Sambal", 30)],
};
const PIECES: Group = Group {
    names: ("조각 수", "Pieces"),
    min: 1,
    max: 1,
    options: &[("2조각", "2 pieces", 0), ("4조각", "4 pieces", 380)],
};
const DRINK_SIZE: Group =
    Group {
        names: ("크기", "Size"), min: 1, max: 1, options: &[("레귤러", "Regular", 0), ("라지", "Large", 50)]
    };
const SUGAR: Group = Group {
    names: ("당도", "Sweetness"),
    min: 1,
    max: 1,
    options: &[("보통", "Normal", 0), ("덜 달게", "Less sweet", 0), ("무가당", "No sugar", 0)],
};
const BANANA_TOPPINGS: Group = Group {
    names: ("토핑", "Toppings"),
    min: 0,
    max: 2,
    options: &[("초콜릿", "Chocolate", 40), ("치즈", "Cheese", 50), ("야자당", "Palm sugar", 30)],
};

const WARUNG_MENU: &[Dish] = &[
    ("나시고렝", "Nasi goreng (fried rice)", "mains", 650, &[&PORTION, &SPICE, &WARUNG_TOPPINGS], false),
    ("미고렝", "Mie goreng (fried noodles)", "mains", 620, &[&PORTION, &SPICE, &WARUNG_TOPPINGS], false),
    ("아얌 고렝", "Ayam goreng (fried chicken)", "mains", 720, &[&PIECES, &SPICE], false),
    ("비프 렌당", "Beef rendang", "mains", 890, &[&PORTION], true),
    ("사테 아얌", "Sate ayam (chicken satay)", "grill", 780, &[&SKEWERS, &SATAY_SAUCE], false),
    ("가도가도", "Gado-gado (vegetables, peanut sauce)", "salads", 550, &[&WARUNG_TOPPINGS], false),
    ("소토 아얌", "Soto ayam (chicken soup)", "soups", 590, &[&PORTION], false),
    ("에스 테 마니스", "Es teh manis (sweet iced tea)", "drinks", 150, &[&DRINK_SIZE, &SUGAR], false),
    ("에스 제룩", "Es jeruk (iced orange)", "drinks", 200, &[&DRINK_SIZE, &SUGAR], false),
    ("피상 고렝", "Pisang goreng (fried banana)", "desserts", 350, &[&BANANA_TOPPINGS], false),
    ("크루푹", "Krupuk (prawn crackers)", "sides", 120, &[], false),
];

const RICE: Group = Group {
    names: ("밥", "Rice"),
    min: 1,
    max: 1,
    options: &[("흰쌀밥", "White rice", 0), ("잡곡밥", "Multigrain rice", 50)],
};
const BOWL_TOPPINGS: Group = Group {
    names: ("추가", "Extras"),
    min: 0,
    max: 3,
    options: &[("계란 프라이", "Fried egg", 50), ("소고기 추가", "Extra beef", 200), ("아보카도", "Avocado", 150)],
};
const STEW_EXTRAS: Group = Group {
    names: ("추가", "Extras"),
    min: 0,
    max: 4,
    options: &[
        ("돼지고기 추가", "Extra pork", 200),
        ("라면 사리", "Ramen noodles", 100),
        ("치즈", "Cheese", 80),
        ("공기밥", "Bowl of rice", 100),
    ],
};
const TTEOKBOKKI_TOPPINGS: Group = Group {
    names: ("토핑", "Toppings"),
    min: 0,
    max: 4,
    options: &[
        ("삶은 계란", "Boiled egg", 50),
        ("어묵", "Fish cake", 70),
        ("치즈", "Cheese", 90),
        ("라면 사리", "Ramen noodles", 100),
    ],
};
const GIMBAP_FILLING: Group = Group {
    names: ("속재료", "Filling"),
    min: 1,
    max: 1,
    options: &[("기본", "Classic", 0), ("참치", "Tuna", 100), ("치즈", "Cheese", 80), ("불고기", "Beef bulgogi", 150)],
};
const CHICKEN_SIZE: Group =
    Group {
        names: ("크기", "Size"), min: 1, max: 1, options: &[("반 마리", "Half", 0), ("한 마리", "Whole", 700)]
    };
const CHICKEN_SAUCE: Group = Group {
    names: ("양념", "Sauce"),
    min: 1,
    max: 1,
    options: &[("양념", "Sweet and spicy", 0), ("간장 마늘", "Soy garlic", 0), ("후라이드", "Plain crispy", 0)],
};
const CHICKEN_EXTRAS: Group = Group {
    names: ("추가", "Extras"),
    min: 0,
    max: 3,
    options: &[("치킨무", "Pickled radish", 50), ("치즈볼", "Cheese balls", 250), ("콜라 1.25L", "Cola 1.25 L", 200)],
};

const BAPSANG_MENU: &[Dish] = &[
    ("비빔밥", "Bibimbap", "rice", 750, &[&RICE, &SPICE, &BOWL_TOPPINGS], false),
    ("돌솥비빔밥", "Stone-pot bibimbap", "rice", 890, &[&RICE, &SPICE, &BOWL_TOPPINGS], false),
    ("불고기 덮밥", "Bulgogi rice bowl", "rice", 820, &[&RICE, &BOWL_TOPPINGS], false),
    ("김치찌개", "Kimchi stew", "stews", 800, &[&SPICE, &STEW_EXTRAS], false),
    ("된장찌개", "Soybean paste stew", "stews", 750, &[&STEW_EXTRAS], false),
    ("순두부찌개", "Soft tofu stew", "stews", 780, &[&SPICE, &STEW_EXTRAS], false),
    ("떡볶이", "Tteokbokki (spicy rice cakes)", "snacks", 550, &[&SPICE, &TTEOKBOKKI_TOPPINGS], false),
    ("김밥", "Gimbap (seaweed rice roll)", "snacks", 350, &[&GIMBAP_FILLING], false),
    ("양념치킨", "Korean fried chicken", "chicken", 1_650, &[&CHICKEN_SIZE, &CHICKEN_SAUCE, &CHICKEN_EXTRAS], false),
    ("물냉면", "Cold buckwheat noodle soup", "noodles", 850, &[&PORTION], false),
    ("해물파전", "Seafood pancake", "sides", 1_200, &[], true),
    ("식혜", "Sikhye (sweet rice punch)", "drinks", 250, &[], false),
    ("콜라", "Cola", "drinks", 200, &[], false),
];

fn names((korean, english): (&str, &str)) -> Fallible<LocalisedName> {
    Ok(LocalisedName::parse(Some(korean), Some(english))?)
}

fn option_group(group: &Group) -> Fallible<OptionGroup> {
    let options = group
        .options
        .iter()
        .map(|&(korean, english, extra)| {
            Ok(ProductOption { name: names((korean, english))?, extra: Amount::from_minor(extra) })
        })
        .collect::<Fallible<Vec<_>>>()?;
    Ok(OptionGroup::new(names(group.names)?, group.min, group.max, options)?)
}

/// A restaurant's menu: cooked to order, so not counted; a dish of the day may be gone.
fn menu(prefix: &str, dishes: &[Dish]) -> Fallible<Vec<ProductInput>> {
    dishes
        .iter()
        .enumerate()
        .map(|(index, &(korean, english, category, price, groups, sold_out))| {
            let stock = Stock::Untracked { sold_out };
            let mut dish =
                product(format!("{prefix}-{index:02}"), (korean, english), category, Unit::Each, price, stock)?;
            dish.options = groups.iter().map(|group| option_group(group)).collect::<Fallible<_>>()?;
            Ok(dish)
        })
        .collect()
}

fn warung() -> Fallible<Vec<ProductInput>> {
    menu("WS", WARUNG_MENU)
}

fn bapsang() -> Fallible<Vec<ProductInput>> {
    menu("SB", BAPSANG_MENU)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_catalogs_are_fixed_and_leave_the_walk_through_its_own_bread() {
        let products = grocery().unwrap();
        assert!(products.len() >= 300, "a few hundred products: {}", products.len());
        assert_eq!(format!("{products:?}"), format!("{:?}", grocery().unwrap()), "the same every run");
        let skus: std::collections::HashSet<_> = products.iter().map(|p| p.sku.clone()).collect();
        assert_eq!(skus.len(), products.len(), "every SKU once");
        let sold_out = products.iter().filter(|p| p.stock.is_sold_out()).count();
        assert!((3..=15).contains(&sold_out), "a few sold out: {sold_out}");
        let every = SELLERS.iter().map(|plan| (plan.catalog)().unwrap()).collect::<Vec<_>>();
        for product in every.iter().flatten() {
            let korean = product.name.korean().unwrap_or_default();
            assert!(!korean.contains("식빵"), "README step 19 finds its bread by 식빵: {korean}");
        }
        assert!(pharmacy().unwrap().iter().filter(|p| p.needs_pharmacist).count() >= 5);
        assert!(!AREAS.contains(&"Riverside"), "README step 18 names Riverside");
    }
}
