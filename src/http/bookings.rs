//! Customers' routes: availability, ordering, lookup.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{parse_json, staff, AppState};
use crate::booking::{self, Actor, Idempotency, Ordered};
use crate::db::producers;
use crate::domain::input::{Errors, Fields};
use crate::domain::local_time::format_in;
use crate::domain::order::{check_lead_time, parse_order, parse_slot};
use crate::domain::reservation_number::ReservationNumber;
use crate::error::ApiError;
use crate::scheduling::{self, producer_window, Interval};

/// `POST /api/v1/availability`: is a producer free, and if not, when?
pub async fn availability(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let value = parse_json(&body)?;
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
    check_lead_time(&slot, now, staff_override).map_err(|e| ApiError::Validation(vec![e]))?;

    let answer = state
        .db(move |conn| {
            let window = producer_window(slot.start, slot.duration_minutes);
            let range = Interval::new(
                window.start - chrono::Duration::days(8),
                window.end + chrono::Duration::days(8),
            );
            let roster = producers::load_roster(conn, range, None)?;
            let choice = scheduling::choose(&roster.engine, &booking::need_of(&slot));
            let alternatives = match choice {
                Some(_) => vec![],
                None => booking::find_alternatives(conn, &slot, now, staff_override, None)?,
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
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let value = parse_json(&body)?;
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
    let now = state.clock.now();
    let outcome = state
        .db(move |conn| booking::place_order(conn, &order, &actor, idem.as_ref(), now))
        .await?;
    Ok(match outcome {
        Ordered::Created(body) => {
            let number = body["reservation_number"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            tracing::info!(reservation = %number, "booking confirmed");
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

/// `POST /api/v1/bookings/lookup`.
pub async fn lookup(state: web::Data<AppState>, body: Bytes) -> Result<HttpResponse, ApiError> {
    let value = parse_json(&body)?;
    let (number, email) = number_and_email(&value)?;
    let found = state
        .db(move |conn| booking::lookup(conn, &number, &email))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}
