//! What background threads wait on: woken early by a change, stopped at shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
pub struct Signal {
    stop: Arc<AtomicBool>,
    wake: Arc<(Mutex<bool>, Condvar)>,
}

impl Signal {
    /// Wake the thread now (it will look for work).
    pub fn wake(&self) {
        let (lock, cv) = &*self.wake;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }

    /// Ask the thread to finish what it is doing and stop.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Wait until woken, or `max` at most.
    pub fn sleep(&self, max: Duration) {
        let (lock, cv) = &*self.wake;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let (mut woken, _) = cv
            .wait_timeout_while(guard, max, |w| !*w)
            .unwrap_or_else(|e| e.into_inner());
        *woken = false;
    }
}
