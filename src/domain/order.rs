//! An order as the customer sends it, parsed into validated values, and its charges.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalogue::{Catalogue, Package};
use super::input::{
    element, primary_language, valid_host, valid_phone, Errors, FieldError, Fields,
};
use super::local_time::{format_in, parse_start, parse_zone, StartError};
use super::money::Money;

pub const MIN_DURATION: i64 = 15;
pub const MAX_DURATION: i64 = 12 * 60;
/// The producer starts this long before the customer's start.
pub const PREPARATION_MINUTES: i64 = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: String,
    pub locale: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub scheduled: bool,
    pub host_id: Option<String>,
    pub host_email: Option<String>,
    pub meeting_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    pub title: String,
    pub details: Option<String>,
    pub comments: Option<String>,
    /// The BCP 47 tag as asked ("en" when not given).
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone)]
pub struct OrderRequest {
    pub slot: SlotRequest,
    pub contact: Contact,
    pub company: String,
    pub site: String,
    pub meeting: Meeting,
    pub event: EventInfo,
    pub extensions: Vec<ExtensionOrder>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChargeLine {
    pub description: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Charges {
    pub lines: Vec<ChargeLine>,
    pub total: Money,
    pub note: String,
}

pub const CHARGES_NOTE: &str =
    "These are the standard charges for the support ordered. Actual charges are at your contract rate.";

/// Read `package`, `start`, `time_zone`, `duration_minutes` and a language from `fields`.
/// `language_field` says where the language lives (`language` or `event.language`).
pub fn parse_slot(
    fields: &Fields<'_>,
    errors: &mut Errors,
    language: Option<(&Fields<'_>, &str)>,
) -> Option<SlotRequest> {
    let cat = Catalogue::get();
    let package = fields
        .string(
            "package",
            errors,
            true,
            64,
            &format!("one of {}", cat.package_ids().join(", ")),
        )
        .and_then(|id| match cat.package(&id) {
            Some(p) => Some(p),
            None => {
                errors.add(
                    fields.path("package"),
                    "unknown_package",
                    format!(
                        "there is no package '{id}'; choose one of {}",
                        cat.package_ids().join(", ")
                    ),
                );
                None
            }
        });
    let tz = fields
        .string(
            "time_zone",
            errors,
            true,
            64,
            "an IANA time zone such as Europe/Paris",
        )
        .and_then(|name| match parse_zone(&name) {
            Ok(tz) => Some(tz),
            Err(msg) => {
                errors.add(fields.path("time_zone"), "invalid_time_zone", msg);
                None
            }
        });
    let zone_failed = fields.raw("time_zone").is_some() && tz.is_none();
    let start = fields
        .string(
            "start",
            errors,
            true,
            64,
            "a local time like 2026-12-10T15:00, read in time_zone",
        )
        .and_then(|s| match parse_start(&s, tz) {
            Ok(t) => Some(t),
            // The zone's own error already says what to fix.
            Err(StartError::Format(_))
                if zone_failed && super::local_time::parse_naive(&s).is_some() =>
            {
                None
            }
            Err(e) => {
                errors.add(fields.path("start"), e.code(), e.message().to_string());
                None
            }
        });
    let duration = fields
        .integer("duration_minutes", errors, true, "minutes, a multiple of 15 from 15 to 720")
        .and_then(|d| {
            if (MIN_DURATION..=MAX_DURATION).contains(&d) && d % 15 == 0 {
                Some(d)
            } else {
                errors.add(
                    fields.path("duration_minutes"),
                    "invalid_duration",
                    format!("duration_minutes must be a multiple of 15 from {MIN_DURATION} to {MAX_DURATION} (12 hours); {d} is not"),
                );
                None
            }
        });
    let language = match language {
        Some((f, key)) => f
            .string(key, errors, false, 35, "a BCP 47 language tag such as fr or pt-BR")
            .and_then(|tag| match primary_language(&tag) {
                Some(l) => Some(l),
                None => {
                    errors.add(
                        f.path(key),
                        "invalid_language",
                        format!("'{tag}' is not a BCP 47 language tag; use one such as en, fr, ja or pt-BR"),
                    );
                    None
                }
            })
            .unwrap_or_else(|| "en".to_string()),
        None => "en".to_string(),
    };
    let override_lead_time = fields
        .boolean("override_lead_time", errors, false)
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
            "start_in_past",
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
            "beyond_horizon",
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
            "lead_time",
            format!(
                "orders must be placed at least {} days before the start; the earliest start you can order now is {}. For a rush order, call your production coordinator",
                slot.package.lead_time_days,
                format_in(earliest, slot.time_zone)
            ),
        ));
    }
    Ok(())
}

/// Parse a whole order. Every problem is reported at once.
pub fn parse_order(body: &Value) -> Result<OrderRequest, Vec<FieldError>> {
    let mut errors = Errors::default();
    let root = Fields::root(body, &mut errors);

    let contact_f = root.object("contact", &mut errors, true);
    let first_name = contact_f.string(
        "first_name",
        &mut errors,
        true,
        100,
        "the contact's first name",
    );
    let last_name = contact_f.string(
        "last_name",
        &mut errors,
        true,
        100,
        "the contact's last name",
    );
    // Names are shown in e-mails to whatever address the order gives: plain words, not
    // markup or links.
    let plain_name = |name: Option<String>, key: &str, errors: &mut Errors| {
        name.filter(|n| {
            let ok = !n.contains(['<', '>']) && !n.contains("://");
            if !ok {
                errors.add(
                    contact_f.path(key),
                    "invalid_format",
                    format!(
                        "{} must be a name, without links or the characters < and >",
                        contact_f.path(key)
                    ),
                );
            }
            ok
        })
    };
    let first_name = plain_name(first_name, "first_name", &mut errors);
    let last_name = plain_name(last_name, "last_name", &mut errors);
    let phone = contact_f
        .string("phone", &mut errors, true, 40, "a phone number such as +33 1 23 45 67 89")
        .filter(|p| {
            let ok = valid_phone(p);
            if !ok {
                errors.add(
                    contact_f.path("phone"),
                    "invalid_format",
                    "contact.phone must be a phone number of 6 to 20 digits, such as +33 1 23 45 67 89",
                );
            }
            ok
        });
    let email = contact_f.email(
        "email",
        &mut errors,
        true,
        "the address for the confirmation e-mail",
    );
    let locale = contact_f
        .string("locale", &mut errors, false, 10, "en or fr")
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_else(|| "en".into());
    let locale_base = locale.split(['-', '_']).next().unwrap_or("en").to_string();
    if !["en", "fr"].contains(&locale_base.as_str()) {
        errors.add(
            "contact.locale",
            "unsupported_locale",
            format!(
                "e-mails are written in English (en) or French (fr); '{locale}' is not available"
            ),
        );
    }

    let company = root.string(
        "company",
        &mut errors,
        true,
        200,
        "the customer's company name",
    );
    let site = root
        .string("site", &mut errors, true, 253, "the meeting site's host name, such as acme.webex.com")
        .filter(|s| {
            let ok = valid_host(s);
            if !ok {
                errors.add(
                    "site",
                    "invalid_format",
                    format!("site must be the meeting site's host name, such as acme.webex.com; '{s}' is not"),
                );
            }
            ok
        })
        .map(|s| s.to_ascii_lowercase());

    let event_f = root.object("event", &mut errors, true);
    let title = event_f.string("title", &mut errors, true, 200, "the event's title");
    let details = event_f.text("details", &mut errors, false, 5000, "");
    let comments = event_f.text("comments", &mut errors, false, 5000, "");
    // Checked by parse_slot; kept here as the customer wrote it.
    let language_tag = event_f
        .raw("language")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_string());

    let slot = parse_slot(&root, &mut errors, Some((&event_f, "language")));

    // The meeting must be scheduled on the customer's site first, except where the
    // package says otherwise.
    let meeting_f = root.object("meeting", &mut errors, false);
    let scheduled = meeting_f.boolean("scheduled", &mut errors, false);
    let host_id = meeting_f.string("host_id", &mut errors, false, 100, "");
    let host_email = meeting_f.email("host_email", &mut errors, false, "");
    let meeting_number = meeting_f.string("meeting_number", &mut errors, false, 64, "");
    if let Some(pkg) = slot.as_ref().map(|s| s.package).or_else(|| {
        root.raw("package")
            .and_then(Value::as_str)
            .and_then(|id| Catalogue::get().package(id))
    }) {
        if pkg.requires_scheduled_meeting && (scheduled != Some(true) || host_id.is_none()) {
            let field = if scheduled == Some(true) {
                "meeting.host_id"
            } else {
                "meeting.scheduled"
            };
            errors.add(
                field,
                "meeting_not_scheduled",
                format!(
                    "{} needs the meeting scheduled on your site first: schedule it, then send meeting.scheduled = true with your host ID (meeting.host_id). Only event-premium can be ordered before scheduling",
                    pkg.id
                ),
            );
        }
    }

    let mut extensions = Vec::new();
    if let Some(items) = root.array("extensions", &mut errors, false) {
        let cat = Catalogue::get();
        for (i, item) in items.iter().enumerate() {
            let path = format!("extensions[{i}]");
            let f = element(item, path.clone(), &mut errors);
            let id = f.string(
                "id",
                &mut errors,
                true,
                64,
                "an extension id from GET /api/v1/packages",
            );
            let qty = f
                .integer("quantity", &mut errors, false, "a quantity from 1 to 20")
                .unwrap_or(1);
            if !(1..=20).contains(&qty) {
                errors.add(
                    format!("{path}.quantity"),
                    "invalid_quantity",
                    "quantity must be from 1 to 20",
                );
            }
            if let (Some(id), Some(slot)) = (id, slot.as_ref()) {
                let orderable = cat.orderable(slot.package);
                if cat.extensions.get(&id).is_some_and(|e| e.automatic)
                    && slot.package.extensions.contains(&id)
                {
                    errors.add(
                        format!("{path}.id"),
                        "automatic_extension",
                        format!("'{id}' is added automatically from duration_minutes; remove it from extensions"),
                    );
                } else if !orderable.contains(&id.as_str()) {
                    errors.add(
                        format!("{path}.id"),
                        "unknown_extension",
                        format!(
                            "{} cannot be ordered with {}; choose from {}",
                            id,
                            slot.package.id,
                            orderable.join(", ")
                        ),
                    );
                } else if extensions.iter().any(|e: &ExtensionOrder| e.id == id) {
                    errors.add(
                        format!("{path}.id"),
                        "duplicate_extension",
                        format!("'{id}' is listed twice; give one entry with the total quantity"),
                    );
                } else {
                    extensions.push(ExtensionOrder { id, quantity: qty });
                }
            }
        }
    }

    errors.into_result(|| OrderRequest {
        slot: slot.expect("no errors means a slot"),
        contact: Contact {
            first_name: first_name.unwrap_or_default(),
            last_name: last_name.unwrap_or_default(),
            phone: phone.unwrap_or_default(),
            email: email.unwrap_or_default(),
            locale: locale_base,
        },
        company: company.unwrap_or_default(),
        site: site.unwrap_or_default(),
        meeting: Meeting {
            scheduled: scheduled.unwrap_or(false),
            host_id,
            host_email,
            meeting_number,
        },
        event: EventInfo {
            title: title.unwrap_or_default(),
            details,
            comments,
            language: language_tag.unwrap_or_else(|| "en".into()),
        },
        extensions,
    })
}

/// Standard charges: the package's list price, extra hours beyond what it includes, and
/// the extensions ordered.
pub fn charges(package: &Package, duration_minutes: i64, extensions: &[ExtensionOrder]) -> Charges {
    let cat = Catalogue::get();
    let mut lines = vec![ChargeLine {
        description: format!(
            "{} ({}), {} minutes of live event included",
            package.name, package.seed_name, package.included_minutes
        ),
        amount: cat.money(package.base_price_minor),
    }];
    let extra_minutes = duration_minutes - package.included_minutes;
    if extra_minutes > 0 {
        let hours = (extra_minutes + 59) / 60;
        let ext = &cat.extensions["extra-hour"];
        lines.push(ChargeLine {
            description: format!("{} × {hours}", ext.name),
            amount: cat.money(ext.price_minor * hours),
        });
    }
    for e in extensions {
        let def = &cat.extensions[&e.id];
        lines.push(ChargeLine {
            description: format!("{} × {}", def.name, e.quantity),
            amount: cat.money(def.price_minor * e.quantity),
        });
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
    use serde_json::json;

    fn order() -> Value {
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
        let o = parse_order(&order()).unwrap();
        assert_eq!(o.slot.package.id, "event-standard");
        assert_eq!(o.slot.duration_minutes, 90);
        assert_eq!(o.contact.locale, "en");
        assert_eq!(o.slot.language, "en");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let body = json!({"contact": {"email": "nope"}, "package": "gold", "time_zone": "Nowhere/City",
                          "start": "2027-02-10T15:00", "duration_minutes": 7, "event": {}});
        let errs = parse_order(&body).unwrap_err();
        let fields: Vec<_> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        for want in [
            ("contact.first_name", "required"),
            ("contact.email", "invalid_format"),
            ("company", "required"),
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
        assert_eq!(c.total.amount_minor, 90000 + 2 * 20000 + 2 * 22500);
        assert_eq!(charges(p, 60, &[]).total.amount_minor, 90000);
    }

    #[test]
    fn scheduled_meeting_rule() {
        let mut body = order();
        body["meeting"] = json!({"scheduled": false});
        let errs = parse_order(&body).unwrap_err();
        assert_eq!(errs[0].code, "meeting_not_scheduled");
        body["package"] = json!("event-premium");
        assert!(parse_order(&body).is_ok());
    }
}
