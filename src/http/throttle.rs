//! Limits per client: at most `limit` events in a sliding `window`. Checking and counting
//! happen under one lock, so a burst sent at once gets exactly `limit` through, not
//! however many raced past a check.
//!
//! Two ways to count: orders are counted the moment they start (`acquire`), and given
//! back when they turn out not to count (a replay, our own failure); failed guesses of
//! reservation numbers and e-mails are counted when they fail (`record`), and a failure
//! past the limit is answered 429 instead of its 404, so a burst of wrong guesses gets
//! exactly `limit` answers while honest requests, however many at once, are never held.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Limiter<K = IpAddr> {
    attempts: Mutex<HashMap<K, VecDeque<Instant>>>,
    /// 0: no limit.
    limit: usize,
    window: Duration,
}

/// An attempt counted against its key; give it back with `Limiter::refund`.
#[derive(Debug)]
pub struct Ticket<K> {
    key: K,
    at: Instant,
}

/// Refused: wait this long (at least a second) before the oldest attempt leaves the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// A client that has not been limited yet carries no entry; memory stays bounded.
const FORGET_ABOVE: usize = 50_000;

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub fn new(limit: usize, window: Duration) -> Limiter<K> {
        Limiter {
            attempts: Mutex::new(HashMap::new()),
            limit,
            window,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn is_off(&self) -> bool {
        self.limit == 0
    }

    /// Count an attempt for `key` now, or refuse it when `limit` are already counted in
    /// the window.
    pub fn acquire(&self, key: K) -> Result<Option<Ticket<K>>, RetryAfter> {
        if self.is_off() {
            return Ok(None);
        }
        let now = Instant::now();
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > FORGET_ABOVE {
            let window = self.window;
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let times = map.entry(key.clone()).or_default();
        self.expire(times, now);
        self.full(times, now)?;
        times.push_back(now);
        Ok(Some(Ticket { key, at: now }))
    }

    /// Refuse a client whose events already fill the window (counting nothing).
    pub fn check(&self, key: &K) -> Result<(), RetryAfter> {
        if self.is_off() {
            return Ok(());
        }
        let now = Instant::now();
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = map.get_mut(key) else {
            return Ok(());
        };
        self.expire(times, now);
        self.full(times, now)
    }

    /// Count an event that happened (a failure), unless the window is already full: then
    /// it is refused, and the caller answers 429 instead.
    pub fn record(&self, key: K) -> Result<(), RetryAfter> {
        self.acquire(key).map(|_| ())
    }

    fn expire(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
    }

    fn full(&self, times: &VecDeque<Instant>, now: Instant) -> Result<(), RetryAfter> {
        match times.front() {
            Some(oldest) if times.len() >= self.limit => {
                let wait = self.window.saturating_sub(now.duration_since(*oldest));
                Err(RetryAfter(wait.as_secs().max(1)))
            }
            _ => Ok(()),
        }
    }

    /// Give an attempt back: it does not count.
    pub fn refund(&self, ticket: Option<Ticket<K>>) {
        let Some(ticket) = ticket else { return };
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = map.get_mut(&ticket.key) {
            if let Some(i) = times.iter().rposition(|t| *t == ticket.at) {
                times.remove(i);
            }
            if times.is_empty() {
                map.remove(&ticket.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_attempts_per_key_only() {
        let t = Limiter::new(3, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(t.acquire(a).is_ok());
        }
        let RetryAfter(wait) = t.acquire(a).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(t.acquire(b).is_ok());
    }

    #[test]
    fn refunded_attempts_do_not_count() {
        let t = Limiter::new(2, Duration::from_secs(60));
        for _ in 0..10 {
            let ticket = t.acquire("ana").unwrap();
            t.refund(ticket);
        }
        assert!(t.acquire("ana").is_ok());
        assert!(t.acquire("ana").is_ok());
        assert!(t.acquire("ana").is_err());
    }

    #[test]
    fn attempts_expire_and_zero_means_off() {
        let short = Limiter::new(1, Duration::from_millis(20));
        short.acquire(1).unwrap();
        assert!(short.acquire(1).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(short.acquire(1).is_ok(), "attempts expire");
        let off = Limiter::new(0, Duration::from_secs(60));
        for _ in 0..1000 {
            assert!(off.acquire(1).unwrap().is_none());
        }
    }

    #[test]
    fn checking_counts_nothing_and_recording_stops_at_the_limit() {
        let t = Limiter::new(2, Duration::from_secs(60));
        for _ in 0..10 {
            assert!(t.check(&"ana").is_ok());
        }
        assert!(t.record("ana").is_ok());
        assert!(t.record("ana").is_ok());
        assert!(t.record("ana").is_err());
        assert!(t.check(&"ana").is_err());
        assert!(t.check(&"bob").is_ok());
    }

    #[test]
    fn a_burst_gets_exactly_the_limit_through() {
        let t = std::sync::Arc::new(Limiter::new(10, Duration::from_secs(60)));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || (0..25).filter(|_| t.acquire(7).is_ok()).count())
            })
            .collect();
        let through: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(through, 10);
    }
}
