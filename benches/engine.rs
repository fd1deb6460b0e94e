//! The availability engine at scale: 500 producers in many zones with 200,000
//! assignments over a year. Targets on the 2-core machine: one decision under 50 µs,
//! the three-alternatives search under 1 ms, a month of free start times across 50
//! producers under 50 ms.

use std::hint::black_box;

use chrono::{DateTime, Duration, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use criterion::{criterion_group, criterion_main, Criterion};
use greenroom::domain::catalogue::Centre;
use greenroom::domain::producer::WorkingSpan;
use greenroom::scheduling::{alternatives, choose, free_starts, week_of, Interval, Need, Producer};

const ZONES: [&str; 10] = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Asia/Singapore",
    "Australia/Sydney",
    "Asia/Tokyo",
];
const LANGUAGES: [&str; 6] = ["fr", "de", "es", "ja", "pt", "zh"];

fn year_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
}

/// A deterministic roster: producer `i` works Monday to Friday, 06:00-18:00 in one of ten
/// zones, and has 400 assignments of two hours spread over the year.
fn roster(producers: usize, assignments_each: usize) -> Vec<Producer> {
    let hours: Vec<WorkingSpan> = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .into_iter()
    .map(|weekday| WorkingSpan {
        weekday,
        start_min: 6 * 60,
        end_min: 18 * 60,
    })
    .collect();
    (0..producers)
        .map(|i| {
            let tz: Tz = ZONES[i % ZONES.len()].parse().unwrap();
            let assignments: Vec<Interval> = (0..assignments_each)
                .map(|k| {
                    let day = (k * 365 / assignments_each) as i64;
                    let hour = if k % 2 == 0 { 1 } else { 13 } + (i % 5) as i64;
                    let start = year_start() + Duration::days(day) + Duration::hours(hour);
                    Interval::new(start, start + Duration::hours(2))
                })
                .collect();
            Producer::new(
                format!("producer-{i:04}"),
                tz,
                vec!["en".into(), LANGUAGES[i % LANGUAGES.len()].into()],
                Centre::ALL.to_vec(),
                &hours,
                vec![],
                assignments,
            )
        })
        .collect()
}

fn with_loads(producers: Vec<Producer>, week: Interval) -> Vec<Producer> {
    producers
        .into_iter()
        .map(|p| {
            let n = p.assignments_in(&week);
            p.with_load(n)
        })
        .collect()
}

fn engine(c: &mut Criterion) {
    let start = Utc.with_ymd_and_hms(2027, 6, 16, 14, 0, 0).unwrap(); // a Wednesday afternoon in Europe
    let paris: Tz = "Europe/Paris".parse().unwrap();
    let producers = with_loads(roster(500, 400), week_of(start, paris));
    assert_eq!(
        producers
            .iter()
            .map(|p| p.assignments_in(&Interval::new(
                year_start(),
                year_start() + Duration::days(400)
            )))
            .sum::<usize>(),
        200_000
    );

    let need = Need {
        centre: Centre::Event,
        language: "fr",
        start,
        duration_minutes: 90,
    };
    assert!(choose(&producers, &need).is_some());
    c.bench_function("decision: 500 producers, 200k assignments", |b| {
        b.iter(|| choose(black_box(&producers), black_box(&need)))
    });

    // Nobody speaks Swahili: every English speaker is a candidate for the same answer.
    let busy_need = Need {
        centre: Centre::Event,
        language: "sw",
        start,
        duration_minutes: 90,
    };
    c.bench_function("decision, language fallback: 500 producers", |b| {
        b.iter(|| choose(black_box(&producers), black_box(&busy_need)))
    });

    let earliest = start - Duration::days(30);
    let horizon = start + Duration::days(60);
    let alts = alternatives(&producers, &need, earliest, horizon, 3);
    assert_eq!(alts.len(), 3);
    c.bench_function("three alternatives: 500 producers, 200k assignments", |b| {
        b.iter(|| {
            alternatives(
                black_box(&producers),
                black_box(&need),
                earliest,
                horizon,
                3,
            )
        })
    });

    // A Saturday night: the nearest free times are days away for most producers.
    let late = Need {
        centre: Centre::Event,
        language: "en",
        start: Utc.with_ymd_and_hms(2027, 6, 19, 22, 0, 0).unwrap(),
        duration_minutes: 90,
    };
    c.bench_function(
        "three alternatives from a weekend night: 500 producers",
        |b| {
            b.iter(|| {
                alternatives(
                    black_box(&producers),
                    black_box(&late),
                    earliest,
                    horizon,
                    3,
                )
            })
        },
    );

    let fifty = &producers[..50];
    let month_from = Utc.with_ymd_and_hms(2027, 6, 1, 0, 0, 0).unwrap();
    let month_to = month_from + Duration::days(30);
    let month = Need {
        centre: Centre::Event,
        language: "en",
        start: month_from,
        duration_minutes: 60,
    };
    assert!(free_starts(fifty, &month, month_from, month_to).len() > 500);
    c.bench_function("a month of free start times: 50 producers", |b| {
        b.iter(|| free_starts(black_box(fifty), black_box(&month), month_from, month_to))
    });
}

criterion_group!(benches, engine);
criterion_main!(benches);
