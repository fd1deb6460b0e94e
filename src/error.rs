//! One error type for the whole API, rendered as RFC 9457 `application/problem+json`.
//!
//! Every refusal carries a stable `code`; field problems list each field, its code and
//! how to fix it. Causes of 5xx are logged, never shown.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

use crate::domain::input::FieldError;

/// Which limit a client went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Failed attempts to reach a booking, per address a minute.
    FailedAttempts,
    /// Orders per address an hour (the limit).
    OrdersPerAddress(u32),
    /// Orders per contact e-mail a day (the limit).
    OrdersPerEmail(u32),
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One or more fields are missing or wrong (422).
    #[error("the request has {} problem(s)", .0.len())]
    Validation(Vec<FieldError>),
    /// No producer is free; `alternatives` are start times that are (409).
    #[error("no producer is available")]
    NoProducer {
        detail: String,
        alternatives: Vec<Value>,
    },
    /// Any other refusal with a fixed status and code.
    #[error("{detail}")]
    Refused {
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: String,
    },
    #[error("over a limit: {limit:?}")]
    TooManyRequests { limit: Limit, retry_after_secs: u64 },
    #[error("the database is unavailable: {0}")]
    Unavailable(anyhow::Error),
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn refused(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError::Refused {
            status,
            code,
            title,
            detail: detail.into(),
        }
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn booking_not_found() -> ApiError {
        ApiError::refused(
            StatusCode::NOT_FOUND,
            "booking_not_found",
            "Booking not found",
            "no booking matches this reservation number and e-mail address; check both against your confirmation e-mail",
        )
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::refused(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not found",
            format!("{what} does not exist"),
        )
    }

    pub fn unauthorized() -> ApiError {
        ApiError::refused(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Staff token required",
            "send a staff token as 'Authorization: Bearer <token>'; create one with 'greenroom staff-token create'",
        )
    }

    pub fn forbidden(need: &str) -> ApiError {
        ApiError::refused(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed for this role",
            format!("this needs a staff token with the {need} role"),
        )
    }

    /// The same 404 for an unknown number and a wrong e-mail.
    pub fn is_booking_not_found(&self) -> bool {
        matches!(
            self,
            ApiError::Refused {
                code: "booking_not_found",
                ..
            }
        )
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NoProducer { .. } => StatusCode::CONFLICT,
            ApiError::Refused { status, .. } => *status,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document.
    pub fn body(&self) -> Value {
        let status = self.status().as_u16();
        let (code, title, detail, extra): (String, &str, String, Value) = match self {
            ApiError::Validation(errors) => {
                let first = errors.first().map(|e| e.code.clone()).unwrap_or_default();
                let code = if errors.iter().all(|e| e.code == first) { first } else { "validation_failed".to_string() };
                let detail = match errors.as_slice() {
                    [one] => one.message.clone(),
                    many => format!(
                        "{} fields need fixing: {}",
                        many.len(),
                        many.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                };
                (code, "The request cannot be accepted as sent", detail, json!({"errors": errors}))
            }
            ApiError::NoProducer { detail, alternatives } => (
                "no_producer_available".into(),
                "No producer is available at that time",
                detail.clone(),
                json!({"alternatives": alternatives, "errors": []}),
            ),
            ApiError::Refused { code, title, detail, .. } => (code.to_string(), title, detail.clone(), json!({"errors": []})),
            ApiError::TooManyRequests { limit, retry_after_secs } => {
                let (code, title, what) = match limit {
                    Limit::FailedAttempts => ("too_many_requests", "Too many failed attempts", "too many failed attempts from this address".to_string()),
                    Limit::OrdersPerAddress(n) => ("too_many_orders", "Too many orders", format!("this address has placed {n} orders in the last hour, the most allowed")),
                    Limit::OrdersPerEmail(n) => ("too_many_orders", "Too many orders", format!("this contact e-mail has placed {n} orders in the last 24 hours, the most allowed; for more, ask your production coordinator")),
                };
                (
                    code.into(),
                    title,
                    format!("{what}; try again in {retry_after_secs} seconds"),
                    json!({"errors": [], "retry_after": retry_after_secs}),
                )
            }
            ApiError::Unavailable(_) => (
                "service_unavailable".into(),
                "Service unavailable",
                "the service cannot use its database just now; nothing was changed, try again shortly".into(),
                json!({"errors": []}),
            ),
            ApiError::Internal(_) => (
                "internal_error".into(),
                "Internal error",
                "something went wrong on our side; the request was not completed, and it is safe to retry".into(),
                json!({"errors": []}),
            ),
        };
        let mut body = json!({
            "type": format!("urn:greenroom:problem:{code}"),
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        });
        if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
            b.extend(e);
        }
        body
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(e) => tracing::error!(error = %format!("{e:#}"), "request failed"),
            ApiError::Unavailable(e) => {
                tracing::warn!(error = %format!("{e:#}"), "database unavailable")
            }
            _ => {}
        }
        let mut res = HttpResponse::build(self.status());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let ApiError::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let ApiError::Unavailable(_) = self {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        res.body(self.body().to_string())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        // A conflict worth retrying stays internal, for the retry loop to see.
        if crate::db::is_unavailable(&e) && !crate::db::is_transient(&e) {
            ApiError::Unavailable(e.into())
        } else {
            ApiError::Internal(e.into())
        }
    }
}

impl From<anyhow::Error> for ApiError {
    /// A database failure wrapped on its way up is still the database's: 503 when it is
    /// unavailable, whatever carried it.
    fn from(e: anyhow::Error) -> ApiError {
        let unavailable = e.downcast_ref::<crate::db::Unavailable>().is_some()
            || e.downcast_ref::<diesel::result::Error>()
                .is_some_and(|d| crate::db::is_unavailable(d) && !crate::db::is_transient(d));
        if unavailable {
            ApiError::Unavailable(e)
        } else {
            ApiError::Internal(e)
        }
    }
}

impl From<crate::db::Unavailable> for ApiError {
    fn from(e: crate::db::Unavailable) -> ApiError {
        ApiError::Unavailable(e.into())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> ApiError {
        ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_kind_of_field_error_gives_its_code() {
        let e = ApiError::field("time_zone", "invalid_time_zone", "bad zone");
        assert_eq!(e.body()["code"], "invalid_time_zone");
        let e = ApiError::Validation(vec![
            FieldError::new("a", "required", "a"),
            FieldError::new("b", "invalid_duration", "b"),
        ]);
        let body = e.body();
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["errors"].as_array().unwrap().len(), 2);
        assert_eq!(body["status"], 422);
    }
}
