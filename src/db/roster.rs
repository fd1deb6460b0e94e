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
    index: HashMap<String, usize>,
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
            .map(|(i, p)| (p.id.clone(), i))
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
    for (assignment, producer, window) in windows {
        if !set_aside.contains(&assignment.as_str()) {
            if let Some(&i) = snapshot.index.get(&producer) {
                busy[i].push(window);
            }
        }
    }
    let mut loads = vec![0usize; n];
    if let Some(week) = week {
        // A booking set aside is one being moved: its live window's id is the booking's.
        for (producer, count) in bookings::loads(conn, week, set_aside.first().copied())? {
            if let Some(&i) = snapshot.index.get(&producer) {
                loads[i] = count as usize;
            }
        }
    }
    let engine = snapshot
        .profiles
        .iter()
        .zip(busy)
        .zip(loads)
        .map(|((p, busy), load)| scheduling::Producer::assigned(p.clone(), busy).with_load(load))
        .collect();
    Ok(Roster {
        people: snapshot.people.clone(),
        engine,
    })
}
