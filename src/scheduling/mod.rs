//! The availability engine: who is free when. Pure, no I/O, no clock.
//!
//! A producer is free for a window (from 30 minutes before the start to the end) when
//! the window lies inside their working hours, read in their own zone day by day, outside
//! their time off, and overlaps none of their assignments. Working hours are turned into
//! instants one local day at a time, so daylight-saving changes and hours that cross
//! midnight come out right; adjacent spans are merged, so a night shift running into a
//! morning shift is one stretch of work.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::catalogue::Centre;
use crate::domain::order::PREPARATION_MINUTES;
use crate::domain::producer::WorkingSpan;

/// A half-open stretch of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Interval {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Interval {
        Interval { start, end }
    }

    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// The producer's window for an event: preparation before the start, then the event.
pub fn producer_window(start: DateTime<Utc>, duration_minutes: i64) -> Interval {
    Interval::new(
        start - Duration::minutes(PREPARATION_MINUTES),
        start + Duration::minutes(duration_minutes),
    )
}

/// The week (Monday 00:00 to Monday 00:00) around `t` in `tz`: the span over which the
/// fair choice counts each candidate's assignments, the same span for all of them.
pub fn week_of(t: DateTime<Utc>, tz: Tz) -> Interval {
    let date = t.with_timezone(&tz).date_naive();
    let monday = date - Duration::days(date.weekday().num_days_from_monday() as i64);
    Interval::new(
        resolve_boundary(tz, monday.and_hms_opt(0, 0, 0).expect("midnight")),
        resolve_boundary(
            tz,
            (monday + Duration::days(7))
                .and_hms_opt(0, 0, 0)
                .expect("midnight"),
        ),
    )
}

/// What the engine knows of a producer between roster changes: who they are, their
/// hours and their time off. Built once per roster version and shared by every request
/// (see `db::roster::RosterCache`).
#[derive(Debug)]
pub struct Profile {
    pub id: String,
    pub time_zone: Tz,
    pub languages: Vec<String>,
    pub centres: Vec<Centre>,
    /// Working spans per weekday (Monday first), sorted by start.
    hours: [Vec<WorkingSpan>; 7],
    /// Sorted by start; may overlap each other.
    time_off: Vec<Interval>,
    /// The producer's place in the roster ordered by id (see `ranked`): the fair choice's
    /// tie-break, compared as a number. 0 for all when not ranked (the ids decide).
    rank: u32,
}

impl Profile {
    /// This producer's place when the roster is ordered by id.
    pub fn ranked(mut self, rank: u32) -> Profile {
        self.rank = rank;
        self
    }

    pub fn new(
        id: impl Into<String>,
        time_zone: Tz,
        languages: Vec<String>,
        centres: Vec<Centre>,
        working_hours: &[WorkingSpan],
        mut time_off: Vec<Interval>,
    ) -> Profile {
        let mut hours: [Vec<WorkingSpan>; 7] = Default::default();
        for span in working_hours {
            hours[span.weekday.num_days_from_monday() as usize].push(*span);
        }
        for day in &mut hours {
            day.sort_by_key(|s| s.start_min);
        }
        time_off.sort();
        Profile {
            id: id.into(),
            time_zone,
            languages,
            centres,
            hours,
            time_off,
            rank: 0,
        }
    }
}

/// One producer as the engine sees them for one request: the shared profile and the
/// assignments read for the range at hand.
#[derive(Debug, Clone)]
pub struct Producer {
    profile: Arc<Profile>,
    /// Sorted by start; never overlap each other (the database forbids it).
    assignments: Vec<Interval>,
    /// Assignments in the week of the booking being placed.
    load: usize,
}

impl std::ops::Deref for Producer {
    type Target = Profile;

    fn deref(&self) -> &Profile {
        &self.profile
    }
}

impl Producer {
    pub fn new(
        id: impl Into<String>,
        time_zone: Tz,
        languages: Vec<String>,
        centres: Vec<Centre>,
        working_hours: &[WorkingSpan],
        time_off: Vec<Interval>,
        assignments: Vec<Interval>,
    ) -> Producer {
        Producer::assigned(
            Arc::new(Profile::new(
                id,
                time_zone,
                languages,
                centres,
                working_hours,
                time_off,
            )),
            assignments,
        )
    }

    /// A shared profile with this request's assignments.
    pub fn assigned(profile: Arc<Profile>, mut assignments: Vec<Interval>) -> Producer {
        assignments.sort();
        Producer {
            profile,
            assignments,
            load: 0,
        }
    }

    pub fn speaks(&self, language: &str) -> bool {
        self.languages.iter().any(|l| l == language)
    }

    pub fn serves(&self, centre: Centre) -> bool {
        self.centres.contains(&centre)
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.time_zone).date_naive()
    }

    /// Merged stretches of work, in order, from the local day before `from`'s (long
    /// enough back for any stretch that covers `from`) to the local day of `until`. A
    /// stretch running past `until` is cut at the end of the last day read, so someone
    /// who works round the clock still gives a finite sequence.
    pub fn working_intervals(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> WorkingIntervals<'_> {
        WorkingIntervals {
            producer: self,
            next_date: self.local_date(from) - Duration::days(1),
            last_date: self.local_date(until),
            pending: None,
            out: VecDeque::new(),
        }
    }

    fn busy_with_assignment(&self, window: &Interval) -> bool {
        // Assignments never overlap, so ends are sorted too: the last one starting before
        // the window ends is the only one that can reach into it.
        let idx = self.assignments.partition_point(|a| a.start < window.end);
        idx > 0 && self.assignments[idx - 1].end > window.start
    }

    fn on_time_off(&self, window: &Interval) -> bool {
        let idx = self.time_off.partition_point(|t| t.start < window.end);
        self.time_off[..idx].iter().any(|t| t.end > window.start)
    }

    fn within_working_hours(&self, window: &Interval) -> bool {
        for stretch in self.working_intervals(window.start, window.end) {
            if stretch.start > window.start {
                return false;
            }
            if stretch.contains(window) {
                return true;
            }
        }
        false
    }

    /// Free for this producer window (preparation included)?
    pub fn is_free(&self, window: &Interval) -> bool {
        !self.busy_with_assignment(window)
            && !self.on_time_off(window)
            && self.within_working_hours(window)
    }

    /// Up to `n` stretches of `minutes` at which this producer is free, starting on a
    /// quarter hour from `from` on and ending by `until`, earliest first: the times
    /// offered for a preparation session when the one asked for is taken.
    pub fn free_starts(
        &self,
        minutes: i64,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        n: usize,
    ) -> Vec<Interval> {
        let length = Duration::minutes(minutes);
        let mut out = Vec::new();
        for stretch in self.working_intervals(from, until) {
            let mut start = quarter_hour_from(stretch.start.max(from));
            while out.len() < n && start + length <= stretch.end.min(until) {
                let candidate = Interval::new(start, start + length);
                if self.is_free(&candidate) {
                    out.push(candidate);
                }
                start += Duration::minutes(15);
            }
            if out.len() == n || stretch.start >= until {
                break;
            }
        }
        out
    }

    /// Assignments overlapping `range` (the caller's count of "this week").
    pub fn assignments_in(&self, range: &Interval) -> usize {
        let first = self.assignments.partition_point(|a| a.end <= range.start);
        let last = self.assignments.partition_point(|a| a.start < range.end);
        last.saturating_sub(first)
    }

    /// Set how many assignments the producer has in the booking's week, which the fair
    /// choice compares. The caller counts them (the database does it in one query).
    pub fn with_load(mut self, load: usize) -> Producer {
        self.load = load;
        self
    }

    /// Minutes of work in `range`, and how many of them are free (neither assigned nor
    /// off): what the month view shades each day by.
    pub fn capacity_in(&self, range: &Interval) -> (i64, i64) {
        let busy = self.busy_in(range);
        let (mut work, mut free) = (0, 0);
        for stretch in self.working_intervals(range.start, range.end) {
            let (s, e) = (stretch.start.max(range.start), stretch.end.min(range.end));
            if s >= e {
                continue;
            }
            let minutes = (e - s).num_minutes();
            let taken: i64 = busy
                .iter()
                .map(|b| (b.end.min(e) - b.start.max(s)).num_minutes().max(0))
                .sum();
            work += minutes;
            free += minutes - taken;
        }
        (work, free)
    }

    /// Busy stretches (assignments and time off) overlapping `range`, sorted and merged.
    fn busy_in(&self, range: &Interval) -> Vec<Interval> {
        let first = self.assignments.partition_point(|a| a.end <= range.start);
        let mut busy: Vec<Interval> = self.assignments[first..]
            .iter()
            .take_while(|a| a.start < range.end)
            .copied()
            .chain(self.time_off.iter().filter(|t| t.overlaps(range)).copied())
            .collect();
        busy.sort();
        merge(busy)
    }
}

/// The first quarter hour (:00, :15, :30, :45) at or after `t`.
fn quarter_hour_from(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp();
    let quarter = 15 * 60;
    let up = (secs + quarter - 1).div_euclid(quarter) * quarter;
    DateTime::from_timestamp(up, 0).unwrap_or(t)
}

fn merge(sorted: Vec<Interval>) -> Vec<Interval> {
    let mut out: Vec<Interval> = Vec::with_capacity(sorted.len());
    for iv in sorted {
        match out.last_mut() {
            Some(last) if iv.start <= last.end => last.end = last.end.max(iv.end),
            _ => out.push(iv),
        }
    }
    out
}

/// The instant a working-hours boundary denotes. A boundary the zone repeats (fall back)
/// is its first occurrence; one the zone skips (spring forward) is the moment the clocks
/// jump, which is when a producer due at that time actually starts or stops.
pub fn resolve_boundary(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            let mut probe = local;
            // Gaps are at most a day long (a zone that skipped a date); walk forward to
            // the first wall-clock minute that exists.
            for _ in 0..(26 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// A lazy, ordered, merged sequence of a producer's stretches of work.
pub struct WorkingIntervals<'a> {
    producer: &'a Producer,
    next_date: NaiveDate,
    last_date: NaiveDate,
    pending: Option<Interval>,
    out: VecDeque<Interval>,
}

impl WorkingIntervals<'_> {
    fn generate_day(&mut self) {
        let p = self.producer;
        let date = self.next_date;
        self.next_date = date + Duration::days(1);
        let spans = &p.hours[date.weekday().num_days_from_monday() as usize];
        for span in spans {
            let start = resolve_boundary(p.time_zone, at_minute(date, span.start_min));
            let end_date = if span.crosses_midnight() {
                date + Duration::days(1)
            } else {
                date
            };
            let end = resolve_boundary(p.time_zone, at_minute(end_date, span.end_min));
            if end <= start {
                continue; // a span swallowed whole by a clock change
            }
            let iv = Interval::new(start, end);
            match &mut self.pending {
                Some(pending) if iv.start <= pending.end => pending.end = pending.end.max(iv.end),
                Some(pending) => {
                    self.out.push_back(*pending);
                    self.pending = Some(iv);
                }
                None => self.pending = Some(iv),
            }
        }
    }
}

fn at_minute(date: NaiveDate, minute: u16) -> NaiveDateTime {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    midnight + Duration::minutes(i64::from(minute))
}

impl Iterator for WorkingIntervals<'_> {
    type Item = Interval;

    fn next(&mut self) -> Option<Interval> {
        if self.producer.hours.iter().all(Vec::is_empty) {
            return None;
        }
        loop {
            if let Some(iv) = self.out.pop_front() {
                return Some(iv);
            }
            if self.next_date > self.last_date {
                return self.pending.take();
            }
            // A pending stretch is complete once the days generated start after its end:
            // every later span starts later still.
            if let Some(p) = self.pending {
                let day_start =
                    resolve_boundary(self.producer.time_zone, at_minute(self.next_date, 0));
                if day_start > p.end {
                    self.pending = None;
                    return Some(p);
                }
            }
            self.generate_day();
        }
    }
}

/// What an order needs from a producer.
#[derive(Debug, Clone)]
pub struct Need<'a> {
    pub centre: Centre,
    /// Primary language subtag, "en" by default.
    pub language: &'a str,
    pub start: DateTime<Utc>,
    pub duration_minutes: i64,
}

impl Need<'_> {
    pub fn window(&self) -> Interval {
        producer_window(self.start, self.duration_minutes)
    }

    fn eligible(&self, p: &Producer) -> bool {
        p.serves(self.centre) && (p.speaks(self.language) || p.speaks("en"))
    }
}

/// The producer an order gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub index: usize,
    /// The requested language is not spoken by the producer chosen (an English speaker
    /// stands in), so the provider must still confirm it.
    pub language_pending: bool,
}

/// Pick a free producer: one who speaks the requested language if any is free, else an
/// English speaker; among equals the least loaded that week (see `with_load`), then by
/// id so the choice is the same on every run.
pub fn choose(producers: &[Producer], need: &Need<'_>) -> Option<Choice> {
    choose_with(producers, need, &[])
}

/// As `choose`, for a producer also free for each of `also` (the preparation sessions
/// picked with the order).
pub fn choose_with(producers: &[Producer], need: &Need<'_>, also: &[Interval]) -> Option<Choice> {
    let window = need.window();
    let tiers: &[(&str, bool)] = if need.language == "en" {
        &[("en", false)]
    } else {
        &[(need.language, false), ("en", true)]
    };
    for (language, pending) in tiers {
        // Take the candidates in order of fairness and test them: the first free one is
        // the answer, so a typical decision looks at one or two producers' hours. A heap
        // orders only as many as are tested.
        // Sized once for the whole roster: grown from empty, a roster of thousands was
        // copied a dozen times over, each time into a larger block the allocator mapped
        // afresh (with 5,000 producers, page faults were most of an answer's time).
        let mut eligible = Vec::with_capacity(producers.len());
        eligible.extend(
            producers
                .iter()
                .enumerate()
                .filter(|(_, p)| p.serves(need.centre) && p.speaks(language))
                .map(|(i, p)| std::cmp::Reverse((p.load, p.rank, p.id.as_str(), i))),
        );
        let mut candidates = std::collections::BinaryHeap::from(eligible);
        while let Some(std::cmp::Reverse((_, _, _, index))) = candidates.pop() {
            let p = &producers[index];
            if p.is_free(&window) && also.iter().all(|a| p.is_free(a)) {
                return Some(Choice {
                    index,
                    language_pending: *pending,
                });
            }
        }
    }
    None
}

pub const GRID_MINUTES: i64 = 30;

/// The first instant on the 30-minute grid (UTC half hours: local :00 and :30 in every
/// zone whose offset is whole or half hours) at or after `t`.
pub fn ceil_to_grid(t: DateTime<Utc>) -> DateTime<Utc> {
    let step = GRID_MINUTES * 60;
    let secs = t.timestamp();
    let rounded = secs.div_euclid(step) * step
        + if secs.rem_euclid(step) == 0 && t.timestamp_subsec_nanos() == 0 {
            0
        } else {
            step
        };
    DateTime::from_timestamp(rounded, 0).unwrap_or(t)
}

/// Free pieces of a stretch of work: the stretch less the producer's busy times.
fn free_pieces(p: &Producer, stretch: &Interval) -> Vec<Interval> {
    let busy = p.busy_in(stretch);
    let mut cursor = stretch.start;
    let mut pieces = Vec::with_capacity(busy.len() + 1);
    for b in &busy {
        if b.start > cursor {
            pieces.push(Interval::new(cursor, b.start.min(stretch.end)));
        }
        cursor = cursor.max(b.end);
    }
    if cursor < stretch.end {
        pieces.push(Interval::new(cursor, stretch.end));
    }
    pieces
}

/// Grid start times in a free piece, no earlier than `first`, whose whole producer
/// window (preparation and event) fits in the piece.
fn starts_in(
    piece: &Interval,
    first: DateTime<Utc>,
    duration_minutes: i64,
) -> impl Iterator<Item = DateTime<Utc>> {
    let prep = Duration::minutes(PREPARATION_MINUTES);
    let dur = Duration::minutes(duration_minutes);
    let end = piece.end;
    let mut s = ceil_to_grid((piece.start + prep).max(first));
    std::iter::from_fn(move || {
        if s + dur > end {
            return None;
        }
        let here = s;
        s += Duration::minutes(GRID_MINUTES);
        Some(here)
    })
}

/// The `count` nearest start times strictly after `need.start` (and not before
/// `earliest`), on the 30-minute grid, before `horizon`, at which some eligible producer
/// is free for the whole window. Each is returned as the customer's `[start, end)`.
pub fn alternatives(
    producers: &[Producer],
    need: &Need<'_>,
    earliest: DateTime<Utc>,
    horizon: DateTime<Utc>,
    count: usize,
) -> Vec<Interval> {
    let prep = Duration::minutes(PREPARATION_MINUTES);
    let dur = Duration::minutes(need.duration_minutes);
    let first = ceil_to_grid((need.start + Duration::seconds(1)).max(earliest));
    let mut found: Vec<DateTime<Utc>> = Vec::with_capacity(count + 1);
    let limit = |found: &Vec<DateTime<Utc>>| {
        if found.len() >= count {
            found[count - 1]
        } else {
            horizon
        }
    };
    for p in producers.iter().filter(|p| need.eligible(p)) {
        'stretches: for stretch in p.working_intervals(first - prep, horizon + dur) {
            if stretch.start >= limit(&found) {
                break;
            }
            if stretch.end <= first - prep {
                continue;
            }
            for piece in free_pieces(p, &stretch) {
                for s in starts_in(&piece, first, need.duration_minutes) {
                    if s >= limit(&found) {
                        break 'stretches;
                    }
                    if let Err(pos) = found.binary_search(&s) {
                        found.insert(pos, s);
                        found.truncate(count);
                    }
                }
            }
        }
    }
    found
        .into_iter()
        .map(|s| Interval::new(s, s + dur))
        .collect()
}

/// Every start time in `[from, to)` on the 30-minute grid at which some eligible producer
/// is free for the whole window: a month of bookable times for a calendar.
pub fn free_starts(
    producers: &[Producer],
    need: &Need<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let prep = Duration::minutes(PREPARATION_MINUTES);
    let dur = Duration::minutes(need.duration_minutes);
    let first = ceil_to_grid(from);
    let mut all = Vec::new();
    for p in producers.iter().filter(|p| need.eligible(p)) {
        for stretch in p.working_intervals(first - prep, to + dur) {
            if stretch.start >= to {
                break;
            }
            for piece in free_pieces(p, &stretch) {
                all.extend(starts_in(&piece, first, need.duration_minutes).take_while(|s| *s < to));
            }
        }
    }
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests;
