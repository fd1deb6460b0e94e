//! Webhooks: admins register endpoints for booking events; each change of a booking
//! leaves one delivery per subscribed endpoint, in its own transaction, for the webhook
//! worker to send.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::db::models::webhooks::{self as rows, AttemptRow, DeliveryRow};
use crate::db::DbConnection;
use crate::domain::booking::BookingDetails;
use crate::domain::error::Error;
use crate::domain::webhook::{new_secret, Endpoint, EventType};

use super::{Actor, Services};

/// An endpoint just registered, with the secret shown this once.
pub struct Registered {
    pub endpoint: Endpoint,
    pub secret: String,
}

/// Register an endpoint for `events` (each once, in their usual order).
pub fn register(
    svc: &Services,
    url: String,
    mut events: Vec<EventType>,
    actor: &Actor,
) -> Result<Registered, Error> {
    events.sort();
    events.dedup();
    let endpoint = Endpoint {
        id: uuid::Uuid::new_v4().to_string(),
        url,
        events,
        created_at: svc.now(),
        created_by: actor.name(),
    };
    let secret = new_secret();
    svc.db
        .write(|conn| rows::insert(conn, &endpoint, &secret))?;
    Ok(Registered { endpoint, secret })
}

/// Every endpoint, oldest first.
pub fn list(svc: &Services) -> Result<Vec<Endpoint>, Error> {
    let mut conn = svc.db.read()?;
    Ok(rows::list(&mut conn)?)
}

/// Remove an endpoint: nothing more is sent to it, and its deliveries are forgotten.
pub fn remove(svc: &Services, id: &str) -> Result<(), Error> {
    let removed = svc.db.write(|conn| {
        crate::db::write_transaction(conn, |conn| -> Result<bool, Error> {
            Ok(rows::delete(conn, id)?)
        })
    })?;
    if removed {
        Ok(())
    } else {
        Err(Error::not_found("that webhook"))
    }
}

/// An endpoint's newest deliveries (newest first), each with its attempts.
pub fn deliveries(
    svc: &Services,
    id: &str,
    limit: i64,
) -> Result<Vec<(DeliveryRow, Vec<AttemptRow>)>, Error> {
    let mut conn = svc.db.read()?;
    if rows::find(&mut conn, id)?.is_none() {
        return Err(Error::not_found("that webhook"));
    }
    Ok(rows::deliveries(&mut conn, id, limit)?)
}

/// Leave `event` about this booking for every endpoint that asked for it, inside the
/// change's transaction: `{type, timestamp, data}`, `data` the booking as a lookup
/// shows it. Returns how many deliveries were queued.
pub fn emit(
    svc: &Services,
    conn: &mut DbConnection,
    event: EventType,
    details: &BookingDetails,
    at: DateTime<Utc>,
) -> Result<usize, Error> {
    let endpoints = rows::subscribed(conn, event)?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let body = serde_json::json!({
        "type": event.as_str(),
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "data": (svc.booking_view)(details),
    })
    .to_string();
    for endpoint in &endpoints {
        rows::enqueue(
            conn,
            endpoint,
            &details.booking.id,
            event,
            &body,
            Utc::now(),
        )?;
    }
    svc.webhooks.announce();
    Ok(endpoints.len())
}
