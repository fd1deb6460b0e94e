//! Around every request: a request id (taken from `X-Request-Id` when it is sane, else
//! made), returned in a header and in problem bodies and attached to the logs; security
//! headers; metrics. The request's span and its access log line come from
//! tracing-actix-web with `AccessLog` below (route patterns, never paths, which may hold
//! a reservation number); CORS from actix-cors, for configured origins only.

use std::time::Instant;

use actix_cors::Cors;
use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;

use super::AppState;

/// The request's id, as returned in `X-Request-Id`.
#[derive(Clone)]
pub struct RequestId(pub String);

/// When the request arrived.
#[derive(Clone, Copy)]
struct Started(Instant);

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        })
        .map(String::from)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn route_of(req: &actix_web::HttpRequest) -> String {
    req.match_pattern().unwrap_or_else(|| "unmatched".into())
}

/// The request's span: its id, method and route; and at its end, the access log line.
pub struct AccessLog;

impl RootSpanBuilder for AccessLog {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        tracing::info_span!("request", request_id = %id)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let _enter = span.enter();
        let Ok(res) = outcome else { return };
        let req = res.request();
        let ms = req
            .extensions()
            .get::<Started>()
            .map(|s| s.0.elapsed().as_secs_f64() * 1000.0)
            .unwrap_or_default();
        let (method, route, status) = (req.method().clone(), route_of(req), res.status().as_u16());
        if res.status().is_server_error() {
            tracing::error!(method = %method, route = %route, status, ms, "request");
        } else {
            tracing::info!(method = %method, route = %route, status, ms, "request");
        }
    }
}

/// CORS for the configured origins (`*` for any); none configured: off.
pub fn cors(origins: &[String]) -> actix_web::middleware::Condition<Cors> {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allowed_headers([
            "authorization",
            "content-type",
            "idempotency-key",
            "x-request-id",
        ])
        .expose_headers([
            "x-request-id",
            "location",
            "retry-after",
            "idempotent-replayed",
        ])
        .max_age(600)
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    actix_web::middleware::Condition::new(!origins.is_empty(), cors)
}

pub async fn around(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(Started(started));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let res = next.call(req).await?.map_into_boxed_body();
    let route = route_of(res.request());
    let status = res.status();
    let mut res = if status.is_client_error() || status.is_server_error() {
        with_request_id_in_problem(res, &id).await
    } else {
        res
    };
    let headers = res.headers_mut();
    headers.insert(
        HeaderName::from_static("x-request-id"),
        HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("invalid")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if route.starts_with("/api/v1/") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    if let Some(state) = state {
        state.metrics.observe_request(
            method.as_str(),
            &route,
            status.as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}

/// Problem documents carry the request id, so a customer can quote it.
async fn with_request_id_in_problem(
    res: ServiceResponse<BoxBody>,
    id: &str,
) -> ServiceResponse<BoxBody> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !is_problem {
        return res;
    }
    let (req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = to_bytes(body).await.unwrap_or_default();
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.insert(
                "request_id".into(),
                serde_json::Value::String(id.to_string()),
            );
            serde_json::Value::Object(map).to_string().into_bytes()
        }
        _ => bytes.to_vec(),
    };
    let response = head.set_body(body).map_into_boxed_body();
    ServiceResponse::new(req, response)
}
