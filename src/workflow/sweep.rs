//! The timed work of the service, on a thread of its own: due reminders become
//! messages, and bookings that ended become completed. Every instance that runs the
//! workers sweeps; each step is guarded so that two sweeps never do the same twice.

use std::thread::JoinHandle;
use std::time::Duration;

use crate::background::Signal;

use super::{completion, reminders, Services};

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
