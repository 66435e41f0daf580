//! The `kinerja` command: serve the API, run migrations, print the OpenAPI document, and
//! administer accounts.

mod settings;

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::process::ExitCode;

use actix_web::{web, HttpServer};
use clap::{Parser, Subcommand};
use kinerja_api::auth::JwtKeys;
use kinerja_api::context::audit_actor::AuditActor;
use kinerja_api::context::write::IfMatch;
use kinerja_api::http::cors::AllowedOrigins;
use kinerja_api::integration::webhooks::deliverer::{Deliverer, DeliveryConfig};
use kinerja_api::integration::webhooks::Targets;
use kinerja_api::services::accounts::{self, AccountChange, AccountInput};
use kinerja_api::AppState;
use kinerja_domain::Role;
use kinerja_store::db::launcher::{LaunchOptions, LocalPostgres};
use kinerja_store::db::migrations;
use kinerja_store::identity_rows;
use kinerja_store::Db;
use settings::{LogFormat, Settings};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "kinerja",
    version,
    about = "Competency-based performance appraisal API for Indonesian civil servants"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run pending migrations, then serve the API until SIGINT/SIGTERM.
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Administer accounts from the command line.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a user account.
    CreateUser {
        #[arg(long)]
        username: String,
        /// The password (or set KINERJA_NEW_PASSWORD).
        #[arg(long, env = "KINERJA_NEW_PASSWORD", hide_env_values = true)]
        password: String,
        /// A role; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        agency_id: Option<uuid::Uuid>,
        #[arg(long)]
        employee_id: Option<uuid::Uuid>,
    },
    /// Create a demo agency (a regency government, ~200 employees) with logins. Idempotent.
    SeedDemo,
    /// Load the national competency dictionary (eight managerial competencies and perekat
    /// bangsa) and the default levels per position kind. Idempotent; edits are kept.
    SeedCompetencies,
    /// Set a user's password (and end their sessions).
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long, env = "KINERJA_NEW_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(message) = cli.settings.validate() {
        eprintln!("kinerja: {message}");
        return ExitCode::from(2);
    }
    init_logging(cli.settings.log_format);
    let result = actix_web::rt::System::new().block_on(run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("kinerja: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).init(),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let settings = cli.settings;
    match cli.command {
        Command::Openapi => {
            print!("{}", kinerja_api::openapi_json()?);
            Ok(())
        }
        Command::Migrate => {
            let (url, _cluster) = database(&settings)?;
            let applied = migrations::run_pending_async(url).await?;
            tracing::info!(count = applied.len(), "migrations applied");
            Ok(())
        }
        Command::Serve => serve(settings).await,
        Command::Admin(command) => admin(settings, command).await,
    }
}

/// The database URL, starting the embedded PostgreSQL when none is configured. The returned
/// cluster stops when dropped.
fn database(settings: &Settings) -> Result<(String, Option<LocalPostgres>), Failure> {
    if let Some(url) = &settings.database_url {
        return Ok((url.clone(), None));
    }
    prepare_data_dir(settings)?;
    let cluster = LocalPostgres::start(LaunchOptions {
        data_dir: settings.data_dir.join("postgres"),
        system_user: settings.pg_user.clone(),
        ephemeral: false,
        settings: Vec::new(),
    })?;
    cluster.ensure_database("kinerja")?;
    tracing::info!(dir = %cluster.data_dir().display(), "embedded PostgreSQL is running");
    Ok((cluster.url("kinerja"), Some(cluster)))
}

fn prepare_data_dir(settings: &Settings) -> Result<(), Failure> {
    let dir = &settings.data_dir;
    if !dir.exists() {
        fs::create_dir_all(dir)?;
        // Enterable (not listable) by others, so the PostgreSQL user can reach its own folder.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o711))?;
    }
    Ok(())
}

/// The token-signing secret: the setting, or a secret generated once into the data folder.
fn jwt_secret(settings: &Settings) -> Result<Vec<u8>, Failure> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.as_bytes().to_vec());
    }
    prepare_data_dir(settings)?;
    let path = settings.data_dir.join("jwt-secret");
    if let Ok(existing) = fs::read_to_string(&path) {
        return Ok(existing.trim().as_bytes().to_vec());
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
    file.write_all(secret.as_bytes())?;
    tracing::info!(path = %path.display(), "generated a token-signing secret");
    Ok(secret.into_bytes())
}

async fn serve(settings: Settings) -> Result<(), Failure> {
    let keys = JwtKeys::new(&jwt_secret(&settings)?);
    let (url, cluster) = database(&settings)?;
    let applied = migrations::run_pending_async(url.clone()).await?;
    tracing::info!(count = applied.len(), "migrations applied");
    let workers =
        settings.workers.map_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()), usize::from);
    let max_lag = std::time::Duration::try_from_secs_f64(settings.max_replica_lag)
        .map_err(|_| "KINERJA_MAX_REPLICA_LAG must be a number of seconds, 0 or more".to_owned())?;
    let db = Db::new(&url, usize::from(settings.db_pool_size))?
        .with_replicas(&settings.read_database_url, max_lag)?
        .split_across(workers);
    if !settings.read_database_url.is_empty() {
        tracing::info!(
            replicas = settings.read_database_url.len(),
            ?max_lag,
            "lists, reports and exports read from replicas"
        );
    }
    if let Some(generated) = accounts::bootstrap_admin(&db, settings.admin_password.as_deref()).await? {
        tracing::warn!("created the first user `admin`; its generated password is shown once below");
        eprintln!("\n    admin password: {generated}\n    (set KINERJA_ADMIN_PASSWORD to choose it)\n");
    }
    let cors_origins = AllowedOrigins::new(&settings.cors_origins).map_err(|e| format!("KINERJA_CORS_ORIGINS: {e}"))?;
    let targets = if settings.webhook_allow_local { Targets::AnyHttp } else { Targets::PublicHttps };
    let state = web::Data::new(
        AppState::new(db, keys)?
            .with_trusted_proxies(settings.trusted_proxies.clone())
            .with_read_your_writes_for(max_lag)
            .with_webhook_targets(targets)
            .with_cors_origins(cors_origins)
            .with_request_deadline(std::time::Duration::from_secs(u64::from(settings.request_timeout))),
    );
    // Every server sends webhooks; they share the work through the database (SKIP LOCKED).
    let deliveries = DeliveryConfig {
        timeout: std::time::Duration::from_secs(u64::from(settings.webhook_timeout)),
        targets,
        ..DeliveryConfig::default()
    };
    let (deliverer_db, tries) = (state.db.clone(), state.metrics.webhook_tries.clone());
    actix_web::rt::spawn(async move { Deliverer::new(deliverer_db, deliveries).counting(tries).run().await });
    let restarts = state.metrics.database_restarts.clone();
    let supervisor = cluster.map(|cluster| Supervisor::start(cluster, move || restarts.inc()));
    let server = HttpServer::new(move || kinerja_api::app(state.clone()))
        .workers(workers)
        .shutdown_timeout(30)
        .bind(settings.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
    tracing::info!("listening on http://{} (Swagger UI at http://{}/docs)", settings.bind, settings.bind);
    server.run().await?;
    tracing::info!("stopped serving; stopping the database");
    if let Some(supervisor) = supervisor {
        supervisor.stop();
    }
    Ok(())
}

/// Keeps the embedded PostgreSQL running: if its server process is gone (crashed, killed), it
/// is started again, after 1 s, then 2 s, 4 s … at most 30 s between tries, each logged and
/// counted in `/metrics` (`kinerja_database_restarts_total`). Requests meanwhile answer 503
/// with `Retry-After`, and `/readyz` 503, until it is back. A shutdown someone asked of
/// PostgreSQL itself (`pg_ctl stop`) is left alone while it runs.
struct Supervisor {
    stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<LocalPostgres>,
}

impl Supervisor {
    const CHECK_EVERY: std::time::Duration = std::time::Duration::from_millis(500);
    const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(30);

    fn start(mut cluster: LocalPostgres, on_restart: impl Fn() + Send + 'static) -> Supervisor {
        use std::sync::atomic::Ordering;
        let stopping = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stopping.clone();
        let thread = std::thread::spawn(move || {
            let mut backoff = std::time::Duration::from_secs(1);
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Self::CHECK_EVERY);
                if flag.load(Ordering::Relaxed) || !cluster.is_gone() {
                    continue;
                }
                tracing::error!("the embedded PostgreSQL is gone; starting it again in {backoff:?}");
                std::thread::sleep(backoff);
                match cluster.restart() {
                    Ok(()) => {
                        on_restart();
                        tracing::warn!("the embedded PostgreSQL runs again");
                        backoff = std::time::Duration::from_secs(1);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the embedded PostgreSQL did not start");
                        backoff = (backoff * 2).min(Self::MAX_BACKOFF);
                    }
                }
            }
            cluster
        });
        Supervisor { stopping, thread }
    }

    /// Stops watching, then stops the server cleanly.
    fn stop(self) {
        self.stopping.store(true, std::sync::atomic::Ordering::Relaxed);
        match self.thread.join() {
            Ok(cluster) => drop(cluster),
            Err(_) => tracing::error!("the database supervisor panicked"),
        }
    }
}

async fn admin(settings: Settings, command: AdminCommand) -> Result<(), Failure> {
    let (url, _cluster) = database(&settings)?;
    migrations::run_pending_async(url.clone()).await?;
    let db = Db::new(&url, 2)?;
    match command {
        AdminCommand::CreateUser { username, password, roles, agency_id, employee_id } => {
            let roles = roles.iter().map(|r| r.parse::<Role>()).collect::<Result<Vec<_>, _>>()?;
            let user = accounts::create(
                &db,
                &AuditActor::system(),
                AccountInput { username, password, roles, agency_id, employee_id },
            )
            .await
            .map_err(describe)?;
            println!("created user {} ({})", user.username, user.id);
        }
        AdminCommand::SeedDemo => {
            let (logins, employees) = kinerja_api::admin::demo::seed(&db).await?;
            println!(
                "demo agency {} with {employees} employees; logins (password {}):",
                kinerja_api::admin::demo::AGENCY_CODE,
                kinerja_api::admin::demo::DEMO_PASSWORD
            );
            for login in logins {
                println!("  {:<12} {:<13} {}", login.username, login.role, login.who);
            }
            println!("demo data only: never seed a production database");
        }
        AdminCommand::SeedCompetencies => {
            let (added, defaults) = kinerja_api::admin::competency_seed::seed(&db).await?;
            println!(
                "competency dictionary: {added} of {} competencies added, {defaults} default levels added",
                kinerja_api::admin::competency_seed::DICTIONARY.len()
            );
        }
        AdminCommand::ResetPassword { username, password } => {
            let mut conn = db.conn().await?;
            let user = identity_rows::find_user_by_login(&mut conn, &username)
                .await?
                .ok_or_else(|| format!("no user {username}"))?;
            drop(conn);
            accounts::change(
                &db,
                &AuditActor::system(),
                &IfMatch::default(),
                user.id,
                AccountChange { password: Some(password), ..Default::default() },
            )
            .await
            .map_err(describe)?;
            println!("password of {} reset; their sessions are ended", user.username);
        }
    }
    Ok(())
}

/// An API error as a command-line message, with the field errors spelled out.
fn describe(e: kinerja_api::ApiError) -> Failure {
    match e {
        kinerja_api::ApiError::Validation(errors) => {
            errors.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ").into()
        }
        other => other.to_string().into(),
    }
}
