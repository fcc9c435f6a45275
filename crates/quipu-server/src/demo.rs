//! `quipu demo`: a fresh data directory seeded with a small network, so a
//! newcomer can try every flow a minute after cloning, the marketplace's among them
//! ([`market`]).

pub mod market;

use std::path::Path;

use quipu_core::identity::{NewLogin, NewMerchant, NewWorker, Registration};
use quipu_core::{Principal, Services};
use quipu_domain::identity::{DisplayName, Password, PhoneNumber, Pin, Role};
use quipu_domain::ledger::TransferId;
use quipu_domain::merchant::CategoryCode;
use quipu_domain::money::AmountInput;

use crate::Fallible;

/// Marks a directory as made by `quipu demo`, so it may be wiped and re-seeded.
const MARKER: &str = ".quipu-demo";

pub struct DemoLogin {
    pub role: &'static str,
    pub name: &'static str,
    pub phone: &'static str,
    pub password: &'static str,
    pub pin: Option<&'static str>,
}

pub const OPERATOR: DemoLogin =
    DemoLogin { role: "operator", name: "Olga Operator", phone: "+15550100001", password: "operator-pass", pin: None };
pub const AGENT: DemoLogin =
    DemoLogin { role: "agent", name: "Ade Agent", phone: "+15550100002", password: "agent-pass", pin: Some("2468") };
/// A cashier at the first shop, to try the till as a cashier does.
pub const CASHIER: DemoLogin =
    DemoLogin { role: "cashier", name: "Carlos Cashier", phone: "+15550100014", password: "cashier-pass", pin: None };
/// The pharmacist at Farmacia Central, who checks its stronger medicines before an order goes on.
pub const PHARMACIST: DemoLogin = DemoLogin {
    role: "pharmacist",
    name: "Paula Pharmacist",
    phone: "+15550100017",
    password: "pharmacist-pass",
    pin: None,
};
/// The pharmacy the demo's pharmacist works at.
const PHARMACY: &str = "Farmacia Central";
pub const MERCHANTS: [(&str, DemoLogin); 5] = [
    (
        "Mama Rosa's Groceries",
        DemoLogin {
            role: "merchant owner",
            name: "Rosa Mbeki",
            phone: "+15550100011",
            password: "merchant-pass",
            pin: None,
        },
    ),
    (
        "Farmacia Central",
        DemoLogin {
            role: "merchant owner",
            name: "Luis Ortega",
            phone: "+15550100012",
            password: "merchant-pass",
            pin: None,
        },
    ),
    (
        "Warung Sari",
        DemoLogin {
            role: "merchant owner",
            name: "Sari Dewi",
            phone: "+15550100013",
            password: "merchant-pass",
            pin: None,
        },
    ),
    (
        "Hanbit Mart",
        DemoLogin {
            role: "merchant owner",
            name: "Park Minji",
            phone: "+15550100015",
            password: "merchant-pass",
            pin: None,
        },
    ),
    (
        "Seoul Bapsang",
        DemoLogin {
            role: "merchant owner",
            name: "Kim Jiho",
            phone: "+15550100016",
            password: "merchant-pass",
            pin: None,
        },
    ),
];
/// The customer the start-up output names for ordering in the market.
pub const SHOPPER: &DemoLogin = &CUSTOMERS[0].0;
pub const CUSTOMERS: [(DemoLogin, &str); 3] = [
    (
        DemoLogin {
            role: "customer",
            name: "Amina Diallo",
            phone: "+15550100021",
            password: "customer-pass",
            pin: Some("1234"),
        },
        "250.00",
    ),
    (
        DemoLogin {
            role: "customer",
            name: "Bruno Silva",
            phone: "+15550100022",
            password: "customer-pass",
            pin: Some("1234"),
        },
        "120.00",
    ),
    (
        DemoLogin {
            role: "customer",
            name: "Chen Wei",
            phone: "+15550100023",
            password: "customer-pass",
            pin: Some("1234"),
        },
        "75.50",
    ),
];
const AGENT_FLOAT: &str = "10000.00";

/// Empties a directory made by an earlier demo, or creates it; refuses any other directory.
pub fn fresh_directory(dir: &Path) -> Fallible<()> {
    if dir.exists() {
        if !dir.join(MARKER).is_file() {
            return Err(format!(
                "{} exists and was not made by `quipu demo`; choose another --data-dir",
                dir.display()
            )
            .into());
        }
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(MARKER), "made by quipu demo; deleted and re-seeded by the next `quipu demo`\n")?;
    Ok(())
}

fn user_principal(id: quipu_domain::identity::UserId, role: Role) -> Principal {
    Principal::User { id, role, merchant_id: None }
}

fn new_id(services: &Services) -> TransferId {
    TransferId(services.kernel.new_id())
}

fn login(demo: &DemoLogin) -> Fallible<NewLogin> {
    Ok(NewLogin {
        phone: PhoneNumber::parse(demo.phone)?,
        full_name: DisplayName::parse(demo.name)?,
        password: Password::parse(demo.password)?,
    })
}

fn pin(demo: &DemoLogin) -> Fallible<Pin> {
    Ok(Pin::parse(demo.pin.unwrap_or("0000"))?)
}

fn amount(text: &str) -> AmountInput<'_> {
    AmountInput { amount: text, currency: None }
}

/// The fee every demo merchant pays on a payment: 1.5%.
const DEMO_FEE_BPS: u32 = 150;

/// Where each demo merchant trades and its ISO 18245 category, for its QR.
fn demo_profile(business: &str) -> (&'static str, &'static str) {
    match business {
        "Farmacia Central" => ("Cusco", "5912"),
        "Warung Sari" => ("Yogyakarta", "5812"),
        "Seoul Bapsang" => ("Seoul", "5812"),
        "Hanbit Mart" => ("Seoul", "5411"),
        _ => ("Lima", "5411"),
    }
}

/// What `quipu demo` seeded: its logins, each with a note, and the market's sellers.
pub struct DemoNetwork {
    pub logins: Vec<(String, &'static DemoLogin)>,
    pub sellers: Vec<market::SellerNote>,
}

/// Seeds the operator, an agent with float, merchants and customers with balances, and the
/// market: its districts and sellers with their catalogs.
pub async fn seed(services: &Services) -> Fallible<DemoNetwork> {
    let mut logins: Vec<(String, &'static DemoLogin)> = Vec::new();
    let mut shops = Vec::with_capacity(MERCHANTS.len());
    let operator = services.identity.create_staff(Role::Operator, &login(&OPERATOR)?).await?;
    let operator = user_principal(operator.id, Role::Operator);
    logins.push((String::new(), &OPERATOR));
    let agent =
        services.identity.create_agent(&operator, &NewWorker { login: login(&AGENT)?, pin: pin(&AGENT)? }).await?;
    let agent_id = agent.user.id;
    services.wallet.issue(&operator, new_id(services), agent_id, amount(AGENT_FLOAT)).await?;
    logins.push((format!("float {AGENT_FLOAT}"), &AGENT));
    for (business, owner) in &MERCHANTS {
        let merchant = NewMerchant { name: DisplayName::parse(business)?, owner: login(owner)? };
        let merchant = services.identity.create_merchant(&operator, &merchant).await?;
        services.payments.set_merchant_fee(&operator, merchant.id, DEMO_FEE_BPS).await?;
        let owner_principal =
            Principal::User { id: merchant.owner.id, role: Role::MerchantOwner, merchant_id: Some(merchant.id) };
        let (city, category) = demo_profile(business);
        services.merchant_qr.set_merchant_profile(&owner_principal, city, &CategoryCode::parse(category)?).await?;
        logins.push((format!("{business}, fee 1.5%"), owner));
        shops.push(market::Shop { name: business, id: merchant.id, owner: owner_principal.clone() });
        if logins.iter().all(|(_, login)| login.role != CASHIER.role) {
            services.identity.add_cashier(&owner_principal, &login(&CASHIER)?).await?;
            logins.push((format!("till at {business}"), &CASHIER));
        }
    }
    let agent = user_principal(agent_id, Role::Agent);
    for (customer, balance) in &CUSTOMERS {
        let registration = Registration { login: login(customer)?, pin: pin(customer)? };
        services.identity.register_customer(&registration).await?;
        services.wallet.cash_in(&agent, new_id(services), &registration.login.phone, amount(balance)).await?;
        logins.push((format!("balance {balance}"), customer));
    }
    let started = std::time::Instant::now();
    let sellers = market::seed(services, &operator, &shops).await?;
    // Only a pharmacy has pharmacists: the shop sells as one now.
    let pharmacy = shops.iter().find(|shop| shop.name == PHARMACY).ok_or("the demo has no pharmacy")?;
    services.add_pharmacist(&pharmacy.owner, &login(&PHARMACIST)?).await?;
    logins.push((format!("checks medicines at {PHARMACY}"), &PHARMACIST));
    let products: usize = sellers.iter().map(|seller| seller.products).sum();
    tracing::info!(products, seconds = started.elapsed().as_secs_f64(), "demo market seeded");
    Ok(DemoNetwork { logins, sellers })
}

/// The web pages' settings for the demo: its logins on the start page.
pub fn web_settings(logins: &[(String, &'static DemoLogin)]) -> quipu_web::WebSettings {
    let demo_logins = logins
        .iter()
        .map(|(_, login)| quipu_web::DemoLogin {
            role: login.role.to_owned(),
            name: login.name.to_owned(),
            phone: login.phone.to_owned(),
            password: login.password.to_owned(),
            pin: login.pin.unwrap_or("-").to_owned(),
        })
        .collect();
    quipu_web::WebSettings { demo_logins, ..quipu_web::WebSettings::default() }
}

pub fn print_logins(addr: std::net::SocketAddr, https: bool, network: &DemoNetwork) {
    let logins = &network.logins;
    let scheme = if https { "https" } else { "http" };
    println!("Quipu demo network is ready at {scheme}://{addr} (API under /api/v1, OpenAPI at /api/v1/openapi.json)\n");
    println!("{:<16} {:<14} {:<16} {:<6} notes", "role", "phone", "password", "pin");
    for (note, login) in logins {
        println!(
            "{:<16} {:<14} {:<16} {:<6} {} {}",
            login.role,
            login.phone,
            login.password,
            login.pin.unwrap_or("-"),
            login.name,
            if note.is_empty() { String::new() } else { format!("({note})") }
        );
    }
    print_market(&network.sellers);
    println!("\nThese are demo credentials: never reuse them on a real network. Ctrl-C stops the server.");
}

/// The market's sellers, and who can order from them.
fn print_market(sellers: &[market::SellerNote]) {
    println!(
        "\nMarket: open around the clock, pickup or delivery to {} (GET /api/v1/market/search?q=우유)",
        market::AREAS.join(", ")
    );
    for seller in sellers {
        println!("  {}", seller.line());
    }
    println!(
        "{} ({}, {}, PIN {}) can order: POST /api/v1/me/cart/lines, then /api/v1/me/checkout",
        SHOPPER.name,
        SHOPPER.phone,
        SHOPPER.password,
        SHOPPER.pin.unwrap_or("-")
    );
}
