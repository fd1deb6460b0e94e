//! Webhook deliveries: a worker takes due deliveries (written in the booking change's own
//! transaction), signs each per the Standard Webhooks specification and POSTs it. A 2xx
//! ends a delivery; anything else is retried with the outbox's backoff, until the last
//! attempt. Like the outbox, a delivery is leased while being sent (one worker per
//! delivery across instances) and survives restarts; one endpoint's deliveries about
//! one booking go one after the other, in the order the changes happened.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::background::Signal;
use crate::db::models::webhooks::{self, Attempt, Due};
use crate::db::Database;
use crate::email::worker::RetryPolicy;

/// How long a receiver may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries sent at once.
const BATCH: i64 = 20;
/// What is kept of an error or a refusal's reason.
const MAX_ERROR: usize = 300;

/// The Standard Webhooks headers of one attempt: the delivery's id (the same on every
/// retry), the attempt's Unix time, and `v1,<base64 HMAC-SHA256>` over
/// `{id}.{timestamp}.{body}` keyed with the secret's decoded bytes.
pub fn signed_headers(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<[(&'static str, String); 3], String> {
    let signer = standardwebhooks::Webhook::new(secret)
        .map_err(|e| format!("the endpoint's secret cannot be read: {e}"))?;
    let signature = signer
        .sign(id, timestamp, body.as_bytes())
        .map_err(|e| format!("cannot sign: {e}"))?;
    Ok([
        (standardwebhooks::HEADER_WEBHOOK_ID, id.to_string()),
        (
            standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
            timestamp.to_string(),
        ),
        (standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature),
    ])
}

pub struct Worker {
    pub db: Database,
    pub retry: RetryPolicy,
    pub signal: Signal,
    /// How far below the requests it runs (`Settings::delivery_nice`).
    pub nice: u32,
}

impl Worker {
    /// Run until stopped, on a thread of its own (with its own event loop for the HTTP
    /// client).
    pub fn spawn(self) -> JoinHandle<()> {
        std::thread::Builder::new()
            .name("webhooks".into())
            .spawn(move || {
                crate::background::lower_priority(self.nice);
                actix_rt::System::new().block_on(self.run())
            })
            .expect("spawn the webhooks thread")
    }

    async fn run(self) {
        tracing::info!("webhook worker started");
        let client = awc::Client::builder()
            .timeout(TIMEOUT)
            .disable_redirects()
            .add_default_header(("user-agent", "Greenroom-Webhooks/1"))
            .finish();
        while !self.signal.stopped() {
            let batch = match self.db.write(|c| -> anyhow::Result<_> {
                Ok(webhooks::claim(c, BATCH, self.retry.lease)?)
            }) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "webhooks: cannot read due deliveries");
                    self.signal.sleep(self.retry.poll * 4);
                    continue;
                }
            };
            if batch.is_empty() {
                self.signal.sleep(self.retry.poll);
                continue;
            }
            // The batch's receivers are called at once: a slow one holds up no other.
            let sends: Vec<_> = batch
                .into_iter()
                .map(|due| actix_rt::spawn(attempt(client.clone(), due)))
                .collect();
            let mut done = Vec::with_capacity(sends.len());
            for send in sends {
                match send.await {
                    Ok(tried) => done.push(tried),
                    // Its lease runs out and it is taken again: delayed, not lost.
                    Err(e) => tracing::error!(error = %e, "webhooks: a send stopped"),
                }
            }
            let attempts: Vec<Attempt> = done
                .into_iter()
                .map(|(due, outcome)| self.decide(due, outcome))
                .collect();
            if let Err(e) = self
                .db
                .write(|c| -> anyhow::Result<()> { Ok(webhooks::record(c, &attempts)?) })
            {
                // The leases expire and the deliveries are sent again: receivers tell
                // repeats by webhook-id.
                tracing::error!(error = %e, "webhooks: cannot record the attempts");
            }
        }
        tracing::info!("webhook worker stopped");
    }

    fn decide(&self, due: Due, outcome: Outcome) -> Attempt {
        let now = Utc::now();
        let attempt = due.attempts + 1;
        let (status, next) = match &outcome.error {
            None => ("delivered", now),
            Some(_) if outcome.permanent || attempt >= self.retry.max_attempts => ("failed", now),
            Some(_) => (
                "pending",
                now + chrono::Duration::from_std(self.retry.backoff(attempt))
                    .unwrap_or(chrono::Duration::minutes(1)),
            ),
        };
        match (&outcome.error, status) {
            (None, _) => {
                tracing::info!(delivery = %due.id, url = %due.url, "webhook delivered")
            }
            (Some(e), "failed") => {
                tracing::error!(delivery = %due.id, url = %due.url, attempt, error = %e, "webhook failed for good")
            }
            (Some(e), _) => {
                tracing::warn!(delivery = %due.id, url = %due.url, attempt, error = %e, "webhook not delivered; will retry")
            }
        }
        Attempt {
            delivery_id: due.id,
            attempt,
            at: now,
            status_code: outcome.status_code,
            error: outcome.error,
            duration_ms: outcome.duration_ms,
            status,
            next_attempt_at: next,
        }
    }
}

/// What one POST came to.
struct Outcome {
    status_code: Option<i32>,
    error: Option<String>,
    /// No retry can help (the secret is unreadable).
    permanent: bool,
    duration_ms: i32,
}

fn cut(mut s: String) -> String {
    if s.len() > MAX_ERROR {
        let mut end = MAX_ERROR;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

async fn attempt(client: awc::Client, due: Due) -> (Due, Outcome) {
    let started = Instant::now();
    let headers = match signed_headers(&due.secret, &due.id, Utc::now().timestamp(), &due.body) {
        Ok(h) => h,
        Err(e) => {
            let outcome = Outcome {
                status_code: None,
                error: Some(e),
                permanent: true,
                duration_ms: 0,
            };
            return (due, outcome);
        }
    };
    let mut request = client
        .post(&due.url)
        .insert_header(("content-type", "application/json"));
    for header in headers {
        request = request.insert_header(header);
    }
    let answer = request.send_body(due.body.clone()).await;
    let (status_code, error) = match answer {
        Ok(mut res) => {
            let status = res.status();
            // Read (a little of) the answer, so the connection can be reused and a
            // refusal's reason kept.
            let said = res.body().limit(4096).await.unwrap_or_default();
            if status.is_success() {
                (Some(i32::from(status.as_u16())), None)
            } else {
                let reason = String::from_utf8_lossy(&said).trim().to_string();
                (
                    Some(i32::from(status.as_u16())),
                    Some(cut(if reason.is_empty() {
                        format!("the receiver answered {status}")
                    } else {
                        format!("the receiver answered {status}: {reason}")
                    })),
                )
            }
        }
        Err(e) => (None, Some(cut(format!("cannot reach the receiver: {e}")))),
    };
    let outcome = Outcome {
        status_code,
        error,
        permanent: false,
        duration_ms: started.elapsed().as_millis().min(i32::MAX as u128) as i32,
    };
    (due, outcome)
}
