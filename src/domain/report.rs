//! After the event: the attendance report a producer uploads (CSV), the recording's
//! links the customer is sent, or that nobody came.

use chrono::{DateTime, Utc};

use super::error::ProblemCode;
use super::text::Problem;

/// What was recorded of a booking after its event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventReport {
    pub recording_links: Vec<String>,
    /// The attendance report, as uploaded.
    pub attendance_csv: Option<String>,
    /// How many attendees it lists (its rows, the header aside).
    pub attendees: Option<i64>,
    /// Set when the event did not take place because nobody came: why.
    pub no_show_reason: Option<String>,
    /// When the follow-up e-mail was last queued.
    pub follow_up_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// The largest attendance report taken.
pub const MAX_ATTENDANCE_BYTES: usize = 2 * 1024 * 1024;
/// Links to a recording in one follow-up.
pub const MAX_LINKS: usize = 10;

/// Read an attendance report: comma-separated, a header row then one row per attendee,
/// every row with as many fields as the header. Returns how many attendees it lists.
pub fn attendance_rows(csv_text: &str) -> Result<i64, Problem> {
    let bad = |why: String| {
        Err((
            ProblemCode::InvalidFormat,
            format!("the attendance report {why}; send CSV with a header row, such as name,email,joined,left"),
        ))
    };
    if csv_text.trim().is_empty() {
        return bad("is empty".into());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(csv_text.as_bytes());
    let width = match reader.headers() {
        Ok(h) if h.iter().any(|f| !f.trim().is_empty()) => h.len(),
        Ok(_) => return bad("has an empty header row".into()),
        Err(e) => return bad(format!("cannot be read ({e})")),
    };
    let mut rows = 0;
    for record in reader.records() {
        match record {
            Ok(_) => rows += 1,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return bad(format!(
                    "has a row that does not fit its {width} columns (line {line})"
                ));
            }
        }
    }
    Ok(rows)
}

/// A link to the recording: an absolute http or https address.
pub fn recording_link(s: &str) -> Result<String, Problem> {
    match super::text::web_address(s) {
        Some(u) => Ok(u.to_string()),
        None => Err((
            ProblemCode::InvalidUrl,
            format!("'{s}' is not a web address; give one such as https://example.com/recordings/launch"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendance_counts_rows_quoted_fields_included() {
        let csv = "name,email,joined\nAna,ana@example.com,10:00\n\"Souza, Bob\",\"bob@example.com\",\"10:05\"\n\"Line\nbreak\",x@example.com,10:06\n";
        assert_eq!(attendance_rows(csv), Ok(3));
        assert_eq!(attendance_rows("name,email\n"), Ok(0));
    }

    #[test]
    fn ragged_or_empty_reports_are_refused_with_the_line() {
        let (code, message) = attendance_rows("name,email\nAna\n").unwrap_err();
        assert_eq!(code, ProblemCode::InvalidFormat);
        assert!(message.contains("line 2"), "{message}");
        assert!(attendance_rows("  \n").is_err());
        assert!(attendance_rows(",,\n").is_err());
    }

    #[test]
    fn recording_links_are_web_addresses() {
        assert!(recording_link("https://example.com/r/1#t=10").is_ok());
        assert!(recording_link("ftp://example.com/r").is_err());
        assert!(recording_link("recording").is_err());
    }
}
