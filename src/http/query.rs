//! Query parameters staff routes share: ranges of dates and page numbers.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::json::Check;
use crate::domain::error::ProblemCode;
use crate::domain::local_time::check_year;

const MAX_RANGE_DAYS: i64 = 366;

/// A whole number from 1 to `max` in the query, `default` when absent.
pub fn query_number(
    check: &mut Check,
    key: &str,
    raw: Option<&str>,
    default: i64,
    max: i64,
) -> i64 {
    match raw.map(|v| v.trim().parse::<i64>()) {
        None => default,
        Some(Ok(n)) if (1..=max).contains(&n) => n,
        Some(_) => {
            check.problem(
                key,
                ProblemCode::InvalidNumber,
                format!("{key} must be a whole number from 1 to {max}"),
            );
            default
        }
    }
}

/// `from`/`to`: a date (read as UTC midnight) or an RFC 3339 instant.
fn bound(check: &mut Check, key: &str, raw: Option<&str>) -> Option<DateTime<Utc>> {
    let raw = raw?.trim();
    let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        .or_else(|_| DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)));
    match parsed.map(check_year) {
        Ok(Ok(t)) => Some(t),
        Ok(Err(e)) => {
            check.problem(key, ProblemCode::InvalidFormat, e.message().to_string());
            None
        }
        Err(_) => {
            check.problem(
                key,
                ProblemCode::InvalidFormat,
                format!(
                    "{key} must be a date like 2027-01-31 or an instant like 2027-01-31T09:00:00Z"
                ),
            );
            None
        }
    }
}

/// A range of at most a year, from today for 30 days when not given.
pub fn range(
    check: &mut Check,
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let from = bound(check, "from", from).unwrap_or(today);
    let to = bound(check, "to", to).unwrap_or(from + Duration::days(30));
    if to <= from {
        check.problem("to", ProblemCode::InvalidRange, "to must be after from");
    } else if to - from > Duration::days(MAX_RANGE_DAYS) {
        check.problem(
            "to",
            ProblemCode::InvalidRange,
            format!("ask for at most {MAX_RANGE_DAYS} days at a time"),
        );
    }
    (from, to)
}
