//! What background threads wait on: woken early by a change, stopped at shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
pub struct Signal {
    stop: Arc<AtomicBool>,
    wake: Arc<(Mutex<bool>, Condvar)>,
    /// Work was made for the thread, to be woken for once committed.
    announced: Arc<AtomicBool>,
}

impl Signal {
    /// Wake the thread now (it will look for work).
    pub fn wake(&self) {
        let (lock, cv) = &*self.wake;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }

    /// Say that a change being written makes work for the thread: `wake_announced`
    /// wakes it once the change is committed.
    pub fn announce(&self) {
        self.announced.store(true, Ordering::SeqCst);
    }

    /// Wake the thread if work was announced since it was last woken so. Two changes
    /// committed at once may both be seen by the first wake, or the second only by the
    /// thread's own next look, at most its sleep later.
    pub fn wake_announced(&self) {
        if self.announced.swap(false, Ordering::SeqCst) {
            self.wake();
        }
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

/// Lower the calling thread's priority by `nice` steps (its nice value raised by that
/// much, to 19 at most), for a thread whose work can wait while requests cannot: e-mail
/// and webhook deliveries. At the same priority, the outbox worker (a fifth of the
/// server's CPU under orders, rendering and sending) took the processor from the thread
/// holding SQLite's writer, which every order queues behind; 10 steps down, it gives way
/// and catches up when the processor is free (orders +10 %, the e-mails sent as fast).
/// Linux only (a thread's nice value is its own there); raising a nice value needs no
/// privilege. A refusal is logged and ignored.
pub fn lower_priority(nice: u32) {
    #[cfg(target_os = "linux")]
    if nice > 0 {
        // SAFETY: gettid and setpriority take and return plain integers; PRIO_PROCESS
        // with a thread id changes that thread only, on Linux.
        let refused = unsafe {
            let tid = libc::gettid() as libc::id_t;
            // The value it started with (the process's, inherited), -20 to 19.
            let now = libc::getpriority(libc::PRIO_PROCESS, tid);
            let lower = (now + nice.min(39) as libc::c_int).min(19);
            libc::setpriority(libc::PRIO_PROCESS, tid, lower) != 0
        };
        if refused {
            tracing::warn!(error = %std::io::Error::last_os_error(), nice, "cannot lower a delivery thread's priority");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Sleeps `max` at most; whether it was cut short by a wake.
    fn woken_within(s: &Signal, max: Duration) -> bool {
        let started = Instant::now();
        s.sleep(max);
        started.elapsed() < max
    }

    #[test]
    fn a_thread_is_woken_for_announced_work_once() {
        let s = Signal::default();
        s.wake_announced();
        assert!(
            !woken_within(&s, Duration::from_millis(100)),
            "nothing announced"
        );
        s.announce();
        s.wake_announced();
        assert!(woken_within(&s, Duration::from_secs(30)), "announced");
        s.wake_announced();
        assert!(
            !woken_within(&s, Duration::from_millis(100)),
            "the announcement was used up"
        );
        let sleeper = {
            let s = s.clone();
            std::thread::spawn(move || woken_within(&s, Duration::from_secs(30)))
        };
        std::thread::sleep(Duration::from_millis(50));
        s.announce();
        s.wake_announced();
        assert!(sleeper.join().unwrap(), "a sleeping thread is woken");
    }

    /// The nice value of the calling thread (Linux: a thread's own).
    #[cfg(target_os = "linux")]
    fn own_nice() -> i32 {
        // SAFETY: plain integers in and out.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_delivery_thread_lowers_its_own_priority_only() {
        let before = own_nice();
        let (lowered, untouched, by_two) = std::thread::spawn(|| {
            lower_priority(0);
            let untouched = own_nice();
            lower_priority(2);
            let by_two = own_nice();
            lower_priority(19);
            (own_nice(), untouched, by_two)
        })
        .join()
        .unwrap();
        assert_eq!(untouched, before, "0 leaves the priority as it is");
        assert_eq!(by_two, (before + 2).min(19), "lowered from where it was");
        assert_eq!(lowered, 19, "19 steps down is the lowest");
        assert_eq!(own_nice(), before, "the other threads keep theirs");
    }
}
