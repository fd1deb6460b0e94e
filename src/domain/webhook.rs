//! Webhooks: the booking events an integrator can subscribe to, the endpoints they
//! register, and the rules for what an endpoint may be.

use base64::Engine;
use chrono::{DateTime, Utc};

use super::error::ProblemCode;
use super::text::Problem;

/// What happened to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    Created,
    Rescheduled,
    Cancelled,
    /// The booking ended (reported once, after its end).
    Completed,
}

impl EventType {
    pub const ALL: [EventType; 4] = [
        EventType::Created,
        EventType::Rescheduled,
        EventType::Cancelled,
        EventType::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Created => "booking.created",
            EventType::Rescheduled => "booking.rescheduled",
            EventType::Cancelled => "booking.cancelled",
            EventType::Completed => "booking.completed",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The types, listed for a message.
    pub fn names() -> String {
        EventType::ALL.map(|e| e.as_str()).join(", ")
    }
}

/// A registered endpoint (its secret is kept apart: shown once, then only used to sign).
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    /// Each once, in the order of `EventType::ALL`.
    pub events: Vec<EventType>,
    pub created_at: DateTime<Utc>,
    /// Who registered it.
    pub created_by: String,
}

/// The longest address taken.
pub const MAX_URL: usize = 2000;

/// An address deliveries can be sent to: absolute http or https, with a host, without
/// credentials (they would show in lists) or a fragment (never sent). Returned as the
/// URL parser writes it.
pub fn endpoint_url(s: &str) -> Result<String, Problem> {
    let bad = |why: &str| {
        Err((
            ProblemCode::InvalidUrl,
            format!("'{s}' {why}; give an address such as https://example.com/greenroom/events"),
        ))
    };
    let Some(url) = super::text::web_address(s) else {
        return bad("is not an absolute http or https address");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return bad("holds credentials, which would be shown to every admin");
    }
    if url.fragment().is_some() {
        return bad("has a fragment (#…), which is never sent");
    }
    Ok(url.to_string())
}

/// Bytes of randomness in a secret (the contract asks for at least 24).
const SECRET_BYTES: usize = 32;

/// A fresh signing secret: `whsec_` and the base64 of 32 random bytes from the
/// operating system, as Standard Webhooks libraries read it.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).expect("the operating system gives random bytes");
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_read_back_from_their_names() {
        for e in EventType::ALL {
            assert_eq!(EventType::parse(e.as_str()), Some(e));
        }
        assert_eq!(EventType::parse("booking.deleted"), None);
        assert_eq!(EventType::parse("Booking.Created"), None);
    }

    #[test]
    fn only_plain_http_addresses_are_endpoints() {
        assert_eq!(
            endpoint_url("https://Example.com/hooks?x=1").unwrap(),
            "https://example.com/hooks?x=1"
        );
        assert!(endpoint_url("http://127.0.0.1:9000/in").is_ok());
        for bad in [
            "example.com/hooks",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/#frag",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            let (code, message) = endpoint_url(bad).unwrap_err();
            assert_eq!(code, ProblemCode::InvalidUrl, "{bad}");
            assert!(message.contains("https://example.com/"), "{message}");
        }
    }

    #[test]
    fn secrets_are_fresh_and_carry_32_bytes() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.strip_prefix("whsec_").unwrap())
            .unwrap();
        assert_eq!(raw.len(), 32);
        standardwebhooks::Webhook::new(&a).expect("a Standard Webhooks library reads it");
    }
}
