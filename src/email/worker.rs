//! The outbox worker: takes due messages, renders and sends them, and records the
//! outcome. A message is leased while being sent, so with many instances on one
//! PostgreSQL each message is taken by one worker (FOR UPDATE SKIP LOCKED); a failed send
//! is retried with exponential backoff and jitter; after the last attempt, or on a
//! permanent refusal, it is marked failed. Messages survive restarts: they are rows.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use serde_json::Value;

use super::render::Templates;
use super::transport::{self, SendError, Transport};
use super::{ics, Kind, MailConfig};
use crate::db::schema::outbox;
use crate::db::{self, to_db, DbConnection};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Wait after the first failure; doubles each time.
    pub base: Duration,
    pub max_backoff: Duration,
    pub max_attempts: i32,
    /// How often the worker looks for due messages when nobody wakes it.
    pub poll: Duration,
    /// How long a taken message is reserved for its sender.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(5),
            max_backoff: Duration::from_secs(15 * 60),
            max_attempts: 12,
            poll: Duration::from_millis(500),
            lease: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with ±20 % jitter, so many instances do not retry in step.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempts.clamp(1, 20).saturating_sub(1));
        let capped = exp.min(self.max_backoff);
        let jitter = (uuid::Uuid::new_v4().as_u128() % 401) as f64 / 1000.0 + 0.8;
        capped.mul_f64(jitter)
    }
}

/// Wakes the worker early (after a booking change) and stops it.
#[derive(Clone, Default)]
pub struct OutboxHandle {
    stop: Arc<AtomicBool>,
    wake: Arc<(Mutex<bool>, Condvar)>,
}

impl OutboxHandle {
    pub fn wake(&self) {
        let (lock, cv) = &*self.wake;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake();
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn sleep(&self, max: Duration) {
        let (lock, cv) = &*self.wake;
        let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let (mut woken, _) = cv
            .wait_timeout_while(guard, max, |w| !*w)
            .unwrap_or_else(|e| e.into_inner());
        *woken = false;
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub booking_id: Option<String>,
    pub kind: String,
    pub recipient: String,
    pub locale: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: chrono::NaiveDateTime,
    pub locked_until: Option<chrono::NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: chrono::NaiveDateTime,
    pub sent_at: Option<chrono::NaiveDateTime>,
    /// The `.eml` file a message became, when sent to the outbox folder.
    pub delivered_as: Option<String>,
}

/// What became of one message.
struct Outcome {
    id: String,
    status: &'static str,
    attempts: i32,
    error: Option<String>,
    next_attempt_at: chrono::NaiveDateTime,
    sent_at: Option<chrono::NaiveDateTime>,
    delivered_as: Option<String>,
}

pub struct Worker {
    pub db: crate::db::Database,
    pub transport: Arc<Transport>,
    pub templates: Arc<Templates>,
    pub mail: MailConfig,
    pub retry: RetryPolicy,
    pub handle: OutboxHandle,
    pub metrics: Arc<crate::http::metrics::Metrics>,
    /// Erase contacts of bookings that ended long ago (None: keep them).
    pub retention: Option<Retention>,
}

/// The retention setting, swept by the worker at start and every hour.
#[derive(Debug, Clone)]
pub struct Retention {
    pub months: u32,
    pub clock: crate::clock::Clock,
    pub outbox_dir: std::path::PathBuf,
}

impl Retention {
    const EVERY: chrono::Duration = chrono::Duration::hours(1);

    fn sweep(&self, db: &crate::db::Database) {
        let now = self.clock.now();
        let cutoff = crate::privacy::retention_cutoff(now, self.months);
        match crate::privacy::erase_ended_before(db, cutoff, now, &self.outbox_dir) {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                bookings = n,
                months = self.months,
                "retention: erased the contacts of bookings that ended long ago"
            ),
            Err(e) => tracing::warn!(error = %e, "retention sweep failed; will try again"),
        }
    }
}

/// Take up to `limit` due messages and lease them to this worker.
fn claim(conn: &mut DbConnection, limit: i64, lease: Duration) -> QueryResult<Vec<OutboxRow>> {
    let now = to_db(Utc::now());
    let until = to_db(
        Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(2)),
    );
    db::write_transaction(conn, |conn| {
        let due = outbox::table
            .filter(outbox::status.eq("pending"))
            .filter(outbox::next_attempt_at.le(now))
            .filter(
                outbox::locked_until
                    .is_null()
                    .or(outbox::locked_until.lt(now)),
            )
            .order(outbox::created_at)
            .limit(limit)
            .select(outbox::id);
        let ids: Vec<String> = match conn {
            DbConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
            DbConnection::Sqlite(lite) => due.load(lite)?,
        };
        if ids.is_empty() {
            return Ok(vec![]);
        }
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set(outbox::locked_until.eq(Some(until)))
            .execute(conn)?;
        outbox::table
            .filter(outbox::id.eq_any(&ids))
            .order(outbox::created_at)
            .select(OutboxRow::as_select())
            .load(conn)
    })
}

impl Worker {
    /// Run until stopped, on a thread of its own.
    pub fn spawn(self) -> JoinHandle<()> {
        std::thread::Builder::new()
            .name("outbox".into())
            .spawn(move || self.run())
            .expect("spawn the outbox thread")
    }

    fn run(self) {
        tracing::info!(transport = %self.transport.describe(), "outbox worker started");
        let mut next_sweep = self.retention.as_ref().map(|r| r.clock.now());
        while !self.handle.stopped() {
            if let (Some(r), Some(due)) = (&self.retention, next_sweep) {
                if r.clock.now() >= due {
                    r.sweep(&self.db);
                    next_sweep = Some(r.clock.now() + Retention::EVERY);
                }
            }
            let batch = match self
                .db
                .write(|c| -> anyhow::Result<_> { Ok(claim(c, 20, self.retry.lease)?) })
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox: cannot read due messages");
                    self.handle.sleep(self.retry.poll * 4);
                    continue;
                }
            };
            let took = batch.len();
            let mut outcomes = Vec::with_capacity(took);
            let mut unsent = Vec::new();
            for row in batch {
                // A stop lets the current send finish; the rest go back to the queue at
                // once, for another instance (or this one, restarted) to take.
                if self.handle.stopped() {
                    unsent.push(row.id);
                } else {
                    outcomes.push(self.deliver(row));
                }
            }
            self.record(&outcomes);
            self.release(&unsent);
            if took == 0 {
                self.handle.sleep(self.retry.poll);
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// Send one message and decide what becomes of it.
    fn deliver(&self, row: OutboxRow) -> Outcome {
        let result = self.send(&row);
        let now = Utc::now();
        let attempts = row.attempts + 1;
        if result.is_err() {
            self.metrics.email_failed();
        }
        let mut delivered_as = None;
        let (status, error, next, sent_at) = match result {
            Ok(file) => {
                self.metrics.email_sent();
                tracing::info!(message = %row.id, kind = %row.kind, "e-mail sent");
                delivered_as = file;
                ("sent", None, now, Some(to_db(now)))
            }
            Err(SendError::Permanent(e)) => {
                tracing::error!(message = %row.id, kind = %row.kind, error = %e, "e-mail failed for good");
                ("failed", Some(e), now, None)
            }
            Err(SendError::Transient(e)) if attempts >= self.retry.max_attempts => {
                tracing::error!(message = %row.id, kind = %row.kind, attempts, error = %e, "e-mail failed after the last attempt");
                ("failed", Some(e), now, None)
            }
            Err(SendError::Transient(e)) => {
                let wait = self.retry.backoff(attempts);
                tracing::warn!(message = %row.id, kind = %row.kind, attempts, retry_in_ms = wait.as_millis() as u64, error = %e, "e-mail not sent; will retry");
                (
                    "pending",
                    Some(e),
                    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::minutes(1)),
                    None,
                )
            }
        };
        Outcome {
            id: row.id,
            status,
            attempts,
            error,
            next_attempt_at: to_db(next),
            sent_at,
            delivered_as,
        }
    }

    /// Give back messages this worker took but will not send.
    fn release(&self, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        let result = self.db.write(|conn| -> anyhow::Result<usize> {
            Ok(diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
                .set(outbox::locked_until.eq(None::<chrono::NaiveDateTime>))
                .execute(conn)?)
        });
        if let Err(e) = result {
            // Their leases expire on their own: delayed, not lost.
            tracing::warn!(error = %e, "cannot release unsent messages");
        }
    }

    /// Record a batch's outcomes in one transaction. A message withdrawn while it was
    /// being sent (its contact's data erased meanwhile) keeps its withdrawn state, and
    /// the file it just became is deleted.
    fn record(&self, outcomes: &[Outcome]) {
        if outcomes.is_empty() {
            return;
        }
        let result = self.db.write(|conn| -> anyhow::Result<Vec<String>> {
            Ok(db::write_transaction(conn, |conn| {
                let mut withdrawn = vec![];
                for o in outcomes {
                    let updated = diesel::update(
                        outbox::table
                            .find(&o.id)
                            .filter(outbox::status.eq("pending")),
                    )
                    .set((
                        outbox::status.eq(o.status),
                        outbox::attempts.eq(o.attempts),
                        outbox::last_error.eq(&o.error),
                        outbox::next_attempt_at.eq(o.next_attempt_at),
                        outbox::locked_until.eq(None::<chrono::NaiveDateTime>),
                        outbox::sent_at.eq(o.sent_at),
                        outbox::delivered_as.eq(&o.delivered_as),
                    ))
                    .execute(conn)?;
                    if updated == 0 {
                        withdrawn.extend(o.delivered_as.clone());
                    }
                }
                diesel::QueryResult::Ok(withdrawn)
            })?)
        });
        match result {
            Ok(withdrawn) => {
                if let Some(dir) = self.transport.folder() {
                    crate::privacy::delete_files(dir, &withdrawn);
                }
            }
            // The leases expire and the messages are taken again: at worst sent twice,
            // never lost.
            Err(e) => tracing::error!(error = %e, "cannot record the outcome of sends"),
        }
    }

    fn send(&self, row: &OutboxRow) -> Result<Option<String>, SendError> {
        let kind = Kind::parse(&row.kind)
            .ok_or_else(|| SendError::Permanent(format!("unknown message kind {}", row.kind)))?;
        let payload: Value = serde_json::from_str(&row.payload)
            .map_err(|e| SendError::Permanent(format!("payload: {e}")))?;
        let rendered = self
            .templates
            .render(kind, &row.locale, &payload)
            .map_err(|e| SendError::Permanent(format!("{e:#}")))?;
        let calendar = ics::calendar(kind, &payload["ics"], Utc::now());
        let message = transport::build(
            &row.id,
            &self.mail.from,
            &row.recipient,
            &rendered,
            calendar.as_deref().map(|c| (kind.ics_method(), c)),
        )?;
        self.transport.send(&message)
    }
}
