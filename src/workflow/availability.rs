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
    let roster = roster::load(&mut conn, window, None, None)?;
    let free = scheduling::choose(&roster.engine, &need_of(&slot));
    let alternatives = match free {
        Some(_) => vec![],
        None => find_alternatives(&mut conn, &slot, now, staff_override, None, &svc.limits)?,
    };
    Ok(Availability {
        slot,
        free,
        alternatives,
    })
}
