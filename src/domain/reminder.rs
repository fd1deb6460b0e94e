//! Reminders: messages due at a time before the event. Content sharing needs the slides
//! 24 hours ahead, so the contact is reminded two days before the start (when the
//! package includes it); the day before, the contact and the producer are reminded of
//! the event. A reminder whose time has passed when the booking is made or moved is not
//! sent (the confirmation just went out).

use chrono::{DateTime, Duration, Utc};

use super::booking::Booking;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderKind {
    /// To the contact: share the content by 24 hours before the start.
    ContentDue,
    /// To the contact, the day before.
    ContactDayBefore,
    /// To the producer, the day before.
    ProducerDayBefore,
}

/// The service that makes content due ahead of the event.
pub const CONTENT_SHARING: &str = "content-sharing";
/// How long before the start content is due.
pub const CONTENT_NOTICE: Duration = Duration::hours(24);

impl ReminderKind {
    pub const ALL: [ReminderKind; 3] = [
        ReminderKind::ContentDue,
        ReminderKind::ContactDayBefore,
        ReminderKind::ProducerDayBefore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::ContentDue => "content_due",
            ReminderKind::ContactDayBefore => "event_reminder",
            ReminderKind::ProducerDayBefore => "producer_reminder",
        }
    }

    pub fn parse(s: &str) -> Option<ReminderKind> {
        ReminderKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Written to the booking's contact (not its producer).
    pub fn to_contact(self) -> bool {
        !matches!(self, ReminderKind::ProducerDayBefore)
    }

    /// How long before the start it is sent.
    pub fn ahead(self) -> Duration {
        match self {
            ReminderKind::ContentDue => CONTENT_NOTICE + Duration::hours(24),
            ReminderKind::ContactDayBefore | ReminderKind::ProducerDayBefore => Duration::hours(24),
        }
    }
}

/// The reminders a booking should have from `now` on, with when each is due.
pub fn reminders_for(booking: &Booking, now: DateTime<Utc>) -> Vec<(ReminderKind, DateTime<Utc>)> {
    if booking.is_cancelled() || booking.completed_at.is_some() {
        return vec![];
    }
    let shares_content = booking
        .package()
        .is_some_and(|p| p.included.iter().any(|s| s == CONTENT_SHARING));
    ReminderKind::ALL
        .into_iter()
        .filter(|k| *k != ReminderKind::ContentDue || shares_content)
        .map(|k| (k, booking.start - k.ahead()))
        .filter(|(_, due)| *due > now)
        .collect()
}
