//! Greenroom: book a human producer to run an online meeting, training session or event.

pub mod background;
pub mod cli;
pub mod clock;
pub mod db;
pub mod demo;
pub mod directory;
pub mod domain;
pub use domain::error;
pub mod email;
pub mod http;
pub mod metrics;
pub mod scheduling;
pub mod settings;
pub mod web;
pub mod webhooks;
pub mod workflow;

use std::net::TcpListener;

use actix_web::dev::Server;
use anyhow::Context;

use crate::db::DbUrl;
use crate::http::AppState;
use crate::settings::Settings;

/// The running service: its port is known once built, so tests can bind to port 0.
pub struct Application {
    port: u16,
    server: Server,
    /// The outbox and webhook workers, the sweeps (reminders, completion) and the
    /// retention sweep, each on a thread of its own.
    background: Vec<std::thread::JoinHandle<()>>,
    pub state: AppState,
}

impl Application {
    /// Open the database (running migrations), load the demo roster if asked, check the
    /// e-mail templates, start the outbox worker, bind. Must be called inside an actix
    /// runtime.
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        settings.validate()?;
        let url = DbUrl::parse(&settings.database_url)
            .map_err(|e| anyhow::anyhow!("--database-url: {e}"))?;
        let templates = std::sync::Arc::new(email::render::Templates::load(
            settings.email_templates_dir.as_deref(),
            web::TEMPLATES,
        )?);
        let transport =
            email::transport::Transport::new(settings.smtp_url.as_deref(), &settings.outbox_dir)?;
        // Three connections a core on both backends (on SQLite readers: the writer has
        // its own): measured on two cores, eight (and 16) only queued on the cores and held
        // more memory, and on SQLite four gave 5 % fewer orders and availability answers
        // than six (README, "Speed and scale").
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        let pool_size = settings.pool_size.unwrap_or(3 * cores);
        let database = db::Database::open(&url, pool_size, settings.database_timeout())?;
        database.limit_log(settings.sqlite_log_limit_mb.saturating_mul(1 << 20));
        {
            let mut conn = database
                .pool
                .get()
                .context("cannot take a database connection")?;
            let applied = db::migrate(&mut conn)?;
            if !applied.is_empty() {
                tracing::info!(migrations = ?applied, "database migrated");
            }
            if settings.demo_roster {
                let added = demo::load_if_empty(&mut conn, settings.clock.now())?;
                if added > 0 {
                    tracing::info!(
                        producers = added,
                        "demo roster loaded into the empty database"
                    );
                }
            }
        }
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let public_url = settings.public_url.clone().unwrap_or_else(|| {
            format!(
                "http://{}",
                listener
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|_| settings.bind.clone())
            )
        });
        let mail = email::MailConfig {
            from: settings.email_from.clone(),
            manage_url: format!("{}/manage", public_url.trim_end_matches('/')),
        };
        let outbox = background::Signal::default();
        let metrics = std::sync::Arc::new(metrics::Metrics::default());
        let worker = email::worker::Worker {
            db: database.clone(),
            transport: std::sync::Arc::new(transport),
            templates: templates.clone(),
            mail: mail.clone(),
            retry: settings.retry(),
            handle: outbox.clone(),
            metrics: metrics.clone(),
            nice: settings.delivery_nice,
        };
        let services = workflow::Services {
            db: database,
            clock: settings.clock.clone(),
            mail,
            limits: settings.limits(),
            outbox_dir: settings.outbox_dir.clone(),
            outbox: outbox.clone(),
            webhooks: background::Signal::default(),
            sweeps: background::Signal::default(),
            booking_view: http::bookings::json::booking_value,
        };
        let retention = background::Signal::default();
        let mut background = vec![];
        if settings.outbox_worker {
            background.push(worker.spawn());
            background.push(
                webhooks::Worker {
                    db: services.db.clone(),
                    retry: settings.retry(),
                    signal: services.webhooks.clone(),
                    nice: settings.delivery_nice,
                }
                .spawn(),
            );
        }
        if settings.retention_months > 0 {
            background.push(
                workflow::privacy::Retention {
                    svc: services.clone(),
                    months: settings.retention_months,
                    signal: retention.clone(),
                }
                .spawn(),
            );
        }
        if settings.outbox_worker {
            // Reminders and completion go with sending: the background work an
            // instance takes on or leaves to others.
            background.push(
                workflow::sweep::Sweeps {
                    svc: services.clone(),
                    every: std::time::Duration::from_millis(settings.sweep_ms),
                    signal: services.sweeps.clone(),
                }
                .spawn(),
            );
        }
        let state = AppState {
            services,
            throttle: std::sync::Arc::new(http::throttle::Limiter::new(
                settings.failed_attempts_per_minute,
                std::time::Duration::from_secs(60),
            )),
            order_limiter: std::sync::Arc::new(http::throttle::Limiter::new(
                settings.orders_per_address_per_hour as usize,
                std::time::Duration::from_secs(3600),
            )),
            trust_forwarded: settings.trust_forwarded,
            metrics,
            cors_origins: std::sync::Arc::new(settings.cors_origins.clone()),
            retention,
            templates,
            directory: match (
                &settings.meeting_directory_url,
                &settings.meeting_directory_token,
            ) {
                (Some(url), Some(token)) => {
                    Some(std::sync::Arc::new(directory::Webex::new(url, token)))
                }
                _ => None,
            },
        };
        let server = http::server::start(
            listener,
            settings.workers,
            state.clone(),
            http::BodyTimeout(settings.body_timeout()),
            web::routes,
        )?;
        tracing::info!(address = %settings.bind, port, database = %url.redacted(), "greenroom listening");
        Ok(Application {
            port,
            server,
            background,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve until SIGTERM or Ctrl-C: stop accepting, finish the requests in flight, let
    /// the outbox worker finish its current send, return.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.state.services.stop_workers();
        self.state.retention.stop();
        for thread in self.background {
            let _ = actix_web::rt::task::spawn_blocking(move || thread.join()).await;
        }
        tracing::info!("greenroom stopped");
        served
    }
}
