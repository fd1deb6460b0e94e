//! Around every request: a request id (taken from `X-Request-Id` when it is sane, else
//! made), returned in a header and in problem bodies and attached to the logs; security
//! headers; CORS for configured origins only; an access log line with the route pattern
//! (never the path, which may hold a reservation number) and the request's metrics.

use std::time::Instant;

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use tracing::Instrument;

use super::AppState;

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

fn allowed_origin(state: &AppState, req: &ServiceRequest) -> Option<HeaderValue> {
    let origin = req.headers().get(header::ORIGIN)?;
    let o = origin.to_str().ok()?;
    state
        .cors_origins
        .iter()
        .any(|a| a == o || a == "*")
        .then(|| origin.clone())
}

pub async fn around(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let cors = state.as_ref().and_then(|s| allowed_origin(s, &req));

    // A CORS preflight from an allowed origin is answered here.
    if method == Method::OPTIONS
        && cors.is_some()
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let res = HttpResponse::NoContent()
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                cors.clone().expect("checked"),
            ))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, POST, PUT, DELETE",
            ))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "authorization, content-type, idempotency-key, x-request-id",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .insert_header((header::VARY, "Origin"))
            .finish();
        return Ok(req.into_response(res));
    }

    let span = tracing::info_span!("request", request_id = %id);
    let res = next
        .call(req)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
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
    if let Some(origin) = cors {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-request-id, location, retry-after, idempotent-replayed"),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    let seconds = started.elapsed().as_secs_f64();
    if let Some(state) = state {
        state
            .metrics
            .observe_request(method.as_str(), &route, status.as_u16(), seconds);
    }
    let _enter = span.enter();
    if status.is_server_error() {
        tracing::error!(method = %method, route = %route, status = status.as_u16(), ms = seconds * 1000.0, "request");
    } else {
        tracing::info!(method = %method, route = %route, status = status.as_u16(), ms = seconds * 1000.0, "request");
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
