//! The roster: producers, their hours and time off. Roster changes never strand a
//! booking: time off over a booking, and removing a producer with bookings to run, are
//! refused naming the bookings.

use crate::db::models::{assignments, closures, producers, time_off};
use crate::db::write_transaction;
use crate::domain::error::{Error, ProblemCode};
use crate::domain::producer::{Closure, Producer, ProducerInput, TimeOff, TimeOffInput};
use crate::domain::reservation_number::ReservationNumber;
use crate::scheduling::Interval;

use super::Services;

/// A producer with their time off.
pub struct Listed {
    pub producer: Producer,
    pub time_off: Vec<TimeOff>,
}

fn not_found(id: &str) -> Error {
    Error::not_found(&format!("producer {id}"))
}

fn numbers(list: &[ReservationNumber]) -> String {
    list.iter()
        .take(10)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn list(svc: &Services) -> Result<Vec<Listed>, Error> {
    let mut conn = svc.db.read()?;
    let people = producers::list(&mut conn)?;
    let mut offs = time_off::by_producer(&mut conn)?;
    Ok(people
        .into_iter()
        .map(|p| Listed {
            time_off: offs.remove(&p.id).unwrap_or_default(),
            producer: p,
        })
        .collect())
}

pub fn get(svc: &Services, id: &str) -> Result<Listed, Error> {
    let mut conn = svc.db.read()?;
    let producer = producers::find(&mut conn, id)?.ok_or_else(|| not_found(id))?;
    let time_off = time_off::of_producer(&mut conn, id)?;
    Ok(Listed { producer, time_off })
}

pub fn create(svc: &Services, input: &ProducerInput) -> Result<Producer, Error> {
    let now = svc.now();
    svc.db
        .write(|conn| Ok(producers::insert(conn, input, now)?))
}

pub fn replace(svc: &Services, id: &str, input: &ProducerInput) -> Result<Listed, Error> {
    let now = svc.now();
    svc.db.write(|conn| {
        write_transaction(conn, |conn| {
            let existing = producers::find(conn, id)?.ok_or_else(|| not_found(id))?;
            let producer = producers::update(conn, &existing, input, now)?;
            let time_off = time_off::of_producer(conn, id)?;
            Ok(Listed { producer, time_off })
        })
    })
}

/// Take a producer off the roster, unless they have bookings still to run; past
/// bookings keep naming them.
pub fn remove(svc: &Services, id: &str) -> Result<(), Error> {
    let now = svc.now();
    svc.db.write(|conn| {
        write_transaction(conn, |conn| {
            producers::find(conn, id)?.ok_or_else(|| not_found(id))?;
            let upcoming = assignments::upcoming_numbers_of(conn, id, now)?;
            if !upcoming.is_empty() {
                return Err(Error::refused(
                    ProblemCode::ProducerHasBookings,
                    format!(
                        "this producer still has {} booking(s) to run ({}); move or cancel them first",
                        upcoming.len(),
                        numbers(&upcoming)
                    ),
                ));
            }
            producers::soft_delete(conn, id, now)?;
            Ok(())
        })
    })
}

/// Add time off, read by `input` in the producer's zone, unless it covers a booking the
/// producer is to run.
pub fn add_time_off(
    svc: &Services,
    id: &str,
    input: impl FnOnce(&Producer) -> Result<TimeOffInput, Error> + Send,
) -> Result<(Producer, TimeOff), Error> {
    let now = svc.now();
    svc.db.write(|conn| {
        write_transaction(conn, |conn| {
            let producer = producers::find(conn, id)?.ok_or_else(|| not_found(id))?;
            let input = input(&producer)?;
            let clashes = assignments::numbers_overlapping(conn, id, Interval::new(input.start, input.end))?;
            if !clashes.is_empty() {
                return Err(Error::refused(
                    ProblemCode::TimeOffConflictsWithBookings,
                    format!(
                        "the producer is booked during this time off ({}); move those bookings first",
                        numbers(&clashes)
                    ),
                ));
            }
            let off = time_off::insert(conn, id, &input, now)?;
            Ok((producer, off))
        })
    })
}

pub fn remove_time_off(svc: &Services, producer_id: &str, id: &str) -> Result<(), Error> {
    let removed = svc
        .db
        .write(|conn| Ok::<_, Error>(time_off::delete(conn, producer_id, id)?))?;
    if removed == 0 {
        return Err(Error::not_found("that time off"));
    }
    Ok(())
}

/// Every closure, earliest first.
pub fn closures(svc: &Services) -> Result<Vec<Closure>, Error> {
    let mut conn = svc.db.read()?;
    Ok(closures::list(&mut conn)?)
}

/// Add a closure, unless it covers a booking one of the producers it closes is to run
/// (those bookings are named, to move first).
pub fn add_closure(svc: &Services, closure: Closure) -> Result<Closure, Error> {
    let now = svc.now();
    svc.db.write(|conn| {
        write_transaction(conn, |conn| {
            let mut clashes = Vec::new();
            for p in producers::list(conn)?
                .iter()
                .filter(|p| closure.applies_to(p.time_zone))
            {
                clashes.extend(assignments::numbers_overlapping(
                    conn,
                    &p.id,
                    closure.interval_in(p.time_zone),
                )?);
            }
            if !clashes.is_empty() {
                return Err(Error::refused(
                    ProblemCode::TimeOffConflictsWithBookings,
                    format!(
                        "producers are booked during this closure ({}); move those bookings first",
                        numbers(&clashes)
                    ),
                ));
            }
            closures::insert(conn, &closure, now)?;
            Ok(closure.clone())
        })
    })
}

pub fn remove_closure(svc: &Services, id: &str) -> Result<(), Error> {
    let removed = svc
        .db
        .write(|conn| Ok::<_, Error>(closures::delete(conn, id)?))?;
    if removed == 0 {
        return Err(Error::not_found("that closure"));
    }
    Ok(())
}
