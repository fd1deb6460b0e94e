//! Bodies of the customers' routes: availability, orders, lookups, changes and
//! cancellations, and the booking as the API shows it.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::schema::*;

use crate::domain::booking::{Booking, BookingDetails, CancellationFee, HistoryEvent};
use crate::domain::error::{FieldError, ProblemCode};
use crate::domain::local_time::{format_in, parse_naive, zone_abbreviation};
use crate::domain::order::{
    self, check_extension, check_meeting, Charges, Contact, EventInfo, ExtensionOrder, Meeting,
    NewOrder, ScheduledBy, SlotRequest,
};
use crate::domain::policy::PolicyRule;
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::session;
use crate::domain::text::{self, Lines};
use crate::http::json::{json_objects, path, Check, Field, SlotJson, Unknown};

/// `start`, `time_zone`, `package`, `duration_minutes`, as availability and orders share
/// them.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AvailabilityRequest {
    /// One of the four packages.
    #[schema(value_type = PackageId, required = true)]
    pub package: Field<String>,
    /// A local time such as `2026-12-10T15:00` read in `time_zone`, or an RFC 3339
    /// instant with offset. Whole minutes.
    #[schema(value_type = StartTime, required = true)]
    pub start: Field<String>,
    /// An IANA time zone name such as `Europe/Paris`.
    #[schema(value_type = TimeZoneName, required = true)]
    pub time_zone: Field<String>,
    /// Minutes of live event: a multiple of 15 from 15 to 720.
    #[schema(value_type = i64, required = true, minimum = 15, maximum = 720, multiple_of = 15)]
    pub duration_minutes: Field<i64>,
    /// A BCP 47 tag; English when absent.
    #[schema(value_type = Option<LanguageTag>)]
    pub language: Field<String>,
    /// Staff only: allow a start inside the lead time.
    #[schema(value_type = Option<bool>)]
    pub override_lead_time: Field<bool>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ContactRequest {
    #[schema(value_type = PersonName, required = true)]
    pub first_name: Field<String>,
    #[schema(value_type = PersonName, required = true)]
    pub last_name: Field<String>,
    /// 6 to 20 digits, with spaces, dots, dashes, parentheses and a leading plus.
    #[schema(value_type = PhoneNumber, required = true)]
    pub phone: Field<String>,
    /// Where the confirmation goes; with the reservation number, it opens the booking.
    #[schema(value_type = EmailAddress, required = true)]
    pub email: Field<String>,
    /// The e-mails' language: `en` (default) or `fr`.
    #[schema(value_type = Option<Locale>)]
    pub locale: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct MeetingRequest {
    /// The meeting is already scheduled on the customer's site (required, except for
    /// event-premium).
    #[schema(value_type = Option<bool>)]
    pub scheduled: Field<bool>,
    /// `me` (default): give your host ID; `someone_else`: ordering for a colleague, no
    /// host ID asked.
    #[schema(value_type = Option<ScheduledBy>)]
    pub scheduled_by: Field<String>,
    #[schema(value_type = Option<Line100>)]
    pub host_id: Field<String>,
    #[schema(value_type = Option<EmailAddress>)]
    pub host_email: Field<String>,
    #[schema(value_type = Option<Line64>)]
    pub meeting_number: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EventRequest {
    #[schema(value_type = Line200, required = true)]
    pub title: Field<String>,
    #[schema(value_type = Option<Lines5000>)]
    pub details: Field<String>,
    #[schema(value_type = Option<Lines5000>)]
    pub comments: Field<String>,
    /// The support's language, a BCP 47 tag; English when absent.
    #[schema(value_type = Option<LanguageTag>)]
    pub language: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

/// A preparation session's time, picked with the order.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SessionOrderRequest {
    /// The session's name: `scheduling-call`, `consultation`, `rehearsal`, `rehearsal-2`, ….
    #[schema(value_type = Line64, required = true)]
    pub name: Field<String>,
    /// Its start, read in the order's `time_zone`: at least 24 hours ahead, ending
    /// before the producer's preparation for the event.
    #[schema(value_type = StartTime, required = true)]
    pub start: Field<String>,
    /// Event Center Premium only: its length, 15 to 180 minutes in steps of 15.
    #[schema(value_type = Option<i64>, minimum = 15, maximum = 180, multiple_of = 15)]
    pub minutes: Field<i64>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ExtensionRequest {
    /// An extension id from `GET /api/v1/packages`.
    #[schema(value_type = Line64, required = true)]
    pub id: Field<String>,
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 20)]
    pub quantity: Field<i64>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OrderRequest {
    #[schema(value_type = ContactRequest, required = true)]
    pub contact: Field<ContactRequest>,
    /// The customer's company.
    #[schema(value_type = Line200, required = true)]
    pub company: Field<String>,
    /// The customer's meeting site host name.
    #[schema(value_type = HostName, required = true)]
    pub site: Field<String>,
    #[schema(value_type = PackageId, required = true)]
    pub package: Field<String>,
    #[schema(value_type = StartTime, required = true)]
    pub start: Field<String>,
    #[schema(value_type = TimeZoneName, required = true)]
    pub time_zone: Field<String>,
    #[schema(value_type = i64, required = true, minimum = 15, maximum = 720, multiple_of = 15)]
    pub duration_minutes: Field<i64>,
    #[schema(value_type = Option<MeetingRequest>)]
    pub meeting: Field<MeetingRequest>,
    #[schema(value_type = EventRequest, required = true)]
    pub event: Field<EventRequest>,
    #[schema(value_type = Option<Vec<ExtensionRequest>>)]
    pub extensions: Field<Vec<Field<ExtensionRequest>>>,
    /// Times for the preparation sessions the package and extensions include (see a
    /// booking's `sessions`); any left out are picked later from the manage page.
    #[schema(value_type = Option<Vec<SessionOrderRequest>>)]
    pub sessions: Field<Vec<Field<SessionOrderRequest>>>,
    /// Staff only: allow a start inside the lead time.
    #[schema(value_type = Option<bool>)]
    pub override_lead_time: Field<bool>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

/// A reservation number and the contact e-mail given when ordering.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LookupRequest {
    /// From the confirmation e-mail; any case, hyphen optional.
    #[schema(value_type = ReservationNumberText, required = true)]
    pub reservation_number: Field<String>,
    #[schema(value_type = EmailAddress, required = true)]
    pub email: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

/// A new date and time. Only these change: the duration and everything else stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RescheduleRequest {
    /// The contact's e-mail (staff may leave it out).
    #[schema(value_type = Option<EmailAddress>)]
    pub email: Field<String>,
    #[schema(value_type = StartTime, required = true)]
    pub start: Field<String>,
    /// The zone `start` is read in; the booking's zone when absent.
    #[schema(value_type = Option<TimeZoneName>)]
    pub time_zone: Field<String>,
    #[schema(value_type = Option<bool>)]
    pub override_lead_time: Field<bool>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CancelRequest {
    /// The contact's e-mail (staff may leave it out).
    #[schema(value_type = Option<EmailAddress>)]
    pub email: Field<String>,
    #[schema(value_type = Option<Lines1000>)]
    pub reason: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

json_objects!(
    SessionOrderRequest,
    AvailabilityRequest,
    ContactRequest,
    MeetingRequest,
    EventRequest,
    ExtensionRequest,
    OrderRequest,
    LookupRequest,
    RescheduleRequest,
    CancelRequest
);

const PACKAGE_HINT: &str =
    "one of meeting-premium, training-premium, event-standard, event-premium";

/// The fields a slot is made of, read from `prefix` (the body itself).
struct SlotFields {
    package: Field<String>,
    start: Field<String>,
    time_zone: Field<String>,
    duration_minutes: Field<i64>,
    language: Field<String>,
    language_path: &'static str,
    override_lead_time: Field<bool>,
}

fn slot(check: &mut Check, f: SlotFields) -> Option<SlotRequest> {
    let package = check.text_with("package", f.package, Some(PACKAGE_HINT), 64, |id| {
        order::package(&id)
    });
    let zone_given = f.time_zone.is_given();
    let tz = check.text_with(
        "time_zone",
        f.time_zone,
        Some("an IANA time zone such as Europe/Paris"),
        64,
        |z| order::zone(&z),
    );
    let start = check
        .text(
            "start",
            f.start,
            Some("a local time like 2026-12-10T15:00, read in time_zone"),
            64,
            Lines::One,
        )
        .and_then(|s| match order::start(&s, tz) {
            Ok(t) => Some(t),
            // The zone's own error already says what to fix.
            Err(_) if zone_given && tz.is_none() && parse_naive(&s).is_some() => None,
            Err((code, message)) => {
                check.problem("start", code, message);
                None
            }
        });
    let duration = check
        .value(
            "duration_minutes",
            f.duration_minutes,
            Some("minutes, a multiple of 15 from 15 to 720"),
        )
        .and_then(|d| check.check("duration_minutes", order::duration(d)));
    let language = check
        .text(f.language_path, f.language, None, 35, Lines::One)
        .and_then(|tag| check.check(f.language_path, text::language(&tag)))
        .unwrap_or_else(|| "en".to_string());
    let override_lead_time = check
        .value("override_lead_time", f.override_lead_time, None)
        .unwrap_or(false);
    Some(SlotRequest {
        package: package?,
        start: start?,
        time_zone: tz?,
        duration_minutes: duration?,
        language,
        override_lead_time,
    })
}

impl AvailabilityRequest {
    pub fn parse(self) -> Result<SlotRequest, Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let slot = slot(
            &mut check,
            SlotFields {
                package: self.package,
                start: self.start,
                time_zone: self.time_zone,
                duration_minutes: self.duration_minutes,
                language: self.language,
                language_path: "language",
                override_lead_time: self.override_lead_time,
            },
        );
        check.finish(|| slot)
    }
}

/// A one-line text field checked by `rule` (which gets the field's path).
fn rule(
    check: &mut Check,
    field: &str,
    value: Field<String>,
    required: Option<&str>,
    max: usize,
    rule: fn(&str, &str) -> Result<(), text::Problem>,
) -> Option<String> {
    let path = field.to_string();
    check.text_with(field, value, required, max, |t| rule(&t, &path).map(|()| t))
}

impl OrderRequest {
    /// Every part of the order checked; every problem reported at once.
    pub fn parse(self) -> Result<NewOrder, Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);

        let contact = check
            .value("contact", self.contact, Some("send an object"))
            .map(|c| {
                check.unknown("contact", &c.unknown);
                let first_name = rule(
                    &mut check,
                    "contact.first_name",
                    c.first_name,
                    Some("the contact's first name"),
                    100,
                    text::name,
                );
                let last_name = rule(
                    &mut check,
                    "contact.last_name",
                    c.last_name,
                    Some("the contact's last name"),
                    100,
                    text::name,
                );
                let phone = rule(
                    &mut check,
                    "contact.phone",
                    c.phone,
                    Some("a phone number such as +33 1 23 45 67 89"),
                    40,
                    text::phone,
                );
                let email = rule(
                    &mut check,
                    "contact.email",
                    c.email,
                    Some("the address for the confirmation e-mail"),
                    254,
                    text::email,
                );
                let locale = check
                    .text_with("contact.locale", c.locale, None, 10, |l| order::locale(&l))
                    .unwrap_or_else(|| "en".into());
                (first_name, last_name, phone, email, locale)
            });
        let company = check.text(
            "company",
            self.company,
            Some("the customer's company name"),
            200,
            Lines::One,
        );
        let site = check.text_with(
            "site",
            self.site,
            Some("the meeting site's host name, such as acme.webex.com"),
            253,
            |s| order::site(&s),
        );

        let (event, event_language) = match check.value("event", self.event, Some("send an object"))
        {
            Some(e) => {
                check.unknown("event", &e.unknown);
                let title = check.text(
                    "event.title",
                    e.title,
                    Some("the event's title"),
                    200,
                    Lines::One,
                );
                let details = check.text("event.details", e.details, None, 5000, Lines::Many);
                let comments = check.text("event.comments", e.comments, None, 5000, Lines::Many);
                (Some((title, details, comments)), e.language)
            }
            None => (None, Field::Absent),
        };
        // The language tag as the customer wrote it is kept with the event.
        let language_tag = match &event_language {
            Field::Given(t) => Some(t.trim().to_string()),
            _ => None,
        };
        let package_hint = match &self.package {
            Field::Given(id) => order::package(id.trim()).ok(),
            _ => None,
        };
        let slot = slot(
            &mut check,
            SlotFields {
                package: self.package,
                start: self.start,
                time_zone: self.time_zone,
                duration_minutes: self.duration_minutes,
                language: event_language,
                language_path: "event.language",
                override_lead_time: self.override_lead_time,
            },
        );

        let meeting = match check.value("meeting", self.meeting, None) {
            Some(m) => {
                check.unknown("meeting", &m.unknown);
                let scheduled = check
                    .value("meeting.scheduled", m.scheduled, None)
                    .unwrap_or(false);
                let scheduled_by = check
                    .text_with("meeting.scheduled_by", m.scheduled_by, None, 20, |s| match s.as_str() {
                        "me" => Ok(ScheduledBy::Me),
                        "someone_else" => Ok(ScheduledBy::SomeoneElse),
                        other => Err((
                            ProblemCode::InvalidFormat,
                            format!("meeting.scheduled_by must be me or someone_else, not '{other}'"),
                        )),
                    })
                    .unwrap_or_default();
                Meeting {
                    scheduled,
                    scheduled_by,
                    host_id: check.text("meeting.host_id", m.host_id, None, 100, Lines::One),
                    host_email: rule(
                        &mut check,
                        "meeting.host_email",
                        m.host_email,
                        None,
                        254,
                        text::email,
                    ),
                    meeting_number: check.text(
                        "meeting.meeting_number",
                        m.meeting_number,
                        None,
                        64,
                        Lines::One,
                    ),
                }
            }
            None => Meeting {
                scheduled: false,
                scheduled_by: ScheduledBy::Me,
                host_id: None,
                host_email: None,
                meeting_number: None,
            },
        };
        if let Some(package) = slot.as_ref().map(|s| s.package).or(package_hint) {
            if let Err((field, (code, message))) = check_meeting(package, &meeting) {
                check.problem(field, code, message);
            }
        }

        let mut extensions: Vec<ExtensionOrder> = Vec::new();
        if let Some(items) = check.value("extensions", self.extensions, None) {
            for (i, item) in items.into_iter().enumerate() {
                let at = format!("extensions[{i}]");
                let Some(item) = check.value(&at, item, Some("an object")) else {
                    continue;
                };
                check.unknown(&at, &item.unknown);
                let id = check.text(
                    &path(&at, "id"),
                    item.id,
                    Some("an extension id from GET /api/v1/packages"),
                    64,
                    Lines::One,
                );
                let quantity = check
                    .value(&path(&at, "quantity"), item.quantity, None)
                    .unwrap_or(1);
                let (Some(id), Some(slot)) = (id, slot.as_ref()) else {
                    continue;
                };
                match check_extension(slot.package, &id, quantity, &extensions) {
                    Ok(e) => extensions.push(e),
                    Err((sub, (code, message))) => check.problem(path(&at, sub), code, message),
                }
            }
        }

        let mut sessions: Vec<session::Pick> = Vec::new();
        if let Some(items) = check.value("sessions", self.sessions, None) {
            let entitled = slot
                .as_ref()
                .map(|s| session::entitlements(s.package, &extensions))
                .unwrap_or_default();
            for (i, item) in items.into_iter().enumerate() {
                let at = format!("sessions[{i}]");
                let Some(item) = check.value(&at, item, Some("an object")) else {
                    continue;
                };
                check.unknown(&at, &item.unknown);
                let name = check.text(
                    &path(&at, "name"),
                    item.name,
                    Some("a session the package or extensions include, like rehearsal"),
                    64,
                    Lines::One,
                );
                let start = check.text(
                    &path(&at, "start"),
                    item.start,
                    Some("the session's start, like 2027-02-08T15:00 (read in time_zone)"),
                    64,
                    Lines::One,
                );
                let minutes = check.value(&path(&at, "minutes"), item.minutes, None);
                let (Some(name), Some(start), Some(slot)) = (name, start, slot.as_ref()) else {
                    continue;
                };
                if !entitled.iter().any(|e| e.name == name) {
                    let names: Vec<&str> = entitled.iter().map(|e| e.name.as_str()).collect();
                    check.problem(
                        path(&at, "name"),
                        ProblemCode::UnknownSession,
                        if names.is_empty() {
                            "this package with these extensions includes no preparation session; order consultation or rehearsal as an extension".to_string()
                        } else {
                            format!("no session is named {name} here; this order includes {}", names.join(", "))
                        },
                    );
                    continue;
                }
                if sessions.iter().any(|s| s.name == name) {
                    check.problem(
                        path(&at, "name"),
                        ProblemCode::DuplicateSession,
                        format!("{name} is listed twice; give each session once"),
                    );
                    continue;
                }
                match order::start(&start, Some(slot.time_zone)) {
                    Ok(start) => sessions.push(session::Pick {
                        name,
                        start,
                        minutes,
                    }),
                    Err((code, message)) => check.problem(path(&at, "start"), code, message),
                }
            }
        }

        check.finish(|| {
            let (first_name, last_name, phone, email, locale) = contact?;
            let (title, details, comments) = event?;
            Some(NewOrder {
                slot: slot?,
                contact: Contact {
                    first_name: first_name?,
                    last_name: last_name?,
                    phone: phone?,
                    email: email?,
                    locale,
                },
                company: company?,
                site: site?,
                meeting,
                event: EventInfo {
                    title: title?,
                    details,
                    comments,
                    language: language_tag.unwrap_or_else(|| "en".into()),
                },
                extensions,
                sessions,
            })
        })
    }
}

impl LookupRequest {
    pub fn parse(self) -> Result<(ReservationNumber, String), Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let number = check.text_with(
            "reservation_number",
            self.reservation_number,
            Some("the number in your confirmation e-mail, like 7KQ2M-9XH4D"),
            40,
            |n| ReservationNumber::parse(&n).map_err(|m| (ProblemCode::InvalidFormat, m)),
        );
        let email = check.text(
            "email",
            self.email,
            Some("the contact e-mail address used when ordering"),
            254,
            Lines::One,
        );
        check.finish(|| Some((number?, email?)))
    }
}

/// A reschedule, checked: the contact's e-mail (required of customers), the new start as
/// sent, its zone, the staff override.
pub struct CheckedReschedule {
    pub email: Option<String>,
    pub start: String,
    pub time_zone: Option<Tz>,
    pub override_lead_time: bool,
}

/// Fields a reschedule may not carry: only the date and time change.
const FIXED: [&str; 6] = [
    "package",
    "duration_minutes",
    "contact",
    "event",
    "meeting",
    "extensions",
];

impl RescheduleRequest {
    pub fn parse(self, staff: bool) -> Result<CheckedReschedule, Vec<FieldError>> {
        let mut check = Check::default();
        for key in self.unknown.keys() {
            if FIXED.contains(&key.as_str()) {
                check.problem(
                    key.clone(),
                    ProblemCode::NotChangeable,
                    format!("only the date and time can be changed; for {key}, contact the producer or coordinator named in your confirmation e-mail"),
                );
            }
        }
        check.unknown_except("", &self.unknown, &FIXED);
        let what = "the contact e-mail address used when ordering";
        let email = check.text(
            "email",
            self.email,
            (!staff).then_some(what),
            254,
            Lines::One,
        );
        let start = check.text(
            "start",
            self.start,
            Some("the new start, like 2027-02-10T15:00 (read in time_zone)"),
            64,
            Lines::One,
        );
        let time_zone = check.text_with("time_zone", self.time_zone, None, 64, |z| order::zone(&z));
        let override_lead_time = check
            .value("override_lead_time", self.override_lead_time, None)
            .unwrap_or(false);
        check.finish(|| {
            Some(CheckedReschedule {
                email,
                start: start?,
                time_zone,
                override_lead_time,
            })
        })
    }
}

impl CancelRequest {
    pub fn parse(self, staff: bool) -> Result<(Option<String>, Option<String>), Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let what = "the contact e-mail address used when ordering";
        let email = check.text(
            "email",
            self.email,
            (!staff).then_some(what),
            254,
            Lines::One,
        );
        let reason = check.text("reason", self.reason, None, 1000, Lines::Many);
        check.finish(|| Some((email, reason)))
    }
}

/// Is a producer free then? If not, three starts where one is.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityResponse {
    pub available: bool,
    pub package: String,
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
    pub time_zone: String,
    pub duration_minutes: i64,
    /// The producer starts 30 minutes before the start.
    #[schema(format = DateTime)]
    pub producer_starts_at: String,
    pub language: String,
    /// When available: whether only an English speaker is free (to be confirmed).
    pub language_pending_confirmation: Option<bool>,
    /// When not available: the three nearest starts at which a producer is free.
    pub alternatives: Vec<SlotJson>,
}

/// A producer as a booking names them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProducerRef {
    pub name: String,
    pub email: String,
}

/// A start and an end.
#[derive(Debug, Serialize, ToSchema)]
pub struct Span {
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
}

/// One line of a booking's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryJson {
    #[schema(format = DateTime)]
    pub at: String,
    /// created, rescheduled, producer_changed, cancelled, personal_data_erased or
    /// amended.
    pub kind: String,
    /// `customer`, `staff:<token id>` or `service:<job>`.
    pub actor: String,
    pub old: Option<Span>,
    pub new: Option<Span>,
    pub old_producer_id: Option<String>,
    pub new_producer_id: Option<String>,
    /// More about it: `override_lead_time`, a cancellation's `reason` and `fee`.
    #[schema(value_type = Option<Object>)]
    pub detail: Option<crate::domain::booking::EventDetail>,
}

/// How a booking was cancelled.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancellationJson {
    #[schema(format = DateTime)]
    pub cancelled_at: String,
    pub by: String,
    pub reason: Option<String>,
    pub fee: CancellationFee,
}

/// A booking as the API shows it, times in the customer's zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingJson {
    /// Ten symbols, shown as `XXXXX-XXXXX`.
    pub reservation_number: String,
    /// confirmed, cancelled, or completed (it took place; marked after its end).
    pub status: String,
    /// When it was marked completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    pub package: String,
    pub package_name: Option<String>,
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
    pub time_zone: String,
    pub zone_abbreviation: String,
    pub duration_minutes: i64,
    #[schema(format = DateTime)]
    pub producer_starts_at: String,
    pub producer: Option<ProducerRef>,
    /// The staff member to contact for anything but the date and time (absent when
    /// nobody coordinates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coordinator: Option<ProducerRef>,
    pub language: String,
    pub language_pending_confirmation: bool,
    pub charges: Charges,
    pub cancellation_policy: Vec<PolicyRule>,
    pub contact: Contact,
    pub company: String,
    pub site: String,
    pub meeting: Meeting,
    pub event: EventInfo,
    pub extensions: Vec<ExtensionOrder>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Set once the contact's personal data was erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub personal_data_erased_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<CancellationJson>,
    /// What was recorded after the event (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_event: Option<AfterEventJson>,
    /// The preparation sessions the booking includes (the scheduling call, consultation,
    /// rehearsal), each with its time once picked (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Vec<SessionJson>>,
    /// On a package with production time (Event Center Premium): how much the live event
    /// and the sessions take of it (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub production_time: Option<ProductionTimeJson>,
    /// Every change, oldest first (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryJson>>,
}

/// A preparation session: what the booking includes, and when it is once picked.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionJson {
    /// Its name in the booking, used in its path: `scheduling-call`, `consultation`,
    /// `rehearsal`, `rehearsal-2`, ….
    pub name: String,
    pub kind: crate::domain::session::SessionKind,
    /// Its length: as scheduled, else as included.
    pub minutes: i64,
    /// Whether its time is picked.
    pub scheduled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub end: Option<String>,
    /// Who runs it (the booking's producer unless staff changed it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer_id: Option<String>,
}

/// Production time (Event Center Premium: 6 h 30 for a one-hour event).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductionTimeJson {
    pub included_minutes: i64,
    /// The live event's window (preparation included) and the scheduled sessions.
    pub used_minutes: i64,
    pub remaining_minutes: i64,
}

/// The sessions a booking includes, with their times once picked, and its production
/// time when its package has one.
fn sessions_json(d: &BookingDetails) -> (Vec<SessionJson>, Option<ProductionTimeJson>) {
    let b = &d.booking;
    let tz = b.time_zone;
    let overview = b.sessions(&d.sessions);
    let list = overview
        .sessions
        .iter()
        .map(|p| SessionJson {
            name: p.entitlement.name.clone(),
            kind: p.entitlement.kind,
            minutes: p.minutes(),
            scheduled: p.picked.is_some(),
            start: p.picked.map(|s| format_in(s.start, tz)),
            end: p.picked.map(|s| format_in(s.end, tz)),
            producer_id: p.picked.map(|s| s.producer_id.clone()),
        })
        .collect();
    let production = overview.production.map(|p| ProductionTimeJson {
        included_minutes: p.included,
        used_minutes: p.used,
        remaining_minutes: p.included - p.used,
    });
    (list, production)
}

fn history_json(e: &HistoryEvent, tz: Tz) -> HistoryJson {
    let span = |p: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>| {
        p.map(|(s, e)| Span {
            start: format_in(s, tz),
            end: format_in(e, tz),
        })
    };
    HistoryJson {
        at: format_in(e.at, tz),
        kind: e.kind.as_str().to_string(),
        actor: e.actor.clone(),
        old: span(e.old),
        new: span(e.new),
        old_producer_id: e.old_producer_id.clone(),
        new_producer_id: e.new_producer_id.clone(),
        detail: e.detail.clone(),
    }
}

/// What was recorded of a booking after its event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AfterEventJson {
    /// Where the recording can be watched.
    pub recording_links: Vec<String>,
    /// How many attendees the attendance report lists, when one was uploaded (staff
    /// download it at `GET /api/v1/bookings/{number}/attendance`).
    pub attendees: Option<i64>,
    /// Set when nobody came: why.
    pub no_show_reason: Option<String>,
    /// When the follow-up e-mail (links and report) was last sent.
    #[schema(format = DateTime)]
    pub follow_up_sent_at: Option<String>,
}

/// A booking as a lookup answers it, as a JSON value (the `data` of webhook events).
pub fn booking_value(d: &BookingDetails) -> serde_json::Value {
    serde_json::to_value(BookingJson::from(d)).expect("bookings serialise")
}

impl From<&BookingDetails> for BookingJson {
    fn from(d: &BookingDetails) -> BookingJson {
        let b: &Booking = &d.booking;
        let tz = b.time_zone;
        let (sessions, production_time) = match d.history {
            Some(_) => {
                let (s, p) = sessions_json(d);
                (Some(s), p)
            }
            None => (None, None),
        };
        BookingJson {
            sessions,
            production_time,
            reservation_number: b.number.to_string(),
            status: d.shown_status().to_string(),
            completed_at: b.completed_at.map(|t| format_in(t, b.time_zone)),
            after_event: d.report.as_ref().map(|r| AfterEventJson {
                recording_links: r.recording_links.clone(),
                attendees: r.attendance_csv.as_ref().and(r.attendees),
                no_show_reason: r.no_show_reason.clone(),
                follow_up_sent_at: r.follow_up_at.map(|t| format_in(t, tz)),
            }),
            package: b.package_id.clone(),
            package_name: b.package().map(|p| p.name.clone()),
            start: format_in(b.start, tz),
            end: format_in(b.end, tz),
            time_zone: tz.name().to_string(),
            zone_abbreviation: zone_abbreviation(b.start, tz),
            duration_minutes: b.duration_minutes,
            producer_starts_at: format_in(b.window_start, tz),
            producer: d.producer.as_ref().map(|p| ProducerRef {
                name: p.name.clone(),
                email: p.email.clone(),
            }),
            coordinator: b.coordinator.as_ref().map(|c| ProducerRef {
                name: c.name.clone(),
                email: c.email.clone(),
            }),
            language: b.language.clone(),
            language_pending_confirmation: b.language_pending,
            charges: b.charges.clone(),
            cancellation_policy: b.cancellation_policy.clone(),
            contact: b.contact.clone(),
            company: b.company.clone(),
            site: b.site.clone(),
            meeting: b.meeting.clone(),
            event: b.event.clone(),
            extensions: b.extensions.clone(),
            created_at: format_in(b.created_at, tz),
            updated_at: format_in(b.updated_at, tz),
            personal_data_erased_at: b.erased_at.map(|t| format_in(t, tz)),
            cancellation: b.cancellation.as_ref().map(|c| CancellationJson {
                cancelled_at: format_in(c.cancelled_at, tz),
                by: c.by.clone(),
                reason: c.reason.clone(),
                fee: c.fee.clone(),
            }),
            history: d
                .history
                .as_ref()
                .map(|h| h.iter().map(|e| history_json(e, tz)).collect()),
        }
    }
}

/// The booking as moved, and where it was.
#[derive(Debug, Serialize, ToSchema)]
pub struct RescheduleResponse {
    pub booking: BookingJson,
    pub previous: PreviousJson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviousJson {
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
    pub time_zone: String,
}

/// The booking as cancelled, and what it cost.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancelResponse {
    pub booking: BookingJson,
    pub cancellation_fee: CancellationFee,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::{MAX_DURATION, MIN_DURATION};
    use crate::domain::properties::Gen;
    use serde_json::{json, Value};

    fn order(body: Value) -> Result<NewOrder, Vec<FieldError>> {
        serde_json::from_value::<OrderRequest>(body)
            .unwrap()
            .parse()
    }

    fn good() -> Value {
        json!({
            "contact": {"first_name": "Ana", "last_name": "Souza", "phone": "+1 555 010 2000", "email": "ana@example.com"},
            "company": "Acme", "site": "acme.webex.com", "package": "event-standard",
            "start": "2027-02-10T15:00", "time_zone": "Europe/Paris", "duration_minutes": 90,
            "meeting": {"scheduled": true, "host_id": "host-1"},
            "event": {"title": "Launch"}
        })
    }

    #[test]
    fn a_good_order_parses() {
        let o = order(good()).unwrap();
        assert_eq!(o.slot.package.id, "event-standard");
        assert_eq!(o.slot.duration_minutes, 90);
        assert_eq!(o.contact.locale, "en");
        assert_eq!(o.slot.language, "en");
        assert_eq!(o.event.language, "en");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let body = json!({"contact": {"email": "nope"}, "package": "gold", "time_zone": "Nowhere/City",
                          "start": "2027-02-10T15:00", "duration_minutes": 7, "event": {}, "site": 3});
        let errs = order(body).unwrap_err();
        let fields: Vec<_> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        for want in [
            ("contact.first_name", "required"),
            ("contact.email", "invalid_format"),
            ("company", "required"),
            ("site", "invalid_type"),
            ("package", "unknown_package"),
            ("time_zone", "invalid_time_zone"),
            ("duration_minutes", "invalid_duration"),
            ("event.title", "required"),
        ] {
            assert!(fields.contains(&want), "missing {want:?} in {fields:?}");
        }
        assert!(!fields.iter().any(|(f, _)| *f == "start"), "{fields:?}");
    }

    #[test]
    fn unknown_fields_are_named_wherever_they_are() {
        let mut body = good();
        body["producer_id"] = json!("x");
        body["contact"]["nickname"] = json!("Ana");
        body["extensions"] = json!([{"id": "consultation", "colour": "red"}]);
        let errs = order(body).unwrap_err();
        let fields: Vec<_> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("producer_id", "unknown_field"),
                ("contact.nickname", "unknown_field"),
                ("extensions[0].colour", "unknown_field")
            ]
        );
    }

    #[test]
    fn durations_are_accepted_exactly_when_whole_quarter_hours_in_range() {
        let mut g = Gen(42);
        for _ in 0..5_000 {
            let minutes = g.below(1_000) as i64 - 100;
            let body = json!({"package": "event-standard", "start": "2027-02-10T10:00", "time_zone": "Europe/Paris", "duration_minutes": minutes});
            let slot = serde_json::from_value::<AvailabilityRequest>(body)
                .unwrap()
                .parse();
            let expected = (MIN_DURATION..=MAX_DURATION).contains(&minutes) && minutes % 15 == 0;
            assert_eq!(slot.is_ok(), expected, "{minutes}");
            if let Err(errors) = slot {
                assert_eq!(errors[0].code, ProblemCode::InvalidDuration);
            }
        }
    }

    #[test]
    fn orders_of_random_text_are_refused_field_by_field_never_panicking() {
        let mut g = Gen(7);
        let fields = ["package", "start", "time_zone", "site", "company"];
        for _ in 0..3_000 {
            let mut body = json!({
                "contact": {"first_name": g.string(8), "last_name": g.string(8), "phone": g.string(12), "email": g.string(20)},
                "company": "Acme", "site": "acme.webex.com", "package": "event-standard",
                "start": "2027-02-10T10:00", "time_zone": "Europe/Paris", "duration_minutes": 60,
                "meeting": {"scheduled": true, "host_id": g.string(6)}, "event": {"title": g.string(10), "language": g.string(5)},
            });
            body[fields[g.below(fields.len() as u64) as usize]] = json!(g.string(30));
            match order(body) {
                Ok(order) => {
                    // What is accepted is clean: no control characters got through.
                    for text in [
                        &order.contact.first_name,
                        &order.contact.email,
                        &order.company,
                        &order.site,
                        &order.event.title,
                    ] {
                        assert!(
                            !text.chars().any(crate::domain::text::forbidden_char),
                            "{text:?}"
                        );
                    }
                }
                Err(errors) => {
                    assert!(!errors.is_empty());
                    assert!(
                        errors
                            .iter()
                            .all(|e| !e.field.is_empty() && !e.message.is_empty()),
                        "{errors:?}"
                    );
                }
            }
        }
    }
}
