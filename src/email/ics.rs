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

/// `mailto:` address of a mailbox written as "Name <address>" or "address", keeping
/// only what an address may hold (no controls, spaces, quotes, `;` or `,`, which would
/// end the value or start a parameter).
fn mailto(mailbox: &str) -> String {
    let address: String = mailbox
        .rsplit_once('<')
        .map(|(_, a)| a.trim_end_matches('>'))
        .unwrap_or(mailbox)
        .chars()
        .filter(|c| {
            !c.is_control() && !c.is_whitespace() && !matches!(c, '"' | ';' | ',' | '<' | '>')
        })
        .collect();
    format!("mailto:{address}")
}

/// A TEXT value (RFC 5545 §3.3.11) ready for the crate, which escapes `\\ ; ,` and LF:
/// every line break becomes LF (a bare CR would end the content line), and no other
/// control character is left.
fn text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || !crate::domain::text::forbidden_char(*c))
        .collect()
}

/// A parameter value (RFC 5545 §3.2) as a quoted-string, which may hold any character
/// but DQUOTE and controls: quoted always (the crate passes a quoted value through), so
/// `:` `;` `,` in a name stay inside it, and a DQUOTE in the name becomes an apostrophe.
fn param(value: &str) -> String {
    let inner: String = value
        .chars()
        .filter(|c| !crate::domain::text::forbidden_char(*c))
        .map(|c| if c == '"' { '\'' } else { c })
        .collect();
    format!("\"{}\"", inner.trim())
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
        .summary(&text(
            ics["summary"].as_str().unwrap_or("Greenroom booking"),
        ))
        .description(&text(ics["description"].as_str().unwrap_or("")))
        .status(if method == "CANCEL" {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    let mut organizer = Property::new("ORGANIZER", mailto(ics["organizer"].as_str().unwrap_or("")));
    organizer.add_parameter("CN", &param("Greenroom"));
    event.append_property(organizer);
    let mut attendee = Property::new("ATTENDEE", mailto(ics["attendee"].as_str().unwrap_or("")));
    attendee.add_parameter("CN", &param(ics["attendee_name"].as_str().unwrap_or("")));
    attendee.add_parameter("ROLE", "REQ-PARTICIPANT");
    event.append_property(attendee);
    let mut cal = Calendar::new();
    cal.append_property(Property::new("METHOD", method));
    cal.push(event.done());
    Some(cal.done().to_string())
}

/// One event of a calendar feed.
pub struct FeedEvent {
    pub uid: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub url: String,
}

/// A subscribed calendar (RFC 5545, no METHOD: a published feed, not an invitation),
/// named `name`, its events refreshed every 15 minutes by programs that read
/// `REFRESH-INTERVAL` (RFC 7986).
pub fn feed(name: &str, events: &[FeedEvent], stamp: DateTime<Utc>) -> String {
    let mut cal = Calendar::new();
    cal.name(&text(name));
    cal.append_property(Property::new("X-WR-CALNAME", text(name)));
    let mut refresh = Property::new("REFRESH-INTERVAL", "PT15M");
    refresh.add_parameter("VALUE", "DURATION");
    cal.append_property(refresh);
    for e in events {
        let mut event = Event::new();
        event
            .uid(&e.uid)
            .timestamp(stamp)
            .starts(e.start)
            .ends(e.end)
            .summary(&text(&e.summary))
            .description(&text(&e.description))
            .location(&text(&e.location))
            .url(&e.url)
            .status(EventStatus::Confirmed);
        cal.push(event.done());
    }
    cal.done().to_string()
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
            req.contains("ORGANIZER;CN=\"Greenroom\":mailto:bookings@example.com"),
            "{req}"
        );
        let cancel = calendar(Kind::BookingCancelled, &ics, stamp).unwrap();
        assert!(cancel.contains("METHOD:CANCEL") && cancel.contains("STATUS:CANCELLED"));
    }

    /// Whatever the customer typed, the invitation has one attendee, the one meant, and
    /// no line the customer wrote.
    #[test]
    fn customer_text_cannot_add_lines_or_parameters() {
        let hostile_name = "Ana\";ROLE=CHAIR:mailto:evil@attacker.example Souza\r\nATTENDEE;CN=Evil:mailto:evil@attacker.example\r\nURL:https://phish.example";
        let ics = json!({"uid": "b1@greenroom", "sequence": 0, "start": "2027-02-10T09:00:00+00:00",
                         "end": "2027-02-10T10:30:00+00:00",
                         "summary": "Launch\rURL:https://phish.example\nX-A:1; b, c",
                         "description": "Line one\r\nATTENDEE:mailto:evil@attacker.example\u{0}\u{7}",
                         "organizer": "Greenroom <bookings@example.com>", "attendee": "ana@example.com\r\nURL:x",
                         "attendee_name": hostile_name});
        let out = calendar(Kind::BookingConfirmed, &ics, Utc::now()).unwrap();
        assert!(!out.contains('\u{0}') && !out.contains('\u{7}'));
        for line in out.split("\r\n") {
            assert!(
                !line.contains('\r') && !line.contains('\n'),
                "a bare line break in {line:?}"
            );
            for forbidden in ["URL:", "ATTENDEE:", "ATTENDEE;CN=Evil", "X-A:"] {
                assert!(
                    !line.starts_with(forbidden),
                    "{forbidden} became a line of its own: {out}"
                );
            }
        }
        let parsed = Calendar::from_str(&out).unwrap();
        let event = parsed.events().next().unwrap();
        let attendees: Vec<_> = event
            .multi_properties()
            .get("ATTENDEE")
            .cloned()
            .unwrap_or_default();
        let single = event.properties().get("ATTENDEE");
        let all: Vec<&icalendar::Property> = attendees.iter().chain(single).collect();
        assert_eq!(all.len(), 1, "{out}");
        assert_eq!(all[0].value(), "mailto:ana@example.comURL:x");
        let cn = all[0].params().get("CN").unwrap().value();
        assert!(
            cn.starts_with("Ana';ROLE=CHAIR:mailto:evil@attacker.example Souza"),
            "{cn}"
        );
        assert!(all[0].params().get("ROLE").unwrap().value() == "REQ-PARTICIPANT");
        assert!(event.properties().get("URL").is_none(), "{out}");
        assert_eq!(
            event.get_summary(),
            Some("Launch\nURL:https://phish.example\nX-A:1; b, c")
        );
        assert_eq!(
            event.get_description(),
            Some("Line one\nATTENDEE:mailto:evil@attacker.example")
        );
    }
}
