//! Every error response is problem+json, including the ones actix makes itself (unknown
//! route, wrong method, body too large).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse};

use super::problem::Problem;
use crate::domain::error::{Error, ProblemCode};

/// Nothing is served here; or something is, with other methods (405, with `Allow` taken
/// from the API's description).
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, Error> {
    let allowed = super::openapi::methods_at(req.path());
    if !allowed.is_empty() {
        let problem = Problem::new(
            ProblemCode::MethodNotAllowed,
            405,
            format!(
                "{} is not allowed on {}; use {}",
                req.method(),
                req.path(),
                allowed.join(" or ")
            ),
        );
        let mut res = problem.response();
        res.headers_mut().insert(
            header::ALLOW,
            header::HeaderValue::from_str(&allowed.join(", ")).expect("method names are ASCII"),
        );
        return Ok(res);
    }
    Err(Error::refused(
        ProblemCode::NotFound,
        format!(
            "nothing is served at {} {}; the API lives under /api/v1",
            req.method(),
            req.path()
        ),
    ))
}

/// Rewrite an error response that is not yet problem+json. The pages' own refusals
/// (HTML, in the reader's language) are theirs to make.
pub fn normalise_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json") || v.starts_with("text/html"));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (code, detail): (ProblemCode, String) = match status {
        StatusCode::NOT_FOUND => (
            ProblemCode::NotFound,
            format!("nothing is served at {}", res.request().path()),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            ProblemCode::MethodNotAllowed,
            format!(
                "{} is not allowed on {}; see the API description for the methods this path takes",
                res.request().method(),
                res.request().path()
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ProblemCode::PayloadTooLarge,
            format!(
                "the body is larger than {} bytes; send less",
                super::MAX_BODY_BYTES
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ProblemCode::UnsupportedMediaType,
            "send JSON with Content-Type: application/json".into(),
        ),
        s if s.is_client_error() => (
            ProblemCode::BadRequest,
            "the request could not be read; check its method, path, headers and body".into(),
        ),
        _ => (
            ProblemCode::InternalError,
            "something went wrong on our side; it is safe to retry".into(),
        ),
    };
    let problem = Problem::new(code, status.as_u16(), detail);
    let (req, _) = res.into_parts();
    let response: HttpResponse<BoxBody> = problem.response();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}
