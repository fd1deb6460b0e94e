//! Reading the customer's start time: a local date-time in an IANA zone, or an instant.
//!
//! A wall-clock time that the zone skips (spring forward) or repeats (fall back) is
//! refused with a message that says what to send instead; an explicit offset settles a
//! repeated time.

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDateTime, Offset, SecondsFormat, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq)]
pub enum StartError {
    /// Neither `YYYY-MM-DDTHH:MM[:SS]` nor RFC 3339.
    Format(String),
    /// The zone skips this wall-clock time.
    Nonexistent(String),
    /// The zone shows this wall-clock time twice.
    Ambiguous(String),
}

impl StartError {
    pub fn code(&self) -> super::error::ProblemCode {
        use super::error::ProblemCode;
        match self {
            StartError::Format(_) => ProblemCode::InvalidFormat,
            StartError::Nonexistent(_) => ProblemCode::NonexistentLocalTime,
            StartError::Ambiguous(_) => ProblemCode::AmbiguousLocalTime,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            StartError::Format(m) | StartError::Nonexistent(m) | StartError::Ambiguous(m) => m,
        }
    }
}

/// A start and an end as a customer sees them, in their zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub time_zone: Tz,
}

/// Parse an IANA time zone name ("Europe/Paris"). Case-insensitive, like people type it.
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    let name = name.trim();
    name.parse::<Tz>()
        .or_else(|_| Tz::from_str_insensitive(name))
        .map_err(|_| {
            format!("'{name}' is not an IANA time zone name; use one such as Europe/Paris, America/New_York or Asia/Tokyo")
        })
}

/// A local date-time without offset, with or without seconds.
pub fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// The instant a local wall-clock time denotes in `tz`, refusing skipped and repeated times.
pub fn resolve_local(naive: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, StartError> {
    let shown = naive.format("%Y-%m-%dT%H:%M");
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Err(StartError::Ambiguous(format!(
            "{shown} happens twice in {tz} (the clocks go back): add the offset you mean, {} ({}) or {} ({})",
            offset_str(&a),
            a.format("%Z"),
            offset_str(&b),
            b.format("%Z"),
        ))),
        LocalResult::None => Err(StartError::Nonexistent(format!(
            "{shown} does not exist in {tz} (the clocks go forward over it): choose a time outside the skipped hour"
        ))),
    }
}

fn offset_str(t: &DateTime<Tz>) -> String {
    t.format("%:z").to_string()
}

/// The years dates are read in: wide enough for any booking, narrow enough that no date
/// arithmetic can overflow and both backends store and compare every instant alike.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2999;

/// Refuse an instant outside `YEARS`.
pub fn check_year(t: DateTime<Utc>) -> Result<DateTime<Utc>, StartError> {
    if YEARS.contains(&t.year()) {
        Ok(t)
    } else {
        Err(StartError::Format(format!(
            "{} is out of range: dates must fall in the years {} to {}",
            t.format("%Y-%m-%d"),
            YEARS.start(),
            YEARS.end()
        )))
    }
}

/// The start as sent: RFC 3339 with an offset is an exact instant; otherwise a local
/// time read in `tz`. Without `tz`, only an instant will do. Times are whole minutes
/// (seconds, if given, are :00) with four-digit years; callers bound them further (the
/// booking horizon, or `check_year`) before any arithmetic.
pub fn parse_start(s: &str, tz: Option<Tz>) -> Result<DateTime<Utc>, StartError> {
    let s = s.trim();
    // chrono reads signed and five-digit years; people and calendars write four digits.
    let four_digit_year =
        s.len() > 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) && s.as_bytes()[4] == b'-';
    if !four_digit_year {
        return Err(StartError::Format(format!(
            "'{s}' is not a date and time: use a local time like 2026-12-10T15:00 (read in time_zone) or an instant like 2026-12-10T15:00:00+01:00"
        )));
    }
    let instant = DateTime::parse_from_rfc3339(s)
        // RFC 3339 without seconds but with an offset, e.g. 2026-12-10T15:00+01:00.
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z"))
        .ok();
    let (wall_seconds, nanos) = match (&instant, parse_naive(s)) {
        (Some(t), _) => (t.second(), t.nanosecond()),
        (None, Some(n)) => (n.second(), n.nanosecond()),
        (None, None) => (0, 0),
    };
    if wall_seconds != 0 || nanos != 0 {
        return Err(StartError::Format(format!(
            "'{s}' has seconds: times are whole minutes, such as 2026-12-10T15:00"
        )));
    }
    if let Some(t) = instant {
        return Ok(t.with_timezone(&Utc));
    }
    match (parse_naive(s), tz) {
        (Some(naive), Some(tz)) => resolve_local(naive, tz),
        (Some(_), None) => Err(StartError::Format(
            "a local time needs a valid time_zone; give one, or send an RFC 3339 instant with offset".into(),
        )),
        (None, _) => Err(StartError::Format(format!(
            "'{s}' is not a date and time: use a local time like 2026-12-10T15:00 (read in time_zone) or an instant like 2026-12-10T15:00:00+01:00"
        ))),
    }
}

/// An instant as the API shows it: RFC 3339 with the zone's offset at that instant.
pub fn format_in(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The zone's abbreviation at that instant ("CET", "EDT"), or its offset when it has none.
pub fn zone_abbreviation(t: DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    let abbr = local.format("%Z").to_string();
    if abbr.starts_with('+') || abbr.starts_with('-') {
        format!("UTC{}", local.offset().fix())
    } else {
        abbr
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn naive(s: &str) -> NaiveDateTime {
        parse_naive(s).unwrap()
    }

    #[test]
    fn paris_gap_and_overlap() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let gap = resolve_local(naive("2027-03-28T02:30"), paris).unwrap_err();
        assert_eq!(gap.code().as_str(), "nonexistent_local_time");
        let overlap = resolve_local(naive("2027-10-31T02:30"), paris).unwrap_err();
        assert_eq!(overlap.code().as_str(), "ambiguous_local_time");
        assert!(overlap.message().contains("+02:00") && overlap.message().contains("+01:00"));
        let explicit = parse_start("2027-10-31T02:30:00+01:00", Some(paris)).unwrap();
        assert_eq!(
            explicit,
            Utc.with_ymd_and_hms(2027, 10, 31, 1, 30, 0).unwrap()
        );
        let short = parse_start("2027-10-31T02:30+02:00", Some(paris)).unwrap();
        assert_eq!(short, Utc.with_ymd_and_hms(2027, 10, 31, 0, 30, 0).unwrap());
    }

    #[test]
    fn zone_names_and_formats() {
        assert!(parse_zone("europe/paris").is_ok());
        assert!(parse_zone("Mars/Olympus").is_err());
        assert!(matches!(
            parse_start("tomorrow", None),
            Err(StartError::Format(_))
        ));
        assert!(matches!(
            parse_start("2027-01-10T10:00", None),
            Err(StartError::Format(_))
        ));
        let ny: Tz = "America/New_York".parse().unwrap();
        let t = parse_start("2027-01-10T10:00", Some(ny)).unwrap();
        assert_eq!(format_in(t, ny), "2027-01-10T10:00:00-05:00");
        assert_eq!(zone_abbreviation(t, ny), "EST");
    }

    /// A tiny deterministic generator, so the property test needs no extra crate.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// Property, over every zone chrono-tz knows and the next two years: a local time is
    /// accepted exactly when one instant shows it, and then resolves to that instant;
    /// refused as nonexistent when no instant shows it; refused as ambiguous when two do.
    /// Checked at every offset change (found by scanning) and at random instants.
    #[test]
    fn local_time_resolution_matches_the_zone_for_every_zone() {
        let from = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let to = from + Duration::days(731);
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut transitions_seen = 0;
        for tz in chrono_tz::TZ_VARIANTS {
            let offset_at =
                |t: DateTime<Utc>| t.with_timezone(&tz).offset().fix().local_minus_utc();
            // Every instant whose local reading we check: random ones plus both sides of
            // each offset change.
            let mut probes: Vec<DateTime<Utc>> = (0..40)
                .map(|_| from + Duration::minutes((rng.next() % (731 * 24 * 60)) as i64))
                // (`from` is a whole minute, so every probe is one)
                .collect();
            let mut t = from;
            while t < to {
                let next = t + Duration::hours(6);
                if offset_at(t) != offset_at(next) {
                    // Bisect to the minute of the change.
                    let (mut lo, mut hi) = (t, next);
                    while hi - lo > Duration::minutes(1) {
                        let mid = lo + (hi - lo) / 2;
                        if offset_at(mid) == offset_at(lo) {
                            lo = mid
                        } else {
                            hi = mid
                        }
                    }
                    // Offsets change on whole minutes; probes are whole minutes too, as
                    // starts must be.
                    let minute = Duration::minutes(1);
                    let down = chrono::DurationRound::duration_trunc(hi, minute).expect("in range");
                    let hi = if offset_at(down) == offset_at(hi) {
                        down
                    } else {
                        chrono::DurationRound::duration_round_up(hi, minute).expect("in range")
                    };
                    transitions_seen += 1;
                    for m in [
                        -90, -61, -60, -59, -31, -30, -1, 0, 1, 29, 30, 59, 60, 61, 90,
                    ] {
                        probes.push(hi + Duration::minutes(m));
                    }
                    // Local wall-clock times inside a gap: no instant shows them.
                    let before = offset_at(lo);
                    let after = offset_at(hi);
                    if after > before {
                        let gap_start = hi.naive_utc() + Duration::seconds(before as i64);
                        let gap_len = (after - before) as i64;
                        for s in [0, gap_len / 2, gap_len - 60] {
                            let local = gap_start + Duration::seconds(s);
                            let err = resolve_local(local, tz).unwrap_err();
                            assert_eq!(
                                err.code().as_str(),
                                "nonexistent_local_time",
                                "{tz} {local}"
                            );
                        }
                    }
                }
                t = next;
            }
            for p in probes {
                let p = p.with_timezone(&Utc);
                let p = p - Duration::seconds(p.timestamp().rem_euclid(60));
                let local = p.with_timezone(&tz).naive_local();
                // How many instants near p show this local time?
                let showing = (-2..=2)
                    .map(|h| p + Duration::hours(h))
                    .flat_map(|c| {
                        (-60..=60)
                            .step_by(15)
                            .map(move |m| c + Duration::minutes(m))
                    })
                    .filter(|c| c.with_timezone(&tz).naive_local() == local)
                    .collect::<std::collections::BTreeSet<_>>();
                match resolve_local(local, tz) {
                    Ok(t) => {
                        assert_eq!(t, p, "{tz} {local}");
                        assert_eq!(
                            showing.len(),
                            1,
                            "{tz} {local}: accepted but shown {} times",
                            showing.len()
                        );
                    }
                    Err(StartError::Ambiguous(_)) => {
                        assert!(showing.len() >= 2, "{tz} {local}: called ambiguous");
                        // Each reading, with its offset, is accepted and exact.
                        for s in &showing {
                            let with_offset = s.with_timezone(&tz).to_rfc3339();
                            assert_eq!(parse_start(&with_offset, Some(tz)).unwrap(), *s);
                        }
                    }
                    Err(e) => panic!("{tz} {local}: a shown time was refused: {e:?}"),
                }
            }
        }
        assert!(
            transitions_seen > 300,
            "only {transitions_seen} offset changes found"
        );
    }
}
