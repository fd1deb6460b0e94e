//! Preparation sessions, for the customer (number and contact e-mail) and staff: pick
//! or move a session's time, or take it off the schedule.

use actix_web::{post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::bookings::guarded;
use super::bookings::json::BookingJson;
use super::extract::{staff, JsonBody};
use super::json::{json_objects, Check, Field, Unknown};
use super::problem::Problem;
use super::schema::{EmailAddress, StartTime, TimeZoneName};
use super::AppState;
use crate::domain::error::{Error, FieldError};
use crate::domain::order;
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::staff::Actor;
use crate::domain::text::Lines;
use crate::workflow::sessions as work;

/// A session's time (and, on Event Center Premium, its length).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SessionTimeRequest {
    /// The contact's e-mail (staff may leave it out).
    #[schema(value_type = Option<EmailAddress>)]
    pub email: Field<String>,
    /// When it starts: at least 24 hours ahead, and it must end before the producer's
    /// preparation for the event begins.
    #[schema(value_type = StartTime, required = true)]
    pub start: Field<String>,
    /// The zone `start` is read in; the booking's zone when absent.
    #[schema(value_type = Option<TimeZoneName>)]
    pub time_zone: Field<String>,
    /// Its length in minutes: on Event Center Premium, 15 to 180 in steps of 15 within
    /// the production time (60 when absent); elsewhere the package's, which may be left out.
    #[schema(value_type = Option<i64>, minimum = 15, maximum = 180, multiple_of = 15)]
    pub minutes: Field<i64>,
    /// Staff only: who runs it (a producer's id); the producer who has it, else the
    /// booking's, when absent.
    #[schema(value_type = Option<String>)]
    pub producer_id: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

/// Who takes a session off the schedule.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SessionRemoveRequest {
    /// The contact's e-mail (staff may leave it out).
    #[schema(value_type = Option<EmailAddress>)]
    pub email: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

json_objects!(SessionTimeRequest, SessionRemoveRequest);

const CONTACT: &str = "the contact e-mail address used when ordering";

/// What a session request carries, checked.
struct CheckedTime {
    email: Option<String>,
    start: String,
    time_zone: Option<chrono_tz::Tz>,
    minutes: Option<i64>,
    producer_id: Option<String>,
}

impl SessionTimeRequest {
    fn parse(self, staff: bool) -> Result<CheckedTime, Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let email = check.text(
            "email",
            self.email,
            (!staff).then_some(CONTACT),
            254,
            Lines::One,
        );
        let start = check.text(
            "start",
            self.start,
            Some("the session's start, like 2027-02-08T15:00 (read in time_zone)"),
            64,
            Lines::One,
        );
        let time_zone = check.text_with("time_zone", self.time_zone, None, 64, |z| order::zone(&z));
        let minutes = check.value("minutes", self.minutes, None);
        let producer_id = check.text("producer_id", self.producer_id, None, 64, Lines::One);
        check.finish(|| {
            Some(CheckedTime {
                email,
                start: start?,
                time_zone,
                minutes,
                producer_id,
            })
        })
    }
}

impl SessionRemoveRequest {
    fn parse(self, staff: bool) -> Result<Option<String>, Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let email = check.text(
            "email",
            self.email,
            (!staff).then_some(CONTACT),
            254,
            Lines::One,
        );
        check.finish(|| Some(email))
    }
}

/// The customer, or staff when a staff token came.
async fn actor(req: &HttpRequest, state: &AppState) -> Result<Actor, Error> {
    Ok(staff(req, state)
        .await?
        .map_or(Actor::Customer, Actor::Staff))
}

fn number(raw: &str) -> Result<ReservationNumber, Error> {
    ReservationNumber::parse(raw).map_err(|_| Error::booking_not_found())
}

/// Pick or move a preparation session's time. The booking's producer runs it; when they
/// are not free then, the refusal offers the next times they are.
#[utoipa::path(
    operation_id = "scheduleSession",
    tag = "managing",
    params(
        ("reservation_number" = String, Path, description = "The booking's reservation number"),
        ("name" = String, Path, description = "The session's name in the booking (see the booking's `sessions`)"),
    ),
    request_body = SessionTimeRequest,
    responses(
        (status = 200, description = "Scheduled; the booking with its sessions", body = BookingJson),
        (status = 401, description = "producer_id sent without a staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "booking_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "no_producer_available (with the producer's next free times), booking_cancelled or booking_took_place", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "unknown_session, session_time, invalid_session_length, production_time_exceeded, or a field to fix", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/bookings/{reservation_number}/sessions/{name}")]
pub async fn schedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: JsonBody<SessionTimeRequest>,
) -> Result<HttpResponse, Error> {
    let actor = actor(&req, &state).await?;
    let checked = body.0.parse(actor.is_staff()).map_err(Error::Invalid)?;
    if checked.producer_id.is_some() && !actor.is_staff() {
        return Err(Error::unauthorized());
    }
    let (raw_number, name) = path.into_inner();
    let run = state.clone();
    let done = guarded(&req, &state, actor.is_staff(), async move {
        let request = work::SessionRequest {
            producer_id: checked.producer_id,
            number: number(&raw_number)?,
            email: checked.email,
            name,
            start: checked.start,
            time_zone: checked.time_zone,
            minutes: checked.minutes,
        };
        run.run(move |svc| work::schedule(svc, &request, &actor))
            .await
    })
    .await?;
    tracing::info!("session scheduled");
    Ok(HttpResponse::Ok().json(BookingJson::from(&done)))
}

/// Take a preparation session off the schedule; it stays part of the booking, to be
/// picked again.
#[utoipa::path(
    operation_id = "unscheduleSession",
    tag = "managing",
    params(
        ("reservation_number" = String, Path, description = "The booking's reservation number"),
        ("name" = String, Path, description = "The session's name in the booking"),
    ),
    request_body = SessionRemoveRequest,
    responses(
        (status = 200, description = "Off the schedule (or was not on it); the booking with its sessions", body = BookingJson),
        (status = 404, description = "booking_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "booking_cancelled or booking_took_place", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "unknown_session, or a field to fix", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/bookings/{reservation_number}/sessions/{name}/unschedule")]
pub async fn unschedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: JsonBody<SessionRemoveRequest>,
) -> Result<HttpResponse, Error> {
    let actor = actor(&req, &state).await?;
    let email = body.0.parse(actor.is_staff()).map_err(Error::Invalid)?;
    let (raw_number, name) = path.into_inner();
    let run = state.clone();
    let done = guarded(&req, &state, actor.is_staff(), async move {
        let number = number(&raw_number)?;
        run.run(move |svc| work::unschedule(svc, &number, email.as_deref(), &name, &actor))
            .await
    })
    .await?;
    tracing::info!("session unscheduled");
    Ok(HttpResponse::Ok().json(BookingJson::from(&done)))
}
