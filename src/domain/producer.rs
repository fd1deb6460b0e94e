//! Producers as staff describe them: zone, languages, centres, weekly working hours.

use chrono::{DateTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalogue::Centre;
use super::error::ProblemCode;
use super::local_time::check_year;
use super::text::Problem;

/// One weekly span of work in the producer's own zone. `end_min <= start_min` means the
/// span crosses midnight and ends the next day; `end_min == 1440` is midnight at the end
/// of the day ("24:00").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingSpan {
    pub weekday: Weekday,
    pub start_min: u16,
    pub end_min: u16,
}

impl WorkingSpan {
    pub fn crosses_midnight(&self) -> bool {
        self.end_min <= self.start_min
    }
}

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "monday"),
    (Weekday::Tue, "tuesday"),
    (Weekday::Wed, "wednesday"),
    (Weekday::Thu, "thursday"),
    (Weekday::Fri, "friday"),
    (Weekday::Sat, "saturday"),
    (Weekday::Sun, "sunday"),
];

pub fn weekday_name(d: Weekday) -> &'static str {
    WEEKDAYS
        .iter()
        .find(|(w, _)| *w == d)
        .map(|(_, n)| *n)
        .unwrap_or("monday")
}

/// "monday", "Mon", "MON" or ISO number 1 (Monday) to 7 (Sunday).
pub fn parse_weekday(v: &Value) -> Option<Weekday> {
    match v {
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            WEEKDAYS
                .iter()
                .find(|(_, n)| *n == s || (s.len() == 3 && n.starts_with(&s)))
                .map(|(w, _)| *w)
        }
        Value::Number(n) => n
            .as_u64()
            .filter(|n| (1..=7).contains(n))
            .map(|n| WEEKDAYS[(n - 1) as usize].0),
        _ => None,
    }
}

/// "09:00" → 540; "24:00" → 1440 (only as an end).
pub fn parse_clock(s: &str, allow_24: bool) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 {
        return None;
    }
    match h {
        0..=23 => Some(h * 60 + m),
        24 if m == 0 && allow_24 => Some(1440),
        _ => None,
    }
}

pub fn format_clock(min: u16) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

#[derive(Debug, Serialize, Deserialize)]
struct SpanJson {
    weekday: String,
    start: String,
    end: String,
}

impl Serialize for WorkingSpan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SpanJson {
            weekday: weekday_name(self.weekday).into(),
            start: format_clock(self.start_min),
            end: format_clock(self.end_min),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for WorkingSpan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let j = SpanJson::deserialize(d)?;
        Ok(WorkingSpan {
            weekday: parse_weekday(&Value::String(j.weekday))
                .ok_or_else(|| D::Error::custom("weekday"))?,
            start_min: parse_clock(&j.start, false).ok_or_else(|| D::Error::custom("start"))?,
            end_min: parse_clock(&j.end, true).ok_or_else(|| D::Error::custom("end"))?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ProducerInput {
    pub name: String,
    pub email: String,
    pub time_zone: Tz,
    pub languages: Vec<String>,
    pub centres: Vec<Centre>,
    pub working_hours: Vec<WorkingSpan>,
}

/// A weekday as staff write it (see `parse_weekday`).
pub fn weekday(v: &Value) -> Result<Weekday, Problem> {
    parse_weekday(v).ok_or_else(|| {
        (
            ProblemCode::InvalidWeekday,
            "weekday must be a day name such as monday, or 1 (Monday) to 7 (Sunday)".into(),
        )
    })
}

/// A time of day, `HH:MM`; "24:00" only as an end.
pub fn clock(s: &str, is_end: bool) -> Result<u16, Problem> {
    parse_clock(s, is_end).ok_or_else(|| {
        let example = if is_end {
            "17:30 (24:00 for midnight)"
        } else {
            "09:00"
        };
        (
            ProblemCode::InvalidFormat,
            format!("'{s}' is not a time of day such as {example}"),
        )
    })
}

/// A span of work: start and end may not be the same time (a whole day is 00:00 to 24:00).
pub fn span(weekday: Weekday, start_min: u16, end_min: u16) -> Result<WorkingSpan, Problem> {
    if start_min == end_min % 1440 && end_min != 1440 {
        Err((
            ProblemCode::InvalidWorkingHours,
            "start and end are the same time; for a whole day use 00:00 to 24:00".into(),
        ))
    } else {
        Ok(WorkingSpan {
            weekday,
            start_min,
            end_min,
        })
    }
}

/// A centre by name.
pub fn centre(name: &str) -> Result<Centre, Problem> {
    Centre::parse(name).ok_or_else(|| {
        (
            ProblemCode::InvalidCentre,
            "each centre must be one of meeting, training, event".into(),
        )
    })
}

/// Time off may not be empty nor longer than a year at a time; its instants fall in the
/// years dates are read in.
pub fn time_off_range(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(), (&'static str, Problem)> {
    for (field, t) in [("start", start), ("end", end)] {
        check_year(t).map_err(|e| (field, (e.code(), e.message().to_string())))?;
    }
    if end <= start {
        return Err((
            "end",
            (ProblemCode::InvalidRange, "end must be after start".into()),
        ));
    }
    if end - start > chrono::Duration::days(366) {
        return Err((
            "end",
            (
                ProblemCode::InvalidRange,
                "time off is limited to one year at a time; add several periods".into(),
            ),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct TimeOffInput {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reason: Option<String>,
}

/// A producer on the roster.
#[derive(Debug, Clone)]
pub struct Producer {
    pub id: String,
    pub name: String,
    pub email: String,
    pub time_zone: Tz,
    pub languages: Vec<String>,
    pub centres: Vec<Centre>,
    pub working_hours: Vec<WorkingSpan>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Producer {
    pub fn contact(&self) -> ProducerContact {
        ProducerContact {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            time_zone: self.time_zone,
        }
    }
}

/// A producer as messages and bookings name them.
#[derive(Debug, Clone)]
pub struct ProducerContact {
    pub id: String,
    pub name: String,
    pub email: String,
    pub time_zone: Tz,
}

/// A period a producer does not work.
#[derive(Debug, Clone)]
pub struct TimeOff {
    pub id: String,
    pub producer_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reason: Option<String>,
}

/// Days nobody works (a company day off), or nobody in some zones (a region's public
/// holiday): whole local days, read in each producer's own zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Closure {
    pub id: String,
    pub name: String,
    pub first_day: chrono::NaiveDate,
    /// Included.
    pub last_day: chrono::NaiveDate,
    /// The zones whose producers it closes; empty: everyone.
    pub zones: Vec<Tz>,
}

/// A closure's days may not run backwards nor last more than a year.
pub const MAX_CLOSURE_DAYS: i64 = 366;

impl Closure {
    pub fn applies_to(&self, zone: Tz) -> bool {
        self.zones.is_empty() || self.zones.contains(&zone)
    }

    /// From local midnight of the first day to local midnight after the last, in `zone`.
    pub fn interval_in(&self, zone: Tz) -> crate::scheduling::Interval {
        let midnight = |d: chrono::NaiveDate| {
            crate::scheduling::resolve_boundary(zone, d.and_hms_opt(0, 0, 0).expect("midnight"))
        };
        crate::scheduling::Interval::new(
            midnight(self.first_day),
            midnight(self.last_day + chrono::Duration::days(1)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn weekdays_clocks_and_spans() {
        assert_eq!(weekday(&json!("mon")), Ok(Weekday::Mon));
        assert_eq!(weekday(&json!("Sunday")), Ok(Weekday::Sun));
        assert_eq!(weekday(&json!(2)), Ok(Weekday::Tue));
        assert_eq!(
            weekday(&json!("funday")).unwrap_err().0,
            ProblemCode::InvalidWeekday
        );
        assert_eq!(clock("09:00", false), Ok(540));
        assert_eq!(clock("24:00", true), Ok(1440));
        assert!(clock("24:00", false).is_err());
        assert!(clock("25:00", true).is_err());
        let night = span(Weekday::Mon, 22 * 60, 6 * 60).unwrap();
        assert!(night.crosses_midnight());
        assert_eq!(
            span(Weekday::Mon, 600, 600).unwrap_err().0,
            ProblemCode::InvalidWorkingHours
        );
        assert!(span(Weekday::Mon, 0, 1440).is_ok());
        let back = serde_json::to_value(span(Weekday::Tue, 540, 1440).unwrap()).unwrap();
        assert_eq!(
            back,
            json!({"weekday": "tuesday", "start": "09:00", "end": "24:00"})
        );
    }

    #[test]
    fn a_closure_is_whole_local_days_in_each_producers_zone() {
        let day = chrono::NaiveDate::from_ymd_opt(2027, 5, 1).unwrap();
        let c = Closure {
            id: "c".into(),
            name: "Fête du Travail".into(),
            first_day: day,
            last_day: day,
            zones: vec![chrono_tz::Europe::Paris],
        };
        assert!(c.applies_to(chrono_tz::Europe::Paris));
        assert!(!c.applies_to(chrono_tz::America::New_York));
        let iv = c.interval_in(chrono_tz::Europe::Paris);
        assert_eq!(iv.start.to_rfc3339(), "2027-04-30T22:00:00+00:00");
        assert_eq!(iv.end.to_rfc3339(), "2027-05-01T22:00:00+00:00");
        let everyone = Closure { zones: vec![], ..c };
        assert!(everyone.applies_to(chrono_tz::Asia::Tokyo));
        assert_eq!(
            everyone
                .interval_in(chrono_tz::Asia::Tokyo)
                .start
                .to_rfc3339(),
            "2027-04-30T15:00:00+00:00"
        );
    }
}
