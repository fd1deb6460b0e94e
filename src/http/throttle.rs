//! Limits per client: at most `limit` attempts in a sliding `window`, counted the moment
//! they start. Checking and counting happen under one lock, so a burst sent at once gets
//! exactly `limit` through, not however many raced past a check; an attempt that turns
//! out not to count (a lookup that found the booking, a replayed order) is given back.
//!
//! Used for failed guesses of reservation numbers and e-mails (per address, a minute) and
//! for orders (per address, an hour).

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
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit {
            let oldest = *times.front().expect("limit is at least 1");
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(RetryAfter(wait.as_secs().max(1)));
        }
        times.push_back(now);
        Ok(Some(Ticket { key, at: now }))
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
