//! Is a producer free for a slot, and if not, when?

use crate::db::roster;
use crate::domain::error::Error;
use crate::domain::local_time::Slot;
use crate::domain::order::{check_lead_time, SlotRequest};
use crate::scheduling::{self, producer_window};

use super::{find_alternatives, need_of, Services};

pub struct Availability {
    pub slot: SlotRequest,
    /// A producer is free; and whether only by falling back to English.
    pub free: Option<scheduling::Choice>,
    /// When nobody is free: three starts where someone is.
    pub alternatives: Vec<Slot>,
}

/// Checks the lead time and the horizon like an order does, so `available` means "you
/// can order this now".
pub fn check(
    svc: &Services,
    slot: SlotRequest,
    staff_override: bool,
) -> Result<Availability, Error> {
    let now = svc.now();
    check_lead_time(&slot, now, staff_override, svc.limits.horizon_days)
        .map_err(|e| Error::Invalid(vec![e]))?;
    let mut conn = svc.db.read()?;
    // Who is busy during the window is all that availability needs.
    let window = producer_window(slot.start, slot.duration_minutes);
    let roster = roster::load(&svc.db.roster, &mut conn, window, None, &[])?;
    let free = scheduling::choose(&roster.engine, &need_of(&slot));
    let alternatives = match free {
        Some(_) => vec![],
        None => find_alternatives(&mut conn, &slot, now, staff_override, &[], svc)?,
    };
    Ok(Availability {
        slot,
        free,
        alternatives,
    })
}

/// The most days one calendar request may span.
pub const MAX_SLOT_DAYS: i64 = 62;

/// One day of a calendar: its local date and the local times a booking may start.
pub struct Day {
    pub date: chrono::NaiveDate,
    pub starts: Vec<chrono::NaiveTime>,
}

/// Every start from `first` to `last` (local dates in the slot's zone, both included) at
/// which the slot could be ordered now: inside the lead time and the horizon, with a
/// producer free for the whole window. `slot.start` is not used. Every day of the range
/// is listed, with no starts when none is free.
pub fn calendar(
    svc: &Services,
    slot: &SlotRequest,
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
    staff_override: bool,
) -> Result<Vec<Day>, Error> {
    use chrono::Duration;
    let now = svc.now();
    let tz = slot.time_zone;
    let midnight = |d: chrono::NaiveDate| {
        scheduling::resolve_boundary(tz, d.and_hms_opt(0, 0, 0).expect("midnight"))
    };
    let from = midnight(first).max(super::earliest_bookable(slot, now, staff_override));
    let to = midnight(last + Duration::days(1)).min(
        crate::domain::order::latest_bookable(now, svc.limits.horizon_days) + Duration::minutes(1),
    );
    let mut days: Vec<Day> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|date| Day {
            date,
            starts: vec![],
        })
        .collect();
    if from >= to {
        return Ok(days);
    }
    let mut conn = svc.db.read()?;
    let range = scheduling::Interval::new(
        from - Duration::minutes(crate::domain::order::PREPARATION_MINUTES),
        to + Duration::minutes(slot.duration_minutes),
    );
    let roster = roster::load(&svc.db.roster, &mut conn, range, None, &[])?;
    for start in scheduling::free_starts(&roster.engine, &need_of(slot), from, to) {
        let local = start.with_timezone(&tz);
        if let Some(day) = days.iter_mut().find(|d| d.date == local.date_naive()) {
            day.starts.push(local.time());
        }
    }
    Ok(days)
}
