//! What handlers take from a request before they run: the JSON body as its request
//! type, and the staff member behind a bearer token.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::AppState;
use crate::domain::error::{Error, ProblemCode};
use crate::domain::staff::{Role, Staff};

/// Largest request body accepted on any route.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a request body may take to arrive when no setting says otherwise.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The time a body may take, set by the application.
#[derive(Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// A request's body, whole: refused when it takes longer than `timeout` to arrive (408),
/// is larger than `limit` (413), or cannot be read (400).
pub async fn read_body(
    timeout: Duration,
    body: web::Payload,
    limit: usize,
) -> Result<actix_web::web::Bytes, Error> {
    match actix_web::rt::time::timeout(timeout, body.to_bytes_limited(limit)).await {
        Err(_elapsed) => Err(Error::refused(
            ProblemCode::RequestTimeout,
            format!(
                "the request body did not arrive within {} seconds; send it again, all at once",
                timeout.as_secs()
            ),
        )),
        Ok(Err(_limit)) => Err(Error::refused(
            ProblemCode::PayloadTooLarge,
            format!("the body is larger than {limit} bytes; send less"),
        )),
        Ok(Ok(Err(e))) => Err(Error::refused(
            ProblemCode::MalformedBody,
            format!("the request body could not be read: {e}"),
        )),
        Ok(Ok(Ok(bytes))) => Ok(bytes),
    }
}

/// A JSON request body read into its request type: sent as `application/json` (or a
/// `+json` type), at most `MAX_BODY_BYTES`, arriving within the body timeout, a JSON
/// object. Anything else is refused before a handler runs: 415 (which also keeps a page
/// on another site from posting here without a CORS preflight), 413, 408, 400 or 422.
/// Request types read every field leniently, so their problems are found afterwards,
/// all at once. When the request carries an `Idempotency-Key`, the second part is a hash
/// of the body (keys sorted), to tell a retry from another request.
pub struct JsonBody<T>(pub T, pub Option<String>);

/// The request's media type, lower case, without parameters.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
}

fn is_json(req: &HttpRequest) -> bool {
    media_type(req).is_some_and(|m| {
        m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<JsonBody<T>, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        if !is_json(req) {
            return Box::pin(std::future::ready(Err(Error::refused(
                ProblemCode::UnsupportedMediaType,
                "send the body as JSON with the header Content-Type: application/json",
            ))));
        }
        let timeout = req.app_data::<BodyTimeout>().map_or(BODY_TIMEOUT, |t| t.0);
        let keyed = req.headers().contains_key("idempotency-key");
        let body = <web::Payload as FromRequest>::from_request(req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|e| anyhow::anyhow!("cannot take the body: {e}"))?;
            let bytes = read_body(timeout, body, MAX_BODY_BYTES).await?;
            let value = parse_json(&bytes)?;
            if !value.is_object() {
                let got = match value {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "null",
                };
                return Err(Error::field(
                    "",
                    ProblemCode::InvalidType,
                    format!("the body must be a JSON object, not {got}"),
                ));
            }
            // serde_json's maps are sorted, so equal bodies serialise equally.
            let digest = keyed.then(|| {
                use sha2::{Digest, Sha256};
                Sha256::digest(value.to_string().as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            });
            serde_json::from_value(value)
                .map(|v| JsonBody(v, digest))
                .map_err(|e| {
                    Error::field(
                        "",
                        ProblemCode::InvalidFormat,
                        format!("the body cannot be read: {e}"),
                    )
                })
        })
    }
}

/// The body as JSON, or a 400 that says where it broke.
fn parse_json(body: &Bytes) -> Result<Value, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::refused(
            ProblemCode::MalformedJson,
            "the body is empty; send a JSON object with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        Error::refused(
            ProblemCode::MalformedJson,
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
pub async fn staff(req: &HttpRequest, state: &AppState) -> Result<Option<Staff>, Error> {
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
        .ok_or_else(Error::unauthorized)?
        .to_string();
    let found = state
        .run(move |svc| crate::workflow::staff::authenticate(svc, &token))
        .await?;
    found.map(Some).ok_or_else(Error::unauthorized)
}

/// A staff member whose role allows `role`.
pub async fn require(req: &HttpRequest, state: &AppState, role: Role) -> Result<Staff, Error> {
    let staff = staff(req, state).await?.ok_or_else(Error::unauthorized)?;
    if !staff.role.allows(role) {
        return Err(Error::forbidden(role.as_str()));
    }
    Ok(staff)
}

/// Ids in paths are UUIDs: anything else names nothing (and never reaches the database,
/// where some bytes, such as NUL, are not even valid text).
pub fn uuid_in_path(raw: &str, what: &str) -> Result<String, Error> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|u| u.to_string())
        .map_err(|_| Error::not_found(what))
}
