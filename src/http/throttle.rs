//! Throttled guessing: failed attempts to find a booking (wrong number or e-mail) are
//! counted per client address; past the limit in the window, 429 with Retry-After.
//! Successful requests are never counted, so honest use is never slowed.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;

pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    limit: usize,
    window: Duration,
}

impl Throttle {
    pub fn new(limit: usize, window: Duration) -> Throttle {
        Throttle {
            failures: Mutex::new(HashMap::new()),
            limit,
            window,
        }
    }

    /// Refuse a client who failed too often lately.
    pub fn check(&self, ip: IpAddr) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = map.get_mut(&ip) else {
            return Ok(());
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit {
            let oldest = *times.front().expect("non-empty");
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        Ok(())
    }

    pub fn fail(&self, ip: IpAddr) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Keep memory bounded: forget addresses whose failures have all expired.
        if map.len() > 50_000 {
            let window = self.window;
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = map.entry(ip).or_default();
        times.push_back(now);
        while times.len() > self.limit {
            times.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_failures_per_address_only() {
        let t = Throttle::new(3, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(t.check(a).is_ok());
            t.fail(a);
        }
        match t.check(a) {
            Err(ApiError::TooManyRequests { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs))
            }
            other => panic!("{other:?}"),
        }
        assert!(t.check(b).is_ok());
        let short = Throttle::new(1, Duration::from_millis(20));
        short.fail(a);
        assert!(short.check(a).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(short.check(a).is_ok(), "failures expire");
    }
}
