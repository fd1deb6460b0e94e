//! Greenroom: book a human producer to run an online meeting, training session or event.

pub mod booking;
pub mod cli;
pub mod clock;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod scheduling;
pub mod settings;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::db::DbUrl;
use crate::http::AppState;
use crate::settings::Settings;

/// The running service: its port is known once built, so tests can bind to port 0.
pub struct Application {
    port: u16,
    server: Server,
    pub state: AppState,
}

impl Application {
    /// Open the database (running migrations), load the demo roster if asked, bind.
    /// Must be called inside an actix runtime.
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let url = DbUrl::parse(&settings.database_url)
            .map_err(|e| anyhow::anyhow!("--database-url: {e}"))?;
        let pool_size = settings
            .pool_size
            .unwrap_or(if url.is_postgres() { 16 } else { 8 });
        let pool = db::connect(&url, pool_size)?;
        {
            let mut conn = pool.get().context("cannot take a database connection")?;
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
        let state = AppState {
            pool,
            clock: settings.clock.clone(),
            throttle: std::sync::Arc::new(http::throttle::Throttle::new(
                settings.failed_attempts_per_minute,
                std::time::Duration::from_secs(60),
            )),
            trust_forwarded: settings.trust_forwarded,
        };
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(app_state.clone()))
                .wrap(ErrorHandlers::new().default_handler(http::normalise_errors))
                .configure(http::routes)
        });
        if let Some(w) = settings.workers {
            server = server.workers(w);
        }
        let server = server.listen(listener)?.run();
        tracing::info!(address = %settings.bind, port, database = %url.redacted(), "greenroom listening");
        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
