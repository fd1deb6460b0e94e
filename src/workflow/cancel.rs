//! Cancelling a booking: the fee follows the policy the booking was sold with, from the
//! time left before the start, on the standard charges. The producer is free at once.

use crate::db::models::{booking_events, bookings, outbox, producers};
use crate::domain::booking::{
    BookingDetails, BookingStatus, Cancellation, CancellationFee, EventDetail, EventKind,
    HistoryEvent,
};
use crate::domain::error::{Error, ProblemCode};
use crate::domain::money::Money;
use crate::domain::policy::{applicable_rule, fee};
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::webhook::EventType;
use crate::email::{self, Kind};

use super::change::still_open;
use super::lookup::{details, for_change};
use super::{with_retries, Actor, Services};

/// The `policy_rule` of a fee staff waived.
pub const WAIVED: &str = "waived";

pub struct Cancelled {
    pub details: BookingDetails,
    pub fee: CancellationFee,
}

pub fn cancel(
    svc: &Services,
    number: &ReservationNumber,
    email: Option<&str>,
    reason: Option<&str>,
    actor: &Actor,
) -> Result<Cancelled, Error> {
    cancel_with(svc, number, email, reason, false, actor)
}

/// Cancel; staff may `waive` the policy's fee, giving their reason (the history keeps
/// both the rule that applied and that it was waived).
pub fn cancel_with(
    svc: &Services,
    number: &ReservationNumber,
    email: Option<&str>,
    reason: Option<&str>,
    waive: bool,
    actor: &Actor,
) -> Result<Cancelled, Error> {
    if waive && !actor.is_staff() {
        return Err(Error::forbidden("scheduler"));
    }
    if waive && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(Error::field(
            "reason",
            ProblemCode::Required,
            "say why the fee is waived",
        ));
    }
    let now = svc.now();
    let done = svc.db.write(|conn| {
        with_retries(conn, |conn| {
            let mut booking = for_change(conn, number, email, actor)?;
            still_open(&booking, now)?;
            let rule = applicable_rule(&booking.cancellation_policy, booking.start, now)
                .ok_or_else(|| {
                    anyhow::anyhow!("booking {} has an empty cancellation policy", booking.id)
                })?;
            let fee = if waive {
                CancellationFee {
                    amount: Money::new(0, &booking.charges.total.currency),
                    policy_rule: WAIVED.into(),
                    fee_percent: 0,
                    description: format!(
                        "waived by staff (the policy's rule was {}: {}%)",
                        rule.rule, rule.fee_percent
                    ),
                    minutes_before_start: (booking.start - now).num_minutes(),
                }
            } else {
                CancellationFee {
                    amount: fee(rule, &booking.charges.total),
                    policy_rule: rule.rule.clone(),
                    fee_percent: rule.fee_percent,
                    description: rule.description.clone(),
                    minutes_before_start: (booking.start - now).num_minutes(),
                }
            };
            booking.status = BookingStatus::Cancelled;
            booking.cancellation = Some(Cancellation {
                cancelled_at: now,
                by: actor.name(),
                reason: reason.map(String::from),
                fee: fee.clone(),
            });
            booking.updated_at = now;
            // The sessions' invitations are withdrawn (read before the save cancels them).
            let withdrawn = super::sessions::withdraw_all(conn, svc, &booking)?;
            bookings::save(conn, &booking)?;
            let line = HistoryEvent {
                at: now,
                kind: EventKind::Cancelled,
                actor: actor.name(),
                old: Some((booking.start, booking.end)),
                new: None,
                old_producer_id: Some(booking.producer_id.clone()),
                new_producer_id: None,
                detail: Some(EventDetail {
                    reason: reason.map(String::from),
                    fee: Some(fee.clone()),
                    ..EventDetail::default()
                }),
            };
            booking_events::record(conn, &booking.id, &line, false)?;
            let sequence = booking_events::sequence(conn, &booking.id)?;
            if let Some(released) = producers::contact_of(conn, &booking.producer_id)? {
                outbox::enqueue(
                    conn,
                    &booking.id,
                    &[
                        email::contact_message(
                            Kind::BookingCancelled,
                            &booking,
                            &released,
                            None,
                            sequence,
                            &svc.mail,
                        ),
                        email::producer_message(
                            Kind::ProducerReleased,
                            &booking,
                            &released,
                            None,
                            sequence,
                            &svc.mail,
                        ),
                    ],
                )?;
            }
            outbox::enqueue(conn, &booking.id, &withdrawn)?;
            super::reminders::withdraw(conn, &booking.id)?;
            let details = details(conn, booking)?;
            super::webhooks::emit(svc, conn, EventType::Cancelled, &details, now)?;
            Ok(Cancelled { details, fee })
        })
    })?;
    svc.wake_workers();
    Ok(done)
}
