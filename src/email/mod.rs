//! E-mail: what each change tells whom, as views built for the message (never the
//! database row), written to the outbox in the booking's own transaction, rendered from
//! handlebars templates and sent by a background worker.

pub mod format;
pub mod ics;
pub mod render;
pub mod transport;
pub mod worker;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::models::outbox::NewMessage;
use crate::domain::booking::Booking;
use crate::domain::locale::Locale;
use crate::domain::money::Money;
use crate::domain::order::{charges_note, Charges, Contact, EventInfo, Meeting};
use crate::domain::policy::{fee, PolicyRule};
use crate::domain::producer::ProducerContact;
use crate::domain::reminder::{ReminderKind, CONTENT_NOTICE};
use format::When;

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
    /// The producer changed (staff reassigned it), the date and time did not.
    BookingUpdated,
    /// Staff changed what was ordered; the new details and charges.
    BookingAmended,
    ProducerAssigned,
    ProducerReleased,
    ProducerMoved,
    /// Reminders (see `domain::reminder`): content due, and the day before to the
    /// contact and to the producer.
    ContentDue,
    EventReminder,
    ProducerReminder,
    /// After the event: the recording's links and the attendance report.
    FollowUp,
    /// A preparation session's time was picked or moved, or it was taken off the
    /// schedule: to the contact and to its producer, with the session's invitation.
    SessionScheduled,
    SessionCancelled,
    /// A session tomorrow: to the contact and to its producer.
    SessionReminder,
}

impl Kind {
    pub const ALL: [Kind; 15] = [
        Kind::BookingConfirmed,
        Kind::BookingRescheduled,
        Kind::BookingCancelled,
        Kind::BookingUpdated,
        Kind::BookingAmended,
        Kind::ProducerAssigned,
        Kind::ProducerReleased,
        Kind::ProducerMoved,
        Kind::ContentDue,
        Kind::EventReminder,
        Kind::ProducerReminder,
        Kind::FollowUp,
        Kind::SessionScheduled,
        Kind::SessionCancelled,
        Kind::SessionReminder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BookingConfirmed => "booking_confirmed",
            Kind::BookingRescheduled => "booking_rescheduled",
            Kind::BookingCancelled => "booking_cancelled",
            Kind::BookingUpdated => "booking_updated",
            Kind::BookingAmended => "booking_amended",
            Kind::ProducerAssigned => "producer_assigned",
            Kind::ProducerReleased => "producer_released",
            Kind::ProducerMoved => "producer_moved",
            Kind::ContentDue => "content_due",
            Kind::EventReminder => "event_reminder",
            Kind::ProducerReminder => "producer_reminder",
            Kind::FollowUp => "booking_follow_up",
            Kind::SessionScheduled => "session_scheduled",
            Kind::SessionCancelled => "session_cancelled",
            Kind::SessionReminder => "session_reminder",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The reminder sent as this message.
    pub fn of_reminder(r: ReminderKind) -> Kind {
        match r {
            ReminderKind::ContentDue => Kind::ContentDue,
            ReminderKind::ContactDayBefore => Kind::EventReminder,
            ReminderKind::ProducerDayBefore => Kind::ProducerReminder,
        }
    }

    /// Whether it carries the calendar event (reminders do not: the invitation is
    /// already in the calendar).
    pub fn has_calendar(self) -> bool {
        !matches!(
            self,
            Kind::ContentDue
                | Kind::EventReminder
                | Kind::ProducerReminder
                | Kind::FollowUp
                | Kind::SessionReminder
        )
    }

    /// The calendar method of its `.ics` part.
    pub fn ics_method(self) -> &'static str {
        match self {
            Kind::BookingCancelled | Kind::ProducerReleased | Kind::SessionCancelled => "CANCEL",
            _ => "REQUEST",
        }
    }

    /// Locales its templates exist in.
    pub fn locales(self) -> &'static [&'static str] {
        match self {
            Kind::BookingConfirmed
            | Kind::BookingRescheduled
            | Kind::BookingCancelled
            | Kind::BookingUpdated
            | Kind::BookingAmended
            | Kind::ContentDue
            | Kind::EventReminder
            | Kind::FollowUp
            | Kind::SessionScheduled
            | Kind::SessionCancelled
            | Kind::SessionReminder => &["en", "fr"],
            _ => &["en"],
        }
    }
}

/// A name and an address.
#[derive(Debug, Clone, Serialize)]
pub struct Named {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChargeLineView {
    pub description: String,
    pub amount: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChargesView {
    pub lines: Vec<ChargeLineView>,
    pub total: String,
    pub note: String,
}

/// A rule of the cancellation policy: when it applies and what it would cost.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyLine {
    pub when: String,
    pub percent: i64,
    pub fee: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CancellationView {
    pub fee: String,
    pub percent: i64,
    pub reason: Option<String>,
}

/// What the calendar part of a message holds.
#[derive(Debug, Clone, Serialize)]
pub struct IcsView {
    pub uid: String,
    pub sequence: i32,
    pub start: String,
    pub end: String,
    pub summary: String,
    pub description: String,
    pub organizer: String,
    pub attendee: String,
    pub attendee_name: String,
}

/// Everything a contact's message shows, in their zone and language.
#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    pub reservation_number: String,
    pub package_name: String,
    pub package_seed_name: String,
    pub when: When,
    pub previous: Option<When>,
    /// When content is due (24 hours before the start), in the contact's zone.
    pub content_due: When,
    pub duration: String,
    pub producer_starts: String,
    pub producer: Named,
    /// Who looks after the booking, when someone coordinates.
    pub coordinator: Option<Named>,
    pub contact: Contact,
    pub company: String,
    pub site: String,
    pub event: EventInfo,
    pub language: String,
    /// The language's name in the reader's language ("French", "français").
    pub language_name: String,
    pub language_pending: bool,
    pub charges: ChargesView,
    pub policy: Vec<PolicyLine>,
    pub cancellation: Option<CancellationView>,
    pub manage_url: String,
    pub ics: IcsView,
}

/// Everything a producer's message shows, in the producer's zone (in English).
#[derive(Debug, Clone, Serialize)]
pub struct ProducerView {
    pub reservation_number: String,
    pub producer: Named,
    pub package_name: String,
    pub when: When,
    pub window: When,
    pub previous: Option<When>,
    pub customer_zone: When,
    pub duration: String,
    pub contact: Contact,
    pub company: String,
    pub site: String,
    pub meeting: Meeting,
    pub event: EventInfo,
    pub language: String,
    pub language_pending: bool,
    pub ics: IcsView,
}

/// The policy as a reader of `locale` reads it: when each rule applies and what it
/// would cost.
pub fn policy_lines(rules: &[PolicyRule], total: &Money, locale: Locale) -> Vec<PolicyLine> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| PolicyLine {
            when: format::policy_window(
                r.min_hours_before,
                i.checked_sub(1).map(|p| rules[p].min_hours_before),
                locale.as_str(),
            ),
            percent: r.fee_percent,
            fee: locale.money(&fee(r, total)),
        })
        .collect()
}

/// The charges as a reader of `locale` reads them.
pub fn charges_view(charges: &Charges, locale: Locale) -> ChargesView {
    ChargesView {
        lines: charges
            .lines
            .iter()
            .map(|l| ChargeLineView {
                description: l.describe(locale),
                amount: locale.money(&l.amount),
            })
            .collect(),
        total: locale.money(&charges.total),
        note: charges_note(locale).to_string(),
    }
}

fn locale_of(contact: &Contact) -> Locale {
    Locale::parse(&contact.locale).unwrap_or_default()
}

fn to_json<T: Serialize>(view: &T) -> serde_json::Value {
    serde_json::to_value(view).expect("views serialise")
}

/// The message a contact gets about their booking.
pub fn contact_message(
    kind: Kind,
    booking: &Booking,
    producer: &ProducerContact,
    previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
    sequence: i32,
    cfg: &MailConfig,
) -> NewMessage {
    let tz = booking.time_zone;
    let loc = locale_of(&booking.contact);
    let locale = loc.as_str();
    let number = booking.number.to_string();
    let package = booking.package();
    let charges = &booking.charges;
    let view = ContactView {
        reservation_number: number.clone(),
        package_name: package
            .map(|p| p.name.clone())
            .unwrap_or_else(|| booking.package_id.clone()),
        package_seed_name: package.map(|p| p.seed_name.clone()).unwrap_or_default(),
        when: format::when(booking.start, booking.end, tz, locale),
        previous: previous.map(|(s, e)| format::when(s, e, tz, locale)),
        content_due: {
            let due = booking.start - CONTENT_NOTICE;
            format::when(due, due, tz, locale)
        },
        duration: format::duration(booking.duration_minutes, locale),
        producer_starts: format::time(booking.window_start, tz),
        producer: Named {
            name: producer.name.clone(),
            email: producer.email.clone(),
        },
        coordinator: booking.coordinator.as_ref().map(|c| Named {
            name: c.name.clone(),
            email: c.email.clone(),
        }),
        contact: booking.contact.clone(),
        company: booking.company.clone(),
        site: booking.site.clone(),
        event: booking.event.clone(),
        language: booking.language.clone(),
        language_name: crate::domain::locale::language_name(&booking.language, loc),
        language_pending: booking.language_pending,
        charges: charges_view(charges, loc),
        policy: policy_lines(&booking.cancellation_policy, &charges.total, loc),
        cancellation: booking.cancellation.as_ref().map(|c| CancellationView {
            fee: loc.money(&c.fee.amount),
            percent: c.fee.fee_percent,
            reason: c.reason.clone(),
        }),
        // The link opens the manage page with the number filled in.
        manage_url: format!("{}?number={number}", cfg.manage_url),
        ics: IcsView {
            uid: format!("{}@greenroom", booking.id),
            sequence,
            start: booking.start.to_rfc3339(),
            end: booking.end.to_rfc3339(),
            summary: format!(
                "{} — {}",
                booking.event.title,
                package.map(|p| p.name.as_str()).unwrap_or("")
            ),
            description: format!(
                "Reservation {number}. Producer: {} <{}>",
                producer.name, producer.email
            ),
            organizer: cfg.from.clone(),
            attendee: booking.contact.email.clone(),
            attendee_name: format!(
                "{} {}",
                booking.contact.first_name, booking.contact.last_name
            ),
        },
    };
    NewMessage {
        kind: kind.as_str(),
        recipient: booking.contact.email.clone(),
        locale: locale.to_string(),
        payload: to_json(&view),
    }
}

/// List the booking's preparation sessions in a message about it (`sessions` in its
/// payload): each one the booking includes, with its time in the reader's zone once
/// picked. Nothing is added when the booking includes none.
pub fn list_sessions(
    message: &mut NewMessage,
    booking: &Booking,
    scheduled: &[crate::domain::session::Scheduled],
    zone: chrono_tz::Tz,
) {
    use crate::domain::session::hours_text;
    let overview = booking.sessions(scheduled);
    if overview.sessions.is_empty() {
        return;
    }
    let locale = message.locale.clone();
    let mut lines = Vec::new();
    // The calendar invitation lists them too, in its description.
    let mut description = message.payload["ics"]["description"]
        .as_str()
        .map(str::to_string);
    for p in &overview.sessions {
        let label = p.entitlement.kind.label(&locale);
        let length = hours_text(p.minutes());
        let when = p
            .picked
            .map(|s| format::when(s.start, s.end, zone, &locale));
        if let Some(text) = description.as_mut() {
            let at = match &when {
                Some(w) => format!("{} {}-{} {}", w.date, w.start, w.end, w.abbreviation),
                None if locale == "fr" => "à planifier".to_string(),
                None => "to be scheduled".to_string(),
            };
            text.push_str(&format!("\n{label} ({length}): {at}"));
        }
        lines.push(serde_json::json!({
            "name": p.entitlement.name,
            "label": label,
            "length": length,
            "when": when,
        }));
    }
    if let Some(text) = description {
        message.payload["ics"]["description"] = text.into();
    }
    message.payload["sessions"] = lines.into();
    // Event Center Premium: the production time, used and left.
    if let Some(p) = overview.production {
        message.payload["production"] = serde_json::json!({
            "included": hours_text(p.included),
            "used": hours_text(p.used),
            "left": hours_text((p.included - p.used).max(0)),
        });
    }
}

/// A preparation session that was picked, moved or taken off the schedule.
pub struct SessionChange<'a> {
    pub session: &'a crate::domain::session::Scheduled,
    pub previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub removed: bool,
    /// Removed because the booking was cancelled.
    pub with_booking: bool,
    /// The reminder the day before (no invitation).
    pub reminder: bool,
    /// Calendar SEQUENCE (the booking's history length).
    pub sequence: i32,
}

/// The message about a session, to the contact (in their language and zone) or to its
/// producer (in English, in theirs): the booking's usual message, with the session and
/// a calendar invitation for the session instead of the event.
pub fn session_message(
    booking: &Booking,
    producer: &ProducerContact,
    change: &SessionChange<'_>,
    to_producer: bool,
    cfg: &MailConfig,
) -> NewMessage {
    use crate::domain::session::{hours_text, SessionKind};
    let kind = if change.reminder {
        Kind::SessionReminder
    } else if change.removed {
        Kind::SessionCancelled
    } else {
        Kind::SessionScheduled
    };
    let mut message = if to_producer {
        producer_message(kind, booking, producer, None, change.sequence, cfg)
    } else {
        contact_message(kind, booking, producer, None, change.sequence, cfg)
    };
    let s = change.session;
    let (tz, locale) = if to_producer {
        (producer.time_zone, "en".to_string())
    } else {
        (booking.time_zone, message.locale.clone())
    };
    let label = SessionKind::of_name(&s.name)
        .map(|k| k.label(&locale))
        .unwrap_or("Session");
    let who = if to_producer { "producer" } else { "contact" };
    message.payload["session"] = serde_json::json!({
        "name": s.name,
        "label": label,
        "length": hours_text(s.minutes()),
        "when": format::when(s.start, s.end, tz, &locale),
        "previous": change.previous.map(|(a, b)| format::when(a, b, tz, &locale)),
        "with_booking": change.with_booking,
    });
    let ics = &mut message.payload["ics"];
    ics["uid"] = format!("{}-{}-{who}@greenroom", booking.id, s.name).into();
    ics["start"] = s.start.to_rfc3339().into();
    ics["end"] = s.end.to_rfc3339().into();
    ics["summary"] = format!("{label}: {}", booking.event.title).into();
    let event = format::when(booking.start, booking.end, tz, &locale);
    let contact = &booking.contact;
    ics["description"] = if to_producer {
        format!(
            "{label} ({}) to prepare {} ({}, {} {} {}). Reservation {}. Customer contact: {} {} <{}>, {}",
            hours_text(s.minutes()),
            booking.event.title,
            booking.company,
            event.date,
            event.start,
            event.abbreviation,
            booking.number,
            contact.first_name,
            contact.last_name,
            contact.email,
            contact.phone
        )
    } else {
        format!(
            "{label} ({}), {} {} {}. Reservation {}. Producer: {} <{}>",
            hours_text(s.minutes()),
            event.date,
            event.start,
            event.abbreviation,
            booking.number,
            producer.name,
            producer.email
        )
    }
    .into();
    message
}

/// The message a producer gets about a booking they run (or ran).
pub fn producer_message(
    kind: Kind,
    booking: &Booking,
    producer: &ProducerContact,
    previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
    sequence: i32,
    cfg: &MailConfig,
) -> NewMessage {
    let tz = producer.time_zone;
    let number = booking.number.to_string();
    let contact = &booking.contact;
    let view = ProducerView {
        reservation_number: number.clone(),
        producer: Named {
            name: producer.name.clone(),
            email: producer.email.clone(),
        },
        package_name: booking
            .package()
            .map(|p| p.name.clone())
            .unwrap_or_else(|| booking.package_id.clone()),
        when: format::when(booking.start, booking.end, tz, "en"),
        window: format::when(booking.window_start, booking.end, tz, "en"),
        previous: previous.map(|(s, e)| format::when(s, e, tz, "en")),
        customer_zone: format::when(booking.start, booking.end, booking.time_zone, "en"),
        duration: format::duration(booking.duration_minutes, "en"),
        contact: contact.clone(),
        company: booking.company.clone(),
        site: booking.site.clone(),
        meeting: booking.meeting.clone(),
        event: booking.event.clone(),
        language: booking.language.clone(),
        language_pending: booking.language_pending,
        ics: IcsView {
            uid: format!("{}-producer-{}@greenroom", booking.id, producer.id),
            sequence,
            start: booking.window_start.to_rfc3339(),
            end: booking.end.to_rfc3339(),
            summary: format!("Produce: {} ({})", booking.event.title, booking.company),
            description: format!(
                "Reservation {number}. Join 30 minutes before the start. Customer contact: {} {} <{}>, {}",
                contact.first_name, contact.last_name, contact.email, contact.phone
            ),
            organizer: cfg.from.clone(),
            attendee: producer.email.clone(),
            attendee_name: producer.name.clone(),
        },
    };
    NewMessage {
        kind: kind.as_str(),
        recipient: producer.email.clone(),
        locale: "en".into(),
        payload: to_json(&view),
    }
}

/// Delete sent messages' files from the outbox folder (their contact's data was erased).
/// Only names this service wrote are touched: a uuid and `.eml`, never a path.
pub fn delete_files(outbox_dir: &std::path::Path, files: &[String]) {
    for name in files {
        if name.contains(['/', '\\']) || !name.ends_with(".eml") {
            continue;
        }
        match std::fs::remove_file(outbox_dir.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %name, error = %e, "cannot delete an erased e-mail file")
            }
        }
    }
}
