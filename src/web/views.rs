//! What pages show of the catalogue and of a booking, in the reader's language: views
//! built for the page (never the database row), like the e-mails'.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::booking::CancellationFee;
use crate::domain::booking::{BookingDetails, EventKind};
use crate::domain::catalogue::{Catalogue, Package};
pub use crate::domain::locale::language_name;
use crate::domain::locale::{Locale, LANGUAGES};
use crate::domain::order::charges;
use crate::email::format::{self, When};
use crate::email::{charges_view, policy_lines, ChargesView, PolicyLine};

use super::i18n::say;

pub fn language_choices(locale: Locale) -> Vec<(String, String)> {
    LANGUAGES
        .iter()
        .map(|(tag, _, _)| (tag.to_string(), language_name(tag, locale)))
        .collect()
}

/// "1 h 30" and the like, for every duration a customer may order.
pub fn duration_choices(locale: Locale) -> Vec<(String, String)> {
    (1..=48)
        .map(|q| q * 15)
        .map(|m| (m.to_string(), format::duration(m, locale.as_str())))
        .collect()
}

pub fn package_choices(locale: Locale) -> Vec<(String, String)> {
    let _ = locale;
    Catalogue::get()
        .packages
        .iter()
        .map(|p| (p.id.clone(), format!("{} ({})", p.name, p.seed_name)))
        .collect()
}

/// A cell of the comparison: what a package offers of a service or an extension.
#[derive(Debug, Serialize)]
pub struct Cell {
    /// `included`, `optional` or `none`.
    pub kind: &'static str,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Serialize)]
pub struct PackageColumn {
    pub id: String,
    pub name: String,
    pub seed_name: String,
    pub description: String,
    pub price: String,
    pub lead_time: String,
    pub scheduled_first: String,
}

/// The comparison of the four packages: a column each, a row per service, then a row
/// per extension, with standard prices.
#[derive(Debug, Serialize)]
pub struct Comparison {
    pub packages: Vec<PackageColumn>,
    pub services: Vec<Row>,
    pub extensions: Vec<Row>,
}

/// An extension's price for its unit, with its minimum when sold by time.
fn price_per_unit(
    def: &crate::domain::catalogue::ExtensionDef,
    unit: &str,
    locale: Locale,
) -> String {
    let money = locale.money(&Catalogue::get().money(def.price_minor));
    let price = say(locale, "per_unit", &[("price", &money), ("unit", unit)]);
    match def.minimum_minutes {
        Some(min) => say(
            locale,
            "per_unit_minimum",
            &[
                ("price", &price),
                (
                    "minimum",
                    &crate::email::format::duration(min, locale.as_str()),
                ),
            ],
        ),
        None => price,
    }
}

pub fn comparison(locale: Locale) -> Comparison {
    let cat = Catalogue::get();
    let packages = cat
        .packages
        .iter()
        .map(|p| PackageColumn {
            id: p.id.clone(),
            name: p.name.clone(),
            seed_name: p.seed_name.clone(),
            description: cat.package_description(p, locale).to_string(),
            price: say(
                locale,
                "price_from",
                &[
                    ("price", &locale.money(&cat.money(p.base_price_minor))),
                    (
                        "duration",
                        &format::duration(p.included_minutes, locale.as_str()),
                    ),
                ],
            ),
            lead_time: say(
                locale,
                "lead_time_days",
                &[("days", &p.lead_time_days.to_string())],
            ),
            scheduled_first: say(
                locale,
                if p.requires_scheduled_meeting {
                    "scheduled_first_yes"
                } else {
                    "scheduled_first_no"
                },
                &[],
            ),
        })
        .collect();
    // Services in the order the packages list them, not the data file's key order.
    let mut ids: Vec<&String> = vec![];
    for p in cat.packages.iter().rev() {
        for id in p.included.iter().chain(&p.optional) {
            if !ids.contains(&id) && cat.services.contains_key(id) {
                ids.push(id);
            }
        }
    }
    let services = ids
        .into_iter()
        .map(|id| Row {
            label: cat.service_text(id, locale).to_string(),
            cells: cat
                .packages
                .iter()
                .map(|p| service_cell(p, id, locale))
                .collect(),
        })
        .collect();
    let extensions = cat
        .extensions
        .iter()
        .filter(|(id, _)| !cat.services.contains_key(*id))
        .map(|(id, def)| {
            let (name, unit) = cat.extension_text(id, locale);
            Row {
                label: name.to_string(),
                cells: cat
                    .packages
                    .iter()
                    .map(|p| {
                        if p.extensions.contains(id) {
                            Cell {
                                kind: "optional",
                                text: price_per_unit(def, unit, locale),
                            }
                        } else {
                            Cell {
                                kind: "none",
                                text: say(locale, "not_offered", &[]),
                            }
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    Comparison {
        packages,
        services,
        extensions,
    }
}

fn service_cell(p: &Package, id: &str, locale: Locale) -> Cell {
    let cat = Catalogue::get();
    if p.included.iter().any(|s| s == id) {
        return Cell {
            kind: "included",
            text: say(locale, "included", &[]),
        };
    }
    if p.optional.iter().chain(&p.extensions).any(|s| s == id) {
        if let Some(def) = cat.extensions.get(id) {
            let (_, unit) = cat.extension_text(id, locale);
            return Cell {
                kind: "optional",
                text: say(
                    locale,
                    "optional_at",
                    &[("price", &price_per_unit(def, unit, locale))],
                ),
            };
        }
    }
    Cell {
        kind: "none",
        text: say(locale, "not_offered", &[]),
    }
}

/// The charges an order would have (no extensions), for the last step's summary.
pub fn planned_charges(package: &Package, duration_minutes: i64, locale: Locale) -> ChargesView {
    charges_view(&charges(package, duration_minutes, &[]), locale)
}

/// "Wednesday 10 February 2027, 10:00–11:00 (Europe/Paris)" and its parts.
pub fn when(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, locale: Locale) -> When {
    format::when(start, end, tz, locale.as_str())
}

#[derive(Debug, Serialize)]
pub struct HistoryLine {
    pub at: String,
    pub text: String,
    /// Who did it, as staff pages show it: the customer, a staff member's name, or the
    /// service.
    pub by: String,
}

/// "the customer", a staff member's name, or "the service" (a stored actor).
pub fn actor_name(actor: &str, locale: Locale) -> String {
    match actor.split_once(':') {
        Some(("staff", name)) => name.to_string(),
        Some(("service", _)) => say(locale, "actor_service", &[]),
        _ if actor == "customer" => say(locale, "actor_customer", &[]),
        _ => actor.to_string(),
    }
}

/// "450.00 USD (50%)".
pub fn fee_line(fee: &CancellationFee, locale: Locale) -> String {
    say(
        locale,
        "fee_line",
        &[
            ("fee", &locale.money(&fee.amount)),
            ("percent", &fee.fee_percent.to_string()),
        ],
    )
}

/// A booking as the customer's pages show it.
#[derive(Debug, Serialize)]
pub struct BookingView {
    pub number: String,
    pub cancelled: bool,
    /// Neither cancelled nor taken place: it can still be moved or cancelled.
    pub changeable: bool,
    pub status: String,
    pub package_name: String,
    pub when: When,
    pub duration: String,
    pub producer_starts: String,
    pub producer: Option<String>,
    /// "Name <e-mail>" of the coordinator, when someone coordinates.
    pub coordinator: Option<String>,
    pub title: String,
    pub details: Option<String>,
    pub comments: Option<String>,
    pub company: String,
    pub site: String,
    pub contact_name: String,
    pub contact_email: String,
    pub language: String,
    pub language_pending: bool,
    pub meeting: String,
    pub charges: ChargesView,
    pub policy: Vec<PolicyLine>,
    /// The policy's rules as sentences.
    pub policy_lines: Vec<String>,
    pub fee: Option<String>,
    pub history: Vec<HistoryLine>,
    /// After the event: where to watch the recording, and the attendance report's size.
    pub recording_links: Vec<String>,
    pub attendance: Option<String>,
    /// The preparation sessions it includes, with their times once picked.
    pub sessions: Vec<SessionLine>,
    /// On Event Center Premium: how much of the production time is used.
    pub production: Option<String>,
}

/// A preparation session as pages show it.
#[derive(Debug, Serialize)]
pub struct SessionLine {
    pub name: String,
    pub label: String,
    pub length: String,
    pub minutes: i64,
    /// "Monday 8 February 2027, 10:00–11:00" once picked.
    pub when: Option<String>,
    /// The picked time in the booking's zone, for the form.
    pub date: String,
    pub time: String,
}

/// The sessions a booking includes, and its production time's use, in `locale`.
fn sessions_view(d: &BookingDetails, locale: Locale) -> (Vec<SessionLine>, Option<String>) {
    use crate::domain::session::hours_text;
    let b = &d.booking;
    let tz = b.time_zone;
    let overview = b.sessions(&d.sessions);
    let lines = overview
        .sessions
        .iter()
        .map(|p| {
            let local = p.picked.map(|s| s.start.with_timezone(&tz));
            SessionLine {
                name: p.entitlement.name.clone(),
                label: p.entitlement.kind.label(locale.as_str()).to_string(),
                length: hours_text(p.minutes()),
                minutes: p.minutes(),
                when: p.picked.map(|s| {
                    let w = when(s.start, s.end, tz, locale);
                    format!("{}, {}–{}", w.date, w.start, w.end)
                }),
                date: local
                    .map(|l| l.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                time: local
                    .map(|l| l.format("%H:%M").to_string())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let production = overview.production.map(|p| {
        say(
            locale,
            "production_time",
            &[
                ("used", &hours_text(p.used)),
                ("included", &hours_text(p.included)),
                ("left", &hours_text((p.included - p.used).max(0))),
            ],
        )
    });
    (lines, production)
}

/// The session a line of history is about, in the reader's words.
fn session_label(h: &crate::domain::booking::HistoryEvent, locale: Locale) -> String {
    let name = h
        .detail
        .as_ref()
        .and_then(|d| d.session.as_deref())
        .unwrap_or_default();
    crate::domain::session::SessionKind::of_name(name)
        .map(|k| k.label(locale.as_str()).to_string())
        .unwrap_or_else(|| name.to_string())
}

pub fn booking(d: &BookingDetails, locale: Locale) -> BookingView {
    let b = &d.booking;
    let tz = b.time_zone;
    let at = |t: DateTime<Utc>| {
        format!(
            "{} {}",
            format::date(t, tz, locale.as_str()),
            format::time(t, tz)
        )
    };
    let span = |(s, e): (DateTime<Utc>, DateTime<Utc>)| {
        let w = when(s, e, tz, locale);
        format!("{}, {}–{}", w.date, w.start, w.end)
    };
    let history = d
        .history
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|h| HistoryLine {
            at: at(h.at),
            by: actor_name(&h.actor, locale),
            text: match h.kind {
                EventKind::Created => say(locale, "history_created", &[]),
                EventKind::Rescheduled => match (h.old, h.new) {
                    (Some(old), Some(new)) => say(
                        locale,
                        "history_moved",
                        &[("old", &span(old)), ("new", &span(new))],
                    ),
                    _ => say(locale, "history_moved_short", &[]),
                },
                EventKind::ProducerChanged => say(locale, "history_producer", &[]),
                EventKind::Cancelled => say(locale, "history_cancelled", &[]),
                EventKind::PersonalDataErased => say(locale, "history_erased", &[]),
                EventKind::Amended => say(locale, "history_amended", &[]),
                EventKind::Completed => say(locale, "history_completed", &[]),
                EventKind::FollowUpSent => say(locale, "history_follow_up", &[]),
                EventKind::NoShow => say(locale, "history_no_show", &[]),
                EventKind::SessionScheduled | EventKind::SessionRemoved => {
                    let session = session_label(h, locale);
                    match (h.kind, h.old, h.new) {
                        (EventKind::SessionScheduled, Some(old), Some(new)) => say(
                            locale,
                            "history_session_moved",
                            &[
                                ("session", &session),
                                ("old", &span(old)),
                                ("new", &span(new)),
                            ],
                        ),
                        (EventKind::SessionScheduled, _, Some(new)) => say(
                            locale,
                            "history_session_scheduled",
                            &[("session", &session), ("new", &span(new))],
                        ),
                        (_, old, _) => say(
                            locale,
                            "history_session_removed",
                            &[
                                ("session", &session),
                                ("old", &old.map(span).unwrap_or_default()),
                            ],
                        ),
                    }
                }
            },
        })
        .collect();
    let meeting = if !b.meeting.scheduled {
        say(locale, "meeting_not_yet", &[])
    } else if b.meeting.scheduled_by == crate::domain::order::ScheduledBy::SomeoneElse {
        say(locale, "meeting_someone_else", &[])
    } else {
        say(
            locale,
            "meeting_mine",
            &[("host", b.meeting.host_id.as_deref().unwrap_or(""))],
        )
    };
    let (sessions, production) = sessions_view(d, locale);
    BookingView {
        sessions,
        production,
        number: b.number.to_string(),
        cancelled: b.is_cancelled(),
        changeable: !b.is_cancelled() && b.completed_at.is_none(),
        recording_links: d
            .report
            .as_ref()
            .map(|r| r.recording_links.clone())
            .unwrap_or_default(),
        attendance: d
            .report
            .as_ref()
            .filter(|r| r.follow_up_at.is_some() && r.attendance_csv.is_some())
            .and_then(|r| r.attendees)
            .map(|n| say(locale, "attendance_count", &[("count", &n.to_string())])),
        status: say(locale, &format!("status_{}", d.shown_status()), &[]),
        package_name: b
            .package()
            .map(|p| format!("{} ({})", p.name, p.seed_name))
            .unwrap_or_else(|| b.package_id.clone()),
        when: when(b.start, b.end, tz, locale),
        duration: format::duration(b.duration_minutes, locale.as_str()),
        producer_starts: format::time(b.window_start, tz),
        producer: d
            .producer
            .as_ref()
            .map(|p| format!("{} <{}>", p.name, p.email)),
        coordinator: b
            .coordinator
            .as_ref()
            .map(|c| format!("{} <{}>", c.name, c.email)),
        title: b.event.title.clone(),
        details: b.event.details.clone(),
        comments: b.event.comments.clone(),
        company: b.company.clone(),
        site: b.site.clone(),
        contact_name: format!("{} {}", b.contact.first_name, b.contact.last_name),
        contact_email: b.contact.email.clone(),
        language: language_name(&b.language, locale),
        language_pending: b.language_pending,
        meeting,
        charges: charges_view(&b.charges, locale),
        policy_lines: policy_lines(&b.cancellation_policy, &b.charges.total, locale)
            .iter()
            .map(|p| {
                say(
                    locale,
                    "policy_line",
                    &[
                        ("when", &p.when),
                        ("percent", &p.percent.to_string()),
                        ("fee", &p.fee),
                    ],
                )
            })
            .collect(),
        policy: policy_lines(&b.cancellation_policy, &b.charges.total, locale),
        fee: b.cancellation.as_ref().map(|c| fee_line(&c.fee, locale)),
        history,
    }
}
