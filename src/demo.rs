//! A small demo roster, loaded into an empty database so a new user can book at once:
//! producers in the four regions of the seed, each in their zone's business hours.

use chrono::{DateTime, Utc, Weekday};

use crate::db::models::producers;
use crate::db::DbConnection;
use crate::domain::catalogue::Centre;
use crate::domain::producer::{ProducerInput, WorkingSpan};

fn weekdays(start: u16, end: u16) -> Vec<WorkingSpan> {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .into_iter()
    .map(|weekday| WorkingSpan {
        weekday,
        start_min: start,
        end_min: end,
    })
    .collect()
}

/// (name, e-mail, zone, languages, start, end) — hours as in seed 001: Americas
/// 6:00-17:30, EMEA 9:00-17:00, Asia-Pacific 9:00-17:00, Japan 9:00-17:30 (English and
/// Japanese only).
/// (name, e-mail, zone, languages, start minute, end minute)
type DemoProducer = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    u16,
    u16,
);

const DEMO: &[DemoProducer] = &[
    (
        "Ana Souza",
        "ana.souza@producers.greenroom.example",
        "America/New_York",
        &["en", "es", "pt"],
        6 * 60,
        17 * 60 + 30,
    ),
    (
        "Marcus Lee",
        "marcus.lee@producers.greenroom.example",
        "America/Los_Angeles",
        &["en"],
        6 * 60,
        17 * 60 + 30,
    ),
    (
        "Léa Martin",
        "lea.martin@producers.greenroom.example",
        "Europe/Paris",
        &["en", "fr"],
        9 * 60,
        17 * 60,
    ),
    (
        "Jonas Weber",
        "jonas.weber@producers.greenroom.example",
        "Europe/Berlin",
        &["en", "de"],
        9 * 60,
        17 * 60,
    ),
    (
        "Wei Tan",
        "wei.tan@producers.greenroom.example",
        "Asia/Singapore",
        &["en", "zh"],
        9 * 60,
        17 * 60,
    ),
    (
        "Olivia Brown",
        "olivia.brown@producers.greenroom.example",
        "Australia/Sydney",
        &["en"],
        9 * 60,
        17 * 60,
    ),
    (
        "Yuki Sato",
        "yuki.sato@producers.greenroom.example",
        "Asia/Tokyo",
        &["en", "ja"],
        9 * 60,
        17 * 60 + 30,
    ),
];

/// Load the demo roster when the database has never had a producer. Returns how many
/// were added.
pub fn load_if_empty(conn: &mut DbConnection, now: DateTime<Utc>) -> anyhow::Result<usize> {
    if producers::count_all(conn)? > 0 {
        return Ok(0);
    }
    for (name, email, zone, languages, start, end) in DEMO {
        let input = ProducerInput {
            name: name.to_string(),
            email: email.to_string(),
            time_zone: zone
                .parse()
                .map_err(|_| anyhow::anyhow!("demo zone {zone}"))?,
            languages: languages.iter().map(|l| l.to_string()).collect(),
            centres: Centre::ALL.to_vec(),
            working_hours: weekdays(*start, *end),
        };
        producers::insert(conn, &input, now)?;
    }
    Ok(DEMO.len())
}
