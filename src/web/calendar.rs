//! The month calendar of free start times on the order page: the same days as
//! `GET /api/v1/availability/slots` answers (one workflow serves both), laid out as
//! weeks; days with no free start are greyed, and a chosen day lists its starts.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use crate::domain::locale::Locale;
use crate::email::format;
use crate::workflow::availability::Day;

use super::i18n::say;

#[derive(Debug, Serialize)]
pub struct DayCell {
    /// `YYYY-MM-DD`; none for the days of the previous and next months that pad weeks.
    pub date: Option<String>,
    pub day: u32,
    pub free: usize,
    /// What a screen reader says of the day.
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Serialize)]
pub struct Start {
    /// `YYYY-MM-DDTHH:MM`, the button's value.
    pub value: String,
    pub time: String,
}

#[derive(Debug, Serialize)]
pub struct Chosen {
    pub label: String,
    pub starts: Vec<Start>,
}

#[derive(Debug, Serialize)]
pub struct CalendarView {
    /// `YYYY-MM`.
    pub month: String,
    pub label: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub weekdays: [&'static str; 7],
    pub weeks: Vec<Vec<DayCell>>,
    pub chosen: Option<Chosen>,
    pub zone: String,
}

/// The first and last days of the month `YYYY-MM`.
pub fn month_range(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("a month after a valid date");
    Some((first, next - Duration::days(1)))
}

fn month_key(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// Lay `days` (every day of one month) out as weeks from Monday. `earliest` and `latest`
/// bound the months one may browse to; `chosen` is the day whose starts are listed.
pub fn view(
    days: &[Day],
    locale: Locale,
    earliest: NaiveDate,
    latest: NaiveDate,
    chosen: Option<NaiveDate>,
    zone: &str,
) -> CalendarView {
    let first = days.first().map(|d| d.date).unwrap_or(earliest);
    let last = days.last().map(|d| d.date).unwrap_or(first);
    let loc = locale.as_str();
    let mut weeks = vec![];
    let mut week: Vec<DayCell> = (0..first.weekday().num_days_from_monday())
        .map(|_| DayCell {
            date: None,
            day: 0,
            free: 0,
            label: String::new(),
            selected: false,
        })
        .collect();
    for d in days {
        let free = d.starts.len();
        let name = format::day(d.date, loc);
        week.push(DayCell {
            date: Some(d.date.format("%Y-%m-%d").to_string()),
            day: d.date.day(),
            free,
            label: if free == 0 {
                say(locale, "calendar_day_none", &[("day", &name)])
            } else {
                say(
                    locale,
                    "calendar_day_free",
                    &[("day", &name), ("count", &free.to_string())],
                )
            },
            selected: Some(d.date) == chosen,
        });
        if week.len() == 7 {
            weeks.push(std::mem::take(&mut week));
        }
    }
    if !week.is_empty() {
        while week.len() < 7 {
            week.push(DayCell {
                date: None,
                day: 0,
                free: 0,
                label: String::new(),
                selected: false,
            });
        }
        weeks.push(week);
    }
    let prev_month = first - Duration::days(1);
    let next_month = last + Duration::days(1);
    CalendarView {
        month: month_key(first),
        label: format::month(first.year(), first.month0() as usize, loc),
        prev: (month_key(prev_month) >= month_key(earliest)).then(|| month_key(prev_month)),
        next: (next_month <= latest).then(|| month_key(next_month)),
        weekdays: format::weekdays_short(loc),
        weeks,
        chosen: chosen.and_then(|c| {
            let day = days.iter().find(|d| d.date == c)?;
            Some(Chosen {
                label: if day.starts.is_empty() {
                    say(
                        locale,
                        "calendar_day_none",
                        &[("day", &format::day(c, loc))],
                    )
                } else {
                    say(
                        locale,
                        "calendar_starts_on",
                        &[("day", &format::day(c, loc))],
                    )
                },
                starts: day
                    .starts
                    .iter()
                    .map(|t| Start {
                        value: format!("{}T{}", c.format("%Y-%m-%d"), t.format("%H:%M")),
                        time: t.format("%H:%M").to_string(),
                    })
                    .collect(),
            })
        }),
        zone: zone.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    #[test]
    fn a_month_is_laid_out_in_weeks_from_monday() {
        let (first, last) = month_range("2027-02").unwrap();
        assert_eq!(last, NaiveDate::from_ymd_opt(2027, 2, 28).unwrap());
        let days: Vec<Day> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|date| Day {
                date,
                starts: if date.day() == 10 {
                    vec![NaiveTime::from_hms_opt(9, 0, 0).unwrap()]
                } else {
                    vec![]
                },
            })
            .collect();
        let v = view(
            &days,
            Locale::En,
            NaiveDate::from_ymd_opt(2027, 1, 20).unwrap(),
            NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(2027, 2, 10),
            "Europe/Paris",
        );
        // 1 February 2027 is a Monday: four full weeks.
        assert_eq!(v.weeks.len(), 4);
        assert_eq!(v.weeks[0][0].day, 1);
        assert_eq!(v.label, "February 2027");
        assert_eq!(v.prev.as_deref(), Some("2027-01"));
        assert_eq!(v.next.as_deref(), Some("2027-03"));
        let chosen = v.chosen.unwrap();
        assert_eq!(chosen.starts[0].value, "2027-02-10T09:00");
        assert_eq!(v.weeks[1][2].free, 1);
        assert!(v.weeks[1][2].label.contains("Wednesday 10 February"));
    }
}
