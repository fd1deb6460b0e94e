//! Prometheus metrics (prometheus-client, OpenMetrics text): requests by route and status
//! with latency histograms, orders by outcome, e-mails sent and failed, and, read at each
//! scrape, the outbox's depth, the database pool and the statements run.

use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route pattern, never the path (which may hold a reservation number).
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

fn latency() -> Histogram {
    Histogram::new(BUCKETS)
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RequestLabels, Histogram, fn() -> Histogram>,
    orders: Family<OutcomeLabels, Counter>,
    emails_sent: Counter,
    email_failures: Counter,
    outbox: Family<StatusLabels, Gauge>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    statements: Counter,
    /// The statement count already added to `statements`.
    statements_seen: AtomicU64,
    roster_reads: Counter,
    roster_reads_seen: AtomicU64,
    week_load_reads: Counter,
    week_load_reads_seen: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("greenroom");
        let requests = Family::<RequestLabels, Counter>::default();
        let durations =
            Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        let orders = Family::<OutcomeLabels, Counter>::default();
        let emails_sent = Counter::default();
        let email_failures = Counter::default();
        let outbox = Family::<StatusLabels, Gauge>::default();
        let (pool_connections, pool_idle, pool_max) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        let statements = Counter::default();
        let roster_reads = Counter::default();
        let week_load_reads = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, in seconds",
            durations.clone(),
        );
        registry.register("orders", "Orders by outcome", orders.clone());
        registry.register(
            "emails_sent",
            "E-mails this instance sent",
            emails_sent.clone(),
        );
        registry.register(
            "email_send_failures",
            "Failed e-mail send attempts by this instance",
            email_failures.clone(),
        );
        registry.register(
            "outbox_messages",
            "E-mails in the outbox by status",
            outbox.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections open in the pool",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections in the pool",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "The pool's size",
            pool_max.clone(),
        );
        registry.register(
            "db_statements",
            "SQL statements run by this instance",
            statements.clone(),
        );
        registry.register(
            "roster_reads",
            "Times this instance read the roster from the database (it keeps it in memory until it changes)",
            roster_reads.clone(),
        );
        registry.register(
            "week_load_reads",
            "Times this instance counted a week's bookings per producer for the fair choice (it keeps the counts for 2 s, adding its own orders)",
            week_load_reads.clone(),
        );
        for outcome in ["confirmed", "no_producer_available", "refused", "replayed"] {
            orders
                .get_or_create(&OutcomeLabels {
                    outcome: outcome.into(),
                })
                .inc_by(0);
        }
        Metrics {
            registry,
            requests,
            durations,
            orders,
            emails_sent,
            email_failures,
            outbox,
            pool_connections,
            pool_idle,
            pool_max,
            statements,
            statements_seen: AtomicU64::new(0),
            roster_reads,
            roster_reads_seen: AtomicU64::new(0),
            week_load_reads,
            week_load_reads_seen: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = RequestLabels {
            method: method.to_string(),
            route: route.to_string(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.durations.get_or_create(&labels).observe(seconds);
    }

    /// An order's outcome: confirmed, no_producer_available, refused (4xx), replayed.
    pub fn order(&self, outcome: &str) {
        self.orders
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_string(),
            })
            .inc();
    }

    pub fn email_sent(&self) {
        self.emails_sent.inc();
    }

    pub fn email_failed(&self) {
        self.email_failures.inc();
    }

    /// The exposition. `outbox` is the number of messages per status, `pool` the
    /// connections open, idle and allowed, `statements` those run so far, `roster_reads`
    /// the times the roster was read from the database so far, `week_load_reads` the
    /// times a week's counts for the fair choice were.
    pub fn render(
        &self,
        outbox: &[(String, i64)],
        pool: (u32, u32, u32),
        statements: u64,
        roster_reads: u64,
        week_load_reads: u64,
    ) -> String {
        for status in ["pending", "sent", "failed"] {
            let n = outbox
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            self.outbox
                .get_or_create(&StatusLabels {
                    status: status.into(),
                })
                .set(n);
        }
        self.pool_connections.set(i64::from(pool.0));
        self.pool_idle.set(i64::from(pool.1));
        self.pool_max.set(i64::from(pool.2));
        catch_up(&self.statements, &self.statements_seen, statements);
        catch_up(&self.roster_reads, &self.roster_reads_seen, roster_reads);
        catch_up(
            &self.week_load_reads,
            &self.week_load_reads_seen,
            week_load_reads,
        );
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Bring a counter fed from a running total up to `total` (`seen`: the total it had).
fn catch_up(counter: &Counter, seen: &AtomicU64, total: u64) {
    let before = seen.swap(total, Ordering::Relaxed);
    counter.inc_by(total.saturating_sub(before));
}
