//! Preparation sessions: the producer's time before the live event that a package
//! includes or the customer orders (the scheduling call, consultation, rehearsal). Each
//! one the booking is entitled to has a name (`rehearsal`, `rehearsal-2`, …) and a
//! length; once the customer picks its time it is an assignment of the producer's, which
//! availability and the no-double-booking rule cover like the live event.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::catalogue::Package;
use super::error::ProblemCode;
use super::order::{ExtensionOrder, PREPARATION_MINUTES};

type Problem = (ProblemCode, String);

/// What kind of preparation a session is (its name without a number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SessionKind {
    SchedulingCall,
    Consultation,
    Rehearsal,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::SchedulingCall => "scheduling-call",
            SessionKind::Consultation => "consultation",
            SessionKind::Rehearsal => "rehearsal",
        }
    }

    /// The session's name in `locale` (en or fr), for pages and e-mails.
    pub fn label(self, locale: &str) -> &'static str {
        match (self, locale) {
            (SessionKind::SchedulingCall, "fr") => "Appel de planification",
            (SessionKind::Consultation, "fr") => "Consultation",
            (SessionKind::Rehearsal, "fr") => "Répétition",
            (SessionKind::SchedulingCall, _) => "Scheduling call",
            (SessionKind::Consultation, _) => "Consultation",
            (SessionKind::Rehearsal, _) => "Rehearsal",
        }
    }
}

impl SessionKind {
    /// The kind a session's name stands for (`rehearsal-2` is a rehearsal).
    pub fn of_name(name: &str) -> Option<SessionKind> {
        let base = match name.rsplit_once('-') {
            Some((base, n)) if n.parse::<u32>().is_ok() => base,
            _ => name,
        };
        [
            SessionKind::SchedulingCall,
            SessionKind::Consultation,
            SessionKind::Rehearsal,
        ]
        .into_iter()
        .find(|k| k.as_str() == base)
    }
}

/// A session whose time is picked: an assignment of the producer's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    pub id: String,
    pub booking_id: String,
    /// The entitlement's name (`rehearsal-2`).
    pub name: String,
    pub producer_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub cancelled: bool,
}

impl Scheduled {
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

/// A session is reminded the day before, to the contact and to its producer. The
/// reminders' kinds name the session: `session-contact:rehearsal`,
/// `session-producer:rehearsal`.
pub const REMINDER_AHEAD: Duration = Duration::hours(24);
pub const CONTACT_REMINDER: &str = "session-contact:";
pub const PRODUCER_REMINDER: &str = "session-producer:";

/// The kinds of a session's two reminders.
pub fn reminder_kinds(name: &str) -> [String; 2] {
    [
        format!("{CONTACT_REMINDER}{name}"),
        format!("{PRODUCER_REMINDER}{name}"),
    ]
}

/// A session's reminders still to come from `now`, with when each is due.
pub fn reminders_of(session: &Scheduled, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
    let due = session.start - REMINDER_AHEAD;
    if due <= now || session.cancelled {
        return vec![];
    }
    reminder_kinds(&session.name)
        .into_iter()
        .map(|k| (k, due))
        .collect()
}

/// The session a reminder's kind names, and whether it goes to the producer.
pub fn parse_reminder(kind: &str) -> Option<(&str, bool)> {
    if let Some(name) = kind.strip_prefix(CONTACT_REMINDER) {
        Some((name, false))
    } else {
        kind.strip_prefix(PRODUCER_REMINDER)
            .map(|name| (name, true))
    }
}

/// A session's time picked with the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub name: String,
    pub start: DateTime<Utc>,
    pub minutes: Option<i64>,
}

/// Sessions take place at least this long after they are picked: the producer's notice
/// (content sharing needs 24 hours for tests, and so does a rehearsal). Staff may book
/// sooner.
pub const NOTICE: Duration = Duration::hours(24);
/// Event Center Premium's sessions: from 15 minutes to 3 hours, in steps of 15.
pub const MIN_MINUTES: i64 = 15;
pub const MAX_MINUTES: i64 = 180;

/// A session the booking is entitled to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    /// Its name in the booking: the kind, numbered from the second on (`rehearsal-2`).
    pub name: String,
    pub kind: SessionKind,
    /// Its length unless the customer chooses one (see `choose_minutes`).
    pub minutes: i64,
}

/// The sessions a booking of `package` with `extensions` includes, in the order they
/// usually happen: included services first (the scheduling call 15 minutes, consultation
/// and rehearsal up to 1 hour each), then ordered ones (consultation and rehearsal as
/// many hours as ordered, each additional rehearsal 1 h 30).
pub fn entitlements(package: &Package, extensions: &[ExtensionOrder]) -> Vec<Entitlement> {
    let mut out: Vec<Entitlement> = Vec::new();
    let mut add = |kind: SessionKind, minutes: i64| {
        let n = out.iter().filter(|e| e.kind == kind).count();
        let name = if n == 0 {
            kind.as_str().to_string()
        } else {
            format!("{}-{}", kind.as_str(), n + 1)
        };
        out.push(Entitlement {
            name,
            kind,
            minutes,
        });
    };
    let included = |s: &str| package.included.iter().any(|i| i == s);
    if included("scheduling-call") {
        add(SessionKind::SchedulingCall, 15);
    }
    for kind in [SessionKind::Consultation, SessionKind::Rehearsal] {
        if included(kind.as_str()) {
            add(kind, 60);
        } else if let Some(e) = extensions.iter().find(|e| e.id == kind.as_str()) {
            add(kind, e.quantity.clamp(1, MAX_MINUTES / 60) * 60);
        }
    }
    if let Some(e) = extensions.iter().find(|e| e.id == "additional-rehearsal") {
        for _ in 0..e.quantity {
            add(SessionKind::Rehearsal, 90);
        }
    }
    out
}

/// A session the booking includes, with its time once picked.
#[derive(Debug, Clone)]
pub struct Planned<'a> {
    pub entitlement: Entitlement,
    pub picked: Option<&'a Scheduled>,
}

impl Planned<'_> {
    /// Its length: as picked, else as included.
    pub fn minutes(&self) -> i64 {
        self.picked
            .map_or(self.entitlement.minutes, Scheduled::minutes)
    }
}

/// Production time: what the package includes, and what the live event (with its
/// preparation) and the picked sessions use of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Production {
    pub included: i64,
    pub used: i64,
}

/// What pages, e-mails and the API show of a booking's sessions.
#[derive(Debug, Clone)]
pub struct Overview<'a> {
    pub sessions: Vec<Planned<'a>>,
    pub production: Option<Production>,
}

/// The sessions a booking of `package` includes, each with its time among `scheduled`
/// once picked, and its production time when the package has one.
pub fn overview<'a>(
    package: &Package,
    duration_minutes: i64,
    extensions: &[ExtensionOrder],
    scheduled: &'a [Scheduled],
) -> Overview<'a> {
    let sessions: Vec<Planned<'a>> = entitlements(package, extensions)
        .into_iter()
        .map(|entitlement| Planned {
            picked: scheduled
                .iter()
                .find(|s| s.name == entitlement.name && !s.cancelled),
            entitlement,
        })
        .collect();
    let production = production_minutes(package, duration_minutes).map(|included| Production {
        included,
        used: live_minutes(duration_minutes)
            + sessions
                .iter()
                .filter(|p| p.picked.is_some())
                .map(Planned::minutes)
                .sum::<i64>(),
    });
    Overview {
        sessions,
        production,
    }
}

/// The package's production time for an event of `duration_minutes` (Event Center
/// Premium: 6 h 30 for a one-hour event; each hour beyond the first adds itself), or
/// none for packages without one.
pub fn production_minutes(package: &Package, duration_minutes: i64) -> Option<i64> {
    package
        .production_minutes
        .map(|p| p + (duration_minutes - package.included_minutes).max(0))
}

/// Minutes of production time the live event takes: its window, preparation included.
pub fn live_minutes(duration_minutes: i64) -> i64 {
    duration_minutes + PREPARATION_MINUTES
}

/// The length a session gets: its entitlement's, or on a package with production time
/// the customer's choice (15 minutes to 3 hours, in steps of 15), as long as the live
/// event and every session fit in it. `others` are the minutes of the booking's other
/// scheduled sessions.
pub fn choose_minutes(
    package: &Package,
    duration_minutes: i64,
    entitlement: &Entitlement,
    asked: Option<i64>,
    others: i64,
) -> Result<i64, Problem> {
    let Some(budget) = production_minutes(package, duration_minutes) else {
        return match asked {
            Some(m) if m != entitlement.minutes => Err((
                ProblemCode::InvalidSessionLength,
                format!(
                    "this package's {} lasts {} minutes; leave minutes out or send {}",
                    entitlement.name, entitlement.minutes, entitlement.minutes
                ),
            )),
            _ => Ok(entitlement.minutes),
        };
    };
    let minutes = asked.unwrap_or(entitlement.minutes);
    if !(MIN_MINUTES..=MAX_MINUTES).contains(&minutes) || minutes % 15 != 0 {
        return Err((
            ProblemCode::InvalidSessionLength,
            format!("minutes must be a multiple of 15 from {MIN_MINUTES} to {MAX_MINUTES} (3 hours); {minutes} is not"),
        ));
    }
    let used = live_minutes(duration_minutes) + others;
    if used + minutes > budget {
        return Err((
            ProblemCode::ProductionTimeExceeded,
            format!(
                "the package includes {} of production time; the live event and the other sessions take {}, so this session can last at most {} minutes",
                hours_text(budget),
                hours_text(used),
                (budget - used).max(0)
            ),
        ));
    }
    Ok(minutes)
}

/// "6 h 30", "1 h", "45 min".
pub fn hours_text(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}

/// Check a session's time: it starts at least `NOTICE` after `now` (unless staff book
/// it) and ends before the producer's preparation for the event begins.
pub fn check_time(
    start: DateTime<Utc>,
    minutes: i64,
    event_window_start: DateTime<Utc>,
    now: DateTime<Utc>,
    staff: bool,
) -> Result<(), Problem> {
    let end = start + Duration::minutes(minutes);
    let earliest = if staff { now } else { now + NOTICE };
    if start < earliest {
        return Err((
            ProblemCode::SessionNotice,
            if staff {
                "the session's start is in the past".to_string()
            } else {
                "a session starts at least 24 hours from now (the producer's notice); pick a later time".to_string()
            },
        ));
    }
    if end > event_window_start {
        return Err((
            ProblemCode::SessionTime,
            format!(
                "a session ends before the producer's preparation for the event begins (30 minutes before its start, {}); pick an earlier time",
                event_window_start.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalogue::Catalogue;
    use chrono::TimeZone;

    fn package(id: &str) -> &'static Package {
        Catalogue::get().package(id).unwrap()
    }

    fn names(e: &[Entitlement]) -> Vec<(&str, i64)> {
        e.iter().map(|e| (e.name.as_str(), e.minutes)).collect()
    }

    #[test]
    fn packages_include_their_sessions_and_orders_add_theirs() {
        assert!(entitlements(package("meeting-premium"), &[]).is_empty());
        assert_eq!(
            names(&entitlements(package("training-premium"), &[])),
            [("scheduling-call", 15)]
        );
        let ordered = [
            ExtensionOrder {
                id: "rehearsal".into(),
                quantity: 2,
            },
            ExtensionOrder {
                id: "consultation".into(),
                quantity: 1,
            },
        ];
        assert_eq!(
            names(&entitlements(package("event-standard"), &ordered)),
            [
                ("scheduling-call", 15),
                ("consultation", 60),
                ("rehearsal", 120)
            ]
        );
        let more = [ExtensionOrder {
            id: "additional-rehearsal".into(),
            quantity: 2,
        }];
        assert_eq!(
            names(&entitlements(package("event-premium"), &more)),
            [
                ("scheduling-call", 15),
                ("consultation", 60),
                ("rehearsal", 60),
                ("rehearsal-2", 90),
                ("rehearsal-3", 90)
            ]
        );
    }

    #[test]
    fn premium_sessions_fit_in_six_hours_thirty() {
        let p = package("event-premium");
        assert_eq!(production_minutes(p, 60), Some(390));
        assert_eq!(production_minutes(p, 120), Some(450));
        let rehearsal = &entitlements(p, &[])[2];
        // Live window 1 h 30, call 15 min, consultation 1 h: 2 h 45 used, 3 h 45 left.
        assert_eq!(choose_minutes(p, 60, rehearsal, Some(180), 75), Ok(180));
        assert_eq!(choose_minutes(p, 60, rehearsal, None, 75), Ok(60));
        let (code, message) = choose_minutes(p, 60, rehearsal, Some(180), 135).unwrap_err();
        assert_eq!(code, ProblemCode::ProductionTimeExceeded);
        assert!(
            message.contains("6 h 30") && message.contains("at most 165"),
            "{message}"
        );
        assert_eq!(
            choose_minutes(p, 60, rehearsal, Some(50), 0).unwrap_err().0,
            ProblemCode::InvalidSessionLength
        );
        let standard = package("event-standard");
        let call = &entitlements(standard, &[])[0];
        assert_eq!(choose_minutes(standard, 60, call, None, 0), Ok(15));
        assert_eq!(
            choose_minutes(standard, 60, call, Some(60), 0)
                .unwrap_err()
                .0,
            ProblemCode::InvalidSessionLength
        );
    }

    #[test]
    fn a_session_comes_with_notice_and_before_the_event() {
        let now = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
        let window = Utc.with_ymd_and_hms(2027, 3, 20, 13, 30, 0).unwrap();
        let ok = Utc.with_ymd_and_hms(2027, 3, 20, 12, 30, 0).unwrap();
        assert_eq!(check_time(ok, 60, window, now, false), Ok(()));
        assert_eq!(
            check_time(ok, 75, window, now, false).unwrap_err().0,
            ProblemCode::SessionTime
        );
        let soon = now + Duration::hours(23);
        assert_eq!(
            check_time(soon, 60, window, now, false).unwrap_err().0,
            ProblemCode::SessionNotice
        );
        assert_eq!(check_time(soon, 60, window, now, true), Ok(()));
        assert_eq!(hours_text(390), "6 h 30");
        assert_eq!(
            SessionKind::of_name("rehearsal-2"),
            Some(SessionKind::Rehearsal)
        );
        assert_eq!(
            SessionKind::of_name("scheduling-call"),
            Some(SessionKind::SchedulingCall)
        );
        assert_eq!(SessionKind::of_name("live"), None);
        let session = Scheduled {
            id: "s".into(),
            booking_id: "b".into(),
            name: "rehearsal-2".into(),
            producer_id: "p".into(),
            start: ok,
            end: ok + Duration::hours(1),
            cancelled: false,
        };
        let due = reminders_of(&session, now);
        assert_eq!(due.len(), 2);
        assert!(due.iter().all(|(_, at)| *at == ok - Duration::hours(24)));
        assert_eq!(parse_reminder(&due[0].0), Some(("rehearsal-2", false)));
        assert_eq!(parse_reminder(&due[1].0), Some(("rehearsal-2", true)));
        assert_eq!(parse_reminder("event_reminder"), None);
        assert!(reminders_of(&session, ok - Duration::hours(23)).is_empty());
        assert_eq!(hours_text(45), "45 min");
        assert_eq!(hours_text(120), "2 h");
    }
}
