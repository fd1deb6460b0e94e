//! Errors as RFC 9457 `application/problem+json`: the one place where the domain's
//! error becomes an HTTP status and body. Causes of 5xx are logged, never shown.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::json::SlotJson;
use crate::domain::error::{Error, FieldError, ProblemCode};

/// The problem document every refusal is answered with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct Problem {
    /// `urn:greenroom:problem:` and the code.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What was wrong and how to fix it, in a sentence.
    pub detail: String,
    /// A stable, machine-readable code.
    #[schema(value_type = String)]
    pub code: ProblemCode,
    /// Each field's problem (empty when the problem is not about fields).
    #[schema(value_type = Vec<FieldProblem>)]
    pub errors: Vec<FieldError>,
    /// When no producer is free: three starts where one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternatives: Option<Vec<SlotJson>>,
    /// For 429: the seconds to wait (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// The request's id, to quote when asking for help (added on the way out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One field's problem, as documents show it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// A dotted path such as `contact.email` or `extensions[1].id`.
    pub field: String,
    pub code: String,
    /// How to fix it.
    pub message: String,
}

impl Problem {
    pub fn new(code: ProblemCode, status: u16, detail: String) -> Problem {
        Problem {
            kind: format!("urn:greenroom:problem:{code}"),
            title: code.title().to_string(),
            status,
            detail,
            code,
            errors: vec![],
            alternatives: None,
            retry_after: None,
            request_id: None,
        }
    }

    pub fn of(error: &Error) -> Problem {
        let mut problem = Problem::new(error.code(), error.status(), error.detail());
        match error {
            Error::Invalid(errors) => {
                problem.title = ProblemCode::ValidationFailed.title().to_string();
                problem.errors = errors.clone();
            }
            Error::NoProducer { alternatives, .. } => {
                problem.alternatives = Some(alternatives.iter().map(SlotJson::from).collect());
            }
            Error::TooMany {
                retry_after_secs, ..
            } => problem.retry_after = Some(*retry_after_secs),
            _ => {}
        }
        problem
    }

    /// The response: the status, `application/problem+json`, and `Retry-After` where a
    /// wait is known.
    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let Some(wait) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, wait.to_string()));
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        res.body(serde_json::to_string(self).expect("problems serialise"))
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Error::Internal(e) => tracing::error!(error = %format!("{e:#}"), "request failed"),
            Error::Unavailable(e) => {
                tracing::warn!(error = %format!("{e:#}"), "database unavailable")
            }
            _ => {}
        }
        Problem::of(self).response()
    }
}

impl From<actix_web::error::BlockingError> for Error {
    fn from(e: actix_web::error::BlockingError) -> Error {
        Error::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_problems_are_listed_with_their_codes() {
        let e = Error::Invalid(vec![
            FieldError::new("a", ProblemCode::Required, "a is required"),
            FieldError::new("b", ProblemCode::InvalidDuration, "b"),
        ]);
        let body = serde_json::to_value(Problem::of(&e)).unwrap();
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["status"], 422);
        assert_eq!(body["type"], "urn:greenroom:problem:validation_failed");
        assert_eq!(body["errors"][1]["code"], "invalid_duration");
        let lone = Error::field("time_zone", ProblemCode::InvalidTimeZone, "bad zone");
        let body = serde_json::to_value(Problem::of(&lone)).unwrap();
        assert_eq!(body["code"], "invalid_time_zone");
        assert_eq!(body["detail"], "bad zone");
    }
}
