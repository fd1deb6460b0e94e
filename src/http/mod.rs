//! The HTTP API: parse and authenticate, hand over to the workflow, render.

mod bookings;
mod catalogue;
mod errors;
mod health;
pub mod metrics;
pub mod middleware;
pub mod openapi;
mod privacy;
mod producers;
pub mod server;
mod staff;
pub mod throttle;

use actix_web::web::{self, Bytes};
use actix_web::HttpRequest;
use serde_json::Value;

use crate::clock::Clock;
use crate::db::tokens::{self, Role, Staff};
use crate::db::{Database, DbConnection};
use crate::error::ApiError;

/// Largest request body accepted on any route.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    /// Connections, the SQLite writer, and the checks that turn a lost database into 503.
    pub db: Database,
    pub clock: Clock,
    /// Failed guesses of reservation numbers and e-mails, per client address.
    pub throttle: std::sync::Arc<throttle::Limiter>,
    /// Orders per client address (an hour).
    pub order_limiter: std::sync::Arc<throttle::Limiter>,
    /// Take the client address from X-Forwarded-For / Forwarded (only behind a proxy
    /// that sets them).
    pub trust_forwarded: bool,
    /// What e-mails say about the service (sender, manage page).
    pub mail: crate::email::MailConfig,
    /// Wakes the outbox worker after a change, and stops it.
    pub outbox: crate::email::worker::OutboxHandle,
    pub metrics: std::sync::Arc<metrics::Metrics>,
    /// What customers may book (horizon, orders per e-mail).
    pub limits: crate::booking::Limits,
    /// Where sent e-mails are kept as `.eml` files (erasure deletes them).
    pub outbox_dir: std::path::PathBuf,
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
    /// Run database work that writes on a blocking thread (on SQLite, through the one
    /// writer connection).
    pub async fn db_write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.db.clone();
        blocking(move || db.write(f)).await
    }

    /// Run database work on a blocking thread, never on an actix worker.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.db.clone();
        blocking(move || f(&mut *db.read()?)).await
    }
}

/// Run `f` on a blocking thread. A panic there is a bug: it becomes a logged 500 for
/// this request alone (the database layer has already put its connection right).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(ApiError::Internal(anyhow::anyhow!("panicked: {what}")))
        })
    })
    .await?
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
                .route("/privacy/erase", web::post().to(privacy::erase))
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

/// A JSON request body: sent as `application/json` (or a `+json` type), at most
/// `MAX_BODY_BYTES`, arriving within the body timeout, and valid JSON. Anything else is
/// refused before a handler runs: 415 (which also keeps a page on another site from
/// posting here without a CORS preflight), 413, 408 or 400.
pub struct JsonBody(pub Value);

/// How long a request body may take to arrive when no setting says otherwise.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The time a body may take, set by the application.
#[derive(Clone, Copy)]
pub struct BodyTimeout(pub std::time::Duration);

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

impl actix_web::FromRequest for JsonBody {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsonBody, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        use actix_web::http::StatusCode;
        if !is_json(req) {
            return Box::pin(std::future::ready(Err(ApiError::refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
                "send the body as JSON with the header Content-Type: application/json",
            ))));
        }
        let timeout = req.app_data::<BodyTimeout>().map_or(BODY_TIMEOUT, |t| t.0);
        let body = <web::Payload as actix_web::FromRequest>::from_request(req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|e| anyhow::anyhow!("cannot take the body: {e}"))?;
            let read = actix_web::rt::time::timeout(timeout, body.to_bytes_limited(MAX_BODY_BYTES));
            let bytes = match read.await {
                Err(_elapsed) => {
                    return Err(ApiError::refused(
                        StatusCode::REQUEST_TIMEOUT,
                        "request_timeout",
                        "The body took too long",
                        format!(
                            "the request body did not arrive within {} seconds; send it again, all at once",
                            timeout.as_secs()
                        ),
                    ))
                }
                Ok(Err(_limit)) => {
                    return Err(ApiError::refused(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "Request body too large",
                        format!("the body is larger than {MAX_BODY_BYTES} bytes; send less"),
                    ))
                }
                Ok(Ok(Err(e))) => {
                    return Err(ApiError::refused(
                        StatusCode::BAD_REQUEST,
                        "malformed_body",
                        "The body could not be read",
                        format!("the request body could not be read: {e}"),
                    ))
                }
                Ok(Ok(Ok(bytes))) => bytes,
            };
            parse_json(&bytes).map(JsonBody)
        })
    }
}

/// The body as JSON, or a 400 that says where it broke.
fn parse_json(body: &Bytes) -> Result<Value, ApiError> {
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
            // The scheme is case-insensitive (RFC 7235); one or more spaces follow it.
            let (scheme, token) = v.trim_start().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
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
