//! The time, as the service sees it: the system clock, or one that tests set.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that stands still at `at` until set.
    pub fn manual(at: DateTime<Utc>) -> Clock {
        Clock(Some(Arc::new(Mutex::new(at))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            None => Utc::now(),
            Some(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Set a manual clock (no effect on the system clock).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(t) = &self.0 {
            *t.lock().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }
}
