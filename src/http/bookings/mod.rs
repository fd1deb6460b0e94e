//! Customers' routes (availability, ordering, lookup, change, cancel) and staff's views
//! of bookings.

pub mod json;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use self::json::*;
use super::extract::{require, staff, JsonBody};
use super::json::Check;
use super::json::SlotJson;
use super::problem::Problem;
use super::query::{query_number, range};
use super::schema::{CalendarDate, LanguageTag, PackageId, TimeZoneName};
use super::throttle::RetryAfter;
use super::AppState;
use crate::domain::booking::BookingStatus;
use crate::domain::error::{Error, Limit, ProblemCode};
use crate::domain::local_time::format_in;
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::staff::{Actor, Role};
use crate::scheduling::producer_window;
use crate::workflow::{
    availability as avail, cancel as cancelling, change, lookup as looking, order, staff as work,
};

/// Is a producer free then? If not, three bookable alternatives.
#[utoipa::path(
    operation_id = "check_availability",
    tag = "ordering",
    request_body = AvailabilityRequest,
    responses(
        (status = 200, description = "The answer", body = AvailabilityResponse),
        (status = 422, description = "A field is missing or wrong (lead_time and beyond_horizon included)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/availability")]
pub async fn availability(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<AvailabilityRequest>,
) -> Result<HttpResponse, Error> {
    let slot = body.0.parse().map_err(Error::Invalid)?;
    let actor = staff(&req, &state).await?;
    let staff_override = slot.override_lead_time && actor.is_some();
    let answer = state
        .run(move |svc| avail::check(svc, slot, staff_override))
        .await?;
    let slot = &answer.slot;
    let tz = slot.time_zone;
    Ok(HttpResponse::Ok().json(AvailabilityResponse {
        available: answer.free.is_some(),
        package: slot.package.id.clone(),
        start: format_in(slot.start, tz),
        end: format_in(slot.end(), tz),
        time_zone: tz.name().to_string(),
        duration_minutes: slot.duration_minutes,
        producer_starts_at: format_in(producer_window(slot.start, slot.duration_minutes).start, tz),
        language: slot.language.clone(),
        language_pending_confirmation: answer.free.map(|c| c.language_pending),
        alternatives: answer.alternatives.iter().map(SlotJson::from).collect(),
    }))
}

/// The query of a calendar of free start times.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotsQuery {
    #[param(value_type = PackageId, required = true)]
    pub package: Option<String>,
    /// The first day, `YYYY-MM-DD`, in `time_zone`.
    #[param(value_type = CalendarDate, required = true)]
    pub from: Option<String>,
    /// The last day (included), at most 62 days after `from`.
    #[param(value_type = CalendarDate, required = true)]
    pub to: Option<String>,
    #[param(value_type = TimeZoneName, required = true)]
    pub time_zone: Option<String>,
    #[param(value_type = i64, required = true, minimum = 15, maximum = 720, multiple_of = 15)]
    pub duration_minutes: Option<String>,
    #[param(value_type = Option<LanguageTag>)]
    pub language: Option<String>,
}

/// A day of the calendar: its date and the local times a booking may start.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayJson {
    #[schema(format = Date)]
    pub date: String,
    /// `HH:MM`, in the calendar's zone.
    pub starts: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotsResponse {
    pub time_zone: String,
    /// Every day of the range, in order; a day with no start is fully booked or closed.
    pub days: Vec<DayJson>,
}

impl SlotsQuery {
    fn parse(
        self,
    ) -> Result<
        (
            crate::domain::order::SlotRequest,
            chrono::NaiveDate,
            chrono::NaiveDate,
        ),
        Vec<crate::domain::error::FieldError>,
    > {
        use crate::domain::order as rules;
        let mut check = Check::default();
        let text = |v: Option<String>| match v {
            Some(s) => super::json::Field::Given(s),
            None => super::json::Field::Absent,
        };
        let package = check.text_with(
            "package",
            text(self.package),
            Some("a package id"),
            64,
            |id| rules::package(&id),
        );
        let tz = check.text_with(
            "time_zone",
            text(self.time_zone),
            Some("an IANA time zone such as Europe/Paris"),
            64,
            |z| rules::zone(&z),
        );
        let date = |key: &str, check: &mut Check, v: Option<String>| {
            check.text_with(key, text(v), Some("a date such as 2027-02-01"), 10, |d| {
                chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .ok()
                    .filter(|d| {
                        crate::domain::local_time::YEARS.contains(&chrono::Datelike::year(d))
                    })
                    .ok_or((
                        ProblemCode::InvalidFormat,
                        format!("{key} must be a date such as 2027-02-01"),
                    ))
            })
        };
        let from = date("from", &mut check, self.from);
        let to = date("to", &mut check, self.to);
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                check.problem(
                    "to",
                    ProblemCode::InvalidRange,
                    "to must not be before from",
                );
            } else if (t - f).num_days() > avail::MAX_SLOT_DAYS {
                check.problem(
                    "to",
                    ProblemCode::InvalidRange,
                    format!("ask for at most {} days at a time", avail::MAX_SLOT_DAYS),
                );
            }
        }
        let duration = check
            .text_with(
                "duration_minutes",
                text(self.duration_minutes),
                Some("minutes, a multiple of 15 from 15 to 720"),
                4,
                |d| {
                    d.parse::<i64>().map_err(|_| {
                        (
                            ProblemCode::InvalidDuration,
                            format!(
                                "duration_minutes must be a whole number of minutes, not '{d}'"
                            ),
                        )
                    })
                },
            )
            .and_then(|d| check.check("duration_minutes", rules::duration(d)));
        let language = check
            .text_with("language", text(self.language), None, 35, |l| {
                crate::domain::text::language(&l)
            })
            .unwrap_or_else(|| "en".into());
        check.finish(|| {
            let (package, tz) = (package?, tz?);
            Some((
                crate::domain::order::SlotRequest {
                    package,
                    start: chrono::Utc::now(),
                    time_zone: tz,
                    duration_minutes: duration?,
                    language,
                    override_lead_time: false,
                },
                from?,
                to?,
            ))
        })
    }
}

/// Free start times, day by day: every one bookable now (the lead time, the horizon, a
/// producer free for the whole window).
#[utoipa::path(
    operation_id = "free_starts",
    tag = "ordering",
    params(SlotsQuery),
    responses(
        (status = 200, description = "The calendar", body = SlotsResponse),
        (status = 422, description = "A query parameter to fix", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/availability/slots")]
pub async fn slots(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<SlotsQuery>,
) -> Result<HttpResponse, Error> {
    let (slot, from, to) = q.into_inner().parse().map_err(Error::Invalid)?;
    let staff_override = staff(&req, &state).await?.is_some();
    let tz = slot.time_zone;
    let days = state
        .run(move |svc| avail::calendar(svc, &slot, from, to, staff_override))
        .await?;
    Ok(HttpResponse::Ok().json(SlotsResponse {
        time_zone: tz.name().to_string(),
        days: days
            .iter()
            .map(|d| DayJson {
                date: d.date.format("%Y-%m-%d").to_string(),
                starts: d
                    .starts
                    .iter()
                    .map(|t| t.format("%H:%M").to_string())
                    .collect(),
            })
            .collect(),
    }))
}

/// Order a producer.
///
/// The same `Idempotency-Key` with the same body returns the first answer and books
/// nothing more.
#[utoipa::path(
    operation_id = "order",
    tag = "ordering",
    request_body = OrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string (1 to 255 characters), such as a UUID: makes a retried order safe")),
    responses(
        (status = 201, description = "Confirmed", body = BookingJson,
            headers(("Location" = String, description = "The booking, for staff")),
            links(
                ("lookup" = (operation_id = "lookup", description = "Find the booking again with its number and the contact e-mail",
                    request_body = "{\"reservation_number\": \"$response.body#/reservation_number\", \"email\": \"$request.body#/contact/email\"}")),
                ("reschedule" = (operation_id = "reschedule", description = "Change the date and time",
                    parameters(("reservation_number" = "$response.body#/reservation_number")))),
                ("cancel" = (operation_id = "cancel", description = "Cancel",
                    parameters(("reservation_number" = "$response.body#/reservation_number")))),
            )),
        (status = 409, description = "no_producer_available, with three alternatives", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix, lead_time, meeting_not_scheduled, idempotency_key_reused…", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "too_many_orders from this address or contact e-mail; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/bookings")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<OrderRequest>,
) -> Result<HttpResponse, Error> {
    let metrics = state.metrics.clone();
    let result = place(req, state, body).await;
    metrics.order(match &result {
        Ok((_, true)) => "replayed",
        Ok(_) => "confirmed",
        Err(Error::NoProducer { .. }) => "no_producer_available",
        Err(_) => "refused",
    });
    result.map(|(response, _)| response)
}

/// The order's answer, and whether it was a stored one.
async fn place(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<OrderRequest>,
) -> Result<(HttpResponse, bool), Error> {
    let JsonBody(request, digest) = body;
    let idem = match req.headers().get("Idempotency-Key") {
        None => None,
        Some(v) => {
            let key = v.to_str().unwrap_or("").trim();
            if key.is_empty() || key.len() > 255 {
                return Err(Error::field(
                    "Idempotency-Key",
                    ProblemCode::InvalidIdempotencyKey,
                    "Idempotency-Key must be 1 to 255 printable characters, such as a UUID",
                ));
            }
            Some(order::Idempotency {
                key: key.to_string(),
                request_hash: digest.unwrap_or_default(),
            })
        }
    };
    let new_order = request.parse().map_err(Error::Invalid)?;
    let actor = match staff(&req, &state).await? {
        Some(s) => Actor::Staff(s),
        None if new_order.slot.override_lead_time => return Err(Error::unauthorized()),
        None => Actor::Customer,
    };
    let ip = state.client_ip(&req);
    let outcome = place_order(&state, ip, new_order, actor, idem, |d| {
        serde_json::to_string(&BookingJson::from(d)).expect("bookings serialise")
    })
    .await;
    Ok(match outcome? {
        order::Ordered::Created(details) => {
            let body = BookingJson::from(&*details);
            // Reservation numbers open a booking with the e-mail: debug logs only.
            tracing::debug!(reservation = %body.reservation_number, "booking confirmed");
            tracing::info!("booking confirmed");
            let location = format!("/api/v1/bookings/{}", body.reservation_number);
            (
                HttpResponse::Created()
                    .insert_header(("Location", location))
                    .json(body),
                false,
            )
        }
        order::Ordered::Replayed { status, body } => (
            HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED))
                .insert_header(("Idempotent-Replayed", "true"))
                .content_type("application/json")
                .body(body),
            true,
        ),
    })
}

/// Place an order for the API and the pages alike. Customers' orders count against
/// their address whether a producer was free or not; a replay, a refusal or our own
/// failure does not.
pub async fn place_order(
    state: &AppState,
    ip: std::net::IpAddr,
    new_order: crate::domain::order::NewOrder,
    actor: Actor,
    idem: Option<order::Idempotency>,
    render: fn(&crate::domain::booking::BookingDetails) -> String,
) -> Result<order::Ordered, Error> {
    let ticket = match actor {
        Actor::Customer => state
            .order_limiter
            .acquire(ip)
            .map_err(|RetryAfter(secs)| Error::TooMany {
                limit: Limit::OrdersPerAddress(state.order_limiter.limit() as u32),
                retry_after_secs: secs,
            })?,
        _ => None,
    };
    let outcome = state
        .run(move |svc| order::place(svc, &new_order, &actor, idem.as_ref(), &render))
        .await;
    if !matches!(
        outcome,
        Ok(order::Ordered::Created(_)) | Err(Error::NoProducer { .. })
    ) {
        state.order_limiter.refund(ticket);
    }
    outcome
}

/// Run a customer's attempt to reach a booking. An address whose failed attempts fill
/// the window is refused at once; a failure is counted as it happens, and one past the
/// limit is answered 429, not 404, so a burst of guesses gets exactly the limit's worth
/// of answers. Successes are never counted.
pub async fn guarded<T>(
    req: &HttpRequest,
    state: &AppState,
    staff: bool,
    attempt: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    if staff {
        return attempt.await;
    }
    let too_many = |RetryAfter(secs)| Error::TooMany {
        limit: Limit::FailedAttempts,
        retry_after_secs: secs,
    };
    let ip = state.client_ip(req);
    state.throttle.check(&ip).map_err(too_many)?;
    let result = attempt.await;
    if result.as_ref().is_err_and(Error::is_booking_not_found) {
        state.throttle.record(ip).map_err(too_many)?;
    }
    result
}

/// A booking by reservation number and contact e-mail, with its history.
#[utoipa::path(
    operation_id = "lookup",
    tag = "managing",
    request_body = LookupRequest,
    responses(
        (status = 200, description = "The booking", body = BookingJson),
        (status = 404, description = "booking_not_found: the same for a wrong e-mail and an unknown number", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts from this address", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/bookings/lookup")]
pub async fn lookup(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<LookupRequest>,
) -> Result<HttpResponse, Error> {
    let (number, email) = body.0.parse().map_err(Error::Invalid)?;
    let run = state.clone();
    let found = guarded(&req, &state, false, async move {
        run.run(move |svc| looking::by_contact(svc, &number, &email))
            .await
    })
    .await?;
    Ok(HttpResponse::Ok().json(BookingJson::from(&found)))
}

/// A booking with its history, for staff.
#[utoipa::path(
    operation_id = "show_booking",
    tag = "staff",
    params(("reservation_number" = String, Path, description = "The booking's reservation number")),
    responses(
        (status = 200, description = "The booking", body = BookingJson),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "booking_not_found", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/bookings/{reservation_number}")]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let number =
        ReservationNumber::parse(&path.into_inner()).map_err(|_| Error::booking_not_found())?;
    let found = state
        .run(move |svc| looking::by_number(svc, &number))
        .await?;
    Ok(HttpResponse::Ok().json(BookingJson::from(&found)))
}

/// Change the date and time (only).
#[utoipa::path(
    operation_id = "reschedule",
    tag = "managing",
    params(("reservation_number" = String, Path, description = "The booking's reservation number")),
    request_body = RescheduleRequest,
    responses(
        (status = 200, description = "Moved", body = RescheduleResponse),
        (status = 404, description = "booking_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "no_producer_available (with alternatives) or booking_cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "lead_time, not_changeable, or a field to fix", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/bookings/{reservation_number}/reschedule")]
pub async fn reschedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<RescheduleRequest>,
) -> Result<HttpResponse, Error> {
    let actor = staff(&req, &state)
        .await?
        .map_or(Actor::Customer, Actor::Staff);
    let checked = body.0.parse(actor.is_staff()).map_err(Error::Invalid)?;
    if checked.override_lead_time && !actor.is_staff() {
        return Err(Error::unauthorized());
    }
    let is_staff = actor.is_staff();
    let run = state.clone();
    let raw_number = path.into_inner();
    let done = guarded(&req, &state, is_staff, async move {
        let number =
            ReservationNumber::parse(&raw_number).map_err(|_| Error::booking_not_found())?;
        let request = change::Reschedule {
            number,
            email: checked.email,
            start: checked.start,
            time_zone: checked.time_zone,
            override_lead_time: checked.override_lead_time,
        };
        run.run(move |svc| change::reschedule(svc, &request, &actor))
            .await
    })
    .await?;
    tracing::info!("booking rescheduled");
    let previous = done.previous;
    Ok(HttpResponse::Ok().json(RescheduleResponse {
        booking: BookingJson::from(&done.details),
        previous: PreviousJson {
            start: format_in(previous.start, previous.time_zone),
            end: format_in(previous.end, previous.time_zone),
            time_zone: previous.time_zone.name().to_string(),
        },
    }))
}

/// Cancel; the fee follows the booking's policy.
#[utoipa::path(
    operation_id = "cancel",
    tag = "managing",
    params(("reservation_number" = String, Path, description = "The booking's reservation number")),
    request_body = CancelRequest,
    responses(
        (status = 200, description = "Cancelled", body = CancelResponse),
        (status = 404, description = "booking_not_found", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "booking_cancelled", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/bookings/{reservation_number}/cancel")]
pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<CancelRequest>,
) -> Result<HttpResponse, Error> {
    let actor = staff(&req, &state)
        .await?
        .map_or(Actor::Customer, Actor::Staff);
    let (email, reason) = body.0.parse(actor.is_staff()).map_err(Error::Invalid)?;
    let is_staff = actor.is_staff();
    let run = state.clone();
    let raw_number = path.into_inner();
    let done = guarded(&req, &state, is_staff, async move {
        let number =
            ReservationNumber::parse(&raw_number).map_err(|_| Error::booking_not_found())?;
        run.run(move |svc| {
            cancelling::cancel(svc, &number, email.as_deref(), reason.as_deref(), &actor)
        })
        .await
    })
    .await?;
    tracing::info!("booking cancelled");
    Ok(HttpResponse::Ok().json(CancelResponse {
        booking: BookingJson::from(&done.details),
        cancellation_fee: done.fee,
    }))
}

/// `from`/`to` and filters of a listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingsQuery {
    /// A date (UTC midnight) or an RFC 3339 instant; today when absent.
    pub from: Option<String>,
    /// A date or an instant; 30 days after `from` when absent (at most 366 days).
    pub to: Option<String>,
    /// confirmed or cancelled.
    #[param(pattern = "^(confirmed|cancelled)$")]
    pub status: Option<String>,
    /// From 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// 1 to 200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

/// Bookings starting in a range, by page.
#[utoipa::path(
    operation_id = "list_bookings",
    tag = "staff",
    params(BookingsQuery),
    responses(
        (status = 200, description = "A page", body = BookingsPage),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter to fix", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/bookings")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<BookingsQuery>,
) -> Result<HttpResponse, Error> {
    bookings_page(req, state, q.into_inner()).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingsPage {
    #[schema(format = DateTime)]
    pub from: String,
    #[schema(format = DateTime)]
    pub to: String,
    pub page: i64,
    pub per_page: i64,
    /// Bookings in the range, all pages together.
    pub total: i64,
    pub items: Vec<BookingJson>,
}

async fn bookings_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: BookingsQuery,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let mut check = Check::default();
    let (from, to) = range(
        &mut check,
        q.from.as_deref(),
        q.to.as_deref(),
        state.services.now(),
    );
    let status = match q.status.as_deref().map(|s| s.trim().to_ascii_lowercase()) {
        None => None,
        Some(s) => match BookingStatus::parse(&s) {
            Some(status) => Some(status),
            None => {
                check.problem(
                    "status",
                    ProblemCode::InvalidStatus,
                    "status must be confirmed or cancelled",
                );
                None
            }
        },
    };
    let page = query_number(&mut check, "page", q.page.as_deref(), 1, 100_000);
    let per_page = query_number(&mut check, "per_page", q.per_page.as_deref(), 50, 200);
    check.finish(|| Some(())).map_err(Error::Invalid)?;
    let (total, items) = state
        .run(move |svc| work::bookings_page(svc, from, to, status, page, per_page))
        .await?;
    Ok(HttpResponse::Ok().json(BookingsPage {
        from: format_in(from, chrono_tz::UTC),
        to: format_in(to, chrono_tz::UTC),
        page,
        per_page,
        total,
        items: items.iter().map(BookingJson::from).collect(),
    }))
}
