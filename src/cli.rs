//! The command line: `greenroom serve | migrate | staff-token create`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::clock::Clock;
use crate::db::{self, DbUrl};
use crate::domain::staff::Role;
use crate::settings::{self, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "greenroom",
    version,
    about = "Book a human producer to run an online meeting, training session or event."
)]
pub struct Cli {
    /// Log lines as text (for people) or JSON (for log collectors).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "GREENROOM_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Logs go to standard error (standard output is for what commands print). RUST_LOG
/// chooses the level, `info` by default.
pub fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => builder.init(),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (the default when no command is given).
    Serve(ServeArgs),
    /// Run the database migrations and exit.
    Migrate {
        /// postgres://… or sqlite://PATH (a bare path means SQLite).
        #[arg(long, env = "DATABASE_URL", default_value = settings::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Manage staff tokens.
    #[command(subcommand)]
    StaffToken(StaffTokenCommand),
    /// Erase a contact's personal data from every booking, message and stored answer
    /// (the bookings stay, for the schedule). Prints how many bookings it touched.
    Erase {
        /// The contact e-mail address used when ordering.
        #[arg(long)]
        email: String,
        #[arg(long, env = "DATABASE_URL", default_value = settings::DEFAULT_DATABASE_URL)]
        database_url: String,
        /// The folder where e-mails were written as .eml files (those about the
        /// contact's bookings are deleted).
        #[arg(long, env = "GREENROOM_OUTBOX_DIR", default_value = settings::DEFAULT_OUTBOX_DIR)]
        outbox_dir: PathBuf,
    },
    /// Drive a running Greenroom with a realistic mix of requests and report throughput,
    /// latency per operation, errors, and overlapping assignments found afterwards.
    Loadtest(LoadtestArgs),
}

#[derive(Debug, clap::Args)]
pub struct LoadtestArgs {
    /// The service to drive.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// An admin token of that service (to set up the roster and read the schedule).
    #[arg(long, env = "GREENROOM_TOKEN")]
    pub token: String,
    /// Clients sending requests at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// How long to drive, in seconds.
    #[arg(long, default_value_t = 30)]
    pub duration: u64,
    /// Load-test producers to have on the roster (created if missing).
    #[arg(long, default_value_t = 100)]
    pub producers: usize,
    /// What the clients send: the realistic mix, only orders (to compare with pgbench
    /// running an order's transaction), or only availability checks.
    #[arg(long, value_enum, default_value = "default")]
    pub mix: crate::loadtest::Mix,
    /// Sample this process's memory (RSS) during the run.
    #[arg(long)]
    pub server_pid: Option<u32>,
}

#[derive(Debug, clap::Args, Default)]
pub struct ServeArgs {
    /// A TOML file of settings (keys as the flags' long names, with underscores).
    /// Flags win over environment variables, which win over the file.
    #[arg(long, env = "GREENROOM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on.
    #[arg(long, env = "GREENROOM_BIND", default_value = settings::DEFAULT_BIND)]
    pub bind: String,
    /// postgres://… or sqlite://PATH (a bare path means SQLite).
    #[arg(long, env = "DATABASE_URL", default_value = settings::DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Folder for e-mails as .eml files, used when no SMTP server is set.
    #[arg(long, env = "GREENROOM_OUTBOX_DIR", default_value = settings::DEFAULT_OUTBOX_DIR)]
    pub outbox_dir: PathBuf,
    /// SMTP server for e-mail: smtp://, smtps:// (TLS) or smtp://…?tls=required (STARTTLS).
    #[arg(long, env = "GREENROOM_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Do not load the demo roster into an empty database.
    #[arg(long)]
    pub no_demo_roster: bool,
    /// Take the client address from X-Forwarded-For (set only behind a reverse proxy
    /// that overwrites that header), for throttling failed guesses.
    #[arg(long, env = "GREENROOM_TRUST_FORWARDED")]
    pub trust_forwarded: bool,
    /// A folder of e-mail templates that replace the embedded ones, file by file
    /// (same paths as email_templates/ in the source).
    #[arg(long, env = "GREENROOM_EMAIL_TEMPLATES_DIR")]
    pub email_templates_dir: Option<PathBuf>,
    /// The sender of every e-mail.
    #[arg(
        long,
        env = "GREENROOM_EMAIL_FROM",
        default_value = "Greenroom <bookings@greenroom.localhost>"
    )]
    pub email_from: String,
    /// The address customers reach the service at, for links in e-mails
    /// (default: http:// and the bind address).
    #[arg(long, env = "GREENROOM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A browser origin allowed to call the API (CORS), such as https://app.example.com;
    /// repeat for several. None: CORS stays off.
    #[arg(
        long = "cors-origin",
        env = "GREENROOM_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// How far ahead a start may be booked, in days (default: two years).
    #[arg(long, env = "GREENROOM_BOOKING_HORIZON_DAYS", default_value_t = 730, value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub booking_horizon_days: i64,
    /// Orders one client address may place an hour; 0 turns the limit off. Staff
    /// tokens are exempt.
    #[arg(
        long,
        env = "GREENROOM_ORDERS_PER_ADDRESS_PER_HOUR",
        default_value_t = 30
    )]
    pub orders_per_address_per_hour: u32,
    /// Orders one contact e-mail may place in 24 hours; 0 turns the limit off. Staff
    /// tokens are exempt.
    #[arg(long, env = "GREENROOM_ORDERS_PER_EMAIL_PER_DAY", default_value_t = 10)]
    pub orders_per_email_per_day: u32,
    /// Erase the contacts of bookings that ended more than this many months ago; 0
    /// keeps them.
    #[arg(long, env = "GREENROOM_RETENTION_MONTHS", default_value_t = 24)]
    pub retention_months: u32,
    /// How long a request body may take to arrive, in seconds (then 408).
    #[arg(long, env = "GREENROOM_BODY_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_timeout_seconds: u64,
    /// How long a request waits for a database connection, in milliseconds (then 503).
    #[arg(long, env = "GREENROOM_DATABASE_TIMEOUT_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(100..=60000))]
    pub database_timeout_ms: u64,
}

#[derive(Debug, Subcommand)]
pub enum StaffTokenCommand {
    /// Create a staff token and print it alone on the last line of standard output.
    Create {
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long, env = "DATABASE_URL", default_value = settings::DEFAULT_DATABASE_URL)]
        database_url: String,
        /// A note to say whose token it is.
        #[arg(long)]
        label: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    Scheduler,
}

/// What a command needs to run a use case: the database (migrated) and defaults.
fn services(database_url: &str, outbox_dir: PathBuf) -> anyhow::Result<crate::workflow::Services> {
    let url = DbUrl::parse(database_url).map_err(|e| anyhow::anyhow!("--database-url: {e}"))?;
    let database = db::Database::open(&url, 1, std::time::Duration::from_secs(30))?;
    db::migrate(&mut *database.pool.get()?)?;
    Ok(crate::workflow::Services {
        db: database,
        clock: Clock::system(),
        mail: crate::email::MailConfig::default(),
        limits: crate::workflow::Limits::default(),
        outbox_dir,
        outbox: crate::background::Signal::default(),
    })
}

/// Settings from a `--config` file, for whatever neither a flag nor an environment
/// variable set.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    bind: Option<String>,
    database_url: Option<String>,
    outbox_dir: Option<PathBuf>,
    smtp_url: Option<String>,
    demo_roster: Option<bool>,
    trust_forwarded: Option<bool>,
    email_templates_dir: Option<PathBuf>,
    email_from: Option<String>,
    public_url: Option<String>,
    cors_origins: Option<Vec<String>>,
    booking_horizon_days: Option<i64>,
    orders_per_address_per_hour: Option<u32>,
    orders_per_email_per_day: Option<u32>,
    retention_months: Option<u32>,
    body_timeout_seconds: Option<u64>,
    database_timeout_ms: Option<u64>,
}

fn apply_config_file(
    args: &mut ServeArgs,
    matches: Option<&clap::ArgMatches>,
) -> anyhow::Result<()> {
    use clap::parser::ValueSource;
    let Some(path) = args.config.clone() else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("--config: cannot read {}: {e}", path.display()))?;
    let file: ConfigFile =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("--config {}: {e}", path.display()))?;
    let unset = |id: &str| {
        !matches.is_some_and(|m| {
            matches!(
                m.value_source(id),
                Some(ValueSource::CommandLine) | Some(ValueSource::EnvVariable)
            )
        })
    };
    macro_rules! take {
        ($field:ident) => {
            if let Some(v) = file.$field {
                if unset(stringify!($field)) {
                    args.$field = v.into();
                }
            }
        };
    }
    take!(bind);
    take!(database_url);
    take!(outbox_dir);
    take!(email_from);
    take!(cors_origins);
    take!(booking_horizon_days);
    take!(orders_per_address_per_hour);
    take!(orders_per_email_per_day);
    take!(retention_months);
    take!(body_timeout_seconds);
    take!(database_timeout_ms);
    if let Some(v) = file.smtp_url.filter(|_| unset("smtp_url")) {
        args.smtp_url = Some(v);
    }
    if let Some(v) = file
        .email_templates_dir
        .filter(|_| unset("email_templates_dir"))
    {
        args.email_templates_dir = Some(v);
    }
    if let Some(v) = file.public_url.filter(|_| unset("public_url")) {
        args.public_url = Some(v);
    }
    if let Some(v) = file.demo_roster.filter(|_| unset("no_demo_roster")) {
        args.no_demo_roster = !v;
    }
    if let Some(v) = file.trust_forwarded.filter(|_| unset("trust_forwarded")) {
        args.trust_forwarded = v;
    }
    Ok(())
}

/// Parse the command line. `greenroom` alone means `greenroom serve`. Also returns the
/// serve command's matches, which tell flags and environment apart from defaults (the
/// config file sits between them). Exits with clap's message on a usage error.
pub fn parse() -> (Cli, Option<clap::ArgMatches>) {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let serve_matches = match matches.subcommand() {
        Some(("serve", m)) => Some(m.clone()),
        _ => None,
    };
    if cli.command.is_none() {
        let (args, m) = ServeArgs::parse_from_env_with_matches();
        cli.command = Some(Command::Serve(args));
        return (cli, Some(m));
    }
    (cli, serve_matches)
}

/// Run a parsed command line (see `parse`).
pub fn run(cli: Cli, serve_matches: Option<clap::ArgMatches>) -> anyhow::Result<()> {
    let Some(command) = cli.command else {
        anyhow::bail!("no command given; use `greenroom serve`, or `greenroom --help`");
    };
    match command {
        Command::Serve(mut args) => {
            apply_config_file(&mut args, serve_matches.as_ref())?;
            let settings = Settings {
                bind: args.bind,
                database_url: args.database_url,
                outbox_dir: args.outbox_dir,
                smtp_url: args.smtp_url,
                demo_roster: !args.no_demo_roster,
                trust_forwarded: args.trust_forwarded,
                email_templates_dir: args.email_templates_dir,
                email_from: args.email_from,
                public_url: args.public_url,
                cors_origins: args.cors_origins,
                limits: crate::workflow::Limits {
                    horizon_days: args.booking_horizon_days,
                    orders_per_email_per_day: args.orders_per_email_per_day,
                },
                orders_per_address_per_hour: args.orders_per_address_per_hour,
                retention_months: args.retention_months,
                body_timeout: std::time::Duration::from_secs(args.body_timeout_seconds),
                db_checkout_timeout: std::time::Duration::from_millis(args.database_timeout_ms),
                clock: Clock::system(),
                ..Settings::default()
            };
            actix_web::rt::System::new().block_on(async move {
                let app = crate::Application::build(settings)?;
                app.run_until_stopped().await?;
                Ok(())
            })
        }
        Command::Migrate { database_url } => {
            let url =
                DbUrl::parse(&database_url).map_err(|e| anyhow::anyhow!("--database-url: {e}"))?;
            let pool = db::connect(&url, 1)?;
            let applied = db::migrate(&mut *pool.get()?)?;
            if applied.is_empty() {
                println!("{}: schema up to date", url.redacted());
            } else {
                println!("{}: applied {}", url.redacted(), applied.join(", "));
            }
            Ok(())
        }
        Command::Erase {
            email,
            database_url,
            outbox_dir,
        } => {
            if !crate::domain::text::valid_email(email.trim()) {
                anyhow::bail!(
                    "--email: '{email}' is not an e-mail address such as ana@example.com"
                );
            }
            let svc = services(&database_url, outbox_dir)?;
            let count = crate::workflow::privacy::erase_contact(
                &svc,
                email.trim(),
                &crate::domain::staff::Actor::Service("erase-command"),
            )
            .map_err(|e| anyhow::anyhow!("erasure failed: {e}"))?;
            println!(
                "Erased the personal data of {} in {count} booking(s).",
                email.trim()
            );
            Ok(())
        }
        Command::Loadtest(args) => {
            if args.concurrency == 0 || args.duration == 0 {
                anyhow::bail!("--concurrency and --duration must be at least 1");
            }
            let ok = crate::loadtest::LoadTest {
                url: args.url,
                token: args.token,
                concurrency: args.concurrency,
                duration: std::time::Duration::from_secs(args.duration),
                producers: args.producers,
                mix: args.mix,
                server_pid: args.server_pid,
            }
            .run()?;
            if !ok {
                anyhow::bail!("the run found server errors or overlapping assignments");
            }
            Ok(())
        }
        Command::StaffToken(StaffTokenCommand::Create {
            role,
            database_url,
            label,
        }) => {
            let svc = services(&database_url, settings::DEFAULT_OUTBOX_DIR.into())?;
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::Scheduler => Role::Scheduler,
            };
            let (id, token) = crate::workflow::staff::create_token(&svc, role, label.as_deref())
                .map_err(|e| anyhow::anyhow!("cannot create the token: {e}"))?;
            println!(
                "Created a {} token (id {id}). Keep it secret: it is shown only once.",
                role.as_str()
            );
            println!("{token}");
            Ok(())
        }
    }
}

impl ServeArgs {
    /// As `greenroom serve` with no flags: environment variables and defaults, with the
    /// matches that tell which is which (for the config file's place between them).
    fn parse_from_env_with_matches() -> (ServeArgs, clap::ArgMatches) {
        use clap::{CommandFactory, FromArgMatches};
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            args: ServeArgs,
        }
        let matches = Only::command().get_matches_from(["greenroom"]);
        let only = Only::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        (only.args, matches)
    }
}
