//! The calendar part of a message (RFC 5545 / 5546 iTIP), built with the icalendar crate:
//! the same UID across a booking's life and a higher SEQUENCE on each change, so that
//! calendar programs update the event in place; METHOD:CANCEL removes it.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};
use serde_json::Value;

use super::Kind;

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `mailto:` address of a mailbox written as "Name <address>" or "address".
fn mailto(mailbox: &str) -> String {
    let address = mailbox
        .rsplit_once('<')
        .map(|(_, a)| a.trim_end_matches('>'))
        .unwrap_or(mailbox)
        .trim();
    format!("mailto:{address}")
}

/// The calendar for a message, from its payload's `ics` section.
pub fn calendar(kind: Kind, ics: &Value, stamp: DateTime<Utc>) -> Option<String> {
    let start = instant(&ics["start"])?;
    let end = instant(&ics["end"])?;
    let method = kind.ics_method();
    let mut event = Event::new();
    event
        .uid(ics["uid"].as_str()?)
        .sequence(ics["sequence"].as_u64().unwrap_or(0) as u32)
        .timestamp(stamp)
        .starts(start)
        .ends(end)
        .summary(ics["summary"].as_str().unwrap_or("Greenroom booking"))
        .description(ics["description"].as_str().unwrap_or(""))
        .status(if method == "CANCEL" {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    let mut organizer = Property::new("ORGANIZER", mailto(ics["organizer"].as_str().unwrap_or("")));
    organizer.add_parameter("CN", "Greenroom");
    event.append_property(organizer);
    let mut attendee = Property::new("ATTENDEE", mailto(ics["attendee"].as_str().unwrap_or("")));
    attendee.add_parameter("CN", ics["attendee_name"].as_str().unwrap_or("").trim());
    attendee.add_parameter("ROLE", "REQ-PARTICIPANT");
    event.append_property(attendee);
    let mut cal = Calendar::new();
    cal.append_property(Property::new("METHOD", method));
    cal.push(event.done());
    Some(cal.done().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::str::FromStr;

    #[test]
    fn request_and_cancel_share_the_uid() {
        let ics = json!({"uid": "b1@greenroom", "sequence": 2, "start": "2027-02-10T09:00:00+00:00",
                         "end": "2027-02-10T10:30:00+00:00", "summary": "Launch", "description": "d",
                         "organizer": "Greenroom <bookings@example.com>", "attendee": "ana@example.com", "attendee_name": "Ana"});
        let stamp = Utc::now();
        let req = calendar(Kind::BookingRescheduled, &ics, stamp).unwrap();
        let parsed = Calendar::from_str(&req).unwrap();
        assert_eq!(parsed.property_value("METHOD"), Some("REQUEST"));
        let ev = parsed.events().next().unwrap();
        assert_eq!(ev.get_uid(), Some("b1@greenroom"));
        assert_eq!(ev.get_sequence(), Some(2));
        assert!(
            req.contains("ORGANIZER;CN=Greenroom:mailto:bookings@example.com"),
            "{req}"
        );
        let cancel = calendar(Kind::BookingCancelled, &ics, stamp).unwrap();
        assert!(cancel.contains("METHOD:CANCEL") && cancel.contains("STATUS:CANCELLED"));
    }
}
