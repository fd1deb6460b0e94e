//! Finding a booking: by reservation number and contact e-mail (customers), or by number
//! alone (staff). A wrong e-mail and an unknown number look the same.

use crate::db::models::{assignments, booking_events, bookings, event_reports, producers};
use crate::db::DbConnection;
use crate::domain::booking::{Booking, BookingDetails};
use crate::domain::error::Error;
use crate::domain::reservation_number::ReservationNumber;

use super::{Actor, Services};

/// The booking with this number and contact e-mail, with its history.
pub fn by_contact(
    svc: &Services,
    number: &ReservationNumber,
    email: &str,
) -> Result<BookingDetails, Error> {
    let mut conn = svc.db.read()?;
    let booking =
        bookings::for_contact(&mut conn, number, email)?.ok_or_else(Error::booking_not_found)?;
    details(&mut conn, booking)
}

/// The booking with this number, with its history (staff).
pub fn by_number(svc: &Services, number: &ReservationNumber) -> Result<BookingDetails, Error> {
    let mut conn = svc.db.read()?;
    let booking = bookings::by_number(&mut conn, number)?.ok_or_else(Error::booking_not_found)?;
    details(&mut conn, booking)
}

/// A booking with its producer and history.
pub fn details(conn: &mut DbConnection, booking: Booking) -> Result<BookingDetails, Error> {
    let history = booking_events::history(conn, &booking.id)?;
    let producer = producers::contact_of(conn, &booking.producer_id)?;
    let report = event_reports::find(conn, &booking.id)?;
    let sessions = assignments::sessions_of(conn, &booking.id)?;
    Ok(BookingDetails {
        booking,
        producer,
        history: Some(history),
        report,
        sessions,
    })
}

/// A booking to change: by number and contact e-mail for a customer, by number alone
/// for staff (who may still give the e-mail).
pub fn for_change(
    conn: &mut DbConnection,
    number: &ReservationNumber,
    email: Option<&str>,
    actor: &Actor,
) -> Result<Booking, Error> {
    let found = match (actor, email) {
        (_, Some(email)) => bookings::for_contact(conn, number, email)?,
        (Actor::Staff(_) | Actor::Service(_), None) => bookings::by_number(conn, number)?,
        (Actor::Customer, None) => None,
    };
    found.ok_or_else(Error::booking_not_found)
}
