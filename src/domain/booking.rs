//! A booking as the service knows it once stored: every part typed, and its history.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::catalogue::{Catalogue, Package};
use super::local_time::Slot;
use super::money::Money;
use super::order::{Charges, Contact, EventInfo, ExtensionOrder, Meeting};
use super::policy::PolicyRule;
use super::reservation_number::ReservationNumber;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Confirmed,
    Cancelled,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<BookingStatus> {
        match s {
            "confirmed" => Some(BookingStatus::Confirmed),
            "cancelled" => Some(BookingStatus::Cancelled),
            _ => None,
        }
    }
}

/// A booked producer for an event.
#[derive(Debug, Clone)]
pub struct Booking {
    pub id: String,
    pub number: ReservationNumber,
    pub status: BookingStatus,
    pub package_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The producer's window: from the preparation before the start to the end.
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// The customer's zone: times are shown in it.
    pub time_zone: Tz,
    pub duration_minutes: i64,
    pub producer_id: String,
    /// Primary language subtag of the support asked for.
    pub language: String,
    /// No producer speaking `language` was free: an English speaker was assigned, to be
    /// confirmed.
    pub language_pending: bool,
    pub contact: Contact,
    pub company: String,
    pub site: String,
    pub meeting: Meeting,
    pub event: EventInfo,
    pub extensions: Vec<ExtensionOrder>,
    pub charges: Charges,
    /// The policy the booking was sold with.
    pub cancellation_policy: Vec<PolicyRule>,
    pub cancellation: Option<Cancellation>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the contact's personal data was erased.
    pub erased_at: Option<DateTime<Utc>>,
    /// When the service marked it completed (after its end).
    pub completed_at: Option<DateTime<Utc>>,
    /// The staff member looking after it, as the customer was told (none when no one
    /// coordinates).
    pub coordinator: Option<crate::domain::staff::Coordinator>,
}

impl Booking {
    pub fn package(&self) -> Option<&'static Package> {
        Catalogue::get().package(&self.package_id)
    }

    pub fn slot(&self) -> Slot {
        Slot {
            start: self.start,
            end: self.end,
            time_zone: self.time_zone,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.status == BookingStatus::Cancelled
    }

    /// It has taken place: marked completed, or (before the sweep gets to it) past its
    /// end, and not cancelled.
    pub fn has_taken_place(&self, now: DateTime<Utc>) -> bool {
        !self.is_cancelled() && (self.completed_at.is_some() || self.end <= now)
    }

    /// The sessions it includes, with their times among `scheduled` once picked, and its
    /// production time (nothing for an unknown package).
    pub fn sessions<'a>(
        &self,
        scheduled: &'a [super::session::Scheduled],
    ) -> super::session::Overview<'a> {
        match self.package() {
            Some(p) => {
                super::session::overview(p, self.duration_minutes, &self.extensions, scheduled)
            }
            None => super::session::Overview {
                sessions: Vec::new(),
                production: None,
            },
        }
    }

    /// The status shown: confirmed, cancelled, or completed once marked.
    pub fn shown_status(&self) -> &'static str {
        match (self.status, self.completed_at) {
            (BookingStatus::Confirmed, Some(_)) => "completed",
            (status, _) => status.as_str(),
        }
    }
}

/// What cancelling cost, by the booking's policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CancellationFee {
    pub amount: Money,
    pub policy_rule: String,
    pub fee_percent: i64,
    pub description: String,
    pub minutes_before_start: i64,
}

/// How a booking was cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancellation {
    pub cancelled_at: DateTime<Utc>,
    /// Who cancelled (an actor name).
    pub by: String,
    pub reason: Option<String>,
    pub fee: CancellationFee,
}

/// What happened to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Rescheduled,
    ProducerChanged,
    Cancelled,
    PersonalDataErased,
    /// Staff changed what was ordered (package, duration, details, contact).
    Amended,
    /// It took place: marked after its end.
    Completed,
    /// The follow-up e-mail (recording, attendance) was sent.
    FollowUpSent,
    /// Nobody came (with the reason in the detail).
    NoShow,
    /// A preparation session's time was picked or changed (named in the detail).
    SessionScheduled,
    /// A preparation session was taken off the schedule (by the customer, or because the
    /// event moved before it).
    SessionRemoved,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Rescheduled => "rescheduled",
            EventKind::ProducerChanged => "producer_changed",
            EventKind::Cancelled => "cancelled",
            EventKind::PersonalDataErased => "personal_data_erased",
            EventKind::Amended => "amended",
            EventKind::Completed => "completed",
            EventKind::FollowUpSent => "follow_up_sent",
            EventKind::NoShow => "no_show",
            EventKind::SessionScheduled => "session_scheduled",
            EventKind::SessionRemoved => "session_removed",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        [
            EventKind::Created,
            EventKind::Rescheduled,
            EventKind::ProducerChanged,
            EventKind::Cancelled,
            EventKind::PersonalDataErased,
            EventKind::Amended,
            EventKind::Completed,
            EventKind::FollowUpSent,
            EventKind::NoShow,
            EventKind::SessionScheduled,
            EventKind::SessionRemoved,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// More about a line of history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventDetail {
    /// Staff booked inside the lead time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_lead_time: Option<bool>,
    /// The reason given for a cancellation (erased with the contact's data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<CancellationFee>,
    /// The preparation session a line is about (`rehearsal-2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

impl EventDetail {
    pub fn is_empty(&self) -> bool {
        *self == EventDetail::default()
    }
}

/// One line of a booking's history.
#[derive(Debug, Clone)]
pub struct HistoryEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    /// `customer`, `staff:<token id>` or `service:<job>`.
    pub actor: String,
    pub old: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub new: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub old_producer_id: Option<String>,
    pub new_producer_id: Option<String>,
    pub detail: Option<EventDetail>,
}

impl HistoryEvent {
    /// A line that changes neither the time nor the producer.
    pub fn note(at: DateTime<Utc>, kind: EventKind, actor: String) -> HistoryEvent {
        HistoryEvent {
            at,
            kind,
            actor,
            old: None,
            new: None,
            old_producer_id: None,
            new_producer_id: None,
            detail: None,
        }
    }
}

/// A booking with what is shown around it: the producer it names, and its history
/// (when asked for).
#[derive(Debug, Clone)]
pub struct BookingDetails {
    pub booking: Booking,
    pub producer: Option<super::producer::ProducerContact>,
    pub history: Option<Vec<HistoryEvent>>,
    /// What was recorded after the event (when asked for).
    pub report: Option<super::report::EventReport>,
    /// The preparation sessions whose times are picked (when asked for).
    pub sessions: Vec<super::session::Scheduled>,
}

impl BookingDetails {
    /// The status shown: as the booking's, or no_show when nobody came.
    pub fn shown_status(&self) -> &'static str {
        match &self.report {
            Some(r) if r.no_show_reason.is_some() && !self.booking.is_cancelled() => "no_show",
            _ => self.booking.shown_status(),
        }
    }
}
