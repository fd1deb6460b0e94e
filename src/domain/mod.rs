//! Pure domain rules: no I/O, no clock of their own.

pub mod booking;
pub mod catalogue;
pub mod error;
pub mod local_time;
pub mod locale;
pub mod money;
pub mod order;
pub mod policy;
pub mod producer;
#[cfg(test)]
pub(crate) mod properties;
pub mod reminder;
pub mod report;
pub mod reservation_number;
pub mod session;
pub mod staff;
pub mod text;
pub mod webhook;

/// What replaces a contact's personal data once erased.
pub const ERASED: &str = "(erased)";
