//! Producers as staff describe them: zone, languages, centres, weekly working hours.

use chrono::{DateTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalogue::Centre;
use super::input::{element, primary_language, Errors, FieldError, Fields};
use super::local_time::{check_year, parse_start, parse_zone};

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

pub fn parse_producer(body: &Value) -> Result<ProducerInput, Vec<FieldError>> {
    let mut errors = Errors::default();
    let root = Fields::root(body, &mut errors);
    let name = root.string("name", &mut errors, true, 200, "the producer's name");
    let email = root.email("email", &mut errors, true, "the producer's e-mail address");
    let tz = root
        .string(
            "time_zone",
            &mut errors,
            true,
            64,
            "an IANA time zone such as Europe/Paris",
        )
        .and_then(|n| match parse_zone(&n) {
            Ok(tz) => Some(tz),
            Err(m) => {
                errors.add("time_zone", "invalid_time_zone", m);
                None
            }
        });

    let mut languages = Vec::new();
    match root.array("languages", &mut errors, false) {
        None if root.raw("languages").is_none() => languages.push("en".to_string()),
        None => {}
        Some(items) => {
            for (i, v) in items.iter().enumerate() {
                match v.as_str().and_then(primary_language) {
                    Some(l) if !languages.contains(&l) => languages.push(l),
                    Some(_) => {}
                    None => errors.add(
                        format!("languages[{i}]"),
                        "invalid_language",
                        "each language must be a BCP 47 tag such as en, fr or ja",
                    ),
                }
            }
            if items.is_empty() {
                errors.add(
                    "languages",
                    "required",
                    "list at least one language the producer works in, such as [\"en\"]",
                );
            }
        }
    }

    let mut centres = Vec::new();
    match root.array("centres", &mut errors, false) {
        None if root.raw("centres").is_none() => centres.extend(Centre::ALL),
        None => {}
        Some(items) => {
            for (i, v) in items.iter().enumerate() {
                match v.as_str().and_then(Centre::parse) {
                    Some(c) if !centres.contains(&c) => centres.push(c),
                    Some(_) => {}
                    None => errors.add(
                        format!("centres[{i}]"),
                        "invalid_centre",
                        "each centre must be one of meeting, training, event",
                    ),
                }
            }
            if items.is_empty() {
                errors.add(
                    "centres",
                    "required",
                    "list at least one centre: meeting, training or event",
                );
            }
        }
    }

    let mut hours = Vec::new();
    if let Some(items) = root.array("working_hours", &mut errors, true) {
        for (i, v) in items.iter().enumerate() {
            let path = format!("working_hours[{i}]");
            let f = element(v, path.clone(), &mut errors);
            let weekday = match f.raw("weekday") {
                Some(w) => parse_weekday(w).or_else(|| {
                    errors.add(
                        format!("{path}.weekday"),
                        "invalid_weekday",
                        "weekday must be a day name such as monday, or 1 (Monday) to 7 (Sunday)",
                    );
                    None
                }),
                None => {
                    if f.present() {
                        errors.add(
                            format!("{path}.weekday"),
                            "required",
                            "weekday is required, such as monday",
                        );
                    }
                    None
                }
            };
            let start = f
                .string("start", &mut errors, true, 5, "a time such as 09:00")
                .and_then(|s| {
                    parse_clock(&s, false).or_else(|| {
                        errors.add(
                            format!("{path}.start"),
                            "invalid_format",
                            format!("'{s}' is not a time of day such as 09:00"),
                        );
                        None
                    })
                });
            let end = f
                .string("end", &mut errors, true, 5, "a time such as 17:30")
                .and_then(|s| {
                    parse_clock(&s, true).or_else(|| {
                        errors.add(
                            format!("{path}.end"),
                            "invalid_format",
                            format!(
                                "'{s}' is not a time of day such as 17:30 (24:00 for midnight)"
                            ),
                        );
                        None
                    })
                });
            if let (Some(weekday), Some(start_min), Some(end_min)) = (weekday, start, end) {
                if start_min == end_min % 1440 && end_min != 1440 {
                    errors.add(
                        format!("{path}.end"),
                        "invalid_working_hours",
                        "start and end are the same time; for a whole day use 00:00 to 24:00",
                    );
                } else {
                    hours.push(WorkingSpan {
                        weekday,
                        start_min,
                        end_min,
                    });
                }
            }
        }
    }

    errors.into_result(|| ProducerInput {
        name: name.unwrap_or_default(),
        email: email.unwrap_or_default(),
        time_zone: tz.expect("checked"),
        languages,
        centres,
        working_hours: hours,
    })
}

#[derive(Debug, Clone)]
pub struct TimeOffInput {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub reason: Option<String>,
}

/// Time off: `start` and `end` as instants, or local times in the producer's zone.
pub fn parse_time_off(body: &Value, producer_zone: Tz) -> Result<TimeOffInput, Vec<FieldError>> {
    let mut errors = Errors::default();
    let root = Fields::root(body, &mut errors);
    let instant =
        |key: &str, errors: &mut Errors| {
            root.string(
            key,
            errors,
            true,
            64,
            "a local time in the producer's zone such as 2027-01-10T09:00, or an RFC 3339 instant",
        )
        .and_then(|s| match parse_start(&s, Some(producer_zone)).and_then(check_year) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.add(key, e.code(), e.message().to_string());
                None
            }
        })
        };
    let start = instant("start", &mut errors);
    let end = instant("end", &mut errors);
    let reason = root.text("reason", &mut errors, false, 500, "");
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            errors.add("end", "invalid_range", "end must be after start");
        } else if e - s > chrono::Duration::days(366) {
            errors.add(
                "end",
                "invalid_range",
                "time off is limited to one year at a time; add several periods",
            );
        }
    }
    errors.into_result(|| TimeOffInput {
        start: start.expect("checked"),
        end: end.expect("checked"),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn producer_with_night_shift() {
        let p = parse_producer(&json!({
            "name": "Kenji", "email": "kenji@example.com", "time_zone": "Asia/Tokyo",
            "languages": ["en", "ja-JP"], "centres": ["event"],
            "working_hours": [{"weekday": "mon", "start": "22:00", "end": "06:00"}, {"weekday": 2, "start": "09:00", "end": "24:00"}]
        }))
        .unwrap();
        assert_eq!(p.languages, ["en", "ja"]);
        assert!(p.working_hours[0].crosses_midnight());
        assert!(!p.working_hours[1].crosses_midnight());
        let back = serde_json::to_value(&p.working_hours).unwrap();
        assert_eq!(
            back[1],
            json!({"weekday": "tuesday", "start": "09:00", "end": "24:00"})
        );
    }

    #[test]
    fn bad_producer_reports_each_field() {
        let errs = parse_producer(
            &json!({"email": "x", "time_zone": "Bad/Zone", "centres": ["spa"],
            "working_hours": [{"weekday": "funday", "start": "25:00", "end": "10:00"}]}),
        )
        .unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "email",
                "time_zone",
                "centres[0]",
                "working_hours[0].weekday",
                "working_hours[0].start"
            ]
        );
    }
}
