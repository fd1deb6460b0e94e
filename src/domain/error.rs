//! What can go wrong, as the domain and the workflows say it: one closed set of problem
//! codes (each with its HTTP status, title and meaning), field problems, and one error
//! type. Only `http/` turns them into responses.

use serde::Serialize;

use super::local_time::Slot;

/// Declares the closed set of problem codes with, for each, the HTTP status it is
/// answered with, a title, and what it means (listed in the API description).
macro_rules! problem_codes {
    ($($variant:ident = $code:literal, $status:literal, $title:literal, $meaning:literal;)*) => {
        /// A stable, machine-readable reason for a refusal (`code` in problem documents
        /// and field errors).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum ProblemCode {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl ProblemCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ProblemCode::$variant => $code,)* }
            }

            /// The HTTP status a problem with this code is answered with.
            pub fn status(self) -> u16 {
                match self { $(ProblemCode::$variant => $status,)* }
            }

            pub fn title(self) -> &'static str {
                match self { $(ProblemCode::$variant => $title,)* }
            }

            pub fn meaning(self) -> &'static str {
                match self { $(ProblemCode::$variant => $meaning,)* }
            }
        }
    };
}

problem_codes! {
    ValidationFailed = "validation_failed", 422, "The request cannot be accepted as sent", "Several fields need fixing; see errors";
    Required = "required", 422, "A field is missing", "A field is missing or empty";
    InvalidType = "invalid_type", 422, "A field has the wrong type", "A field has the wrong JSON type";
    InvalidFormat = "invalid_format", 422, "A field is not in the expected form", "A field's text is not in the expected form";
    TooLong = "too_long", 422, "A field is too long", "A field is longer than allowed";
    UnknownField = "unknown_field", 422, "An unknown field was sent", "The body has a field this operation does not take";
    UnknownPackage = "unknown_package", 422, "No such package", "No package has this id";
    InvalidTimeZone = "invalid_time_zone", 422, "Not a time zone", "Not an IANA time zone name";
    InvalidDuration = "invalid_duration", 422, "Not a duration we book", "duration_minutes is not a multiple of 15 from 15 to 720";
    NonexistentLocalTime = "nonexistent_local_time", 422, "That local time does not exist", "The zone skips this local time (spring forward)";
    AmbiguousLocalTime = "ambiguous_local_time", 422, "That local time happens twice", "The zone shows this local time twice (fall back): add an offset";
    StartInPast = "start_in_past", 422, "The start is in the past", "The start is in the past";
    BeyondHorizon = "beyond_horizon", 422, "Too far ahead", "The start is further ahead than bookings open (the booking horizon)";
    LeadTime = "lead_time", 422, "Too soon to order", "The start is less than the package's lead time away";
    MeetingNotScheduled = "meeting_not_scheduled", 422, "Schedule the meeting first", "The package needs the meeting scheduled on the customer's site first";
    InvalidLanguage = "invalid_language", 422, "Not a language tag", "Not a BCP 47 language tag";
    UnsupportedLocale = "unsupported_locale", 422, "E-mails are in English or French", "E-mails are written in en or fr";
    UnknownExtension = "unknown_extension", 422, "No such extension for this package", "The package cannot be ordered with this extension";
    AutomaticExtension = "automatic_extension", 422, "Added from the duration", "This extension is added from the duration";
    DuplicateExtension = "duplicate_extension", 422, "An extension is listed twice", "An extension is listed twice";
    InvalidQuantity = "invalid_quantity", 422, "Not a quantity we take", "A quantity is not from 1 to 20";
    IdempotencyKeyReused = "idempotency_key_reused", 422, "The Idempotency-Key was used for another request", "The Idempotency-Key came before with another body";
    InvalidIdempotencyKey = "invalid_idempotency_key", 422, "The Idempotency-Key cannot be used", "The Idempotency-Key header is empty or too long";
    NotChangeable = "not_changeable", 422, "Only the date and time can change", "Only the date and time of a booking can change";
    InvalidWeekday = "invalid_weekday", 422, "Not a day of the week", "Not a day of the week";
    InvalidWorkingHours = "invalid_working_hours", 422, "Not a span of working hours", "A span of working hours is empty";
    InvalidCentre = "invalid_centre", 422, "Not a centre", "Not meeting, training or event";
    InvalidRange = "invalid_range", 422, "Not a range we take", "A range's end is not after its start, or it is too long";
    InvalidStatus = "invalid_status", 422, "Not a status", "Not one of the statuses listed";
    InvalidUrl = "invalid_url", 422, "Not an address we send to", "Not an absolute http or https URL without credentials";
    UnknownEvent = "unknown_event", 422, "No such event", "Not one of the webhook event types";
    InvalidNumber = "invalid_number", 422, "Not a number we take", "A query number is out of range";
    UnknownSession = "unknown_session", 422, "No such session for this booking", "The booking's package and extensions include no preparation session of this name";
    DuplicateSession = "duplicate_session", 422, "A session is listed twice", "A preparation session is listed twice in the order";
    SessionNotice = "session_notice", 422, "Too soon for this session", "A preparation session starts at least 24 hours ahead (staff may book sooner)";
    SessionTime = "session_time", 422, "Not a time for this session", "A preparation session ends before the producer's preparation for the event, and sessions of a booking do not overlap";
    InvalidSessionLength = "invalid_session_length", 422, "Not a length for this session", "The session's length is set by the package (Event Center Premium: 15 minutes to 3 hours, in steps of 15)";
    ProductionTimeExceeded = "production_time_exceeded", 422, "More than the production time", "The sessions and the live event would take more than the package's production time";
    MalformedJson = "malformed_json", 400, "The body is not JSON", "The body is not JSON";
    MalformedBody = "malformed_body", 400, "The body could not be read", "The body could not be read";
    BadRequest = "bad_request", 400, "Bad request", "The request cannot be read";
    Unauthorized = "unauthorized", 401, "Staff token required", "No staff token, or an unknown one";
    Forbidden = "forbidden", 403, "Not allowed for this role", "The staff token's role may not do this";
    BookingNotFound = "booking_not_found", 404, "Booking not found", "No booking matches this reservation number and e-mail";
    NotFound = "not_found", 404, "Not found", "No such resource";
    MethodNotAllowed = "method_not_allowed", 405, "Method not allowed", "The path exists but not with this method; see Allow";
    RequestTimeout = "request_timeout", 408, "The request took too long", "The request's head or body did not arrive in time";
    NoProducerAvailable = "no_producer_available", 409, "No producer is available at that time", "Nobody is free then; see alternatives";
    NotYetHeld = "not_yet_held", 409, "The event has not taken place yet", "Reports come after the event's end, a no-show after its start";
    BookingTookPlace = "booking_took_place", 409, "The booking has taken place", "The booking has ended: it can no longer be moved, reassigned or cancelled";
    BookingCancelled = "booking_cancelled", 409, "The booking is cancelled", "The booking is cancelled";
    ProducerHasBookings = "producer_has_bookings", 409, "The producer still has bookings", "The producer still has bookings to run";
    TimeOffConflictsWithBookings = "time_off_conflicts_with_bookings", 409, "The time off covers bookings", "The time off covers bookings";
    StaffExists = "staff_exists", 409, "A member of staff has this e-mail", "A member of staff already has this e-mail address";
    BusyTryAgain = "busy_try_again", 409, "Too many simultaneous changes", "Too many simultaneous changes; send the same request again";
    PayloadTooLarge = "payload_too_large", 413, "Request body too large", "The body is larger than 64 KiB";
    UnsupportedMediaType = "unsupported_media_type", 415, "Unsupported media type", "Send JSON with Content-Type: application/json";
    TooManyRequests = "too_many_requests", 429, "Too many failed attempts", "Too many failed attempts from this address; see Retry-After";
    TooManyOrders = "too_many_orders", 429, "Too many orders", "Too many orders from this address or contact e-mail; see Retry-After";
    RequestHeaderFieldsTooLarge = "request_header_fields_too_large", 431, "Request header fields too large", "The request's headers are too large";
    InternalError = "internal_error", 500, "Internal error", "A failure on the service's side";
    ServiceUnavailable = "service_unavailable", 503, "Service unavailable", "The database cannot be used just now (unreachable, gone, read-only); see Retry-After";
    DatabaseUnreachable = "database_unreachable", 503, "Not ready", "Readiness: the database cannot be used, or its schema is not this build's";
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field's problem: where (a dotted path such as `contact.email` or
/// `extensions[1].id`), which code, and how to fix it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: ProblemCode,
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: ProblemCode,
        message: impl Into<String>,
    ) -> FieldError {
        FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

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

/// Everything a request can end in other than success.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more fields are missing or wrong.
    #[error("the request has {} problem(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// No producer is free; `alternatives` are starts where one is, in `time_zone`.
    #[error("no producer is available")]
    NoProducer {
        detail: String,
        alternatives: Vec<Slot>,
    },
    /// Any other refusal: its code says the status.
    #[error("{code}: {detail}")]
    Refused { code: ProblemCode, detail: String },
    /// Over a limit; try again after that many seconds.
    #[error("over a limit: {limit:?}")]
    TooMany { limit: Limit, retry_after_secs: u64 },
    /// The database cannot serve just now (503).
    #[error("the database is unavailable: {0:#}")]
    Unavailable(anyhow::Error),
    /// Our own failure (500); the cause is logged, never shown.
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl Error {
    pub fn refused(code: ProblemCode, detail: impl Into<String>) -> Error {
        Error::Refused {
            code,
            detail: detail.into(),
        }
    }

    /// One field's problem.
    pub fn field(field: &str, code: ProblemCode, message: impl Into<String>) -> Error {
        Error::Invalid(vec![FieldError::new(field, code, message)])
    }

    /// The same answer for an unknown number and a wrong e-mail.
    pub fn booking_not_found() -> Error {
        Error::refused(
            ProblemCode::BookingNotFound,
            "no booking matches this reservation number and e-mail address; check both against your confirmation e-mail",
        )
    }

    pub fn not_found(what: &str) -> Error {
        Error::refused(ProblemCode::NotFound, format!("{what} does not exist"))
    }

    pub fn unauthorized() -> Error {
        Error::refused(
            ProblemCode::Unauthorized,
            "send a staff token as 'Authorization: Bearer <token>'; create one with 'greenroom staff-token create'",
        )
    }

    pub fn forbidden(need: &str) -> Error {
        Error::refused(
            ProblemCode::Forbidden,
            format!("this needs a staff token with the {need} role"),
        )
    }

    pub fn is_booking_not_found(&self) -> bool {
        matches!(
            self,
            Error::Refused {
                code: ProblemCode::BookingNotFound,
                ..
            }
        )
    }

    /// The problem's code: a field code when every field problem has the same one (so a
    /// lone bad zone is `invalid_time_zone`), else `validation_failed`.
    pub fn code(&self) -> ProblemCode {
        match self {
            Error::Invalid(errors) => match errors.first() {
                Some(first) if errors.iter().all(|e| e.code == first.code) => first.code,
                _ => ProblemCode::ValidationFailed,
            },
            Error::NoProducer { .. } => ProblemCode::NoProducerAvailable,
            Error::Refused { code, .. } => *code,
            Error::TooMany {
                limit: Limit::FailedAttempts,
                ..
            } => ProblemCode::TooManyRequests,
            Error::TooMany { .. } => ProblemCode::TooManyOrders,
            Error::Unavailable(_) => ProblemCode::ServiceUnavailable,
            Error::Internal(_) => ProblemCode::InternalError,
        }
    }

    /// The status a field problem's code would have is always 422; the others follow
    /// their code.
    pub fn status(&self) -> u16 {
        match self {
            Error::Invalid(_) => 422,
            other => other.code().status(),
        }
    }

    /// What to tell the client, in a sentence.
    pub fn detail(&self) -> String {
        match self {
            Error::Invalid(errors) => match errors.as_slice() {
                [one] => one.message.clone(),
                many => format!(
                    "{} fields need fixing: {}",
                    many.len(),
                    many.iter()
                        .map(|e| e.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            Error::NoProducer { detail, .. } | Error::Refused { detail, .. } => detail.clone(),
            Error::TooMany {
                limit,
                retry_after_secs,
            } => {
                let what = match limit {
                    Limit::FailedAttempts => "too many failed attempts from this address".to_string(),
                    Limit::OrdersPerAddress(n) => format!("this address has placed {n} orders in the last hour, the most allowed"),
                    Limit::OrdersPerEmail(n) => format!("this contact e-mail has placed {n} orders in the last 24 hours, the most allowed; for more, ask your production coordinator"),
                };
                format!("{what}; try again in {retry_after_secs} seconds")
            }
            Error::Unavailable(_) => "the service cannot use its database just now; nothing was changed, try again shortly".into(),
            Error::Internal(_) => "something went wrong on our side; the request was not completed, and it is safe to retry".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_kind_of_field_error_gives_its_code() {
        let e = Error::field("time_zone", ProblemCode::InvalidTimeZone, "bad zone");
        assert_eq!(e.code(), ProblemCode::InvalidTimeZone);
        assert_eq!(e.status(), 422);
        let e = Error::Invalid(vec![
            FieldError::new("a", ProblemCode::Required, "a"),
            FieldError::new("b", ProblemCode::InvalidDuration, "b"),
        ]);
        assert_eq!(e.code(), ProblemCode::ValidationFailed);
        assert_eq!(e.detail(), "2 fields need fixing: a, b");
    }

    #[test]
    fn codes_are_unique_snake_case_and_serialise_as_such() {
        let mut seen = std::collections::HashSet::new();
        for code in ProblemCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert!(code
                .as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_'));
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::json!(code.as_str())
            );
            assert!((400..600).contains(&code.status()));
        }
    }
}
