//! The JSON API: parse and authenticate, hand over to a workflow, render. Each route and
//! its description are registered together (utoipa), so the OpenAPI document is
//! generated from the handlers and their request and response types.

pub mod bookings;
mod catalogue;
pub mod closures;
pub mod errors;
mod extract;
mod health;
pub mod json;
pub mod middleware;
pub mod openapi;
mod privacy;
pub mod problem;
pub mod producers;
mod query;
mod reports;
pub mod schema;
pub mod server;
mod sessions;
mod staff;
pub mod throttle;
pub mod webhooks;

use std::sync::Arc;

use actix_web::web;
use actix_web::HttpRequest;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::background::Signal;
use crate::domain::error::Error;
use crate::workflow::Services;

pub use errors::normalise_errors;
pub use extract::{BodyTimeout, JsonBody, BODY_TIMEOUT, MAX_BODY_BYTES};

#[derive(Clone)]
pub struct AppState {
    /// The database, the clock, e-mail settings and limits: what every use case needs.
    pub services: Services,
    /// Failed guesses of reservation numbers and e-mails, per client address (a minute).
    pub throttle: Arc<throttle::Limiter>,
    /// Orders per client address (an hour).
    pub order_limiter: Arc<throttle::Limiter>,
    /// Take the client address from X-Forwarded-For / Forwarded (only behind a proxy
    /// that sets them).
    pub trust_forwarded: bool,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Origins allowed to call the API from a browser (none: CORS off).
    pub cors_origins: Arc<Vec<String>>,
    /// Wakes the retention sweep (and stops it).
    pub retention: Signal,
    /// E-mail and page templates (one registry).
    pub templates: Arc<crate::email::render::Templates>,
    /// The customers' meeting site, when configured.
    pub directory: Option<Arc<dyn crate::directory::MeetingDirectory>>,
}

impl AppState {
    /// The client's address, for limits.
    pub fn client_ip(&self, req: &HttpRequest) -> std::net::IpAddr {
        let peer = req
            .peer_addr()
            .map(|a| a.ip())
            .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
        if !self.trust_forwarded {
            return peer;
        }
        req.connection_info()
            .realip_remote_addr()
            .and_then(|s| {
                s.parse::<std::net::SocketAddr>()
                    .map(|a| a.ip())
                    .ok()
                    .or_else(|| s.trim_matches(['[', ']']).parse().ok())
            })
            .unwrap_or(peer)
    }

    /// Run a use case on a blocking thread, never on an actix worker.
    pub async fn run<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Services) -> Result<T, Error> + Send + 'static,
    {
        let services = self.services.clone();
        blocking(move || f(&services)).await
    }
}

/// Run `f` on a blocking thread. A panic there is a bug: it becomes a logged 500 for
/// this request alone (the database layer has already put its connection right).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    web::block(move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(Error::Internal(anyhow::anyhow!("panicked: {what}")))
        })
    })
    .await?
}

/// Every operation of the API, each with its description.
pub fn routes(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            scope::scope("/api/v1")
                .service(openapi::serve)
                .service(catalogue::list)
                .service(bookings::availability)
                .service(bookings::slots)
                .service(bookings::create)
                .service(bookings::list)
                .service(bookings::lookup)
                .service(bookings::show)
                .service(bookings::reschedule)
                .service(bookings::cancel)
                .service(sessions::schedule)
                .service(sessions::unschedule)
                .service(reports::upload_attendance)
                .service(reports::attendance)
                .service(reports::follow_up)
                .service(reports::no_show)
                .service(staff::schedule)
                .service(staff::outbox)
                .service(staff::tokens)
                .service(staff::revoke_token)
                .service(privacy::erase)
                .service(producers::list)
                .service(producers::create)
                .service(producers::get)
                .service(producers::replace)
                .service(producers::delete)
                .service(producers::add_time_off)
                .service(producers::delete_time_off)
                .service(closures::list)
                .service(closures::create)
                .service(closures::remove)
                .service(webhooks::create)
                .service(webhooks::list)
                .service(webhooks::remove)
                .service(webhooks::deliveries),
        );
}

/// What the API adds to the application besides its operations: the reference page, and
/// problem documents for whatever is not found.
pub fn app_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .service(openapi::docs)
        .service(openapi::docs_script)
        .default_service(web::to(errors::not_found));
}
