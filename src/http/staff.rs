//! Staff views: the schedule of assignments and the list of bookings.

use std::collections::HashMap;

use actix_web::web::{self, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::{require, AppState};
use crate::booking::{booking_json, BookingRow};
use crate::db::producers;
use crate::db::schema::bookings;
use crate::db::to_db;
use crate::db::tokens::Role;
use crate::domain::input::Errors;
use crate::domain::local_time::format_in;
use crate::domain::reservation_number::ReservationNumber;
use crate::error::ApiError;

const MAX_RANGE_DAYS: i64 = 366;

/// A whole number from 1 to `max` in the query, `default` when absent.
fn query_number(
    q: &HashMap<String, String>,
    key: &str,
    default: i64,
    max: i64,
    errors: &mut Errors,
) -> i64 {
    match q.get(key).map(|v| v.trim().parse::<i64>()) {
        None => default,
        Some(Ok(n)) if (1..=max).contains(&n) => n,
        Some(_) => {
            errors.add(
                key,
                "invalid_number",
                format!("{key} must be a whole number from 1 to {max}"),
            );
            default
        }
    }
}

/// `from`/`to`: a date (read as UTC midnight) or an RFC 3339 instant.
fn parse_bound(
    q: &HashMap<String, String>,
    key: &str,
    errors: &mut Errors,
) -> Option<DateTime<Utc>> {
    let raw = q.get(key)?.trim();
    let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)));
    match parsed.map(crate::domain::local_time::check_year) {
        Ok(Ok(t)) => Some(t),
        Ok(Err(e)) => {
            errors.add(key, "invalid_format", e.message().to_string());
            None
        }
        Err(_) => {
            errors.add(
                key,
                "invalid_format",
                format!(
                    "{key} must be a date like 2027-01-31 or an instant like 2027-01-31T09:00:00Z"
                ),
            );
            None
        }
    }
}

fn range(
    q: &HashMap<String, String>,
    now: DateTime<Utc>,
    errors: &mut Errors,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let from = parse_bound(q, "from", errors).unwrap_or(today);
    let to = parse_bound(q, "to", errors).unwrap_or(from + Duration::days(30));
    if to <= from {
        errors.add("to", "invalid_range", "to must be after from");
    } else if to - from > Duration::days(MAX_RANGE_DAYS) {
        errors.add(
            "to",
            "invalid_range",
            format!("ask for at most {MAX_RANGE_DAYS} days at a time"),
        );
    }
    (from, to)
}

/// `GET /api/v1/schedule?from=&to=&producer=`: confirmed assignments in the range.
pub async fn schedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Role::Scheduler).await?;
    let mut errors = Errors::default();
    let (from, to) = range(&q, state.clock.now(), &mut errors);
    let producer = match q
        .get("producer")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(p) => match uuid::Uuid::parse_str(p) {
            Ok(id) => Some(id.to_string()),
            Err(_) => {
                errors.add(
                    "producer",
                    "invalid_format",
                    "producer must be a producer's id, as GET /api/v1/producers lists them",
                );
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.0));
    }
    let items = state
        .db(move |conn| {
            let mut query = bookings::table
                .filter(bookings::status.eq("confirmed"))
                .filter(bookings::window_start.lt(to_db(to)))
                .filter(bookings::window_start.gt(to_db(producers::earliest_overlapping_start(from))))
                .filter(bookings::window_end.gt(to_db(from)))
                .into_boxed();
            if let Some(p) = &producer {
                query = query.filter(bookings::producer_id.eq(p.clone()));
            }
            let rows: Vec<BookingRow> = query.order(bookings::window_start).limit(5000).select(BookingRow::as_select()).load(conn)?;
            let ids: Vec<String> = rows.iter().map(|r| r.producer_id.clone()).collect();
            let names = producers::contacts(conn, &ids)?;
            Ok(rows
                .iter()
                .map(|r| {
                    let tz = crate::booking::tz_of(r);
                    json!({
                        "reservation_number": ReservationNumber::from_key(&r.reservation_number).to_string(),
                        "producer": {"id": r.producer_id, "name": names.get(&r.producer_id).map(|n| n.0.clone())},
                        "package": r.package_id,
                        "start": format_in(crate::db::from_db(r.start_at), tz),
                        "end": format_in(crate::db::from_db(r.end_at), tz),
                        "time_zone": tz.name(),
                        "producer_window": {
                            "start": format_in(crate::db::from_db(r.window_start), chrono_tz::UTC),
                            "end": format_in(crate::db::from_db(r.window_end), chrono_tz::UTC),
                        },
                        "language_pending_confirmation": r.language_pending,
                    })
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "from": format_in(from, chrono_tz::UTC),
        "to": format_in(to, chrono_tz::UTC),
        "assignments": items,
    })))
}

/// `GET /api/v1/bookings?from=&to=&status=&page=&per_page=`: bookings starting in the range.
pub async fn bookings(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Role::Scheduler).await?;
    let mut errors = Errors::default();
    let (from, to) = range(&q, state.clock.now(), &mut errors);
    let status = q.get("status").map(|s| s.trim().to_ascii_lowercase());
    if let Some(s) = &status {
        if s != "confirmed" && s != "cancelled" {
            errors.add(
                "status",
                "invalid_status",
                "status must be confirmed or cancelled",
            );
        }
    }
    let page = query_number(&q, "page", 1, 100_000, &mut errors);
    let per_page = query_number(&q, "per_page", 50, 200, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.0));
    }
    let (total, items) = state
        .db(move |conn| {
            let base = || {
                let mut q = bookings::table
                    .filter(bookings::start_at.ge(to_db(from)))
                    .filter(bookings::start_at.lt(to_db(to)))
                    .into_boxed();
                if let Some(s) = &status {
                    q = q.filter(bookings::status.eq(s.clone()));
                }
                q
            };
            let total: i64 = base().count().get_result(conn)?;
            let rows: Vec<BookingRow> = base()
                .order((bookings::start_at, bookings::id))
                .limit(per_page)
                .offset((page - 1) * per_page)
                .select(BookingRow::as_select())
                .load(conn)?;
            let ids: Vec<String> = rows.iter().map(|r| r.producer_id.clone()).collect();
            let names = producers::contacts(conn, &ids)?;
            Ok((
                total,
                rows.iter()
                    .map(|r| booking_json(r, names.get(&r.producer_id), None))
                    .collect::<Vec<_>>(),
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "from": format_in(from, chrono_tz::UTC),
        "to": format_in(to, chrono_tz::UTC),
        "page": page,
        "per_page": per_page,
        "total": total,
        "items": items,
    })))
}

/// `GET /api/v1/outbox?status=&limit=`: e-mails and how their delivery went.
pub async fn outbox(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    use crate::db::schema::outbox;
    use crate::email::worker::OutboxRow;
    require(&req, &state, Role::Scheduler).await?;
    let status = q.get("status").map(|s| s.trim().to_ascii_lowercase());
    if let Some(s) = &status {
        if !["pending", "sent", "failed"].contains(&s.as_str()) {
            return Err(ApiError::field(
                "status",
                "invalid_status",
                "status must be pending, sent or failed",
            ));
        }
    }
    let mut errors = Errors::default();
    let limit = query_number(&q, "limit", 100, 1000, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.0));
    }
    let (counts, rows) = state
        .db(move |conn| {
            let counts: Vec<(String, i64)> = outbox::table
                .group_by(outbox::status)
                .select((outbox::status, diesel::dsl::count_star()))
                .load(conn)?;
            let mut query = outbox::table.into_boxed();
            if let Some(s) = &status {
                query = query.filter(outbox::status.eq(s.clone()));
            }
            let rows: Vec<OutboxRow> = query
                .order(outbox::created_at.desc())
                .limit(limit)
                .select(OutboxRow::as_select())
                .load(conn)?;
            Ok((counts, rows))
        })
        .await?;
    let count = |s: &str| {
        counts
            .iter()
            .find(|(k, _)| k == s)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let items: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "booking_id": r.booking_id,
                "kind": r.kind,
                "recipient": r.recipient,
                "status": r.status,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "created_at": format_in(crate::db::from_db(r.created_at), chrono_tz::UTC),
                "next_attempt_at": format_in(crate::db::from_db(r.next_attempt_at), chrono_tz::UTC),
                "sent_at": r.sent_at.map(|t| format_in(crate::db::from_db(t), chrono_tz::UTC)),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "counts": {"pending": count("pending"), "sent": count("sent"), "failed": count("failed")},
        "items": items,
    })))
}
