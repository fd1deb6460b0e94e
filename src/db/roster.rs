//! The roster as an order or a move needs it: every producer as stored and as the
//! engine sees them, with what keeps them busy around a range.
//!
//! Producers, their hours, time off and the closures change rarely and are read on every
//! request, so they are kept in memory as one immutable snapshot per roster version.
//! The version is a row the database bumps (by trigger) on any change to those tables,
//! whoever makes it, so every instance sharing the database notices with one read of
//! one row; a request then reads only the assignments of its own range.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use diesel::prelude::*;

use super::key::Key;
use super::models::{assignments, bookings, closures, producers, time_off};
use super::schema::roster_version;
use super::DbConnection;
use crate::domain::producer::Producer;
use crate::scheduling::{self, Interval, Profile};

/// The roster twice over: as stored (names, e-mails) and as the engine sees it, in the
/// same order.
pub struct Roster {
    pub people: Vec<Arc<Producer>>,
    pub engine: Vec<scheduling::Producer>,
}

/// The roster as of one version: every producer on it, and the engine's view of each
/// (hours, time off and the closures that apply to them, in their zone).
struct Snapshot {
    version: i64,
    people: Vec<Arc<Producer>>,
    profiles: Vec<Arc<Profile>>,
    /// Each producer's place in `people`, by id.
    index: HashMap<Key, usize>,
}

impl Snapshot {
    fn read(conn: &mut DbConnection, version: i64) -> anyhow::Result<Snapshot> {
        let people: Vec<Arc<Producer>> = producers::list(conn)?.into_iter().map(Arc::new).collect();
        let mut offs_by: HashMap<String, Vec<Interval>> = HashMap::new();
        for (producer, off) in time_off::all(conn)? {
            offs_by.entry(producer).or_default().push(off);
        }
        // Closures are time off for every producer they apply to, in that producer's zone.
        let closed = closures::list(conn)?;
        for p in &people {
            for c in closed.iter().filter(|c| c.applies_to(p.time_zone)) {
                offs_by
                    .entry(p.id.clone())
                    .or_default()
                    .push(c.interval_in(p.time_zone));
            }
        }
        let mut by_id: Vec<&str> = people.iter().map(|p| p.id.as_str()).collect();
        by_id.sort_unstable();
        let profiles = people
            .iter()
            .map(|p| {
                let rank = by_id.binary_search(&p.id.as_str()).unwrap_or(0) as u32;
                Arc::new(
                    Profile::new(
                        p.id.clone(),
                        p.time_zone,
                        p.languages.clone(),
                        p.centres.clone(),
                        &p.working_hours,
                        offs_by.remove(&p.id).unwrap_or_default(),
                    )
                    .ranked(rank),
                )
            })
            .collect();
        let index = people
            .iter()
            .enumerate()
            .map(|(i, p)| (Key::of(&p.id), i))
            .collect();
        Ok(Snapshot {
            version,
            people,
            profiles,
            index,
        })
    }
}

/// The roster in memory, shared by the requests of one instance.
#[derive(Default)]
pub struct RosterCache {
    current: RwLock<Option<Arc<Snapshot>>>,
    /// Times the roster was read from the database (for tests and metrics).
    pub reads: std::sync::atomic::AtomicU64,
    /// Each producer's bookings in the weeks orders asked about lately (see `WeekLoads`).
    weeks: std::sync::Mutex<WeekLoads>,
    /// Times a week's counts were read from the database (for tests and metrics).
    pub week_reads: std::sync::atomic::AtomicU64,
}

/// How long a week's counts are used before they are read again: the bound on how long
/// another instance's bookings (which this one does not see written), or an order of this
/// one written while they were read, are miscounted by the fair choice.
const WEEK_LOADS_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// The most weeks kept (each a count a producer).
const WEEKS_KEPT: usize = 128;

/// The fair choice's counts (each producer's confirmed bookings overlapping a week),
/// kept between orders: read from the database they were an order's largest cost (about
/// 2,600 index entries a week with 500 producers and 200,000 assignments).
///
/// Each order this instance writes is added to the counts kept for its week once it is
/// committed. Counts read while an order was being written may already hold it (and then
/// count it twice) or not (and miss it) until they are read again, at most
/// `WEEK_LOADS_FOR` later: the fair choice is a preference among free producers, never a
/// check (the database refuses a double booking), and orders placed at the same moment
/// never saw each other's bookings anyway. Every other change to bookings (a move, a
/// cancellation, a reassignment, an erasure) drops every count once committed, and
/// counts read before it are not kept, so that it is counted at once.
#[derive(Default)]
struct WeekLoads {
    kept: HashMap<Interval, Counted>,
    /// Other changes to bookings applied so far.
    changes: u64,
}

/// One week's counts, by the roster's order of producers at `version`.
struct Counted {
    version: i64,
    read_at: std::time::Instant,
    counts: Vec<u32>,
}

impl RosterCache {
    /// The roster as the database has it now: the snapshot in memory if its version is
    /// current, else read anew (and kept, unless a newer one was kept meanwhile).
    /// `seen`: the version as read with the assignments, when some were.
    fn snapshot(
        &self,
        conn: &mut DbConnection,
        seen: Option<i64>,
    ) -> anyhow::Result<Arc<Snapshot>> {
        let version = match seen {
            Some(v) => v,
            None => current_version(conn)?,
        };
        let kept = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some(s) = kept.filter(|s| s.version == version) {
            return Ok(s);
        }
        // Read after the version, so the data is at least as new as the number it is
        // kept under.
        let version = current_version(conn)?;
        let fresh = Arc::new(Snapshot::read(conn, version)?);
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut slot = self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.as_ref().is_none_or(|s| s.version < version) {
            *slot = Some(fresh.clone());
        }
        Ok(fresh)
    }

    fn weeks(&self) -> std::sync::MutexGuard<'_, WeekLoads> {
        self.weeks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The counts kept for `week` at roster `version`, if still fresh.
    fn kept_loads(&self, version: i64, week: &Interval) -> Option<Vec<u32>> {
        self.weeks()
            .kept
            .get(week)
            .filter(|c| c.version == version && c.read_at.elapsed() < WEEK_LOADS_FOR)
            .map(|c| c.counts.clone())
    }

    /// Before reading counts: what `keep_loads` needs to know whether they may be kept.
    fn reading(&self) -> u64 {
        self.weeks().changes
    }

    /// Keep counts read after `reading` returned `seen`, unless bookings changed since.
    fn keep_loads(&self, seen: u64, version: i64, week: &Interval, counts: Vec<u32>) {
        let mut weeks = self.weeks();
        if weeks.changes != seen {
            return;
        }
        if weeks.kept.len() >= WEEKS_KEPT {
            if let Some(oldest) = weeks
                .kept
                .iter()
                .min_by_key(|(_, c)| c.read_at)
                .map(|(k, _)| *k)
            {
                weeks.kept.remove(&oldest);
            }
        }
        let read_at = std::time::Instant::now();
        weeks.kept.insert(
            *week,
            Counted {
                version,
                read_at,
                counts,
            },
        );
    }

    /// A booking of `producer` over `window` was committed: count it in the weeks kept.
    pub fn booked(&self, producer: &str, window: Interval) {
        let current = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut weeks = self.weeks();
        weeks.kept.retain(|week, c| {
            if !week.overlaps(&window) {
                return true;
            }
            let at = current
                .as_ref()
                .filter(|s| s.version == c.version)
                .and_then(|s| s.index.get(&Key::of(producer)));
            // Kept for another roster: of no more use.
            at.map(|&i| c.counts[i] += 1).is_some()
        });
    }

    /// Bookings were changed otherwise than by a new order: every count kept is dropped.
    pub fn bookings_changed(&self) {
        let mut weeks = self.weeks();
        weeks.changes += 1;
        weeks.kept.clear();
    }
}

/// The roster's version now. Loaded rather than `first()`: SQLite plans `LIMIT ?` with
/// the bound value, so a statement with one is prepared again on every run.
fn current_version(conn: &mut DbConnection) -> anyhow::Result<i64> {
    roster_version::table
        .filter(roster_version::id.eq(1))
        .select(roster_version::version)
        .load(conn)?
        .first()
        .copied()
        .context("the roster_version row is missing; run `greenroom migrate`")
}

/// Everything the engine needs about the roster around `range`: the roster (from
/// memory, see `RosterCache`), the assignments overlapping `range` (one statement, which
/// also reads the roster's version), and,
/// when `week` is given, each one's number of assignments in that week (counted by the
/// database). `set_aside` leaves assignments out: a booking's live window (its id is the
/// booking's, first) and the sessions a move takes off the schedule, or a session being
/// moved.
pub fn load(
    cache: &RosterCache,
    conn: &mut DbConnection,
    range: Interval,
    week: Option<Interval>,
    set_aside: &[&str],
) -> anyhow::Result<Roster> {
    let (seen, windows) = assignments::busy_windows(conn, range)?;
    let snapshot = cache.snapshot(conn, seen)?;
    let n = snapshot.profiles.len();
    let mut busy: Vec<Vec<Interval>> = vec![Vec::new(); n];
    let aside: Vec<Key> = set_aside.iter().map(|id| Key::of(id)).collect();
    for (assignment, producer, window) in windows {
        if !aside.contains(&assignment) {
            if let Some(&i) = snapshot.index.get(&producer) {
                busy[i].push(window);
            }
        }
    }
    let mut loads = vec![0u32; n];
    if let Some(week) = week {
        // A booking set aside is one being moved: its live window's id is the booking's,
        // and the counts are read without it (not kept: they hold for this move only).
        let set_aside = set_aside.first().copied();
        let kept = match set_aside {
            None => cache.kept_loads(snapshot.version, &week),
            Some(_) => None,
        };
        match kept {
            Some(kept) => loads = kept,
            None => {
                let seen = cache.reading();
                cache
                    .week_reads
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                for (producer, count) in bookings::loads(conn, week, set_aside)? {
                    if let Some(&i) = snapshot.index.get(&Key::of(&producer)) {
                        loads[i] = count as u32;
                    }
                }
                if set_aside.is_none() {
                    cache.keep_loads(seen, snapshot.version, &week, loads.clone());
                }
            }
        }
    }
    let engine = snapshot
        .profiles
        .iter()
        .zip(busy)
        .zip(loads)
        .map(|((p, busy), load)| {
            scheduling::Producer::assigned(p.clone(), busy).with_load(load as usize)
        })
        .collect();
    Ok(Roster {
        people: snapshot.people.clone(),
        engine,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc
            .with_ymd_and_hms(2027, 2, day, hour, 0, 0)
            .unwrap()
    }

    /// A cache whose roster (version 1) is two producers, and the week of 8-15 February.
    fn cache() -> (RosterCache, Interval) {
        let cache = RosterCache::default();
        *cache.current.write().unwrap() = Some(Arc::new(Snapshot {
            version: 1,
            people: vec![],
            profiles: vec![],
            index: [(Key::of("p1"), 0), (Key::of("p2"), 1)].into(),
        }));
        (cache, Interval::new(at(8, 0), at(15, 0)))
    }

    fn window(day: u32) -> Interval {
        Interval::new(at(day, 9), at(day, 11))
    }

    #[test]
    fn counts_kept_get_each_new_booking_of_their_week() {
        let (cache, week) = cache();
        let seen = cache.reading();
        cache.keep_loads(seen, 1, &week, vec![3, 1]);
        cache.booked("p2", window(9));
        assert_eq!(cache.kept_loads(1, &week), Some(vec![3, 2]));
        // A booking in another week changes nothing here.
        cache.booked("p1", window(20));
        assert_eq!(cache.kept_loads(1, &week), Some(vec![3, 2]));
        // A window across the week's end counts in it.
        cache.booked("p1", Interval::new(at(14, 23), at(15, 1)));
        assert_eq!(cache.kept_loads(1, &week), Some(vec![4, 2]));
        // Counts of another roster version are not used.
        assert_eq!(cache.kept_loads(2, &week), None);
    }

    #[test]
    fn any_other_change_to_bookings_drops_every_count_and_those_read_before_it() {
        let (cache, week) = cache();
        let seen = cache.reading();
        cache.keep_loads(seen, 1, &week, vec![1, 1]);
        let reading = cache.reading();
        cache.bookings_changed();
        assert_eq!(cache.kept_loads(1, &week), None);
        cache.keep_loads(reading, 1, &week, vec![1, 1]);
        assert_eq!(cache.kept_loads(1, &week), None, "read before the change");
        let seen = cache.reading();
        cache.keep_loads(seen, 1, &week, vec![0, 1]);
        assert_eq!(
            cache.kept_loads(1, &week),
            Some(vec![0, 1]),
            "read after it"
        );
    }
}
