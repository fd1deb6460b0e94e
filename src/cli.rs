//! The command line: `greenroom serve | migrate | staff create | staff-token create | erase`.

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
    Serve(Box<ServeArgs>),
    /// Run the database migrations and exit.
    Migrate {
        /// postgres://… or sqlite://PATH (a bare path means SQLite).
        #[arg(long, env = "DATABASE_URL", default_value = settings::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Manage staff tokens.
    #[command(subcommand)]
    StaffToken(StaffTokenCommand),
    /// Manage the people on the staff.
    #[command(subcommand)]
    Staff(StaffCommand),
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
}

/// The flags of `greenroom serve`. Each reads an environment variable too; neither has a
/// default here: defaults, the file, the environment and the flags are merged in that
/// order by `settings_from`, so that each wins over the one before.
#[derive(Debug, clap::Args, Default, serde::Serialize)]
pub struct ServeArgs {
    /// A TOML file of settings (keys as the flags' long names, with underscores).
    /// Flags win over environment variables, which win over the file.
    #[arg(long, env = "GREENROOM_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "GREENROOM_BIND")]
    pub bind: Option<String>,
    /// postgres://… or sqlite://PATH (a bare path means SQLite) [default: sqlite://greenroom.db].
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Folder for e-mails as .eml files, used when no SMTP server is set [default: outbox].
    #[arg(long, env = "GREENROOM_OUTBOX_DIR")]
    pub outbox_dir: Option<PathBuf>,
    /// SMTP server for e-mail: smtp://, smtps:// (TLS) or smtp://…?tls=required (STARTTLS).
    #[arg(long, env = "GREENROOM_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Do not load the demo roster into an empty database.
    #[arg(long)]
    #[serde(skip)]
    pub no_demo_roster: bool,
    /// Take the client address from X-Forwarded-For (set only behind a reverse proxy
    /// that overwrites that header), for limits per address.
    #[arg(long, env = "GREENROOM_TRUST_FORWARDED")]
    pub trust_forwarded: bool,
    /// A folder of e-mail templates that replace the embedded ones, file by file
    /// (same paths as email_templates/ in the source).
    #[arg(long, env = "GREENROOM_EMAIL_TEMPLATES_DIR")]
    pub email_templates_dir: Option<PathBuf>,
    /// The sender of every e-mail [default: Greenroom <bookings@greenroom.localhost>].
    #[arg(long, env = "GREENROOM_EMAIL_FROM")]
    pub email_from: Option<String>,
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
    /// The meeting directory, the Webex Meetings REST API, such as https://webexapis.com:
    /// finds a host's meeting for step 3 of an order and moves it after a change.
    /// Off when absent.
    #[arg(long, env = "GREENROOM_MEETING_DIRECTORY_URL")]
    pub meeting_directory_url: Option<String>,
    /// The meeting directory's bearer token.
    #[arg(
        long,
        env = "GREENROOM_MEETING_DIRECTORY_TOKEN",
        hide_env_values = true
    )]
    pub meeting_directory_token: Option<String>,
    /// How far ahead a start may be booked, in days [default: 730].
    #[arg(long, env = "GREENROOM_BOOKING_HORIZON_DAYS")]
    pub booking_horizon_days: Option<i64>,
    /// Orders one client address may place an hour; 0 turns the limit off; staff are
    /// exempt [default: 30].
    #[arg(long, env = "GREENROOM_ORDERS_PER_ADDRESS_PER_HOUR")]
    pub orders_per_address_per_hour: Option<u32>,
    /// Orders one contact e-mail may place in 24 hours; 0 turns the limit off; staff are
    /// exempt [default: 10].
    #[arg(long, env = "GREENROOM_ORDERS_PER_EMAIL_PER_DAY")]
    pub orders_per_email_per_day: Option<u32>,
    /// Failed lookups, changes and cancels allowed per client address a minute [default: 10].
    #[arg(long, env = "GREENROOM_FAILED_ATTEMPTS_PER_MINUTE")]
    pub failed_attempts_per_minute: Option<usize>,
    /// Erase the contacts of bookings that ended more than this many months ago; 0
    /// keeps them [default: 24].
    #[arg(long, env = "GREENROOM_RETENTION_MONTHS")]
    pub retention_months: Option<u32>,
    /// How long a request body may take to arrive, in seconds (then 408) [default: 10].
    #[arg(long, env = "GREENROOM_BODY_TIMEOUT_SECONDS")]
    pub body_timeout_seconds: Option<u64>,
    /// How long a request waits for a database connection, in milliseconds (then 503)
    /// [default: 2000].
    #[arg(long, env = "GREENROOM_DATABASE_TIMEOUT_MS")]
    pub database_timeout_ms: Option<u64>,
    /// SQLite: once the write-ahead log holds this many MiB, it is copied into the
    /// database and started again from its beginning (writes wait meanwhile) [default: 256].
    #[arg(long, env = "GREENROOM_SQLITE_LOG_LIMIT_MB")]
    pub sqlite_log_limit_mb: Option<u64>,
    /// Database connections in the pool [default: three a core].
    #[arg(long, env = "GREENROOM_POOL_SIZE")]
    pub pool_size: Option<u32>,
    /// HTTP worker threads [default: one per core].
    #[arg(long, env = "GREENROOM_WORKERS")]
    pub workers: Option<usize>,
    /// Send e-mail from this instance (false: leave sending to other instances)
    /// [default: true].
    #[arg(long, env = "GREENROOM_OUTBOX_WORKER")]
    pub outbox_worker: Option<bool>,
    /// Nice steps (0-19) below the requests for the threads sending e-mail and webhooks:
    /// they give way to requests when the processor is busy (0: the same) [default: 10].
    #[arg(long, env = "GREENROOM_DELIVERY_NICE")]
    pub delivery_nice: Option<u32>,
    /// Wait after an e-mail's first failed send, in milliseconds; doubles each time
    /// [default: 5000].
    #[arg(long, env = "GREENROOM_OUTBOX_RETRY_BASE_MS")]
    pub outbox_retry_base_ms: Option<u64>,
    /// The longest wait between attempts, in milliseconds [default: 900000].
    #[arg(long, env = "GREENROOM_OUTBOX_RETRY_MAX_MS")]
    pub outbox_retry_max_ms: Option<u64>,
    /// Attempts before an e-mail is marked failed [default: 12].
    #[arg(long, env = "GREENROOM_OUTBOX_MAX_ATTEMPTS")]
    pub outbox_max_attempts: Option<i32>,
    /// How often the worker looks for due e-mails, in milliseconds [default: 500].
    #[arg(long, env = "GREENROOM_OUTBOX_POLL_MS")]
    pub outbox_poll_ms: Option<u64>,
    /// How long a taken e-mail is reserved for its sender, in seconds [default: 120].
    #[arg(long, env = "GREENROOM_OUTBOX_LEASE_SECONDS")]
    pub outbox_lease_seconds: Option<u64>,
    /// How often due reminders are queued and bookings that ended are marked
    /// completed, in milliseconds [default: 60000].
    #[arg(long, env = "GREENROOM_SWEEP_MS")]
    pub sweep_ms: Option<u64>,
}

impl ServeArgs {
    /// The values that came from one source (the command line, or the environment), as
    /// a layer of settings.
    fn layer(
        &self,
        matches: &clap::ArgMatches,
        source: clap::parser::ValueSource,
    ) -> serde_json::Map<String, serde_json::Value> {
        let serde_json::Value::Object(mut all) =
            serde_json::to_value(self).expect("flags serialise")
        else {
            unreachable!("flags are a struct")
        };
        if self.no_demo_roster {
            all.insert("no_demo_roster".into(), serde_json::Value::Bool(true));
        }
        let from =
            |id: &str| matches.try_get_raw(id).is_ok() && matches.value_source(id) == Some(source);
        let mut layer: serde_json::Map<String, serde_json::Value> = all
            .into_iter()
            .filter(|(k, v)| !v.is_null() && from(k))
            .collect();
        if layer.remove("no_demo_roster").is_some() {
            layer.insert("demo_roster".into(), serde_json::Value::Bool(false));
        }
        layer
    }
}

/// The settings: defaults, then the config file, then the environment, then flags.
pub fn settings_from(
    args: &ServeArgs,
    matches: Option<&clap::ArgMatches>,
) -> anyhow::Result<Settings> {
    use clap::parser::ValueSource;
    use figment::providers::{Format, Serialized, Toml};
    use figment::Figment;
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    if let Some(path) = &args.config {
        if let Err(e) = std::fs::metadata(path) {
            anyhow::bail!("--config: cannot read {}: {e}", path.display());
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    if let Some(m) = matches {
        figment = figment
            .merge(Serialized::globals(args.layer(m, ValueSource::EnvVariable)))
            .merge(Serialized::globals(args.layer(m, ValueSource::CommandLine)));
    }
    figment.extract::<Settings>().map_err(|e| {
        let key = e.path.last().cloned().unwrap_or_default();
        let flag = format!("--{}", key.replace('_', "-"));
        let from = e
            .metadata
            .as_ref()
            .map(|m| match &m.source {
                Some(source) => format!("{} {source}", m.name),
                None => m.name.to_string(),
            })
            .unwrap_or_else(|| "the settings".into());
        match key.is_empty() {
            true => anyhow::anyhow!("settings from {from}: {}", e.kind),
            false => anyhow::anyhow!("{flag} (from {from}): {}", e.kind),
        }
    })
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

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a member of staff and print a one-time link (valid 7 days) to set their
    /// password, alone on the last line of standard output.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: MemberRoleArg,
        #[arg(long, env = "DATABASE_URL", default_value = settings::DEFAULT_DATABASE_URL)]
        database_url: String,
        /// The address staff reach the service at, for the link.
        #[arg(
            long,
            env = "GREENROOM_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MemberRoleArg {
    Admin,
    Scheduler,
    Producer,
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
        webhooks: crate::background::Signal::default(),
        sweeps: crate::background::Signal::default(),
        booking_view: crate::http::bookings::json::booking_value,
    })
}

/// Parse the command line. `greenroom` alone means `greenroom serve`. Also returns the
/// serve command's matches, which tell flags and environment apart from defaults (the
/// config file sits between them). Exits with clap's message on a usage error.
pub fn parse() -> (Cli, Option<clap::ArgMatches>) {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command()
        .try_get_matches()
        .unwrap_or_else(|e| usage_error(e));
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| usage_error(e));
    let serve_matches = match matches.subcommand() {
        Some(("serve", m)) => Some(m.clone()),
        _ => None,
    };
    if cli.command.is_none() {
        let (args, m) = ServeArgs::parse_from_env_with_matches();
        cli.command = Some(Command::Serve(Box::new(args)));
        return (cli, Some(m));
    }
    (cli, serve_matches)
}

/// Help and the version are printed as clap writes them; a wrong flag or environment
/// value is one line naming it, and exit code 1, like every other bad setting.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = e.render().to_string();
    let line = text.lines().next().unwrap_or("invalid command line");
    eprintln!("greenroom: {}", line.trim_start_matches("error: "));
    std::process::exit(1);
}

/// Run a parsed command line (see `parse`).
pub fn run(cli: Cli, serve_matches: Option<clap::ArgMatches>) -> anyhow::Result<()> {
    let Some(command) = cli.command else {
        anyhow::bail!("no command given; use `greenroom serve`, or `greenroom --help`");
    };
    match command {
        Command::Serve(args) => {
            let settings = settings_from(&args, serve_matches.as_ref())?;
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
        Command::Staff(StaffCommand::Create {
            email,
            name,
            role,
            database_url,
            public_url,
        }) => {
            let svc = services(&database_url, settings::DEFAULT_OUTBOX_DIR.into())?;
            let role = match role {
                MemberRoleArg::Admin => Role::Admin,
                MemberRoleArg::Scheduler => Role::Scheduler,
                MemberRoleArg::Producer => Role::Producer,
            };
            let (member, token) = crate::workflow::accounts::invite(&svc, &name, &email, role)
                .map_err(|e| anyhow::anyhow!("cannot add {email}: {}", e.detail()))?;
            println!(
                "Added {} <{}> as {}. Send them this link to set a password (it works once, for {} days):",
                member.name,
                member.email,
                role.as_str(),
                crate::workflow::accounts::INVITATION_DAYS
            );
            println!(
                "{}/staff/welcome?token={token}",
                public_url.trim_end_matches('/')
            );
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
        let matches = Only::command()
            .try_get_matches_from(["greenroom"])
            .unwrap_or_else(|e| usage_error(e));
        let only = Only::from_arg_matches(&matches).unwrap_or_else(|e| usage_error(e));
        (only.args, matches)
    }
}
