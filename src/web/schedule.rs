//! The schedule as a picture: a day or a week with one row per producer and the hours
//! across, in a zone the viewer chooses (server-drawn SVG, readable without script), and
//! a month of days shaded by how much of the producers' working time is still free.
//!
//! Positions are proportional to real time, so a day with a clock change is 23 or 25
//! hours wide and its hour marks say so (00, 01, 03 … or 00, 01, 02, 02 …).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::booking::Booking;
use crate::domain::locale::Locale;
use crate::domain::session::SessionKind;
use crate::email::format;
use crate::scheduling::{resolve_boundary, Interval};
use crate::workflow::staff::Board;

use super::i18n::say;

/// Width of the names column, height of the hour marks and of each row, in pixels.
const LEFT: f64 = 190.0;
const HEADER: f64 = 40.0;
const ROW: f64 = 46.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Day,
    Week,
    Month,
}

impl View {
    pub fn parse(s: &str) -> Option<View> {
        match s {
            "day" => Some(View::Day),
            "week" => Some(View::Week),
            "month" => Some(View::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            View::Day => "day",
            View::Week => "week",
            View::Month => "month",
        }
    }

    fn px_per_hour(self) -> f64 {
        match self {
            View::Day => 40.0,
            _ => 7.0,
        }
    }

    /// The first and the day after the last local date the view shows around `date`.
    pub fn dates(self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            View::Day => (date, date + Duration::days(1)),
            View::Week => {
                let monday = date - Duration::days(date.weekday().num_days_from_monday() as i64);
                (monday, monday + Duration::days(7))
            }
            View::Month => {
                let first = date.with_day(1).expect("the first of a month");
                let next = first
                    .checked_add_months(chrono::Months::new(1))
                    .expect("a month after a valid date");
                (first, next)
            }
        }
    }

    /// The date the "earlier" and "later" links lead to.
    pub fn step(self, date: NaiveDate, forward: bool) -> NaiveDate {
        let sign = if forward { 1 } else { -1 };
        match self {
            View::Day => date + Duration::days(sign),
            View::Week => date + Duration::days(7 * sign),
            View::Month => {
                let first = date.with_day(1).expect("the first of a month");
                if forward {
                    first.checked_add_months(chrono::Months::new(1))
                } else {
                    first.checked_sub_months(chrono::Months::new(1))
                }
                .unwrap_or(first)
            }
        }
    }
}

/// Local midnight of `date` in `tz`, as an instant.
pub fn midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    resolve_boundary(tz, date.and_hms_opt(0, 0, 0).expect("midnight"))
}

/// The instants the view covers: local midnight of its first date to that of the day
/// after its last.
pub fn range(view: View, date: NaiveDate, tz: Tz) -> Interval {
    let (first, after) = view.dates(date);
    Interval::new(midnight(tz, first), midnight(tz, after))
}

/// Where instants fall across the picture.
#[derive(Debug, Clone, Copy)]
pub struct Axis {
    pub range: Interval,
    pub px_per_hour: f64,
}

impl Axis {
    pub fn x(&self, t: DateTime<Utc>) -> f64 {
        let t = t.clamp(self.range.start, self.range.end);
        LEFT + (t - self.range.start).num_seconds() as f64 / 3600.0 * self.px_per_hour
    }

    pub fn width(&self) -> f64 {
        self.x(self.range.end)
    }

    /// The part of `iv` inside the picture, as x and width; none when it is outside.
    fn span(&self, iv: &Interval) -> Option<(f64, f64)> {
        if !iv.overlaps(&self.range) {
            return None;
        }
        let (x0, x1) = (self.x(iv.start), self.x(iv.end));
        Some((round(x0), round((x1 - x0).max(1.0))))
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[derive(Debug, Serialize)]
pub struct Tick {
    pub x: f64,
    pub label: String,
    /// A day's start (a stronger line).
    pub major: bool,
}

#[derive(Debug, Serialize)]
pub struct Shade {
    pub x: f64,
    pub width: f64,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct Block {
    pub x: f64,
    pub width: f64,
    /// The preparation before the start, drawn lighter.
    pub prep_width: f64,
    pub class: String,
    pub href: String,
    pub label: String,
    /// Short text drawn in the block when it is wide enough.
    pub text: Option<String>,
    pub pending: bool,
}

#[derive(Debug, Serialize)]
pub struct Lane {
    pub y: f64,
    pub text_y: f64,
    pub zone_y: f64,
    pub block_y: f64,
    pub name: String,
    pub zone: String,
    pub work: Vec<Shade>,
    pub time_off: Vec<Shade>,
    pub closures: Vec<Shade>,
    pub blocks: Vec<Block>,
}

/// One booking of the view, for the list under the picture.
#[derive(Debug, Serialize)]
pub struct Listed {
    pub number: String,
    pub href: String,
    pub when: String,
    pub producer: String,
    pub package: String,
    pub company: String,
    pub pending: bool,
}

#[derive(Debug, Serialize)]
pub struct Picture {
    pub width: f64,
    /// The width right of the names.
    pub inner_width: f64,
    pub height: f64,
    pub left: f64,
    pub header: f64,
    pub ticks: Vec<Tick>,
    pub lanes: Vec<Lane>,
    pub now_x: Option<f64>,
    pub listed: Vec<Listed>,
}

fn package_class(b: &Booking) -> String {
    format!("pkg-{}", b.package_id.replace('_', "-"))
}

fn package_name(b: &Booking) -> String {
    b.package()
        .map(|p| p.name.to_string())
        .unwrap_or_else(|| b.package_id.clone())
}

/// The hour (day view) or day (week view) marks, at local boundaries in `tz`.
fn ticks(view: View, axis: &Axis, tz: Tz, locale: Locale) -> Vec<Tick> {
    let mut out = Vec::new();
    match view {
        View::Day => {
            let mut t = axis.range.start;
            while t < axis.range.end {
                let local = t.with_timezone(&tz);
                out.push(Tick {
                    x: round(axis.x(t)),
                    label: local.format("%H").to_string(),
                    major: t == axis.range.start,
                });
                t += Duration::hours(1);
            }
        }
        _ => {
            let names = format::weekdays_short(locale.as_str());
            let first = axis.range.start.with_timezone(&tz).date_naive();
            for d in 0..7 {
                let date = first + Duration::days(d);
                let start = midnight(tz, date);
                out.push(Tick {
                    x: round(axis.x(start)),
                    label: format!(
                        "{} {}",
                        names[date.weekday().num_days_from_monday() as usize],
                        date.day()
                    ),
                    major: true,
                });
                for h in [6, 12, 18] {
                    let t = resolve_boundary(tz, date.and_hms_opt(h, 0, 0).expect("an hour"));
                    out.push(Tick {
                        x: round(axis.x(t)),
                        label: String::new(),
                        major: false,
                    });
                }
            }
        }
    }
    out
}

/// The day or week picture of `board` in `tz`.
pub fn draw(
    board: &Board,
    view: View,
    date: NaiveDate,
    tz: Tz,
    now: DateTime<Utc>,
    locale: Locale,
) -> Picture {
    let axis = Axis {
        range: range(view, date, tz),
        px_per_hour: view.px_per_hour(),
    };
    let off_title = say(locale, "schedule_time_off", &[]);
    let work_title = say(locale, "schedule_working", &[]);
    let pending_text = say(locale, "schedule_pending", &[]);
    let closed_title = say(locale, "schedule_closure", &[]);
    let at = |t: DateTime<Utc>| {
        format!(
            "{} {}",
            format::day(t.with_timezone(&tz).date_naive(), locale.as_str()),
            format::time(t, tz)
        )
    };
    let mut listed = Vec::new();
    let lanes = board
        .roster
        .people
        .iter()
        .zip(&board.roster.engine)
        .enumerate()
        .map(|(i, (person, engine))| {
            let y = HEADER + i as f64 * ROW;
            let work = engine
                .working_intervals(axis.range.start, axis.range.end)
                .filter_map(|w| axis.span(&w))
                .map(|(x, width)| Shade {
                    x,
                    width,
                    title: work_title.clone(),
                })
                .collect();
            let time_off = board
                .time_off
                .iter()
                .filter(|(p, _)| *p == person.id)
                .filter_map(|(_, iv)| axis.span(iv))
                .map(|(x, width)| Shade {
                    x,
                    width,
                    title: off_title.clone(),
                })
                .collect();
            let closures = board
                .closures
                .iter()
                .filter(|(p, _, _)| *p == person.id)
                .filter_map(|(_, iv, name)| {
                    axis.span(iv).map(|(x, width)| Shade {
                        x,
                        width,
                        title: format!("{closed_title}: {name}"),
                    })
                })
                .collect();
            let blocks = board
                .bookings
                .iter()
                .filter(|b| b.producer_id == person.id)
                .filter_map(|b| {
                    let (x, width) = axis.span(&Interval::new(b.window_start, b.window_end))?;
                    let prep = axis.x(b.start) - axis.x(b.window_start);
                    let number = b.number.to_string();
                    let when = format!("{}–{}", at(b.start), format::time(b.end, tz));
                    let mut label = format!(
                        "{number}, {}, {}, {} ({})",
                        package_name(b),
                        b.company,
                        when,
                        person.name
                    );
                    if b.language_pending {
                        label.push_str(&format!(", {pending_text}"));
                    }
                    let room = (width / 7.0) as usize;
                    let short = if b.company.is_empty() {
                        number.clone()
                    } else {
                        b.company.clone()
                    };
                    listed.push(Listed {
                        href: format!("/staff/bookings/{number}"),
                        number: number.clone(),
                        when,
                        producer: person.name.clone(),
                        package: package_name(b),
                        company: b.company.clone(),
                        pending: b.language_pending,
                    });
                    Some(Block {
                        x,
                        width,
                        prep_width: round(prep.clamp(0.0, width)),
                        class: format!(
                            "{}{}",
                            package_class(b),
                            if b.language_pending { " pending" } else { "" }
                        ),
                        href: format!("/staff/bookings/{number}"),
                        label,
                        text: (room >= 4).then(|| short.chars().take(room).collect()),
                        pending: b.language_pending,
                    })
                })
                .collect::<Vec<_>>();
            let sessions = board
                .sessions
                .iter()
                .filter(|(s, _)| s.producer_id == person.id)
                .filter_map(|(s, b)| {
                    let (x, width) = axis.span(&Interval::new(s.start, s.end))?;
                    let name = SessionKind::of_name(&s.name)
                        .map_or(s.name.as_str(), |k| k.label(locale.as_str()));
                    let number = b.number.to_string();
                    let when = format!("{}–{}", at(s.start), format::time(s.end, tz));
                    let room = (width / 7.0) as usize;
                    Some(Block {
                        x,
                        width,
                        prep_width: 0.0,
                        class: "session".into(),
                        href: format!("/staff/bookings/{number}"),
                        label: format!("{name}: {number}, {}, {when} ({})", b.company, person.name),
                        text: (room >= 4).then(|| name.chars().take(room).collect()),
                        pending: false,
                    })
                });
            let blocks = blocks.into_iter().chain(sessions).collect();
            Lane {
                y,
                text_y: y + 20.0,
                zone_y: y + 36.0,
                block_y: y + 8.0,
                name: person.name.clone(),
                zone: person.time_zone.name().to_string(),
                work,
                time_off,
                closures,
                blocks,
            }
        })
        .collect::<Vec<_>>();
    listed.sort_by(|a, b| a.when.cmp(&b.when));
    Picture {
        width: round(axis.width()),
        inner_width: round(axis.width() - LEFT),
        height: HEADER + lanes.len().max(1) as f64 * ROW,
        left: LEFT,
        header: HEADER,
        ticks: ticks(view, &axis, tz, locale),
        now_x: axis
            .range
            .overlaps(&Interval::new(now, now + Duration::seconds(1)))
            .then(|| round(axis.x(now))),
        lanes,
        listed,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MonthDay {
    pub date: Option<String>,
    pub day: u32,
    /// 0 (nothing free or no work) to 4 (all free).
    pub level: u8,
    pub percent: Option<i64>,
    /// "72 %", or "—" for a day nobody works.
    pub percent_text: String,
    pub bookings: usize,
    pub label: String,
}

/// Each day of the month around `date`, shaded by the share of the producers' working
/// minutes still free, as weeks from Monday.
pub fn month(board: &Board, date: NaiveDate, tz: Tz, locale: Locale) -> Vec<Vec<MonthDay>> {
    let (first, after) = View::Month.dates(date);
    let lead = first.weekday().num_days_from_monday() as i64;
    let mut cells = Vec::new();
    for i in -lead..((after - first).num_days() + 6) {
        let d = first + Duration::days(i);
        if d < first {
            cells.push(MonthDay {
                date: None,
                day: d.day(),
                level: 0,
                percent: None,
                percent_text: String::new(),
                bookings: 0,
                label: String::new(),
            });
            continue;
        }
        if d >= after {
            if cells.len() % 7 == 0 {
                break;
            }
            cells.push(MonthDay {
                date: None,
                day: d.day(),
                level: 0,
                percent: None,
                percent_text: String::new(),
                bookings: 0,
                label: String::new(),
            });
            continue;
        }
        let day = Interval::new(midnight(tz, d), midnight(tz, d + Duration::days(1)));
        let (work, free) = board
            .roster
            .engine
            .iter()
            .map(|p| p.capacity_in(&day))
            .fold((0, 0), |(w, f), (a, b)| (w + a, f + b));
        let bookings = board
            .bookings
            .iter()
            .filter(|b| b.start >= day.start && b.start < day.end)
            .count();
        let percent = (work > 0).then(|| free * 100 / work);
        let level = match percent {
            None => 0,
            Some(p) if p >= 90 => 4,
            Some(p) if p >= 60 => 3,
            Some(p) if p >= 30 => 2,
            Some(p) if p > 0 => 1,
            Some(_) => 0,
        };
        let label = match percent {
            None => say(
                locale,
                "schedule_day_closed",
                &[("day", &format::day(d, locale.as_str()))],
            ),
            Some(p) => say(
                locale,
                "schedule_day_free",
                &[
                    ("day", &format::day(d, locale.as_str())),
                    ("percent", &p.to_string()),
                    ("bookings", &bookings.to_string()),
                ],
            ),
        };
        cells.push(MonthDay {
            date: Some(d.format("%Y-%m-%d").to_string()),
            day: d.day(),
            level,
            percent,
            percent_text: percent.map_or("—".into(), |p| loc_percent(p, locale)),
            bookings,
            label,
        });
    }
    cells.chunks(7).map(|w| w.to_vec()).collect()
}

/// "72 %" in French (a narrow no-break space), "72%" in English.
fn loc_percent(p: i64, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{p}\u{202f}%"),
        Locale::En => format!("{p}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_day_with_a_clock_change_is_as_long_as_it_really_is() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // 28 March 2027: clocks go from 02:00 to 03:00, a 23-hour day.
        let spring = NaiveDate::from_ymd_opt(2027, 3, 28).unwrap();
        let axis = Axis {
            range: range(View::Day, spring, paris),
            px_per_hour: 40.0,
        };
        assert_eq!(axis.width(), LEFT + 23.0 * 40.0);
        let labels: Vec<String> = ticks(View::Day, &axis, paris, Locale::En)
            .into_iter()
            .map(|t| t.label)
            .collect();
        assert_eq!(&labels[..4], ["00", "01", "03", "04"]);
        // 10:00 local is 08:00 UTC, nine real hours after midnight.
        assert_eq!(axis.x(utc("2027-03-28T08:00:00Z")), LEFT + 9.0 * 40.0);
        // 31 October 2027: 25 hours, 02 twice.
        let autumn = NaiveDate::from_ymd_opt(2027, 10, 31).unwrap();
        let axis = Axis {
            range: range(View::Day, autumn, paris),
            px_per_hour: 40.0,
        };
        assert_eq!(axis.width(), LEFT + 25.0 * 40.0);
        let labels: Vec<String> = ticks(View::Day, &axis, paris, Locale::En)
            .into_iter()
            .map(|t| t.label)
            .collect();
        assert_eq!(&labels[..5], ["00", "01", "02", "02", "03"]);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let d = NaiveDate::from_ymd_opt(2027, 1, 7).unwrap(); // a Thursday
        assert_eq!(
            View::Week.dates(d),
            (
                NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(),
                NaiveDate::from_ymd_opt(2027, 1, 11).unwrap()
            )
        );
        assert_eq!(
            View::Month.dates(d),
            (
                NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(2027, 2, 1).unwrap()
            )
        );
        assert_eq!(
            View::Month.step(NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(), false),
            NaiveDate::from_ymd_opt(2027, 2, 1).unwrap()
        );
    }

    #[test]
    fn what_lies_outside_the_picture_is_not_drawn_and_edges_are_cut() {
        let axis = Axis {
            range: Interval::new(utc("2027-01-04T00:00:00Z"), utc("2027-01-05T00:00:00Z")),
            px_per_hour: 40.0,
        };
        assert_eq!(
            axis.span(&Interval::new(
                utc("2027-01-03T20:00:00Z"),
                utc("2027-01-04T02:00:00Z")
            )),
            Some((LEFT, 80.0))
        );
        assert_eq!(
            axis.span(&Interval::new(
                utc("2027-01-05T00:00:00Z"),
                utc("2027-01-05T02:00:00Z")
            )),
            None
        );
    }
}
