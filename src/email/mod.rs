//! E-mail: what each change tells whom, written to the outbox in the booking's own
//! transaction, rendered from handlebars templates and sent by a background worker.

pub mod format;
pub mod ics;
pub mod render;
pub mod transport;
pub mod worker;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::booking::{tz_of, BookingRow};
use crate::db::schema::outbox;
use crate::db::{from_db, to_db, DbConnection};
use crate::domain::catalogue::Catalogue;
use crate::domain::money::Money;
use crate::domain::order::Charges;
use crate::domain::policy::{fee, PolicyRule};
use crate::domain::reservation_number::ReservationNumber;

/// What every message needs to know about the service itself.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The sender, such as `Greenroom <bookings@example.com>`.
    pub from: String,
    /// Where customers manage a booking (the manage page's address).
    pub manage_url: String,
}

impl Default for MailConfig {
    fn default() -> MailConfig {
        MailConfig {
            from: "Greenroom <bookings@greenroom.localhost>".into(),
            manage_url: "http://127.0.0.1:8080/manage".into(),
        }
    }
}

/// The messages Greenroom sends. Contacts get the first three, producers the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BookingConfirmed,
    BookingRescheduled,
    BookingCancelled,
    ProducerAssigned,
    ProducerReleased,
    ProducerMoved,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::BookingConfirmed,
        Kind::BookingRescheduled,
        Kind::BookingCancelled,
        Kind::ProducerAssigned,
        Kind::ProducerReleased,
        Kind::ProducerMoved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BookingConfirmed => "booking_confirmed",
            Kind::BookingRescheduled => "booking_rescheduled",
            Kind::BookingCancelled => "booking_cancelled",
            Kind::ProducerAssigned => "producer_assigned",
            Kind::ProducerReleased => "producer_released",
            Kind::ProducerMoved => "producer_moved",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The calendar method of its `.ics` part.
    pub fn ics_method(self) -> &'static str {
        match self {
            Kind::BookingCancelled | Kind::ProducerReleased => "CANCEL",
            _ => "REQUEST",
        }
    }

    /// Locales its templates exist in.
    pub fn locales(self) -> &'static [&'static str] {
        match self {
            Kind::BookingConfirmed | Kind::BookingRescheduled | Kind::BookingCancelled => {
                &["en", "fr"]
            }
            _ => &["en"],
        }
    }
}

/// A producer as messages name them.
#[derive(Debug, Clone)]
pub struct ProducerContact {
    pub id: String,
    pub name: String,
    pub email: String,
    pub time_zone: Tz,
}

/// One message to write to the outbox.
pub struct Outgoing {
    pub kind: Kind,
    pub recipient: String,
    pub locale: String,
    pub payload: Value,
}

fn money(m: &Money) -> String {
    m.display()
}

/// The policy as the message shows it: when each rule applies and what it would cost.
fn policy_lines(rules: &[PolicyRule], total: &Money, locale: &str) -> Vec<Value> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let upper = if i == 0 {
                None
            } else {
                Some(rules[i - 1].min_hours_before)
            };
            json!({
                "when": format::policy_window(r.min_hours_before, upper, locale),
                "percent": r.fee_percent,
                "fee": money(&fee(r, total)),
            })
        })
        .collect()
}

/// Everything a contact's message shows, in their zone and language.
pub fn contact_message(
    kind: Kind,
    row: &BookingRow,
    producer: &ProducerContact,
    previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
    sequence: i32,
    cfg: &MailConfig,
) -> Outgoing {
    let tz = tz_of(row);
    let contact: Value = serde_json::from_str(&row.contact).unwrap_or(Value::Null);
    let locale = contact["locale"]
        .as_str()
        .filter(|l| *l == "fr")
        .unwrap_or("en")
        .to_string();
    let charges: Option<Charges> = serde_json::from_str(&row.charges).ok();
    let rules: Vec<PolicyRule> = serde_json::from_str(&row.cancellation_policy).unwrap_or_default();
    let event: Value = serde_json::from_str(&row.event).unwrap_or(Value::Null);
    let cancellation: Value = row
        .cancellation
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or(Value::Null);
    let total = charges
        .as_ref()
        .map(|c| c.total.clone())
        .unwrap_or_else(|| Catalogue::get().money(0));
    let (start, end) = (from_db(row.start_at), from_db(row.end_at));
    let number = ReservationNumber::from_key(&row.reservation_number).to_string();
    let package = Catalogue::get().package(&row.package_id);
    let payload = json!({
        "reservation_number": number,
        "package_name": package.map(|p| p.name.clone()).unwrap_or_else(|| row.package_id.clone()),
        "package_seed_name": package.map(|p| p.seed_name.clone()).unwrap_or_default(),
        "when": format::when(start, end, tz, &locale),
        "previous": previous.map(|(s, e)| format::when(s, e, tz, &locale)),
        "duration": format::duration(i64::from(row.duration_minutes), &locale),
        "producer_starts": format::time(from_db(row.window_start), tz),
        "producer": {"name": producer.name, "email": producer.email},
        "contact": contact,
        "company": row.company,
        "site": row.site,
        "event": event,
        "language": row.language,
        "language_pending": row.language_pending,
        "charges": {
            "lines": charges.as_ref().map(|c| c.lines.iter().map(|l| json!({"description": l.description, "amount": money(&l.amount)})).collect::<Vec<_>>()).unwrap_or_default(),
            "total": money(&total),
            "note": charges.as_ref().map(|c| c.note.clone()).unwrap_or_default(),
        },
        "policy": policy_lines(&rules, &total, &locale),
        "cancellation": if cancellation.is_null() { Value::Null } else { json!({
            "fee": cancellation["fee"]["amount"].as_object().and_then(|m| Some(Money::new(m.get("amount_minor")?.as_i64()?, m.get("currency")?.as_str()?))).map(|m| money(&m)),
            "percent": cancellation["fee"]["fee_percent"],
            "reason": cancellation["reason"],
        })},
        "manage_url": cfg.manage_url,
        "ics": {
            "uid": format!("{}@greenroom", row.id),
            "sequence": sequence,
            "start": start.to_rfc3339(),
            "end": end.to_rfc3339(),
            "summary": format!("{} — {}", event["title"].as_str().unwrap_or(""), package.map(|p| p.name.as_str()).unwrap_or("")),
            "description": format!("Reservation {number}. Producer: {} <{}>", producer.name, producer.email),
            "organizer": cfg.from,
            "attendee": contact["email"],
            "attendee_name": format!("{} {}", contact["first_name"].as_str().unwrap_or(""), contact["last_name"].as_str().unwrap_or("")),
        },
    });
    Outgoing {
        kind,
        recipient: contact["email"].as_str().unwrap_or_default().to_string(),
        locale,
        payload,
    }
}

/// Everything a producer's message shows, in the producer's zone (in English).
pub fn producer_message(
    kind: Kind,
    row: &BookingRow,
    producer: &ProducerContact,
    previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
    sequence: i32,
    cfg: &MailConfig,
) -> Outgoing {
    let tz = producer.time_zone;
    let contact: Value = serde_json::from_str(&row.contact).unwrap_or(Value::Null);
    let event: Value = serde_json::from_str(&row.event).unwrap_or(Value::Null);
    let meeting: Value = serde_json::from_str(&row.meeting).unwrap_or(Value::Null);
    let (window_start, end) = (from_db(row.window_start), from_db(row.end_at));
    let start = from_db(row.start_at);
    let number = ReservationNumber::from_key(&row.reservation_number).to_string();
    let package = Catalogue::get().package(&row.package_id);
    let payload = json!({
        "reservation_number": number,
        "producer": {"name": producer.name, "email": producer.email},
        "package_name": package.map(|p| p.name.clone()).unwrap_or_else(|| row.package_id.clone()),
        "when": format::when(start, end, tz, "en"),
        "window": format::when(window_start, end, tz, "en"),
        "previous": previous.map(|(s, e)| format::when(s, e, tz, "en")),
        "customer_zone": format::when(start, end, tz_of(row), "en"),
        "duration": format::duration(i64::from(row.duration_minutes), "en"),
        "contact": contact,
        "company": row.company,
        "site": row.site,
        "meeting": meeting,
        "event": event,
        "language": row.language,
        "language_pending": row.language_pending,
        "ics": {
            "uid": format!("{}-producer-{}@greenroom", row.id, producer.id),
            "sequence": sequence,
            "start": window_start.to_rfc3339(),
            "end": end.to_rfc3339(),
            "summary": format!("Produce: {} ({})", event["title"].as_str().unwrap_or(""), row.company),
            "description": format!("Reservation {number}. Join 30 minutes before the start. Customer contact: {} {} <{}>, {}",
                contact["first_name"].as_str().unwrap_or(""), contact["last_name"].as_str().unwrap_or(""),
                contact["email"].as_str().unwrap_or(""), contact["phone"].as_str().unwrap_or("")),
            "organizer": cfg.from,
            "attendee": producer.email,
            "attendee_name": producer.name,
        },
    });
    Outgoing {
        kind,
        recipient: producer.email.clone(),
        locale: "en".into(),
        payload,
    }
}

/// Write messages to the outbox (inside the caller's transaction).
pub fn enqueue(
    conn: &mut DbConnection,
    booking_id: &str,
    messages: Vec<Outgoing>,
) -> QueryResult<()> {
    let now = Utc::now();
    for m in messages {
        diesel::insert_into(outbox::table)
            .values((
                outbox::id.eq(uuid::Uuid::new_v4().to_string()),
                outbox::booking_id.eq(Some(booking_id)),
                outbox::kind.eq(m.kind.as_str()),
                outbox::recipient.eq(&m.recipient),
                outbox::locale.eq(&m.locale),
                outbox::payload.eq(m.payload.to_string()),
                outbox::status.eq("pending"),
                outbox::attempts.eq(0),
                outbox::next_attempt_at.eq(to_db(now)),
                outbox::created_at.eq(to_db(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}
