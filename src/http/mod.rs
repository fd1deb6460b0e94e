//! The HTTP API: parse and authenticate, hand over to the workflow, render.

mod bookings;
mod catalogue;
mod errors;
mod health;
pub mod metrics;
pub mod middleware;
pub mod openapi;
mod producers;
mod staff;
pub mod throttle;

use actix_web::web::{self, Bytes};
use actix_web::HttpRequest;
use serde_json::Value;

use crate::clock::Clock;
use crate::db::tokens::{self, Role, Staff};
use crate::db::{DbConnection, Pool};
use crate::error::ApiError;

/// Largest request body accepted on any route.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub clock: Clock,
    /// Failed guesses of reservation numbers and e-mails, per client address.
    pub throttle: std::sync::Arc<throttle::Throttle>,
    /// Take the client address from X-Forwarded-For / Forwarded (only behind a proxy
    /// that sets them).
    pub trust_forwarded: bool,
    /// What e-mails say about the service (sender, manage page).
    pub mail: crate::email::MailConfig,
    /// Wakes the outbox worker after a change, and stops it.
    pub outbox: crate::email::worker::OutboxHandle,
    /// Database statements run so far by this instance.
    pub queries: crate::db::QueryCounter,
    /// Queues writers on SQLite (see `WriteGate`).
    pub gate: crate::db::WriteGate,
    pub metrics: std::sync::Arc<metrics::Metrics>,
    /// Origins allowed to call the API from a browser (none: CORS off).
    pub cors_origins: std::sync::Arc<Vec<String>>,
}

impl AppState {
    /// The client's address, for throttling.
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
}

impl AppState {
    /// Run database work that writes on a blocking thread, after the write gate.
    pub async fn db_write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let gate = self.gate.clone();
        web::block(move || gate.run(&pool, f)).await?
    }

    /// Run database work on a blocking thread, never on an actix worker.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .configure(crate::web::routes)
        .service(
            web::scope("/api/v1")
                .route("/openapi.json", web::get().to(openapi::serve))
                .route("/packages", web::get().to(catalogue::list))
                .route("/availability", web::post().to(bookings::availability))
                .route("/bookings", web::post().to(bookings::create))
                .route("/bookings", web::get().to(staff::bookings))
                .service(
                    web::resource("/bookings/lookup")
                        .route(web::post().to(bookings::lookup))
                        .default_service(web::to(errors::not_found)),
                )
                .route(
                    "/bookings/{reservation_number}",
                    web::get().to(bookings::show),
                )
                .route(
                    "/bookings/{reservation_number}/reschedule",
                    web::post().to(bookings::reschedule),
                )
                .route(
                    "/bookings/{reservation_number}/cancel",
                    web::post().to(bookings::cancel),
                )
                .route("/schedule", web::get().to(staff::schedule))
                .route("/outbox", web::get().to(staff::outbox))
                .route("/producers", web::get().to(producers::list))
                .route("/producers", web::post().to(producers::create))
                .route("/producers/{id}", web::get().to(producers::get))
                .route("/producers/{id}", web::put().to(producers::replace))
                .route("/producers/{id}", web::delete().to(producers::delete))
                .route(
                    "/producers/{id}/time-off",
                    web::post().to(producers::add_time_off),
                )
                .route(
                    "/producers/{id}/time-off/{time_off_id}",
                    web::delete().to(producers::delete_time_off),
                ),
        )
        .default_service(web::to(errors::not_found));
}

pub use errors::normalise_errors;

/// The body as JSON, or a 400 that says where it broke.
pub fn parse_json(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::refused(
            actix_web::http::StatusCode::BAD_REQUEST,
            "malformed_json",
            "The body is not JSON",
            "the body is empty; send a JSON object with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::refused(
            actix_web::http::StatusCode::BAD_REQUEST,
            "malformed_json",
            "The body is not JSON",
            format!(
                "the body is not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

/// The staff member behind the request's bearer token, if it has one. A token that is
/// present but wrong is a 401, not an anonymous request.
pub async fn staff(req: &HttpRequest, state: &AppState) -> Result<Option<Staff>, ApiError> {
    let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(ApiError::unauthorized)?
        .to_string();
    let found = state
        .db(move |conn| Ok(tokens::authenticate(conn, &token)?))
        .await?;
    found.map(Some).ok_or_else(ApiError::unauthorized)
}

/// A staff member with at least `role` (admin may do everything).
pub async fn require(req: &HttpRequest, state: &AppState, role: Role) -> Result<Staff, ApiError> {
    let staff = staff(req, state)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if role == Role::Admin && staff.role != Role::Admin {
        return Err(ApiError::forbidden("admin"));
    }
    Ok(staff)
}
