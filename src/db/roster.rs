//! The roster as an order or a move needs it: every producer as stored and as the
//! engine sees them, with what keeps them busy around a range.

use std::collections::HashMap;

use super::models::{bookings, closures, producers, time_off};
use super::DbConnection;
use crate::domain::producer::Producer;
use crate::scheduling::{self, Interval};

/// The roster twice over: as stored (names, e-mails) and as the engine sees it, in the
/// same order.
pub struct Roster {
    pub people: Vec<Producer>,
    pub engine: Vec<scheduling::Producer>,
}

/// Everything the engine needs about the roster around `range`, in at most five
/// queries whatever the roster's size: producers, their time off and the closures
/// (as time off of each producer they apply to), their assignments
/// overlapping `range`, and, when `week` is given, each one's number of assignments in
/// that week (counted by the database). `set_aside` leaves one booking out (a booking
/// being moved).
pub fn load(
    conn: &mut DbConnection,
    range: Interval,
    week: Option<Interval>,
    set_aside: Option<&str>,
) -> anyhow::Result<Roster> {
    let people = producers::list(conn)?;
    let mut offs_by: HashMap<String, Vec<Interval>> = HashMap::new();
    for (producer, off) in time_off::overlapping(conn, range)? {
        offs_by.entry(producer).or_default().push(off);
    }
    // Closures are time off for every producer they apply to, in that producer's zone.
    let closed = closures::overlapping(conn, range)?;
    for p in &people {
        for c in closed.iter().filter(|c| c.applies_to(p.time_zone)) {
            offs_by
                .entry(p.id.clone())
                .or_default()
                .push(c.interval_in(p.time_zone));
        }
    }
    let mut busy_by: HashMap<String, Vec<Interval>> = HashMap::new();
    for (booking, producer, window) in bookings::busy_windows(conn, range)? {
        if Some(booking.as_str()) != set_aside {
            busy_by.entry(producer).or_default().push(window);
        }
    }
    let loads: HashMap<String, i64> = match week {
        Some(week) => bookings::loads(conn, week, set_aside)?
            .into_iter()
            .collect(),
        None => HashMap::new(),
    };
    let engine = people
        .iter()
        .map(|p| {
            scheduling::Producer::new(
                p.id.clone(),
                p.time_zone,
                p.languages.clone(),
                p.centres.clone(),
                &p.working_hours,
                offs_by.remove(&p.id).unwrap_or_default(),
                busy_by.remove(&p.id).unwrap_or_default(),
            )
            .with_load(loads.get(&p.id).copied().unwrap_or(0) as usize)
        })
        .collect();
    Ok(Roster { people, engine })
}
