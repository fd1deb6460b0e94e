//! Prometheus metrics in text format, kept by the service itself: requests by route and
//! status with latency histograms, orders by outcome, outbox depth and send failures,
//! database pool use and statements.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Histogram>>,
    orders: Mutex<BTreeMap<&'static str, u64>>,
    pub emails_sent: AtomicU64,
    pub email_send_failures: AtomicU64,
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let h = map
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        h.count += 1;
        h.sum += seconds;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.counts[i] += 1;
            }
        }
    }

    /// An order's outcome: confirmed, no_producer_available, refused (4xx), replayed.
    pub fn order(&self, outcome: &'static str) {
        *self
            .orders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(outcome)
            .or_default() += 1;
    }

    pub fn email_sent(&self) {
        self.emails_sent.fetch_add(1, Ordering::Relaxed);
    }

    pub fn email_failed(&self) {
        self.email_send_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition. `outbox` is the number of messages per status, `pool` the
    /// connections open and idle, `queries` the statements run.
    pub fn render(&self, outbox: &[(String, i64)], pool: (u32, u32, u32), queries: u64) -> String {
        let mut out = String::new();
        out.push_str("# HELP greenroom_http_requests_total HTTP requests by method, route and status.\n# TYPE greenroom_http_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        for ((method, route, status), h) in requests.iter() {
            let _ = writeln!(out, "greenroom_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}", h.count);
        }
        out.push_str("# HELP greenroom_http_request_duration_seconds Time to answer HTTP requests.\n# TYPE greenroom_http_request_duration_seconds histogram\n");
        for ((method, route, status), h) in requests.iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{status}\"");
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "greenroom_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "greenroom_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "greenroom_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "greenroom_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        drop(requests);
        out.push_str("# HELP greenroom_orders_total Orders by outcome.\n# TYPE greenroom_orders_total counter\n");
        let orders = self.orders.lock().unwrap_or_else(|e| e.into_inner());
        for outcome in ["confirmed", "no_producer_available", "refused", "replayed"] {
            let _ = writeln!(
                out,
                "greenroom_orders_total{{outcome=\"{outcome}\"}} {}",
                orders.get(outcome).copied().unwrap_or(0)
            );
        }
        drop(orders);
        out.push_str("# HELP greenroom_outbox_messages E-mails in the outbox by status.\n# TYPE greenroom_outbox_messages gauge\n");
        for status in ["pending", "sent", "failed"] {
            let n = outbox
                .iter()
                .find(|(s, _)| s == status)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let _ = writeln!(out, "greenroom_outbox_messages{{status=\"{status}\"}} {n}");
        }
        let _ = write!(
            out,
            "# HELP greenroom_emails_sent_total E-mails this instance sent.\n# TYPE greenroom_emails_sent_total counter\ngreenroom_emails_sent_total {}\n\
             # HELP greenroom_email_send_failures_total Failed e-mail send attempts by this instance.\n# TYPE greenroom_email_send_failures_total counter\ngreenroom_email_send_failures_total {}\n\
             # HELP greenroom_db_pool_connections Database connections open in the pool.\n# TYPE greenroom_db_pool_connections gauge\ngreenroom_db_pool_connections {}\n\
             # HELP greenroom_db_pool_idle_connections Idle database connections in the pool.\n# TYPE greenroom_db_pool_idle_connections gauge\ngreenroom_db_pool_idle_connections {}\n\
             # HELP greenroom_db_pool_max_connections The pool's size.\n# TYPE greenroom_db_pool_max_connections gauge\ngreenroom_db_pool_max_connections {}\n\
             # HELP greenroom_db_statements_total SQL statements run by this instance.\n# TYPE greenroom_db_statements_total counter\ngreenroom_db_statements_total {}\n",
            self.emails_sent.load(Ordering::Relaxed),
            self.email_send_failures.load(Ordering::Relaxed),
            pool.0,
            pool.1,
            pool.2,
            queries,
        );
        out
    }
}
