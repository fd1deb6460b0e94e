//! After the event, for its producer (their own bookings) and staff who schedule: the
//! attendance report (CSV, uploaded and read back), the follow-up e-mail with the
//! recording's links, and no-shows.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::bookings::json::BookingJson;
use super::extract::{media_type, read_body, require, JsonBody, BODY_TIMEOUT};
use super::json::{json_objects, Check, Field, Unknown};
use super::problem::Problem;
use super::AppState;
use crate::domain::error::{Error, FieldError, ProblemCode};
use crate::domain::report::{recording_link, MAX_ATTENDANCE_BYTES, MAX_LINKS};
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::staff::Role;
use crate::domain::text::Lines;
use crate::http::schema::Lines1000;
use crate::workflow::report as work;

fn number(raw: &str) -> Result<ReservationNumber, Error> {
    ReservationNumber::parse(raw).map_err(|_| Error::booking_not_found())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FollowUpRequest {
    /// Where the recording can be watched (up to 10 http or https addresses); may be
    /// left out when only the attendance report is sent.
    #[schema(value_type = Option<Vec<String>>, max_items = 10)]
    pub recording_links: Field<Vec<Field<String>>>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

json_objects!(FollowUpRequest);

impl FollowUpRequest {
    pub fn parse(self) -> Result<Vec<String>, Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let mut links = vec![];
        if let Some(items) = check.value("recording_links", self.recording_links, None) {
            if items.len() > MAX_LINKS {
                check.problem(
                    "recording_links",
                    ProblemCode::TooLong,
                    format!("give at most {MAX_LINKS} links"),
                );
            }
            for (i, item) in items.into_iter().enumerate().take(MAX_LINKS) {
                let at = format!("recording_links[{i}]");
                links.extend(
                    check.text_with(&at, item, Some("a link"), 2000, |s| recording_link(&s)),
                );
            }
        }
        check.finish(|| Some(links))
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NoShowRequest {
    /// What happened, for the history.
    #[schema(value_type = Lines1000, required = true)]
    pub reason: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

json_objects!(NoShowRequest);

impl NoShowRequest {
    pub fn parse(self) -> Result<String, Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let reason = check.text(
            "reason",
            self.reason,
            Some("what happened, such as: nobody joined by 30 minutes after the start"),
            1000,
            Lines::Many,
        );
        check.finish(|| reason)
    }
}

/// The body of an attendance upload: CSV text, at most `MAX_ATTENDANCE_BYTES`.
async fn csv_body(req: &HttpRequest, body: web::Payload) -> Result<String, Error> {
    if !matches!(media_type(req).as_deref(), Some("text/csv" | "text/plain")) {
        return Err(Error::refused(
            ProblemCode::UnsupportedMediaType,
            "send the attendance report as CSV with the header Content-Type: text/csv",
        ));
    }
    let timeout = req
        .app_data::<super::BodyTimeout>()
        .map_or(BODY_TIMEOUT, |t| t.0);
    let bytes = read_body(timeout, body, MAX_ATTENDANCE_BYTES).await?;
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        Error::field(
            "attendance",
            ProblemCode::InvalidFormat,
            "the attendance report is not UTF-8 text; save it as CSV UTF-8",
        )
    })
}

/// Upload the attendance report of a booking that took place (replacing any).
#[utoipa::path(
    operation_id = "upload_attendance",
    tag = "staff",
    params(("reservation_number" = String, Path, description = "The booking's reservation number")),
    request_body(content = String, content_type = "text/csv", description = "CSV: a header row, then one row per attendee"),
    responses(
        (status = 200, description = "Kept", body = BookingJson),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "booking_not_found (or not the producer's own)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "not_yet_held or booking_cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 2 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not readable as CSV", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[put("/bookings/{reservation_number}/attendance")]
pub async fn upload_attendance(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, Error> {
    let staff = require(&req, &state, Role::Producer).await?;
    let number = number(&path)?;
    let csv = csv_body(&req, body).await?;
    let done = state
        .run(move |svc| work::upload_attendance(svc, &number, csv, &staff))
        .await?;
    Ok(HttpResponse::Ok().json(BookingJson::from(&done)))
}

/// The attendance report as uploaded.
#[utoipa::path(
    operation_id = "attendance",
    tag = "staff",
    params(("reservation_number" = String, Path, description = "The booking's reservation number")),
    responses(
        (status = 200, description = "The report", body = String, content_type = "text/csv"),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "booking_not_found, or no report yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "booking_cancelled", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/bookings/{reservation_number}/attendance")]
pub async fn attendance(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let staff = require(&req, &state, Role::Producer).await?;
    let number = number(&path)?;
    let file = format!("attendance-{number}.csv");
    let csv = state
        .run(move |svc| work::attendance(svc, &number, &staff))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .body(csv))
}

/// E-mail the customer the recording's links and the attendance report (attached).
#[utoipa::path(
    operation_id = "follow_up",
    tag = "staff",
    params(("reservation_number" = String, Path, description = "The booking's reservation number")),
    request_body = FollowUpRequest,
    responses(
        (status = 200, description = "Queued; the booking with what was sent", body = BookingJson),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "booking_not_found (or not the producer's own)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "not_yet_held or booking_cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix, or nothing to send", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[post("/bookings/{reservation_number}/follow-up")]
pub async fn follow_up(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<FollowUpRequest>,
) -> Result<HttpResponse, Error> {
    let staff = require(&req, &state, Role::Producer).await?;
    let number = number(&path)?;
    let links = body.0.parse().map_err(Error::Invalid)?;
    let done = state
        .run(move |svc| work::follow_up(svc, &number, links, &staff))
        .await?;
    Ok(HttpResponse::Ok().json(BookingJson::from(&done)))
}

/// Record that nobody came, with why.
#[utoipa::path(
    operation_id = "no_show",
    tag = "staff",
    params(("reservation_number" = String, Path, description = "The booking's reservation number")),
    request_body = NoShowRequest,
    responses(
        (status = 200, description = "Recorded", body = BookingJson),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "booking_not_found (or not the producer's own)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "not_yet_held (before the start) or booking_cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[post("/bookings/{reservation_number}/no-show")]
pub async fn no_show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<NoShowRequest>,
) -> Result<HttpResponse, Error> {
    let staff = require(&req, &state, Role::Producer).await?;
    let number = number(&path)?;
    let reason = body.0.parse().map_err(Error::Invalid)?;
    let done = state
        .run(move |svc| work::no_show(svc, &number, reason, &staff))
        .await?;
    Ok(HttpResponse::Ok().json(BookingJson::from(&done)))
}
