//! `shop-api`: serve the reference API and the demo storefront, or sign a customer id.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lojal::core::games::CampaignConfig;
use shop_api::identity::{ShopSecret, parse_max_age};
use shop_api::limits::{Rate, RateLimits};
use shop_api::merchant::MerchantToken;
use shop_api::providers::Provider;
use shop_api::telemetry::{LogFormat, metrics_router};
use shop_api::webhooks::{WebhookSecret, WebhookSecrets};
use shop_api::{AppState, Options, app, db::Db, parse_origins};

/// The demo's secret. A real shop sets its own; the server says so loudly when it is missing.
const DEMO_SECRET: &str = "lojal-demo-secret";

#[derive(Parser)]
#[command(version, about = "lojal's reference shop API and demo storefront")]
struct Cli {
    /// Address to listen on; port 0 picks a free one (printed on start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// SQLite file, created and migrated on start (unless --database-url is given).
    #[arg(long, default_value = "shop-api/data/shop.sqlite")]
    db: PathBuf,
    /// PostgreSQL instead of SQLite, e.g. `postgres://lojal@db.internal/lojal`: for several
    /// API instances sharing one database. Migrated on start.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The demo storefront's static files.
    #[arg(long, default_value = "www")]
    www: PathBuf,
    /// The built widget bundle, served under /lojal/.
    #[arg(long, default_value = "pkg/dist")]
    dist: PathBuf,
    /// The merchant console's built bundle, served under /console/ to signed-in merchants.
    #[arg(long, default_value = "console/dist")]
    console_dist: PathBuf,
    /// Other origins allowed to call the API, comma-separated (https://shop.example,…).
    #[arg(long, env = "LOJAL_ALLOWED_ORIGINS", default_value = "")]
    allowed_origins: String,
    /// Token the merchant's tools send as `Authorization: Bearer …` for the feedback summary,
    /// export and moderation (16+ characters). Unset, those endpoints stay off.
    #[arg(long, env = "LOJAL_MERCHANT_TOKEN", hide_env_values = true)]
    merchant_token: Option<String>,
    /// Requests per client IP, e.g. `20/s,burst=100` (generous: a mobile carrier puts many
    /// shoppers behind one address).
    #[arg(long, default_value = "20/s,burst=100")]
    rate_limit_ip: Rate,
    /// Writes (POST) per signed-in customer, e.g. `2/s,burst=10`.
    #[arg(long, default_value = "2/s,burst=10")]
    rate_limit_customer: Rate,
    /// How long a `customer-sig` is accepted after the time it carries, e.g. `24h`, `90m`,
    /// `2d` (1 minute to 30 days).
    #[arg(long, env = "LOJAL_SIGNATURE_MAX_AGE", default_value = "24h", value_parser = parse_max_age)]
    signature_max_age: u64,
    /// Legacy: also accept the old timeless `customer-sig` (hex HMAC of the id alone), which
    /// never expires. Only while a theme moves to the timed form; logs a warning at start.
    #[arg(long, env = "LOJAL_LEGACY_TIMELESS_SIGNATURES")]
    legacy_timeless_signatures: bool,
    /// Where the shop's product pages live when not on this server (a headless storefront,
    /// e.g. `https://www.shop.example`): product links in answers are made absolute against it.
    #[arg(long, env = "LOJAL_STOREFRONT_URL", value_parser = shop_api::catalog::parse_storefront)]
    storefront_url: Option<String>,
    /// Turn the rate limits off (load tests).
    #[arg(long)]
    no_rate_limits: bool,
    /// Take the client IP from the last X-Forwarded-For hop: only behind a proxy you run.
    #[arg(long)]
    trust_x_forwarded_for: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics (a private address: Prometheus scrapes
    /// it, shoppers never see it). Unset, there is no /metrics.
    #[arg(long, env = "LOJAL_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Log lines as `json` (one object per line) or `text`.
    #[arg(long, env = "LOJAL_LOG_FORMAT", value_enum, default_value = "json")]
    log_format: LogFormat,
    /// Which events are logged: a level (`info`, `warn`), optionally per module
    /// (`warn,shop_api=info`).
    #[arg(long, env = "LOJAL_LOG", default_value = "info")]
    log: String,
    /// How writes reach the SQLite file: `grouped` (one writer commits what queued up together)
    /// or `per-request` (each write takes SQLite's lock itself: the old way, for the bench).
    #[arg(
        long,
        env = "LOJAL_SQLITE_WRITES",
        value_enum,
        default_value = "grouped"
    )]
    sqlite_writes: shop_api::db::SqliteWrites,
    /// On SIGTERM, how long the requests in flight and the queue's jobs under way may take to
    /// finish before the server exits anyway, in seconds.
    #[arg(long, env = "LOJAL_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    shutdown_grace_secs: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print a fresh customer-sig for a customer id: `t=<now>,v1=<HMAC-SHA256 of '<id>.<now>'
    /// under LOJAL_SHOP_SECRET>`.
    Sign { customer_id: String },
    /// Reward-game campaigns in the database given by --db or --database-url.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// The loyalty programme (tiers, rewards, ways to earn) in that database.
    #[command(subcommand)]
    Programme(ProgrammeCommand),
    /// The merchant's endpoints for outbound events (Standard Webhooks).
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// The merchant console's users.
    #[command(subcommand)]
    Console(ConsoleCommand),
    /// Evaluate "for you" on a generated shop (each shopper's last order held out) against
    /// "popular" and random: recall@10, NDCG@10 and catalogue coverage.
    RecsEval(ShopShape),
    /// Fill the database with a generated shop (products, shoppers, orders) for the bench.
    GenerateShop(ShopShape),
    /// A shopper's data (GDPR): everything lojal holds about her, or its erasure.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Copy the live SQLite database (--db) to a new FILE while the server goes on writing;
    /// start shop-api with `--db FILE` to restore it.
    Backup { file: PathBuf },
}

#[derive(Subcommand)]
enum CustomerCommand {
    /// Print everything lojal holds about her as JSON. ID is her customer id, or a guest's
    /// email address.
    Export { id: String },
    /// Erase her: personal fields emptied, her rows kept under a random pseudonym so the
    /// shop's figures stay right. Prints what changed.
    Erase { id: String },
}

#[derive(clap::Args, Clone, Copy)]
struct ShopShape {
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value_t = 2000)]
    products: usize,
    #[arg(long, default_value_t = 20)]
    categories: usize,
    #[arg(long, default_value_t = 5000)]
    shoppers: usize,
    #[arg(long, default_value_t = 25000)]
    orders: usize,
}

impl ShopShape {
    fn shape(self) -> shop_api::recs::generator::Shape {
        shop_api::recs::generator::Shape {
            seed: self.seed,
            products: self.products.max(1),
            categories: self.categories.clamp(1, self.products.max(1)),
            shoppers: self.shoppers.max(1),
            orders: self.orders.max(self.shoppers),
        }
    }
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Register an endpoint; prints its id and signing secret (shown this once).
    Add {
        url: String,
        /// Comma-separated event types, or `*` for all.
        #[arg(long, default_value = "*")]
        events: String,
        /// Allow a private, loopback or link-local address (and plain http).
        #[arg(long)]
        allow_private: bool,
    },
    /// List the endpoints and their state.
    List,
    /// Remove an endpoint.
    Remove { id: String },
}

#[derive(Subcommand)]
enum ConsoleCommand {
    /// Set (or replace) a console user's password, read from standard input (one line, 12+
    /// characters); her open sessions end.
    Password { name: String },
}

#[derive(Subcommand)]
enum ProgrammeCommand {
    /// Validate and store a whole programme from a JSON file (see the README); an error names
    /// the field and changes nothing.
    Put { file: PathBuf },
    /// Print the programme in force as JSON.
    Get,
}

#[derive(Subcommand)]
enum CampaignCommand {
    /// Create or replace a campaign from a JSON file (see the README); prints what it saved.
    Put { file: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The commands that print what they did and end; `sign` and the server need the secret.
    let done = match &cli.command {
        Some(Command::Programme(command)) => Some(programme_command(&cli, command)),
        Some(Command::Console(ConsoleCommand::Password { name })) => {
            Some(console_password(&cli, name))
        }
        Some(Command::RecsEval(shape)) => Some(Ok(recs_eval(*shape))),
        Some(Command::GenerateShop(shape)) => Some(generate_shop(&cli, *shape)),
        Some(Command::Webhook(command)) => Some(webhook_command(&cli, command)),
        Some(Command::Customer(command)) => Some(customer_command(&cli, command)),
        Some(Command::Backup { file }) => Some(backup(&cli, file)),
        Some(Command::Campaign(CampaignCommand::Put { file })) => {
            Some(put_campaign(&cli, file).map_err(|error| format!("{}: {error}", file.display())))
        }
        Some(Command::Sign { .. }) | None => None,
    };
    match done {
        Some(Ok(output)) => {
            println!("{output}");
            return ExitCode::SUCCESS;
        }
        Some(Err(error)) => {
            eprintln!("shop-api: {error}");
            return ExitCode::FAILURE;
        }
        None => {}
    }
    let secret = match shop_secret(&cli) {
        Ok(secret) => secret,
        Err(error) => {
            eprintln!("shop-api: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(Command::Sign { customer_id }) = &cli.command {
        println!("{}", secret.sign(customer_id));
        return ExitCode::SUCCESS;
    }

    match serve(cli, secret) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("shop-api: {error}");
            ExitCode::FAILURE
        }
    }
}

fn put_campaign(cli: &Cli, file: &std::path::Path) -> Result<String, String> {
    let json = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let config = CampaignConfig::from_json(&json).map_err(|e| e.to_string())?;
    // Creates and migrates the database as the server would.
    let db = open_db(cli)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let saved = config.clone();
    runtime
        .block_on(db.run(move |conn| shop_api::games::put_campaign(conn, &saved)))
        .map_err(|e| match e {
            shop_api::error::ApiError::InvalidBody(m) | shop_api::error::ApiError::Internal(m) => m,
            other => format!("{other:?}"),
        })?;
    let prizes = config.segments.iter().filter(|s| s.prize.is_some()).count();
    Ok(format!(
        "campaign {} saved in {}: {} {} segments, {prizes} with a prize",
        config.id,
        database_name(cli),
        config.segments.len(),
        config.game.as_str()
    ))
}

fn console_password(cli: &Cli, name: &str) -> Result<String, String> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("reading the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    let db = open_db(cli)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let user = name.to_owned();
    runtime
        .block_on(db.run(move |conn| {
            shop_api::console::session::set_password(
                conn,
                &user,
                &password,
                shop_api::calendar::now(),
            )
        }))
        .map_err(|e| match e {
            shop_api::error::ApiError::InvalidBody(m) | shop_api::error::ApiError::Internal(m) => m,
            other => format!("{other:?}"),
        })?;
    Ok(format!(
        "console user {name} can sign in at /console/sign-in ({})",
        database_name(cli)
    ))
}

fn recs_eval(shape: ShopShape) -> String {
    let started = std::time::Instant::now();
    let shop = shop_api::recs::generator::generate(shape.shape());
    let report = shop_api::recs::eval::run(&shop, 10, shape.seed);
    let row = |name: &str, s: &shop_api::recs::eval::Scores| {
        format!(
            "| {name} | {:.4} | {:.4} | {:.1} % |",
            s.recall,
            s.ndcg,
            s.coverage * 100.0
        )
    };
    format!(
        "generated shop: seed {}, {} products in {} categories, {} shoppers, {} orders; {} shoppers' last orders held out ({:.1} s)\n\n\
         | rail | recall@10 | NDCG@10 | catalogue coverage |\n| --- | ---: | ---: | ---: |\n{}\n{}\n{}\n\n\
         for-you / popular recall@10: {:.2}x",
        shape.seed,
        shape.products,
        shape.categories,
        shape.shoppers,
        shape.orders,
        report.for_you.shoppers,
        started.elapsed().as_secs_f64(),
        row("for-you", &report.for_you),
        row("popular", &report.popular),
        row("random", &report.random),
        report.for_you.recall / report.popular.recall.max(f64::MIN_POSITIVE)
    )
}

fn generate_shop(cli: &Cli, shape: ShopShape) -> Result<String, String> {
    let shop = shop_api::recs::generator::generate(shape.shape());
    let db = open_db(cli)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let (products, orders) = (shop.products.len(), shop.orders.len());
    runtime
        .block_on(db.run(move |conn| shop_api::recs::generator::store(conn, &shop)))
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "generated shop stored in {}: {products} products, {orders} orders",
        database_name(cli)
    ))
}

fn webhook_command(cli: &Cli, command: &WebhookCommand) -> Result<String, String> {
    let db = open_db(cli)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let message = |e: shop_api::error::ApiError| match e {
        shop_api::error::ApiError::InvalidBody(m) | shop_api::error::ApiError::Internal(m) => m,
        other => format!("{other:?}"),
    };
    match command {
        WebhookCommand::Add {
            url,
            events,
            allow_private,
        } => {
            let new = shop_api::outbound::NewEndpoint {
                url: url.clone(),
                events: events.split(',').map(|e| e.trim().to_owned()).collect(),
                allow_private: *allow_private,
            };
            let endpoint = runtime
                .block_on(db.run(move |conn| {
                    shop_api::outbound::add_endpoint(conn, &new, shop_api::calendar::now())
                }))
                .map_err(message)?;
            Ok(format!(
                "endpoint {} for {} ({}); its signing secret, shown this once:\n{}",
                endpoint.id,
                endpoint.url,
                endpoint.events.join(", "),
                endpoint.secret.unwrap_or_default()
            ))
        }
        WebhookCommand::List => {
            let endpoints = runtime
                .block_on(db.run(shop_api::outbound::endpoints))
                .map_err(|e| e.to_string())?;
            Ok(serde_json::to_string_pretty(&endpoints).unwrap_or_default())
        }
        WebhookCommand::Remove { id } => {
            let id = id.clone();
            let removed = runtime
                .block_on(db.run(move |conn| {
                    conn.execute(
                        "DELETE FROM webhook_endpoints WHERE id = ?1",
                        &[shop_api::db::Value::from(id.as_str())],
                    )
                }))
                .map_err(|e| e.to_string())?;
            if removed == 0 {
                return Err("no endpoint has this id".into());
            }
            Ok("removed".into())
        }
    }
}

fn customer_command(cli: &Cli, command: &CustomerCommand) -> Result<String, String> {
    let db = open_db(cli)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let message = |e: shop_api::error::ApiError| match e {
        shop_api::error::ApiError::UnknownCustomer => {
            "lojal holds nothing about this customer id or email".to_owned()
        }
        shop_api::error::ApiError::InvalidBody(m) | shop_api::error::ApiError::Internal(m) => m,
        other => format!("{other:?}"),
    };
    let (key, erase) = match command {
        CustomerCommand::Export { id } => (id.clone(), false),
        CustomerCommand::Erase { id } => (id.clone(), true),
    };
    let answer = runtime
        .block_on(db.run(move |conn| {
            let subject = shop_api::privacy::subject(conn, &key)?;
            if erase {
                shop_api::privacy::erase(conn, &subject)
            } else {
                shop_api::privacy::export(conn, &subject, shop_api::calendar::now())
            }
        }))
        .map_err(message)?;
    Ok(serde_json::to_string_pretty(&answer).unwrap_or_default())
}

fn backup(cli: &Cli, file: &std::path::Path) -> Result<String, String> {
    if cli
        .database_url
        .as_deref()
        .is_some_and(|url| !url.is_empty())
    {
        return Err(
            "backup copies the SQLite file; for PostgreSQL use pg_dump, which reads one \
             consistent snapshot while the shop goes on writing"
                .into(),
        );
    }
    let started = std::time::Instant::now();
    let made = shop_api::db::backup(&cli.db, file).map_err(|e| e.to_string())?;
    Ok(format!(
        "{} backed up to {}: {} bytes, schema version {}, checked, in {} ms",
        cli.db.display(),
        file.display(),
        made.bytes,
        made.schema_version,
        started.elapsed().as_millis()
    ))
}

fn programme_command(cli: &Cli, command: &ProgrammeCommand) -> Result<String, String> {
    let json = match command {
        ProgrammeCommand::Put { file } => {
            Some(std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?)
        }
        ProgrammeCommand::Get => None,
    };
    let db = open_db(cli)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let message = |e: shop_api::error::ApiError| match e {
        shop_api::error::ApiError::InvalidBody(m) | shop_api::error::ApiError::Internal(m) => m,
        other => format!("{other:?}"),
    };
    match json {
        Some(json) => {
            let programme = runtime
                .block_on(db.run(move |conn| {
                    shop_api::programme::put(
                        conn,
                        &json,
                        None,
                        &shop_api::console::session::Actor::Cli,
                        shop_api::calendar::now(),
                    )
                }))
                .map_err(|e| {
                    let ProgrammeCommand::Put { file } = command else {
                        unreachable!("only put carries a file")
                    };
                    format!("{}: {}", file.display(), message(e))
                })?;
            let config = &programme.config;
            Ok(format!(
                "programme {:?} saved in {} as revision {}: {} tiers, {} rewards, {} ways to earn",
                config.name,
                database_name(cli),
                programme.revision,
                config.tiers.len(),
                config.rewards.len(),
                config.ways_to_earn.len()
            ))
        }
        None => runtime
            .block_on(db.run(shop_api::programme::load))
            .map(|programme| programme.config.to_json_pretty())
            .map_err(message),
    }
}

/// PostgreSQL when a URL is given, else the SQLite file.
fn open_db(cli: &Cli) -> Result<Db, String> {
    match cli.database_url.as_deref().filter(|url| !url.is_empty()) {
        Some(url) => Db::connect(url).map_err(|e| e.to_string()),
        None => Db::open_with(&cli.db, cli.sqlite_writes)
            .map_err(|e| format!("{}: {e}", cli.db.display())),
    }
}

/// Where the data lives, for messages; a PostgreSQL URL's password is not printed.
fn database_name(cli: &Cli) -> String {
    match cli.database_url.as_deref().filter(|url| !url.is_empty()) {
        Some(_) => "PostgreSQL (DATABASE_URL)".into(),
        None => cli.db.display().to_string(),
    }
}

/// The shop's signing secrets and the rules for accepting signatures, from the environment.
fn shop_secret(cli: &Cli) -> Result<ShopSecret, String> {
    let secret = match std::env::var("LOJAL_SHOP_SECRET") {
        Ok(secret) if !secret.is_empty() => ShopSecret::new(secret),
        _ => {
            eprintln!(
                "shop-api: warning: LOJAL_SHOP_SECRET is not set; using the public demo secret. \
                 Anyone can forge customer signatures with it: set your own before going live."
            );
            ShopSecret::new(DEMO_SECRET)
        }
    };
    let mut secret = secret
        .with_max_age(cli.signature_max_age)
        .map_err(|e| format!("LOJAL_SIGNATURE_MAX_AGE: {e}"))?
        .with_legacy_timeless(cli.legacy_timeless_signatures);
    // Rotation: signatures made with the secret being replaced stay valid until it is unset.
    if let Ok(previous) = std::env::var("LOJAL_SHOP_SECRET_PREVIOUS")
        && !previous.is_empty()
    {
        secret = secret.with_previous(previous);
    }
    Ok(secret)
}

/// A platform's webhook secret from the environment; without one its endpoint is off.
fn webhook_secret(variable: &str) -> Option<WebhookSecret> {
    match std::env::var(variable) {
        Ok(secret) if !secret.is_empty() => Some(WebhookSecret::new(secret)),
        _ => {
            eprintln!(
                "shop-api: note: {variable} is not set; that platform's order webhooks are off"
            );
            None
        }
    }
}

/// Says at start what a merchant must know about the signature settings in force.
fn announce_signature_rules(secret: &ShopSecret, legacy: bool) {
    if secret.has_previous() {
        eprintln!(
            "shop-api: note: LOJAL_SHOP_SECRET_PREVIOUS is set: signatures made with the previous \
             secret are accepted too. Unset it once the theme has rendered with the new secret \
             for longer than the signature window ({} s).",
            secret.max_age_secs()
        );
    }
    if legacy {
        eprintln!(
            "shop-api: warning: LOJAL_LEGACY_TIMELESS_SIGNATURES is on: the old timeless \
             customer-sig is accepted and never expires, so a leaked one can spend a shopper's \
             points for as long as the secret lasts. Turn it off as soon as every page renders \
             t=<unix seconds>,v1=<HMAC of '<id>.<t>'>: once the updated theme has been live for \
             longer than your pages are cached. It will be removed in a later release."
        );
    }
}

#[tokio::main]
async fn serve(cli: Cli, secret: ShopSecret) -> Result<(), Box<dyn std::error::Error>> {
    shop_api::telemetry::init_logging(cli.log_format, &cli.log)?;
    let allowed_origins = parse_origins(&cli.allowed_origins)?;
    let merchant_token = match cli.merchant_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => {
            Some(MerchantToken::new(token).map_err(|e| format!("LOJAL_MERCHANT_TOKEN: {e}"))?)
        }
        None => {
            eprintln!(
                "shop-api: note: LOJAL_MERCHANT_TOKEN is not set; the merchant's feedback summary, \
                 export and moderation endpoints are off"
            );
            None
        }
    };
    announce_signature_rules(&secret, cli.legacy_timeless_signatures);
    let db = open_db(&cli)?;
    eprintln!("shop-api: data in {}", database_name(&cli));
    if !cli.dist.join("lojal.js").is_file() {
        eprintln!(
            "shop-api: warning: {} has no lojal.js; run `npm run build` for the widgets",
            cli.dist.display()
        );
    }
    let options = Options {
        www: Some(cli.www),
        dist: Some(cli.dist),
        console: Some(cli.console_dist),
        allowed_origins,
        rate_limits: (!cli.no_rate_limits).then_some(RateLimits {
            per_ip: cli.rate_limit_ip,
            per_customer: cli.rate_limit_customer,
            trust_forwarded_for: cli.trust_x_forwarded_for,
        }),
    };
    let webhooks = WebhookSecrets {
        shopify: webhook_secret("LOJAL_SHOPIFY_WEBHOOK_SECRET"),
        woocommerce: webhook_secret("LOJAL_WOOCOMMERCE_WEBHOOK_SECRET"),
    };
    let provider = Provider::from_env(|name| std::env::var(name).ok())?;
    eprintln!("shop-api: coupons are created by: {}", provider.name());
    let state = AppState {
        merchant_token,
        webhooks,
        trust_forwarded_for: cli.trust_x_forwarded_for,
        provider,
        storefront_url: cli.storefront_url.clone(),
        ..AppState::new(db, secret)
    };
    let lifecycle = state.lifecycle.clone();
    let db = state.db.clone();
    // Birthdays on the day and expiry after inactivity, until the server drains.
    let jobs = shop_api::jobs::spawn(state.db.clone(), lifecycle.clone());
    // Coupons for the shop platform and events for the merchant's endpoints.
    let worker = shop_api::worker::spawn(state.clone());
    if let Some(addr) = cli.metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr} for metrics: {e}"))?;
        println!("metrics on http://{}/metrics", listener.local_addr()?);
        // Answers until the process exits, so the drain itself can be watched.
        tokio::spawn(axum::serve(listener, metrics_router(state.clone())).into_future());
    }
    let router = app(state, &options);
    let listener = tokio::net::TcpListener::bind(cli.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cli.addr))?;
    // Tests and scripts read this line to learn the port.
    println!("listening on http://{}", listener.local_addr()?);
    let grace = std::time::Duration::from_secs(cli.shutdown_grace_secs);
    let drain_started = std::sync::Arc::new(std::sync::OnceLock::new());
    let signal = {
        let (lifecycle, drain_started) = (lifecycle.clone(), drain_started.clone());
        async move {
            shutdown_signal().await;
            drain_started.get_or_init(std::time::Instant::now);
            tracing::info!(
                grace_secs = grace.as_secs(),
                "shutting down: no new connections; finishing the requests in flight and the queue's jobs under way"
            );
            lifecycle.drain();
        }
    };
    // The peer address feeds the per-IP rate limit.
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal);
    let overdue = async {
        lifecycle.drained().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = server => served?,
        _ = overdue => tracing::warn!(
            grace_secs = grace.as_secs(),
            "requests still in flight after the grace period are cut off"
        ),
    }
    let left = drain_started
        .get()
        .map_or(grace, |started| grace.saturating_sub(started.elapsed()));
    let background = async {
        let _ = worker.await;
        let _ = jobs.await;
    };
    if tokio::time::timeout(left, background).await.is_err() {
        tracing::warn!(
            "the queue's jobs under way did not finish in the grace period; their leases run out and another instance (or the next start) works them again"
        );
    }
    // Writes still queued for the SQLite writer are committed before the process ends.
    tokio::task::spawn_blocking(move || db.close()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
