//! The timed work of the service, on a thread of its own: due reminders become
//! messages, and bookings that ended become completed. Every instance that runs the
//! workers sweeps; each step is guarded so that two sweeps never do the same twice.

use std::thread::JoinHandle;
use std::time::Duration;

use crate::background::Signal;

use crate::db::{write_transaction, DbConnection};
use crate::domain::error::Error;

use super::{completion, reminders, Services};

/// Rows a sweep handles in one transaction.
pub const BATCH: i64 = 200;

/// Run `step` (given the batch size; it returns how many rows it looked at and how many
/// it handled) a transaction at a time until a batch comes back short, then wake the
/// workers if anything was handled. Returns how many were.
pub fn in_batches(
    svc: &Services,
    mut step: impl FnMut(&mut DbConnection, i64) -> Result<(usize, usize), Error> + Send,
) -> Result<usize, Error> {
    let mut total = 0;
    loop {
        let (seen, handled) = svc
            .db
            .write(|conn| write_transaction(conn, |conn| step(conn, BATCH)))?;
        total += handled;
        if seen < BATCH as usize {
            break;
        }
    }
    if total > 0 {
        svc.wake_workers();
    }
    Ok(total)
}

pub struct Sweeps {
    pub svc: Services,
    pub every: Duration,
    pub signal: Signal,
}

impl Sweeps {
    pub fn spawn(self) -> JoinHandle<()> {
        std::thread::Builder::new()
            .name("sweeps".into())
            .spawn(move || {
                while !self.signal.stopped() {
                    match reminders::queue_due(&self.svc) {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(reminders = n, "reminders queued"),
                        Err(e) => {
                            tracing::warn!(error = %e, "reminder sweep failed; will try again")
                        }
                    }
                    match completion::complete_ended(&self.svc) {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(bookings = n, "bookings completed"),
                        Err(e) => {
                            tracing::warn!(error = %e, "completion sweep failed; will try again")
                        }
                    }
                    self.signal.sleep(self.every);
                }
            })
            .expect("spawn the sweeps thread")
    }
}
