//! Pure domain rules: no I/O, no clock of their own.

pub mod catalogue;
pub mod input;
pub mod local_time;
pub mod money;
pub mod order;
pub mod policy;
pub mod producer;
#[cfg(test)]
mod properties;
pub mod reservation_number;
