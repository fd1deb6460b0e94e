//! Bookings become completed once they have ended: a sweep marks them, writes it in
//! their history and tells the webhooks that asked (`booking.completed`), once per
//! booking even with many instances sweeping.

use crate::db::models::{booking_events, bookings};
use crate::domain::booking::{EventKind, HistoryEvent};
use crate::domain::error::Error;
use crate::domain::webhook::EventType;

use super::lookup::details;
use super::{Actor, Services};

/// Mark every booking that ended by now (the service's clock); returns how many.
pub fn complete_ended(svc: &Services) -> Result<usize, Error> {
    let now = svc.now();
    let actor = Actor::Service("completion").name();
    super::sweep::in_batches(svc, |conn, limit| {
        let ended = bookings::ended_not_completed(conn, now, limit)?;
        let seen = ended.len();
        let mut marked = 0;
        for booking in ended {
            // Another instance may have marked it since we read it.
            if !bookings::mark_completed(conn, &booking.id, now)? {
                continue;
            }
            // Read again now that its row is ours: a change committed since the first
            // read (an erasure) must not be undone in what the webhooks are sent.
            let booking = bookings::locked(conn, &booking.id)?
                .ok_or_else(|| anyhow::anyhow!("booking {} vanished", booking.id))?;
            let line = HistoryEvent::note(now, EventKind::Completed, actor.clone());
            booking_events::record(conn, &booking.id, &line, false)?;
            let shown = details(conn, booking)?;
            super::webhooks::emit(svc, conn, EventType::Completed, &shown, now)?;
            marked += 1;
        }
        Ok((seen, marked))
    })
}
