//! `quipu`: one binary for the whole network. A command line over
//! `quipu-server` (serve, demo, verify, admin, backup), `quipu-bench` and the
//! payment-code tools in [`qr`].

mod qr;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use quipu_core::identity::NewLogin;
use quipu_domain::identity::{DisplayName, Password, PhoneNumber, Role};
use quipu_server::Fallible;
use quipu_server::app::{Listener, Server, Setup, open_store, shutdown_signal};
use quipu_server::config::{Config, Overrides, StorageConfig};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "quipu",
    version,
    about = "Quipu: a self-hostable payment network: wallets, agents, QR codes and prepaid cards (no marketplace yet)"
)]
struct Cli {
    /// TOML configuration file (see README.md).
    #[arg(long, env = "QUIPU_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// SQLite data directory. Default: ./quipu-data for `serve` and the other commands (created on first
    /// start), ./quipu-demo for `demo` (made fresh each run). A directory you name must exist, except for
    /// `demo`, which makes it and refuses one it did not make.
    #[arg(long, env = "QUIPU_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://…) instead of SQLite.
    #[arg(long, env = "QUIPU_DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Enabled ISO 4217 currencies, comma-separated; the first is the default (default USD).
    #[arg(long, env = "QUIPU_CURRENCIES", global = true)]
    currencies: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (default 127.0.0.1:8080), over HTTPS with --tls-cert and --tls-key.
    Serve {
        /// Address and port to listen on, e.g. 0.0.0.0:8080 (default 127.0.0.1:8080).
        #[arg(long, env = "QUIPU_LISTEN")]
        listen: Option<String>,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Seed a fresh demo network in ./quipu-demo (or --data-dir), print its logins, and serve it.
    /// Unlike `serve`, it lets webhooks use plain http to this machine (127.0.0.1, localhost), to try them.
    Demo {
        /// Address and port to listen on (default 127.0.0.1:8080); exits at once if it is taken.
        #[arg(long, env = "QUIPU_LISTEN")]
        listen: Option<String>,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Ledger maintenance.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Write a consistent online copy of the SQLite database to DESTINATION (a new file).
    Backup {
        /// The file to write; it must not exist.
        destination: PathBuf,
    },
    /// Read, write and draw payment codes: EMV merchant QR, EMV consumer QR, Quipu numeric codes.
    Qr {
        #[command(subcommand)]
        command: QrCommand,
    },
    /// Benchmark the ledger engine, then a real server end to end over loopback HTTP, on fresh databases
    /// (SQLite, and PostgreSQL with --database-url, where it creates and drops its own databases);
    /// prints tables and writes JSON. See BENCHMARKS.md.
    Bench(BenchArgs),
}

/// Terminating TLS in the server itself, for a network without a reverse proxy: phones' cameras,
/// service workers and WebCrypto need HTTPS anywhere but localhost.
#[derive(clap::Args, Clone, Default)]
struct TlsArgs {
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, env = "QUIPU_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "QUIPU_TLS_KEY")]
    tls_key: Option<PathBuf>,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Payments per batched run (each is two transfers: the payment and its fee).
    #[arg(long, default_value_t = 200_000)]
    payments: usize,
    /// Payments per naive run (one transaction each).
    #[arg(long, default_value_t = 5_000)]
    naive_payments: usize,
    /// Customers (payers) in each scenario's database.
    #[arg(long, default_value_t = 10_000)]
    customers: usize,
    /// Merchants (payees) in each scenario's database.
    #[arg(long, default_value_t = 1_000)]
    merchants: usize,
    /// Clients submitting at once: enough that the writer's batches can fill.
    #[arg(long, default_value_t = 8_192)]
    concurrency: usize,
    /// Most payments committed in one transaction (the server's default).
    #[arg(long, default_value_t = quipu_core::WriterLimits::default().max_batch)]
    max_batch: usize,
    /// A small run for CI: every scenario, a few thousand payments.
    #[arg(long)]
    smoke: bool,
    /// Products in the search scenario's catalog (0 skips it).
    #[arg(long, default_value_t = quipu_bench::search::SearchOptions::full().products)]
    search_products: usize,
    /// Sellers the search scenario's products are spread over.
    #[arg(long, default_value_t = quipu_bench::search::SearchOptions::full().sellers)]
    search_sellers: usize,
    /// Where to write the JSON report.
    #[arg(long, default_value = "bench-results.json")]
    json: PathBuf,
    /// Where the SQLite databases are made (and removed after each scenario).
    #[arg(long, default_value = ".")]
    scratch: PathBuf,
    /// Payment-code charges per second offered over HTTP (open loop), one run per rate.
    #[arg(long, value_delimiter = ',', default_value = "250,500,1000,2000")]
    http_rates: Vec<f64>,
    /// P2P transfers per second offered over HTTP; each checks a PIN with Argon2id, so they are few.
    #[arg(long, value_delimiter = ',', default_value = "10,40")]
    http_p2p_rates: Vec<f64>,
    /// Market checkouts per second offered over HTTP: a cart line, then checkout with the PIN (Argon2id again).
    #[arg(long, value_delimiter = ',', default_value = "5,20")]
    http_checkout_rates: Vec<f64>,
    /// Couriers' position batches per second offered beside a charge load (at most three rates).
    #[arg(long, value_delimiter = ',', default_value = "200")]
    http_position_rates: Vec<f64>,
    /// Charges per second offered beside the positions (compare with a charge run at that rate).
    #[arg(long, default_value_t = 250.0)]
    http_position_charge_rate: f64,
    /// Seconds each HTTP run offers requests for.
    #[arg(long, default_value_t = 10.0)]
    http_seconds: f64,
    /// Most HTTP requests outstanding at once; one due beyond it is dropped and counted.
    #[arg(long, default_value_t = 4_096)]
    http_max_outstanding: usize,
    /// Skip the end-to-end HTTP scenario.
    #[arg(long)]
    no_http: bool,
    /// Skip the checkout runs of the HTTP scenario.
    #[arg(long)]
    no_checkout: bool,
}

#[derive(Subcommand)]
enum QrCommand {
    /// Print a payload's tree as JSON, in payload order; exits non-zero with the reason if it is corrupt.
    Decode {
        /// The payload as scanned, or - to read one line of stdin.
        payload: String,
    },
    /// Read a tree (the JSON `qr decode` prints) on stdin and write its payload, byte for byte.
    Encode,
    /// Print the payment code a device shows now, as a customer's app would: for testing tills and integrations.
    Code {
        /// The device secret, hex, as enrolment returned it.
        #[arg(long, env = "QUIPU_DEVICE_SECRET", hide_env_values = true)]
        secret: String,
        /// The device reference, as enrolment returned it.
        #[arg(long)]
        device_ref: u32,
        /// 0-9: a fresh code within the same minute uses the next slot.
        #[arg(long, default_value_t = 0)]
        slot: u8,
    },
    /// Draw a payload as a QR symbol (or a Code 128 barcode) into a new .png or .svg file.
    Render {
        /// The payload, or - to read one line of stdin.
        payload: String,
        /// The image to write; its extension picks PNG or SVG.
        #[arg(short, long)]
        output: PathBuf,
        /// A Code 128 barcode for laser scanners instead of a QR symbol.
        #[arg(long)]
        barcode: bool,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Check every ledger invariant; exits non-zero with a report on any violation.
    Verify,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an operator. The password comes from QUIPU_ADMIN_PASSWORD or one line of stdin.
    CreateOperator {
        /// Their phone number in international format (+…): their login.
        #[arg(long)]
        phone: String,
        /// Their full name, as others see it.
        #[arg(long)]
        name: String,
    },
    /// Create an auditor (read-only staff). Password as for create-operator.
    CreateAuditor {
        /// Their phone number in international format (+…): their login.
        #[arg(long)]
        phone: String,
        /// Their full name, as others see it.
        #[arg(long)]
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("quipu: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("quipu: {error}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs(json: bool) {
    let filter = EnvFilter::try_from_env("QUIPU_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Colour only for a person at a terminal: a log file or a pipe gets no escape codes.
    let ansi = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> Fallible<ExitCode> {
    let (listen, tls) = match &cli.command {
        Command::Serve { listen, tls } | Command::Demo { listen, tls } => (listen.clone(), tls.clone()),
        _ => (None, TlsArgs::default()),
    };
    let demo = matches!(cli.command, Command::Demo { .. });
    let overrides = Overrides {
        config: cli.config,
        data_dir: cli.data_dir,
        database_url: cli.database_url,
        listen,
        currencies: cli.currencies,
        tls_cert: tls.tls_cert,
        tls_key: tls.tls_key,
    };
    let config = Config::load(&overrides)?;
    init_logs(config.json_logs);
    match cli.command {
        Command::Serve { .. } => serve(config).await,
        Command::Demo { .. } => {
            let dir = match (&overrides.data_dir, demo) {
                (Some(dir), _) => dir.clone(),
                _ => PathBuf::from("./quipu-demo"),
            };
            run_demo(config, dir).await
        }
        Command::Ledger { command: LedgerCommand::Verify } => verify(&config).await,
        Command::Admin { command } => admin(config, command).await,
        Command::Backup { destination } => backup(&config, &destination).await,
        Command::Qr { command } => qr(command),
        Command::Bench(args) => bench(args, overrides.database_url).await,
    }
}

/// Runs every benchmark scenario; fails if any run leaves the ledger inconsistent, or an HTTP run miscounts.
async fn bench(args: BenchArgs, postgres_url: Option<String>) -> Fallible<ExitCode> {
    let mut options = if args.smoke {
        quipu_bench::BenchOptions::smoke(postgres_url)
    } else {
        quipu_bench::BenchOptions {
            payments: args.payments,
            naive_payments: args.naive_payments,
            customers: args.customers,
            merchants: args.merchants,
            concurrency: args.concurrency,
            max_batch: args.max_batch,
            postgres_url,
            search: (args.search_products > 0).then(|| quipu_bench::search::SearchOptions {
                products: args.search_products,
                sellers: args.search_sellers,
                ..quipu_bench::search::SearchOptions::full()
            }),
            http: Some(quipu_bench::http::HttpOptions {
                charge_rates: args.http_rates,
                p2p_rates: args.http_p2p_rates,
                checkout_rates: args.http_checkout_rates,
                position_rates: args.http_position_rates,
                position_charge_rate: args.http_position_charge_rate,
                seconds: args.http_seconds,
                max_outstanding: args.http_max_outstanding,
                // This very binary serves: `quipu bench` runs as `quipu`.
                server_binary: None,
            }),
        }
    };
    if args.no_http {
        options.http = None;
    }
    if args.no_checkout
        && let Some(http) = &mut options.http
    {
        http.checkout_rates.clear();
    }
    if let Some(http) = &options.http {
        http.validate()?;
    }
    let report = quipu_bench::run(&options, &args.scratch).await?;
    println!("{}", quipu_bench::table(&report));
    std::fs::write(&args.json, serde_json::to_vec_pretty(&report)?)?;
    eprintln!("wrote {}", args.json.display());
    if report.all_clean() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("quipu bench: a run left the ledger inconsistent, or an HTTP run's answers disagree with the store");
        Ok(ExitCode::FAILURE)
    }
}

/// The payment-code tools touch no database.
fn qr(command: QrCommand) -> Fallible<ExitCode> {
    match command {
        QrCommand::Decode { payload } => println!("{}", qr::decode(&qr::payload_argument(&payload)?)?),
        QrCommand::Encode => qr::print_payload(&qr::encode(&qr::read_stdin_bounded()?)?)?,
        QrCommand::Code { secret, device_ref, slot } => {
            println!("{}", qr::current_code(&secret, device_ref, slot)?)
        }
        QrCommand::Render { payload, output, barcode } => {
            qr::render(&qr::payload_argument(&payload)?, &output, barcode)?;
            eprintln!("wrote {}", output.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Binds the listen address, with TLS when configured; the certificate and key are read first, so
/// an unusable one stops the start before anything else happens.
async fn bind(config: &Config) -> Fallible<Listener> {
    let tls = config.tls.as_ref().map(quipu_server::tls::load).transpose()?;
    let tcp = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    Ok(Listener::new(tcp, tls))
}

async fn serve(config: Config) -> Fallible<ExitCode> {
    let listener = bind(&config).await?;
    let store = open_store(&config.storage).await?;
    let server = Server::start(
        store,
        Setup { market: config.market, ..Setup::production(config.settings, config.http) },
        listener,
    )
    .await?;
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    server.stop().await?;
    Ok(ExitCode::SUCCESS)
}

async fn run_demo(mut config: Config, dir: PathBuf) -> Fallible<ExitCode> {
    // The demo seeds a database of its own from nothing: it never writes demo people and money into
    // a PostgreSQL database someone named, nor says it runs on one when it does not.
    if matches!(config.storage, StorageConfig::Postgres { .. }) {
        return Err("quipu demo runs on a fresh SQLite database of its own and never writes to a PostgreSQL \
                    one: leave out --database-url (QUIPU_DATABASE_URL, or the config file's database_url)"
            .into());
    }
    // Bound first, so a taken port or an unusable certificate fails at once, before the last demo's data is gone.
    let listener = bind(&config).await?;
    quipu_server::demo::fresh_directory(&dir)?;
    config.storage = StorageConfig::Sqlite { data_dir: dir, explicit: true };
    // To try webhooks with a local listener: http to loopback only, never other private addresses.
    config.settings.webhooks.allow_loopback_http = true;
    let store = open_store(&config.storage).await?;
    // Served only once seeded, so `/readyz` means the demo users exist.
    let setup = Setup { market: config.market, ..Setup::production(config.settings, config.http) };
    let (services, background) = setup.start_services(store).await?;
    let seeding = std::time::Instant::now();
    let network = quipu_server::demo::seed(&services).await?;
    tracing::info!(seconds = seeding.elapsed().as_secs_f64(), "demo network seeded");
    let web = quipu_server::demo::web_settings(&network.logins);
    let server = Server::serve(services, background, setup.http, web, listener)?;
    quipu_server::demo::print_logins(server.addr, server.https, &network);
    shutdown_signal().await;
    server.stop().await?;
    Ok(ExitCode::SUCCESS)
}

async fn verify(config: &Config) -> Fallible<ExitCode> {
    let store = open_store(&config.storage).await?;
    let facts = store.ledger_facts().await?;
    let report = quipu_domain::verify::verify(&facts);
    if report.is_clean() {
        println!("ledger verify: clean ({} accounts; {})", report.accounts_checked, report.records_checked);
        return Ok(ExitCode::SUCCESS);
    }
    println!("ledger verify: {} violation(s) in {} accounts:", report.violations.len(), report.accounts_checked);
    for violation in &report.violations {
        println!("  - {violation}");
    }
    Ok(ExitCode::FAILURE)
}

async fn admin(config: Config, command: AdminCommand) -> Fallible<ExitCode> {
    let (role, phone, name) = match command {
        AdminCommand::CreateOperator { phone, name } => (Role::Operator, phone, name),
        AdminCommand::CreateAuditor { phone, name } => (Role::Auditor, phone, name),
    };
    let password = match std::env::var("QUIPU_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            eprintln!("password (one line on stdin):");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let login = NewLogin {
        phone: PhoneNumber::parse(&phone)?,
        full_name: DisplayName::parse(&name)?,
        password: Password::parse(&password)?,
    };
    let store = open_store(&config.storage).await?;
    let (services, background) = Setup { market: config.market, ..Setup::production(config.settings, config.http) }
        .start_services(store)
        .await?;
    let created = services.identity.create_staff(role, &login).await;
    background.shutdown().await;
    let user = created?;
    println!("created {} {} ({})", user.role.as_str(), user.full_name, user.phone);
    Ok(ExitCode::SUCCESS)
}

async fn backup(config: &Config, destination: &std::path::Path) -> Fallible<ExitCode> {
    if destination.exists() {
        return Err(format!("{} exists; a backup never overwrites", destination.display()).into());
    }
    let store = open_store(&config.storage).await?;
    store.backup(destination).await?;
    println!("backup written to {}", destination.display());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every subcommand and every flag or argument says what it is for in `--help`.
    #[test]
    fn every_command_and_flag_has_help() {
        fn check(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in command.get_arguments() {
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in command.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(path.clone());
                }
                check(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        check(&Cli::command(), "quipu", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:?}");
    }

    /// `quipu demo --help` names the directory the demo uses.
    #[test]
    fn demo_help_names_its_default_directory() {
        let mut command = Cli::command();
        let help = command.find_subcommand_mut("demo").map(|demo| demo.render_long_help().to_string());
        assert!(help.is_some_and(|help| help.contains("./quipu-demo")));
    }
}
