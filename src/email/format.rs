//! Dates, durations and policy thresholds written out for people, in English or French.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::local_time::zone_abbreviation;

const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const WEEKDAYS_FR: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn french(locale: &str) -> bool {
    locale == "fr"
}

/// "Thursday 10 December 2026" / "jeudi 10 décembre 2026".
pub fn date(t: DateTime<Utc>, tz: Tz, locale: &str) -> String {
    let l = t.with_timezone(&tz);
    let wd = l.weekday().num_days_from_monday() as usize;
    let m = l.month0() as usize;
    if french(locale) {
        format!(
            "{} {} {} {}",
            WEEKDAYS_FR[wd],
            l.day(),
            MONTHS_FR[m],
            l.year()
        )
    } else {
        format!(
            "{} {} {} {}",
            WEEKDAYS_EN[wd],
            l.day(),
            MONTHS_EN[m],
            l.year()
        )
    }
}

/// "December 2026" / "décembre 2026".
pub fn month(year: i32, month0: usize, locale: &str) -> String {
    let names = if french(locale) { MONTHS_FR } else { MONTHS_EN };
    format!("{} {year}", names[month0 % 12])
}

/// A local date without a zone: "Thursday 10 December" / "jeudi 10 décembre".
pub fn day(d: chrono::NaiveDate, locale: &str) -> String {
    let wd = d.weekday().num_days_from_monday() as usize;
    let m = d.month0() as usize;
    if french(locale) {
        format!("{} {} {}", WEEKDAYS_FR[wd], d.day(), MONTHS_FR[m])
    } else {
        format!("{} {} {}", WEEKDAYS_EN[wd], d.day(), MONTHS_EN[m])
    }
}

/// The days of the week, from Monday, in full.
pub fn weekdays_long(locale: &str) -> [&'static str; 7] {
    if french(locale) {
        WEEKDAYS_FR
    } else {
        WEEKDAYS_EN
    }
}

/// The days of the week, from Monday, as each language abbreviates them.
pub fn weekdays_short(locale: &str) -> [&'static str; 7] {
    if french(locale) {
        ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
    } else {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    }
}

/// "15:00" (24-hour clock in both languages: unambiguous across countries).
pub fn time(t: DateTime<Utc>, tz: Tz) -> String {
    let l = t.with_timezone(&tz);
    format!("{:02}:{:02}", l.hour(), l.minute())
}

/// A stretch of time as templates show it, in one zone.
#[derive(Debug, Clone, Serialize)]
pub struct When {
    pub date: String,
    pub start: String,
    pub end: String,
    pub end_date: String,
    pub ends_another_day: bool,
    pub zone: String,
    pub abbreviation: String,
}

pub fn when(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, locale: &str) -> When {
    When {
        date: date(start, tz, locale),
        start: time(start, tz),
        end: time(end, tz),
        end_date: date(end, tz, locale),
        ends_another_day: start.with_timezone(&tz).date_naive()
            != end.with_timezone(&tz).date_naive(),
        zone: tz.name().to_string(),
        abbreviation: zone_abbreviation(start, tz),
    }
}

/// "1 h 30 min" / "1 h 30".
pub fn duration(minutes: i64, locale: &str) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m, french(locale)) {
        (0, m, true) => format!("{m} min"),
        (0, m, false) => format!("{m} minutes"),
        (h, 0, true) => format!("{h} h"),
        (h, 0, false) => format!("{h} hour{}", if h > 1 { "s" } else { "" }),
        (h, m, true) => format!("{h} h {m:02}"),
        (h, m, false) => format!("{h} h {m:02} min"),
    }
}

/// "14 days" / "48 hours", in either language.
fn span(hours: i64, locale: &str) -> String {
    let fr = french(locale);
    if hours % 24 == 0 && hours >= 72 {
        format!("{} {}", hours / 24, if fr { "jours" } else { "days" })
    } else {
        format!("{hours} {}", if fr { "heures" } else { "hours" })
    }
}

/// When a policy rule applies, from its threshold and the next higher one.
pub fn policy_window(min_hours: i64, upper_hours: Option<i64>, locale: &str) -> String {
    let fr = french(locale);
    match (min_hours, upper_hours) {
        (0, Some(up)) if fr => format!("moins de {} avant le début (ou après)", span(up, locale)),
        (0, Some(up)) => format!(
            "less than {} before the start (or after it)",
            span(up, locale)
        ),
        (0, None) if fr => "à tout moment".into(),
        (0, None) => "at any time".into(),
        (min, None) if fr => format!("{} ou plus avant le début", span(min, locale)),
        (min, None) => format!("{} or more before the start", span(min, locale)),
        (min, Some(up)) if fr => format!(
            "de {} à {} avant le début",
            span(min, locale),
            span(up, locale)
        ),
        (min, Some(up)) => format!(
            "from {} to {} before the start",
            span(up, locale),
            span(min, locale)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_languages() {
        let t = DateTime::parse_from_rfc3339("2026-12-10T14:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(date(t, paris, "en"), "Thursday 10 December 2026");
        assert_eq!(date(t, paris, "fr"), "jeudi 10 décembre 2026");
        assert_eq!(time(t, paris), "15:00");
        assert_eq!(duration(90, "en"), "1 h 30 min");
        assert_eq!(duration(90, "fr"), "1 h 30");
        assert_eq!(duration(120, "en"), "2 hours");
        assert_eq!(
            policy_window(336, None, "en"),
            "14 days or more before the start"
        );
        assert_eq!(
            policy_window(48, Some(336), "fr"),
            "de 48 heures à 14 jours avant le début"
        );
        assert_eq!(
            policy_window(0, Some(48), "en"),
            "less than 48 hours before the start (or after it)"
        );
    }
}
