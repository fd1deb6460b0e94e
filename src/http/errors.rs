//! Every error response is problem+json, including the ones actix makes itself (unknown
//! route, wrong method, body too large).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse};

use crate::error::ApiError;

/// Does `path` match a described route pattern such as `/api/v1/producers/{id}`?
fn matches(pattern: &str, path: &str) -> bool {
    let (p, q): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == q.len()
        && p.iter()
            .zip(&q)
            .all(|(a, b)| (a.starts_with('{') && !b.is_empty()) || a == b)
}

pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    // A literal route (/api/v1/bookings/lookup) wins over a pattern that also matches it.
    let routes = super::openapi::ROUTES;
    let exact: Vec<_> = routes.iter().filter(|(_, p)| *p == req.path()).collect();
    let candidates = if exact.is_empty() {
        routes
            .iter()
            .filter(|(_, p)| matches(p, req.path()))
            .collect()
    } else {
        exact
    };
    let allowed: Vec<String> = candidates.iter().map(|(m, _)| m.to_uppercase()).collect();
    if !allowed.is_empty() {
        let problem = ApiError::refused(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
            format!(
                "{} is not allowed on {}; use {}",
                req.method(),
                req.path(),
                allowed.join(" or ")
            ),
        );
        let mut res = actix_web::ResponseError::error_response(&problem);
        res.headers_mut().insert(
            header::ALLOW,
            header::HeaderValue::from_str(&allowed.join(", ")).expect("method names are ASCII"),
        );
        return Ok(res);
    }
    Err(ApiError::refused(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such resource",
        format!(
            "nothing is served at {} {}; the API lives under /api/v1",
            req.method(),
            req.path()
        ),
    ))
}

/// Rewrite an error response that is not yet problem+json.
pub fn normalise_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (code, title, detail): (&'static str, &'static str, String) = match status {
        StatusCode::NOT_FOUND => (
            "not_found",
            "No such resource",
            format!("nothing is served at {}", res.request().path()),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "Method not allowed",
            format!(
                "{} is not allowed on {}; see the API description for the methods this path takes",
                res.request().method(),
                res.request().path()
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "Request body too large",
            format!(
                "the body is larger than {} bytes; send less",
                super::MAX_BODY_BYTES
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Unsupported media type",
            "send JSON with Content-Type: application/json".into(),
        ),
        s if s.is_client_error() => (
            "bad_request",
            "Bad request",
            "the request could not be read; check its method, path, headers and body".into(),
        ),
        _ => (
            "internal_error",
            "Internal error",
            "something went wrong on our side; it is safe to retry".into(),
        ),
    };
    let problem = ApiError::refused(status, code, title, detail);
    let (req, _) = res.into_parts();
    let mut response: HttpResponse<BoxBody> = actix_web::ResponseError::error_response(&problem);
    *response.status_mut() = status;
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}
