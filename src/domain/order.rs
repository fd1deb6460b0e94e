//! An order as validated values: who, when, what for; the rules each part obeys; and
//! its standard charges.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::catalogue::{Catalogue, Package};
use super::error::{FieldError, ProblemCode};
use super::local_time::{format_in, parse_start, parse_zone};
use super::locale::Locale;
use super::money::Money;
use super::text::{valid_host, Problem};

/// The languages e-mails are written in.
pub const LOCALES: [&str; 2] = ["en", "fr"];

pub const MIN_DURATION: i64 = 15;
pub const MAX_DURATION: i64 = 12 * 60;
/// The producer starts this long before the customer's start.
pub const PREPARATION_MINUTES: i64 = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: String,
    pub locale: String,
}

/// Who scheduled the meeting on the customer's site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduledBy {
    /// The contact, who gives their host ID so the meeting can be found.
    #[default]
    Me,
    /// A colleague (the contact orders for them): no host ID is asked.
    SomeoneElse,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Meeting {
    pub scheduled: bool,
    #[serde(default)]
    pub scheduled_by: ScheduledBy,
    pub host_id: Option<String>,
    pub host_email: Option<String>,
    pub meeting_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventInfo {
    pub title: String,
    pub details: Option<String>,
    pub comments: Option<String>,
    /// The BCP 47 tag as asked ("en" when not given).
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExtensionOrder {
    pub id: String,
    pub quantity: i64,
}

/// When, for how long, for which package: what availability and ordering share.
#[derive(Debug, Clone)]
pub struct SlotRequest {
    pub package: &'static Package,
    pub start: DateTime<Utc>,
    pub time_zone: Tz,
    pub duration_minutes: i64,
    /// Primary language subtag ("fr"), default "en".
    pub language: String,
    pub override_lead_time: bool,
}

impl SlotRequest {
    pub fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(self.duration_minutes)
    }
}

/// An order, every part checked.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub slot: SlotRequest,
    pub contact: Contact,
    pub company: String,
    pub site: String,
    pub meeting: Meeting,
    pub event: EventInfo,
    pub extensions: Vec<ExtensionOrder>,
    /// Preparation sessions whose times were picked with the order.
    pub sessions: Vec<super::session::Pick>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChargeLine {
    /// In English; pages and e-mails write it in their reader's language from `item`.
    pub description: String,
    pub amount: Money,
    /// What the line charges for: a package or an extension id, and how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ChargeItem>,
}

/// What a charge line is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChargeItem {
    /// A package id or an extension id.
    pub id: String,
    pub quantity: i64,
}

impl ChargeLine {
    /// The line as a reader of `locale` reads it. Lines stored before lines knew their
    /// item keep their English description.
    pub fn describe(&self, locale: Locale) -> String {
        let Some(item) = &self.item else {
            return self.description.clone();
        };
        let cat = Catalogue::get();
        if let Some(p) = cat.package(&item.id) {
            return match locale {
                Locale::En => format!(
                    "{} ({}), {} minutes of live event included",
                    p.name, p.seed_name, p.included_minutes
                ),
                Locale::Fr => format!(
                    "{} ({}), {} minutes d'événement en direct incluses",
                    p.name, p.seed_name, p.included_minutes
                ),
            };
        }
        if let Some(def) = cat.extensions.get(&item.id) {
            let (name, _) = cat.extension_text(&item.id, locale);
            return match def.billed_minutes(item.quantity) {
                Some(billed) => {
                    let hm = |m: i64| match m % 60 {
                        0 => format!("{} h", m / 60),
                        r => format!("{} h {r:02}", m / 60),
                    };
                    match locale {
                        Locale::En => format!(
                            "{name}: {} ordered, {} billed",
                            hm(item.quantity * 60),
                            hm(billed)
                        ),
                        Locale::Fr => format!(
                            "{name} : {} commandée(s), {} facturée(s)",
                            hm(item.quantity * 60),
                            hm(billed)
                        ),
                    }
                }
                None => format!("{name} × {}", item.quantity),
            };
        }
        self.description.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Charges {
    pub lines: Vec<ChargeLine>,
    pub total: Money,
    pub note: String,
}

pub const CHARGES_NOTE: &str =
    "These are the standard charges for the support ordered. Actual charges are at your contract rate.";

/// The note under the charges, in `locale`.
pub fn charges_note(locale: Locale) -> &'static str {
    match locale {
        Locale::En => CHARGES_NOTE,
        Locale::Fr => "Ce sont les frais standards de l'assistance commandée. Les frais réels sont à votre taux contractuel.",
    }
}

/// The latest start that may be booked now: `horizon_days` ahead.
pub fn latest_bookable(now: DateTime<Utc>, horizon_days: i64) -> DateTime<Utc> {
    now + Duration::days(horizon_days)
}

/// When a start may be booked: never in the past, not less than the package's lead time
/// away (staff may override), and not beyond the booking horizon (`horizon_days` ahead).
pub fn check_lead_time(
    slot: &SlotRequest,
    now: DateTime<Utc>,
    staff_override: bool,
    horizon_days: i64,
) -> Result<(), FieldError> {
    if slot.start <= now {
        return Err(FieldError::new(
            "start",
            ProblemCode::StartInPast,
            format!(
                "the start {} is in the past; choose a future time",
                format_in(slot.start, slot.time_zone)
            ),
        ));
    }
    let latest = latest_bookable(now, horizon_days);
    if slot.start > latest {
        return Err(FieldError::new(
            "start",
            ProblemCode::BeyondHorizon,
            format!(
                "bookings open {horizon_days} days ahead; the latest start you can order now is {}",
                format_in(latest, slot.time_zone)
            ),
        ));
    }
    let lead = Duration::days(slot.package.lead_time_days);
    if !staff_override && slot.start - now < lead {
        let earliest = now + lead;
        return Err(FieldError::new(
            "start",
            ProblemCode::LeadTime,
            format!(
                "orders must be placed at least {} days before the start; the earliest start you can order now is {}. For a rush order, call your production coordinator",
                slot.package.lead_time_days,
                format_in(earliest, slot.time_zone)
            ),
        ));
    }
    Ok(())
}

/// The package with this id.
pub fn package(id: &str) -> Result<&'static Package, Problem> {
    let cat = Catalogue::get();
    cat.package(id).ok_or_else(|| {
        (
            ProblemCode::UnknownPackage,
            format!(
                "there is no package '{id}'; choose one of {}",
                cat.package_ids().join(", ")
            ),
        )
    })
}

/// An IANA zone name, in any case.
pub fn zone(name: &str) -> Result<Tz, Problem> {
    parse_zone(name).map_err(|m| (ProblemCode::InvalidTimeZone, m))
}

/// A start: an RFC 3339 instant, or a local time in `tz` (see `parse_start`).
pub fn start(s: &str, tz: Option<Tz>) -> Result<DateTime<Utc>, Problem> {
    parse_start(s, tz).map_err(|e| (e.code(), e.message().to_string()))
}

/// Minutes of live event: a multiple of 15 from 15 to 12 hours.
pub fn duration(minutes: i64) -> Result<i64, Problem> {
    if (MIN_DURATION..=MAX_DURATION).contains(&minutes) && minutes % 15 == 0 {
        Ok(minutes)
    } else {
        Err((
            ProblemCode::InvalidDuration,
            format!("duration_minutes must be a multiple of 15 from {MIN_DURATION} to {MAX_DURATION} (12 hours); {minutes} is not"),
        ))
    }
}

/// The language e-mails are written in: `en` or `fr` (a region is ignored).
pub fn locale(tag: &str) -> Result<String, Problem> {
    let lower = tag.to_ascii_lowercase();
    let base = lower.split(['-', '_']).next().unwrap_or("en").to_string();
    if LOCALES.contains(&base.as_str()) {
        Ok(base)
    } else {
        Err((
            ProblemCode::UnsupportedLocale,
            format!(
                "e-mails are written in English (en) or French (fr); '{lower}' is not available"
            ),
        ))
    }
}

/// The customer's meeting site: a host name such as acme.webex.com, in lower case.
pub fn site(s: &str) -> Result<String, Problem> {
    if valid_host(s) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err((
            ProblemCode::InvalidFormat,
            format!(
                "site must be the meeting site's host name, such as acme.webex.com; '{s}' is not"
            ),
        ))
    }
}

/// The scheduled-meeting rule: except for packages that do not require it, the meeting
/// must be scheduled on the customer's site first, and when the customer scheduled it
/// themselves their host ID is needed to find it. Someone else's meeting (ordering for a
/// colleague) needs no host ID. Returns the field at fault and its problem.
pub fn check_meeting(package: &Package, meeting: &Meeting) -> Result<(), (&'static str, Problem)> {
    let problem = |field, why: String| Err((field, (ProblemCode::MeetingNotScheduled, why)));
    if !package.requires_scheduled_meeting {
        return Ok(());
    }
    if !meeting.scheduled {
        return problem(
            "meeting.scheduled",
            format!(
                "{} needs the meeting scheduled on your site first: schedule it, then send meeting.scheduled = true with your host ID (meeting.host_id). Only event-premium can be ordered before scheduling",
                package.id
            ),
        );
    }
    if meeting.scheduled_by == ScheduledBy::Me && meeting.host_id.is_none() {
        return problem(
            "meeting.host_id",
            format!(
                "{} needs the host ID of the meeting you scheduled (meeting.host_id); if someone else scheduled it, send meeting.scheduled_by = \"someone_else\"",
                package.id
            ),
        );
    }
    Ok(())
}

/// An extension ordered with `package`: one the customer may order (not one added from
/// the duration), once, in a quantity from 1 to 20. Returns the sub-field at fault.
pub fn check_extension(
    package: &Package,
    id: &str,
    quantity: i64,
    already: &[ExtensionOrder],
) -> Result<ExtensionOrder, (&'static str, Problem)> {
    let cat = Catalogue::get();
    let orderable = cat.orderable(package);
    if !(1..=20).contains(&quantity) {
        return Err((
            "quantity",
            (
                ProblemCode::InvalidQuantity,
                "quantity must be from 1 to 20".into(),
            ),
        ));
    }
    if cat.extensions.get(id).is_some_and(|e| e.automatic)
        && package.extensions.iter().any(|e| e == id)
    {
        return Err((
            "id",
            (
                ProblemCode::AutomaticExtension,
                format!("'{id}' is added automatically from duration_minutes; remove it from extensions"),
            ),
        ));
    }
    if !orderable.contains(&id) {
        return Err((
            "id",
            (
                ProblemCode::UnknownExtension,
                format!(
                    "{id} cannot be ordered with {}; choose from {}",
                    package.id,
                    orderable.join(", ")
                ),
            ),
        ));
    }
    if already.iter().any(|e| e.id == id) {
        return Err((
            "id",
            (
                ProblemCode::DuplicateExtension,
                format!("'{id}' is listed twice; give one entry with the total quantity"),
            ),
        ));
    }
    Ok(ExtensionOrder {
        id: id.to_string(),
        quantity,
    })
}

/// Standard charges: the package's list price, extra hours beyond what it includes, and
/// the extensions ordered.
pub fn charges(package: &Package, duration_minutes: i64, extensions: &[ExtensionOrder]) -> Charges {
    let cat = Catalogue::get();
    let line = |id: &str, quantity: i64, amount_minor: i64| {
        let mut line = ChargeLine {
            description: String::new(),
            amount: cat.money(amount_minor),
            item: Some(ChargeItem {
                id: id.to_string(),
                quantity,
            }),
        };
        line.description = line.describe(Locale::En);
        line
    };
    let mut lines = vec![line(&package.id, 1, package.base_price_minor)];
    let extra_minutes = duration_minutes - package.included_minutes;
    if extra_minutes > 0 {
        let hours = (extra_minutes + 59) / 60;
        let ext = &cat.extensions["extra-hour"];
        lines.push(line("extra-hour", hours, ext.price_minor * hours));
    }
    for e in extensions {
        let def = &cat.extensions[&e.id];
        lines.push(line(&e.id, e.quantity, def.price_of(e.quantity)));
    }
    let total = cat.money(lines.iter().map(|l| l.amount.amount_minor).sum());
    Charges {
        lines,
        total,
        note: CHARGES_NOTE.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_add_extra_hours_and_extensions() {
        let cat = Catalogue::get();
        let p = cat.package("event-standard").unwrap();
        let c = charges(
            p,
            150,
            &[ExtensionOrder {
                id: "consultation".into(),
                quantity: 2,
            }],
        );
        assert_eq!(c.lines.len(), 3);
        // Consultation is hourly with 1 h 30 minimum: 2 h bill 2 h (150.00 an hour).
        assert_eq!(c.total.amount_minor, 90000 + 2 * 20000 + 2 * 15000);
        assert_eq!(
            c.lines[2].description,
            "Consultation (billed hourly, 1h30 minimum): 2 h ordered, 2 h billed"
        );
        assert_eq!(charges(p, 60, &[]).total.amount_minor, 90000);
    }

    #[test]
    fn hourly_extensions_bill_at_least_their_minimum() {
        let p = Catalogue::get().package("event-standard").unwrap();
        let billed = |id: &str, quantity| {
            let c = charges(
                p,
                60,
                &[ExtensionOrder {
                    id: id.into(),
                    quantity,
                }],
            );
            (
                c.lines[1].amount.amount_minor,
                c.lines[1].describe(Locale::Fr),
            )
        };
        let (one, said) = billed("rehearsal", 1);
        assert_eq!(one, 22500, "1 h ordered bills the 1 h 30 minimum");
        assert!(
            said.ends_with(": 1 h commandée(s), 1 h 30 facturée(s)"),
            "{said}"
        );
        assert_eq!(billed("rehearsal", 3).0, 45000);
        // Sold by the unit: as many as ordered.
        assert_eq!(billed("additional-editing", 2).0, 24000);
    }

    #[test]
    fn scheduled_meeting_rule() {
        let cat = Catalogue::get();
        let standard = cat.package("event-standard").unwrap();
        let premium = cat.package("event-premium").unwrap();
        let meeting = |scheduled, scheduled_by, host: Option<&str>| Meeting {
            scheduled,
            scheduled_by,
            host_id: host.map(String::from),
            host_email: None,
            meeting_number: None,
        };
        let not_yet = meeting(false, ScheduledBy::Me, None);
        let (field, (code, _)) = check_meeting(standard, &not_yet).unwrap_err();
        assert_eq!(
            (field, code),
            ("meeting.scheduled", ProblemCode::MeetingNotScheduled)
        );
        assert!(check_meeting(premium, &not_yet).is_ok());
        let mine_without_host = meeting(true, ScheduledBy::Me, None);
        assert_eq!(
            check_meeting(standard, &mine_without_host).unwrap_err().0,
            "meeting.host_id"
        );
        assert!(check_meeting(standard, &meeting(true, ScheduledBy::Me, Some("h"))).is_ok());
        assert!(check_meeting(standard, &meeting(true, ScheduledBy::SomeoneElse, None)).is_ok());
    }

    #[test]
    fn durations_locales_sites() {
        assert_eq!(duration(90), Ok(90));
        assert_eq!(duration(7).unwrap_err().0, ProblemCode::InvalidDuration);
        assert_eq!(duration(735).unwrap_err().0, ProblemCode::InvalidDuration);
        assert_eq!(locale("fr-CA"), Ok("fr".to_string()));
        assert_eq!(locale("de").unwrap_err().0, ProblemCode::UnsupportedLocale);
        assert_eq!(site("Acme.Webex.com"), Ok("acme.webex.com".to_string()));
        assert!(site("https://acme.webex.com").is_err());
    }
}
