use super::*;
use chrono::Weekday;

fn tz(name: &str) -> Tz {
    name.parse().unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

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

fn producer(id: &str, zone: &str, hours: Vec<WorkingSpan>, assignments: Vec<Interval>) -> Producer {
    Producer::new(
        id,
        tz(zone),
        vec!["en".into()],
        Centre::ALL.to_vec(),
        &hours,
        vec![],
        assignments,
    )
}

fn need(start: &str, minutes: i64) -> Need<'static> {
    Need {
        centre: Centre::Event,
        language: "en",
        start: utc(start),
        duration_minutes: minutes,
    }
}

#[test]
fn new_york_hours_follow_new_york_daylight_saving() {
    // 2027-03-22: New York is on EDT (UTC-4) while Paris is still on CET.
    let p = producer("ny", "America/New_York", weekdays(9 * 60, 17 * 60), vec![]);
    // Window 13:00Z-14:30Z = 09:00-10:30 EDT: inside.
    assert!(p.is_free(&need("2027-03-22T13:30:00Z", 60).window()));
    // Window 12:30Z = 08:30 EDT: before the day starts.
    assert!(!p.is_free(&need("2027-03-22T13:00:00Z", 60).window()));
    // In January (EST, UTC-5) the same UTC time is an hour earlier locally.
    assert!(!p.is_free(&need("2027-01-18T13:30:00Z", 60).window()));
    assert!(p.is_free(&need("2027-01-18T14:30:00Z", 60).window()));
}

#[test]
fn night_shift_across_midnight() {
    let hours = vec![WorkingSpan {
        weekday: Weekday::Mon,
        start_min: 22 * 60,
        end_min: 6 * 60,
    }];
    let p = producer("night", "Europe/Paris", hours, vec![]);
    // Tuesday 2027-01-12 01:00-02:00 Paris (00:00Z-01:00Z), window from 00:30 Paris.
    assert!(p.is_free(&need("2027-01-12T00:00:00Z", 60).window()));
    // Monday 21:00 Paris start: window from 20:30, before the shift.
    assert!(!p.is_free(&need("2027-01-11T20:00:00Z", 60).window()));
    // Tuesday 05:00-06:30 Paris runs past the end of the shift.
    assert!(!p.is_free(&need("2027-01-12T04:00:00Z", 90).window()));
}

#[test]
fn adjacent_spans_merge_into_one_stretch() {
    let hours = vec![
        WorkingSpan {
            weekday: Weekday::Mon,
            start_min: 20 * 60,
            end_min: 1440,
        },
        WorkingSpan {
            weekday: Weekday::Tue,
            start_min: 0,
            end_min: 4 * 60,
        },
    ];
    let p = producer("late", "UTC", hours, vec![]);
    assert!(p.is_free(&need("2027-01-11T23:30:00Z", 120).window()));
}

#[test]
fn shift_on_the_day_clocks_change() {
    // Paris, Sunday 2027-03-28: 02:00 becomes 03:00. A 00:00-08:00 shift lasts 7 hours.
    let hours = vec![WorkingSpan {
        weekday: Weekday::Sun,
        start_min: 0,
        end_min: 8 * 60,
    }];
    let p = producer("sun", "Europe/Paris", hours, vec![]);
    let stretch = p
        .working_intervals(utc("2027-03-28T00:00:00Z"), utc("2027-03-29T00:00:00Z"))
        .find(|s| s.end > utc("2027-03-27T23:00:00Z"))
        .unwrap();
    assert_eq!(
        stretch,
        Interval::new(utc("2027-03-27T23:00:00Z"), utc("2027-03-28T06:00:00Z"))
    );
    // On 2027-10-31 (02:00 back to 02:00 again... 03:00 to 02:00) it lasts 9 hours.
    let stretch = p
        .working_intervals(utc("2027-10-31T00:00:00Z"), utc("2027-11-01T00:00:00Z"))
        .find(|s| s.end > utc("2027-10-30T22:00:00Z"))
        .unwrap();
    assert_eq!(
        stretch,
        Interval::new(utc("2027-10-30T22:00:00Z"), utc("2027-10-31T07:00:00Z"))
    );
}

#[test]
fn assignments_and_time_off_block() {
    let busy = Interval::new(utc("2027-01-12T09:30:00Z"), utc("2027-01-12T11:00:00Z"));
    let mut p = producer("a", "UTC", weekdays(8 * 60, 18 * 60), vec![busy]);
    assert!(
        !p.is_free(&need("2027-01-12T11:00:00Z", 60).window()),
        "prep overlaps"
    );
    assert!(
        p.is_free(&need("2027-01-12T11:30:00Z", 60).window()),
        "back to back with prep"
    );
    assert!(
        p.is_free(&need("2027-01-12T09:00:00Z", 30).window()),
        "ends as the next prep begins"
    );
    assert!(!p.is_free(&need("2027-01-12T09:30:00Z", 30).window()));
    Arc::get_mut(&mut p.profile).unwrap().time_off = vec![Interval::new(
        utc("2027-01-13T00:00:00Z"),
        utc("2027-01-14T00:00:00Z"),
    )];
    assert!(!p.is_free(&need("2027-01-13T12:00:00Z", 60).window()));
    assert!(p.is_free(&need("2027-01-14T12:00:00Z", 60).window()));
}

#[test]
fn choice_prefers_language_then_load() {
    let mut fr = producer("b-fr", "UTC", weekdays(8 * 60, 18 * 60), vec![]);
    Arc::get_mut(&mut fr.profile).unwrap().languages = vec!["en".into(), "fr".into()];
    let busy = producer(
        "a-busy",
        "UTC",
        weekdays(8 * 60, 18 * 60),
        vec![Interval::new(
            utc("2027-01-11T09:00:00Z"),
            utc("2027-01-11T10:00:00Z"),
        )],
    );
    let idle = producer("c-idle", "UTC", weekdays(8 * 60, 18 * 60), vec![]);
    let week = week_of(utc("2027-01-12T12:00:00Z"), tz("UTC"));
    let load = |p: Producer| {
        let n = p.assignments_in(&week);
        p.with_load(n)
    };
    let roster = vec![load(busy), load(fr), load(idle)];
    let mut n = need("2027-01-12T12:00:00Z", 60);
    n.language = "fr";
    assert_eq!(
        choose(&roster, &n),
        Some(Choice {
            index: 1,
            language_pending: false
        })
    );
    n.language = "de";
    // Nobody speaks German: an English speaker, the least loaded, with language pending.
    assert_eq!(
        choose(&roster, &n),
        Some(Choice {
            index: 1,
            language_pending: true
        })
    );
    n.language = "en";
    assert_eq!(
        choose(&roster, &n).unwrap().index,
        1,
        "b-fr and c-idle both idle: by id"
    );
}

#[test]
fn three_alternatives_are_nearest_free_grid_times() {
    // Only producer works 09:00-12:00 UTC and is busy 09:00-10:30 on Tuesday.
    let p = producer(
        "a",
        "UTC",
        weekdays(9 * 60, 12 * 60),
        vec![Interval::new(
            utc("2027-01-12T09:00:00Z"),
            utc("2027-01-12T10:30:00Z"),
        )],
    );
    let roster = vec![p];
    let n = need("2027-01-12T09:30:00Z", 60);
    let alts = alternatives(
        &roster,
        &n,
        utc("2027-01-01T00:00:00Z"),
        utc("2027-03-01T00:00:00Z"),
        3,
    );
    let starts: Vec<_> = alts.iter().map(|a| a.start).collect();
    // Tuesday: window from 10:30 → starts 11:00 (ends 12:00). Then Wednesday 09:30, 10:00.
    assert_eq!(
        starts,
        [
            utc("2027-01-12T11:00:00Z"),
            utc("2027-01-13T09:30:00Z"),
            utc("2027-01-13T10:00:00Z")
        ]
    );
    for a in &alts {
        assert!(roster[0].is_free(&producer_window(a.start, 60)));
    }
}

#[test]
fn alternatives_respect_the_earliest_bookable_time() {
    let roster = vec![producer("a", "UTC", weekdays(9 * 60, 17 * 60), vec![])];
    let n = need("2027-01-12T09:30:00Z", 60);
    let alts = alternatives(
        &roster,
        &n,
        utc("2027-01-14T12:10:00Z"),
        utc("2027-03-01T00:00:00Z"),
        3,
    );
    assert_eq!(alts[0].start, utc("2027-01-14T12:30:00Z"));
}

#[test]
fn grid() {
    assert_eq!(
        ceil_to_grid(utc("2027-01-12T09:30:00Z")),
        utc("2027-01-12T09:30:00Z")
    );
    assert_eq!(
        ceil_to_grid(utc("2027-01-12T09:30:01Z")),
        utc("2027-01-12T10:00:00Z")
    );
    assert_eq!(
        ceil_to_grid(utc("2027-01-12T09:01:00Z")),
        utc("2027-01-12T09:30:00Z")
    );
}

#[test]
fn the_week_is_monday_to_monday_in_the_zone_given() {
    let a = |s: &str, e: &str| Interval::new(utc(s), utc(e));
    let p = producer(
        "a",
        "Asia/Tokyo",
        weekdays(9 * 60, 17 * 60),
        vec![
            a("2027-01-10T14:00:00Z", "2027-01-10T15:00:00Z"),
            a("2027-01-11T01:00:00Z", "2027-01-11T02:00:00Z"),
        ],
    );
    // 2027-01-10T14:00Z is Sunday 23:00 in Tokyo: the week before.
    let week = week_of(utc("2027-01-12T03:00:00Z"), tz("Asia/Tokyo"));
    assert_eq!(week, a("2027-01-10T15:00:00Z", "2027-01-17T15:00:00Z"));
    assert_eq!(p.assignments_in(&week), 1);
}

#[test]
fn round_the_clock_hours_end() {
    let all_week: Vec<_> = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .map(|weekday| WorkingSpan {
        weekday,
        start_min: 0,
        end_min: 1440,
    })
    .collect();
    let p = producer("always", "Europe/Paris", all_week, vec![]);
    assert!(p.is_free(&need("2027-10-31T01:30:00Z", 120).window()));
    let stretches: Vec<_> = p
        .working_intervals(utc("2027-01-01T00:00:00Z"), utc("2027-03-01T00:00:00Z"))
        .collect();
    assert_eq!(stretches.len(), 1);
    let roster = vec![p];
    let alts = alternatives(
        &roster,
        &need("2027-01-12T09:30:00Z", 60),
        utc("2027-01-01T00:00:00Z"),
        utc("2027-03-01T00:00:00Z"),
        3,
    );
    assert_eq!(alts.len(), 3);
    assert_eq!(alts[0].start, utc("2027-01-12T10:00:00Z"));
}

#[test]
fn free_starts_are_the_union_of_everyones_free_times() {
    let a = producer(
        "a",
        "UTC",
        vec![WorkingSpan {
            weekday: Weekday::Tue,
            start_min: 9 * 60,
            end_min: 12 * 60,
        }],
        vec![],
    );
    let b = producer(
        "b",
        "UTC",
        vec![WorkingSpan {
            weekday: Weekday::Tue,
            start_min: 11 * 60,
            end_min: 13 * 60,
        }],
        vec![Interval::new(
            utc("2027-01-12T11:00:00Z"),
            utc("2027-01-12T12:00:00Z"),
        )],
    );
    let roster = vec![a, b];
    let starts = free_starts(
        &roster,
        &need("2027-01-12T00:00:00Z", 60),
        utc("2027-01-12T00:00:00Z"),
        utc("2027-01-13T00:00:00Z"),
    );
    let hours: Vec<String> = starts
        .iter()
        .map(|s| s.format("%H:%M").to_string())
        .collect();
    // a: window 09:00-12:00 → starts 09:30..11:00; b: free 12:00-13:00 → none (needs 90 min).
    assert_eq!(hours, ["09:30", "10:00", "10:30", "11:00"]);
    for s in &starts {
        assert!(roster.iter().any(|p| p.is_free(&producer_window(*s, 60))));
    }
}

#[test]
fn capacity_counts_work_and_what_is_free_of_it() {
    // Paris, 9:00–17:00 on weekdays; Monday 2027-03-29 (summer time: UTC+2).
    let mut p = producer(
        "a",
        "Europe/Paris",
        weekdays(9 * 60, 17 * 60),
        vec![Interval::new(
            utc("2027-03-29T08:00:00Z"),
            utc("2027-03-29T09:30:00Z"),
        )],
    );
    Arc::get_mut(&mut p.profile).unwrap().time_off = vec![Interval::new(
        utc("2027-03-29T09:00:00Z"),
        utc("2027-03-29T11:00:00Z"),
    )];
    let day = Interval::new(utc("2027-03-28T22:00:00Z"), utc("2027-03-29T22:00:00Z"));
    // 8 hours of work; 10:00–13:00 local taken (the assignment and the time off merge).
    assert_eq!(p.capacity_in(&day), (480, 300));
    // Sunday: no work, nothing free.
    let sunday = Interval::new(utc("2027-03-27T23:00:00Z"), utc("2027-03-28T22:00:00Z"));
    assert_eq!(p.capacity_in(&sunday), (0, 0));
}

#[test]
fn free_starts_skip_assignments_and_stay_in_working_hours() {
    // Mon 2027-03-01, 09:00-17:00 New York (14:00-22:00 UTC); busy 15:00-16:00 UTC.
    let busy = Interval::new(utc("2027-03-01T15:00:00Z"), utc("2027-03-01T16:00:00Z"));
    let p = producer(
        "p1",
        "America/New_York",
        weekdays(9 * 60, 17 * 60),
        vec![busy],
    );
    let found = p.free_starts(
        60,
        utc("2027-03-01T14:10:00Z"),
        utc("2027-03-02T00:00:00Z"),
        3,
    );
    let starts: Vec<String> = found.iter().map(|i| i.start.to_rfc3339()).collect();
    assert_eq!(
        starts,
        [
            "2027-03-01T16:00:00+00:00",
            "2027-03-01T16:15:00+00:00",
            "2027-03-01T16:30:00+00:00"
        ]
    );
    // Too close to the end of the day: the next day's first hours.
    let late = p.free_starts(
        60,
        utc("2027-03-01T21:30:00Z"),
        utc("2027-03-03T00:00:00Z"),
        1,
    );
    assert_eq!(late[0].start, utc("2027-03-02T14:00:00Z"));
    assert!(p
        .free_starts(
            60,
            utc("2027-03-01T21:30:00Z"),
            utc("2027-03-01T23:00:00Z"),
            3
        )
        .is_empty());
}
