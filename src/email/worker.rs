//! The outbox worker: takes due messages, renders and sends them, and records the
//! outcome. A message is leased while being sent, so with many instances on one
//! PostgreSQL each message is taken by one worker (FOR UPDATE SKIP LOCKED); a failed send
//! is retried with exponential backoff and jitter; after the last attempt, or on a
//! permanent refusal, it is marked failed. Messages survive restarts: they are rows.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use super::render::Templates;
use super::transport::{self, SendError, Transport};
use super::{ics, Kind, MailConfig};
use crate::db::models::outbox::{self, OutboxRow, Outcome};

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
pub type OutboxHandle = crate::background::Signal;

pub struct Worker {
    pub db: crate::db::Database,
    pub transport: Arc<Transport>,
    pub templates: Arc<Templates>,
    pub mail: MailConfig,
    pub retry: RetryPolicy,
    pub handle: OutboxHandle,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// How far below the requests it runs (`Settings::delivery_nice`).
    pub nice: u32,
}

impl Worker {
    /// Run until stopped, on a thread of its own.
    pub fn spawn(self) -> JoinHandle<()> {
        std::thread::Builder::new()
            .name("outbox".into())
            .spawn(move || {
                crate::background::lower_priority(self.nice);
                self.run()
            })
            .expect("spawn the outbox thread")
    }

    fn run(self) {
        tracing::info!(transport = %self.transport.describe(), "outbox worker started");
        while !self.handle.stopped() {
            let batch = match self
                .db
                .write(|c| -> anyhow::Result<_> { Ok(outbox::claim(c, 20, self.retry.lease)?) })
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
                ("sent", None, now, Some(now))
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
            next_attempt_at: next,
            sent_at,
            delivered_as,
        }
    }

    /// Give back messages this worker took but will not send.
    fn release(&self, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        let result = self
            .db
            .write(|conn| -> anyhow::Result<usize> { Ok(outbox::release(conn, ids)?) });
        if let Err(e) = result {
            // Their leases expire on their own: delayed, not lost.
            tracing::warn!(error = %e, "cannot release unsent messages");
        }
    }

    /// Record a batch's outcomes; delete the files of messages withdrawn meanwhile.
    fn record(&self, outcomes: &[Outcome]) {
        if outcomes.is_empty() {
            return;
        }
        match self
            .db
            .write(|conn| -> anyhow::Result<Vec<String>> { Ok(outbox::record(conn, outcomes)?) })
        {
            Ok(withdrawn) => {
                if let Some(dir) = self.transport.folder() {
                    super::delete_files(dir, &withdrawn);
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
        let files: Vec<transport::File> = match payload.get("attachments") {
            Some(list) => serde_json::from_value(list.clone())
                .map_err(|e| SendError::Permanent(format!("attachments: {e}")))?,
            None => vec![],
        };
        let calendar = kind
            .has_calendar()
            .then(|| ics::calendar(kind, &payload["ics"], Utc::now()))
            .flatten();
        let message = transport::build(
            &row.id,
            &self.mail.from,
            &row.recipient,
            &rendered,
            calendar.as_deref().map(|c| (kind.ics_method(), c)),
            &files,
        )?;
        self.transport.send(&message)
    }
}
