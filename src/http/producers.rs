//! Staff routes for the roster: producers, their hours and time off.

use actix_web::http::StatusCode;
use actix_web::web;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use super::{require, AppState, JsonBody};
use crate::db::producers::{self, time_off_json};
use crate::db::tokens::Role;
use crate::domain::producer::{parse_producer, parse_time_off};
use crate::error::ApiError;
use crate::scheduling::Interval;

/// Producer ids are UUIDs: anything else names no producer (and never reaches the
/// database, where some bytes, such as NUL, are not even valid text).
pub fn producer_id(raw: String) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|u| u.to_string())
        .map_err(|_| ApiError::not_found("that producer"))
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Role::Scheduler).await?;
    let all = state
        .db(|conn| {
            let people = producers::list(conn)?;
            let mut offs = producers::all_time_off(conn)?;
            Ok(people
                .iter()
                .map(|p| p.to_json(&offs.remove(&p.id).unwrap_or_default()))
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(all))
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Role::Admin).await?;
    let input = parse_producer(&body.0).map_err(ApiError::Validation)?;
    let now = state.clock.now();
    let created = state
        .db_write(move |conn| Ok(producers::insert(conn, &input, now)?))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/producers/{}", created.id)))
        .json(created.to_json(&[])))
}

pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Role::Scheduler).await?;
    let id = producer_id(path.into_inner())?;
    let found = state
        .db(move |conn| {
            let p = producers::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found(&format!("producer {id}")))?;
            let offs = producers::time_off_of(conn, &p.id)?;
            Ok(p.to_json(&offs))
        })
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

pub async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Role::Admin).await?;
    let id = producer_id(path.into_inner())?;
    let input = parse_producer(&body.0).map_err(ApiError::Validation)?;
    let now = state.clock.now();
    let updated = state
        .db_write(move |conn| {
            let p = producers::find(conn, &id)?
                .ok_or_else(|| ApiError::not_found(&format!("producer {id}")))?;
            let updated = producers::update(conn, &p, &input, now)?;
            let offs = producers::time_off_of(conn, &p.id)?;
            Ok(updated.to_json(&offs))
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// A producer with bookings still to run cannot be removed: those bookings would lose
/// their producer. Otherwise the producer leaves the roster; past bookings keep naming them.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Role::Admin).await?;
    let id = producer_id(path.into_inner())?;
    let now = state.clock.now();
    state
        .db_write(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                producers::find(conn, &id)?.ok_or_else(|| ApiError::not_found(&format!("producer {id}")))?;
                let upcoming = producers::upcoming_booking_numbers(conn, &id, now)?;
                if !upcoming.is_empty() {
                    return Err(ApiError::refused(
                        StatusCode::CONFLICT,
                        "producer_has_bookings",
                        "The producer has bookings to run",
                        format!(
                            "this producer still has {} booking(s) to run ({}); move or cancel them first",
                            upcoming.len(),
                            upcoming.iter().take(10).map(|n| crate::domain::reservation_number::ReservationNumber::from_key(n).to_string()).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
                producers::soft_delete(conn, &id, now)?;
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Time off may not cover a booking the producer is to run: the booking would be left
/// without its producer. Move or cancel it first.
pub async fn add_time_off(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Role::Scheduler).await?;
    let id = producer_id(path.into_inner())?;
    let value = body.0;
    let now = state.clock.now();
    let created = state
        .db_write(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let p = producers::find(conn, &id)?.ok_or_else(|| ApiError::not_found(&format!("producer {id}")))?;
                let input = parse_time_off(&value, p.time_zone).map_err(ApiError::Validation)?;
                let clashes = producers::bookings_overlapping(conn, &id, Interval::new(input.start, input.end))?;
                if !clashes.is_empty() {
                    return Err(ApiError::refused(
                        StatusCode::CONFLICT,
                        "time_off_conflicts_with_bookings",
                        "The time off covers bookings",
                        format!(
                            "the producer is booked during this time off ({}); move those bookings first",
                            clashes.iter().map(|n| crate::domain::reservation_number::ReservationNumber::from_key(n).to_string()).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
                let row = producers::insert_time_off(conn, &id, &input, now)?;
                Ok(json!({"producer_id": id, "time_off": time_off_json(&row, p.time_zone)}))
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}

pub async fn delete_time_off(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    require(&req, &state, Role::Scheduler).await?;
    let (id, off) = path.into_inner();
    let id = producer_id(id)?;
    let off = uuid::Uuid::parse_str(off.trim())
        .map_err(|_| ApiError::not_found("that time off"))?
        .to_string();
    let removed = state
        .db_write(move |conn| Ok(producers::delete_time_off(conn, &id, &off)?))
        .await?;
    if removed == 0 {
        return Err(ApiError::not_found("that time off"));
    }
    Ok(HttpResponse::NoContent().finish())
}
