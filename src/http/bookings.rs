//! Customers' routes: availability, ordering, lookup.

use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::throttle::RetryAfter;
use super::{staff, AppState, JsonBody};
use crate::booking::{self, Actor, Idempotency, Ordered};
use crate::db::producers;
use crate::domain::input::{Errors, Fields};
use crate::domain::local_time::format_in;
use crate::domain::order::{check_lead_time, parse_order, parse_slot};
use crate::domain::reservation_number::ReservationNumber;
use crate::error::{ApiError, Limit};
use crate::scheduling::{self, producer_window};

/// `POST /api/v1/availability`: is a producer free, and if not, when?
pub async fn availability(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let value = body.0;
    let mut errors = Errors::default();
    let root = Fields::root(&value, &mut errors);
    let slot = parse_slot(&root, &mut errors, Some((&root, "language")));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.0));
    }
    let slot = slot.expect("no errors");
    let actor = staff(&req, &state).await?;
    let staff_override = slot.override_lead_time && actor.is_some();
    let now = state.clock.now();
    check_lead_time(&slot, now, staff_override, state.limits.horizon_days)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let limits = state.limits.clone();
    let answer = state
        .db(move |conn| {
            // Who is busy during the window is all that availability needs.
            let window = producer_window(slot.start, slot.duration_minutes);
            let roster = producers::load_roster(conn, window, None, None)?;
            let choice = scheduling::choose(&roster.engine, &booking::need_of(&slot));
            let alternatives = match choice {
                Some(_) => vec![],
                None => {
                    booking::find_alternatives(conn, &slot, now, staff_override, None, &limits)?
                }
            };
            Ok((slot, choice, alternatives))
        })
        .await?;
    let (slot, choice, alternatives) = answer;
    let tz = slot.time_zone;
    Ok(HttpResponse::Ok().json(json!({
        "available": choice.is_some(),
        "package": slot.package.id,
        "start": format_in(slot.start, tz),
        "end": format_in(slot.end(), tz),
        "time_zone": tz.name(),
        "duration_minutes": slot.duration_minutes,
        "producer_starts_at": format_in(producer_window(slot.start, slot.duration_minutes).start, tz),
        "language": slot.language,
        "language_pending_confirmation": choice.as_ref().map(|c| c.language_pending),
        "alternatives": alternatives.iter().map(|a| booking::slot_json(*a, tz)).collect::<Vec<_>>(),
    })))
}

fn request_hash(value: &Value) -> String {
    // serde_json's maps are sorted, so equal bodies serialise equally.
    Sha256::digest(value.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `POST /api/v1/bookings`: order a producer.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let metrics = state.metrics.clone();
    let result = place(req, state, body).await;
    metrics.order(match &result {
        Ok(r) if r.headers().contains_key("idempotent-replayed") => "replayed",
        Ok(_) => "confirmed",
        Err(ApiError::NoProducer { .. }) => "no_producer_available",
        Err(_) => "refused",
    });
    result
}

async fn place(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let value = body.0;
    let idem = match req.headers().get("Idempotency-Key") {
        None => None,
        Some(v) => {
            let key = v.to_str().unwrap_or("").trim();
            if key.is_empty() || key.len() > 255 {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "invalid_idempotency_key",
                    "Idempotency-Key must be 1 to 255 printable characters, such as a UUID",
                ));
            }
            Some(Idempotency {
                key: key.to_string(),
                request_hash: request_hash(&value),
            })
        }
    };
    let order = parse_order(&value).map_err(ApiError::Validation)?;
    let actor = match staff(&req, &state).await? {
        Some(s) => Actor::Staff(s),
        None if order.slot.override_lead_time => return Err(ApiError::unauthorized()),
        None => Actor::Customer,
    };
    // Customers' orders count against their address whether a producer was free or not;
    // a replay, a refusal or our own failure does not.
    let ticket = match actor {
        Actor::Customer => {
            state
                .order_limiter
                .acquire(state.client_ip(&req))
                .map_err(|RetryAfter(secs)| ApiError::TooManyRequests {
                    limit: Limit::OrdersPerAddress(state.order_limiter.limit() as u32),
                    retry_after_secs: secs,
                })?
        }
        _ => None,
    };
    let now = state.clock.now();
    let mail = state.mail.clone();
    let limits = state.limits.clone();
    let outcome = state
        .db_write(move |conn| {
            booking::place_order(conn, &order, &actor, idem.as_ref(), &mail, now, &limits)
        })
        .await;
    if !matches!(
        outcome,
        Ok(Ordered::Created(_)) | Err(ApiError::NoProducer { .. })
    ) {
        state.order_limiter.refund(ticket);
    }
    let outcome = outcome?;
    Ok(match outcome {
        Ordered::Created(body) => {
            let number = body["reservation_number"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            // Reservation numbers open a booking with the e-mail: debug logs only.
            tracing::debug!(reservation = %number, "booking confirmed");
            tracing::info!("booking confirmed");
            state.outbox.wake();
            HttpResponse::Created()
                .insert_header(("Location", format!("/api/v1/bookings/{number}")))
                .json(body)
        }
        Ordered::Replayed { status, body } => {
            HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED))
                .insert_header(("Idempotent-Replayed", "true"))
                .json(body)
        }
    })
}

/// Reservation number and e-mail from a body, each checked.
pub fn number_and_email(value: &Value) -> Result<(ReservationNumber, String), ApiError> {
    let mut errors = Errors::default();
    let root = Fields::root(value, &mut errors);
    let number = root
        .string(
            "reservation_number",
            &mut errors,
            true,
            40,
            "the number in your confirmation e-mail, like 7KQ2M-9XH4D",
        )
        .and_then(|n| match ReservationNumber::parse(&n) {
            Ok(n) => Some(n),
            Err(m) => {
                errors.add("reservation_number", "invalid_format", m);
                None
            }
        });
    let email = root.string(
        "email",
        &mut errors,
        true,
        254,
        "the contact e-mail address used when ordering",
    );
    errors
        .into_result(|| (number.expect("checked"), email.expect("checked")))
        .map_err(ApiError::Validation)
}

/// Run a customer's attempt to reach a booking, counting it against their address as a
/// failure until it proves not to be one (counted first, so that a burst of guesses
/// sent at once cannot slip past the limit).
async fn guarded<T>(
    req: &HttpRequest,
    state: &AppState,
    staff: bool,
    attempt: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    if staff {
        return attempt.await;
    }
    let ticket = state
        .throttle
        .acquire(state.client_ip(req))
        .map_err(|RetryAfter(secs)| ApiError::TooManyRequests {
            limit: Limit::FailedAttempts,
            retry_after_secs: secs,
        })?;
    let result = attempt.await;
    if !result.as_ref().is_err_and(ApiError::is_booking_not_found) {
        state.throttle.refund(ticket);
    }
    result
}

/// `POST /api/v1/bookings/lookup`.
pub async fn lookup(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let value = body.0;
    let (number, email) = number_and_email(&value)?;
    let db = state.clone();
    let found = guarded(&req, &state, false, async move {
        db.db(move |conn| booking::lookup(conn, &number, &email))
            .await
    })
    .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// `GET /api/v1/bookings/{reservation_number}`: a booking with its history, for staff.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    super::require(&req, &state, crate::db::tokens::Role::Scheduler).await?;
    let number =
        ReservationNumber::parse(&path.into_inner()).map_err(|_| ApiError::booking_not_found())?;
    let found = state
        .db(move |conn| {
            let row =
                booking::find_by_number(conn, &number)?.ok_or_else(ApiError::booking_not_found)?;
            booking::render_with_history(conn, &row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

fn actor_of(staff: Option<crate::db::tokens::Staff>) -> Actor {
    staff.map(Actor::Staff).unwrap_or(Actor::Customer)
}

/// The contact's e-mail, which a customer must give and staff acting on their behalf
/// may leave out.
fn contact_email(root: &Fields<'_>, errors: &mut Errors, actor: &Actor) -> Option<String> {
    root.string(
        "email",
        errors,
        !actor.is_staff(),
        254,
        "the contact e-mail address used when ordering",
    )
}

/// `POST /api/v1/bookings/{reservation_number}/reschedule`: move to another date and time.
pub async fn reschedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let value = body.0;
    let actor = actor_of(staff(&req, &state).await?);
    let mut errors = Errors::default();
    let root = Fields::root(&value, &mut errors);
    let email = contact_email(&root, &mut errors, &actor);
    let start = root.string(
        "start",
        &mut errors,
        true,
        64,
        "the new start, like 2027-02-10T15:00 (read in time_zone)",
    );
    let time_zone = root
        .string("time_zone", &mut errors, false, 64, "")
        .and_then(|z| match crate::domain::local_time::parse_zone(&z) {
            Ok(tz) => Some(tz),
            Err(m) => {
                errors.add("time_zone", "invalid_time_zone", m);
                None
            }
        });
    let override_lead_time = root
        .boolean("override_lead_time", &mut errors, false)
        .unwrap_or(false);
    for fixed in [
        "package",
        "duration_minutes",
        "contact",
        "event",
        "meeting",
        "extensions",
    ] {
        if root.raw(fixed).is_some() {
            errors.add(
                fixed,
                "not_changeable",
                format!("only the date and time can be changed; for {fixed}, contact the producer or coordinator named in your confirmation e-mail"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.0));
    }
    if override_lead_time && !actor.is_staff() {
        return Err(ApiError::unauthorized());
    }
    let is_staff = actor.is_staff();
    let now = state.clock.now();
    let mail = state.mail.clone();
    let db = state.clone();
    let raw_number = path.into_inner();
    let done = guarded(&req, &state, is_staff, async move {
        let number =
            ReservationNumber::parse(&raw_number).map_err(|_| ApiError::booking_not_found())?;
        let request = booking::RescheduleRequest {
            number,
            email,
            start: start.expect("checked"),
            time_zone,
            override_lead_time,
        };
        let limits = db.limits.clone();
        db.db_write(move |conn| booking::reschedule(conn, &request, &actor, &mail, now, &limits))
            .await
    })
    .await?;
    tracing::debug!(reservation = %done.booking["reservation_number"].as_str().unwrap_or(""), "booking rescheduled");
    tracing::info!("booking rescheduled");
    state.outbox.wake();
    Ok(HttpResponse::Ok().json(json!({"booking": done.booking, "previous": done.previous})))
}

/// `POST /api/v1/bookings/{reservation_number}/cancel`.
pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let value = body.0;
    let actor = actor_of(staff(&req, &state).await?);
    let mut errors = Errors::default();
    let root = Fields::root(&value, &mut errors);
    let email = contact_email(&root, &mut errors, &actor);
    let reason = root.text("reason", &mut errors, false, 1000, "");
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.0));
    }
    let is_staff = actor.is_staff();
    let now = state.clock.now();
    let mail = state.mail.clone();
    let db = state.clone();
    let raw_number = path.into_inner();
    let done = guarded(&req, &state, is_staff, async move {
        let number =
            ReservationNumber::parse(&raw_number).map_err(|_| ApiError::booking_not_found())?;
        db.db_write(move |conn| {
            booking::cancel(
                conn,
                &number,
                email.as_deref(),
                reason.as_deref(),
                &actor,
                &mail,
                now,
            )
        })
        .await
    })
    .await?;
    tracing::debug!(reservation = %done.booking["reservation_number"].as_str().unwrap_or(""), "booking cancelled");
    tracing::info!("booking cancelled");
    state.outbox.wake();
    Ok(HttpResponse::Ok().json(json!({"booking": done.booking, "cancellation_fee": done.fee})))
}
