//! One settings type for `greenroom serve`, deserialised from layered sources: the
//! defaults here, then a TOML file (`--config`), then environment variables, then flags
//! (figment merges them; clap reads the flags and the environment).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::clock::Clock;
use crate::email::worker::RetryPolicy;
use crate::workflow::Limits;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://greenroom.db";
pub const DEFAULT_OUTBOX_DIR: &str = "outbox";
pub const DEFAULT_EMAIL_FROM: &str = "Greenroom <bookings@greenroom.localhost>";
/// How far below the requests the delivery threads run (see `Settings::delivery_nice`).
pub const DEFAULT_DELIVERY_NICE: u32 = 10;

/// Every knob of the service. Keys are the flags' names with underscores, in a file and
/// (upper case, `GREENROOM_` before) in the environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free one.
    pub bind: String,
    pub database_url: String,
    /// Where e-mails are written as `.eml` files when no SMTP server is configured.
    pub outbox_dir: PathBuf,
    pub smtp_url: Option<String>,
    /// Load the demo roster into an empty database.
    pub demo_roster: bool,
    /// Database connections in the pool (default: three a core).
    pub pool_size: Option<u32>,
    /// HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// Failed lookups, reschedules and cancels allowed per client address a minute.
    pub failed_attempts_per_minute: usize,
    /// Read the client address from X-Forwarded-For / Forwarded (behind a proxy only).
    pub trust_forwarded: bool,
    /// A folder whose templates replace the embedded ones, file by file.
    pub email_templates_dir: Option<PathBuf>,
    /// The sender of every e-mail.
    pub email_from: String,
    /// The address customers reach the service at, for links in e-mails
    /// (default: http:// and the bind address).
    pub public_url: Option<String>,
    /// Origins allowed to call the API from a browser; empty: CORS off. A list, or one
    /// string of comma-separated origins.
    #[serde(deserialize_with = "list")]
    pub cors_origins: Vec<String>,
    /// The meeting directory (the Webex Meetings REST API), such as
    /// https://webexapis.com; off when absent: step 3 of an order is typed by hand.
    pub meeting_directory_url: Option<String>,
    /// The directory's bearer token (an integration's, allowed to read and update the
    /// site's meetings).
    pub meeting_directory_token: Option<String>,
    /// How far ahead a start may be booked, in days.
    pub booking_horizon_days: i64,
    /// Orders one client address may place an hour (0: no limit); staff are exempt.
    pub orders_per_address_per_hour: u32,
    /// Orders one contact e-mail may place in 24 hours (0: no limit); staff are exempt.
    pub orders_per_email_per_day: u32,
    /// Erase the contacts of bookings ended more than this many months ago (0: never).
    pub retention_months: u32,
    /// How long a request body may take to arrive, in seconds.
    pub body_timeout_seconds: u64,
    /// How long a request waits for a database connection, in milliseconds.
    pub database_timeout_ms: u64,
    /// SQLite: once its write-ahead log holds this many MiB, it is copied into the
    /// database and started again from its beginning (writers wait meanwhile); under
    /// steady writes it would otherwise grow for as long as they last.
    pub sqlite_log_limit_mb: u64,
    /// Run the outbox worker in this process (an instance may leave sending to others).
    pub outbox_worker: bool,
    /// How many nice steps (0-19) below the requests the threads that deliver e-mail and
    /// webhooks run: they give way to orders when the processor is busy and catch up when
    /// it is not (0: the same priority).
    pub delivery_nice: u32,
    /// Wait after an e-mail's first failed send, in milliseconds; doubles each time.
    pub outbox_retry_base_ms: u64,
    /// The longest wait between attempts, in milliseconds.
    pub outbox_retry_max_ms: u64,
    /// Attempts before an e-mail is marked failed.
    pub outbox_max_attempts: i32,
    /// How often the worker looks for due e-mails when nobody wakes it, in milliseconds.
    pub outbox_poll_ms: u64,
    /// How long a taken e-mail is reserved for its sender, in seconds.
    pub outbox_lease_seconds: u64,
    /// How often due reminders are queued and bookings that ended are marked
    /// completed, in milliseconds.
    pub sweep_ms: u64,
    /// The service's clock (tests set it).
    #[serde(skip)]
    pub clock: Clock,
}

/// A list, or one string of comma-separated items (as environment variables give it).
fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        OneOrMany::Many(v) => v,
    })
}

impl Default for Settings {
    fn default() -> Settings {
        let retry = RetryPolicy::default();
        let limits = Limits::default();
        Settings {
            bind: DEFAULT_BIND.into(),
            database_url: DEFAULT_DATABASE_URL.into(),
            outbox_dir: DEFAULT_OUTBOX_DIR.into(),
            smtp_url: None,
            demo_roster: true,
            pool_size: None,
            workers: None,
            failed_attempts_per_minute: 10,
            trust_forwarded: false,
            email_templates_dir: None,
            email_from: DEFAULT_EMAIL_FROM.into(),
            public_url: None,
            cors_origins: vec![],
            meeting_directory_url: None,
            meeting_directory_token: None,
            booking_horizon_days: limits.horizon_days,
            orders_per_address_per_hour: 30,
            orders_per_email_per_day: limits.orders_per_email_per_day,
            retention_months: 24,
            body_timeout_seconds: 10,
            database_timeout_ms: 2000,
            sqlite_log_limit_mb: crate::db::DEFAULT_LOG_LIMIT >> 20,
            outbox_worker: true,
            delivery_nice: DEFAULT_DELIVERY_NICE,
            outbox_retry_base_ms: retry.base.as_millis() as u64,
            outbox_retry_max_ms: retry.max_backoff.as_millis() as u64,
            outbox_max_attempts: retry.max_attempts,
            outbox_poll_ms: retry.poll.as_millis() as u64,
            outbox_lease_seconds: retry.lease.as_secs(),
            sweep_ms: 60_000,
            clock: Clock::system(),
        }
    }
}

impl Settings {
    pub fn retry(&self) -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(self.outbox_retry_base_ms),
            max_backoff: Duration::from_millis(self.outbox_retry_max_ms),
            max_attempts: self.outbox_max_attempts,
            poll: Duration::from_millis(self.outbox_poll_ms),
            lease: Duration::from_secs(self.outbox_lease_seconds),
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            horizon_days: self.booking_horizon_days,
            orders_per_email_per_day: self.orders_per_email_per_day,
        }
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_seconds)
    }

    pub fn database_timeout(&self) -> Duration {
        Duration::from_millis(self.database_timeout_ms)
    }

    /// Refuse settings that cannot work, naming the flag and what to give instead.
    pub fn validate(&self) -> anyhow::Result<()> {
        use anyhow::bail;
        if !self.bind.contains(':') {
            bail!(
                "--bind: '{}' needs a port, such as 127.0.0.1:8080",
                self.bind
            );
        }
        if self.email_from.parse::<lettre::message::Mailbox>().is_err() {
            bail!(
                "--email-from: '{}' is not a mailbox such as 'Greenroom <bookings@example.com>'",
                self.email_from
            );
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
                bail!("--public-url: '{url}' must be an http:// or https:// address, such as https://bookings.example.com");
            }
        }
        match (&self.meeting_directory_url, &self.meeting_directory_token) {
            (Some(url), Some(_)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    bail!("--meeting-directory-url: '{url}' must be an http:// or https:// address, such as https://webexapis.com");
                }
            }
            (Some(_), None) => bail!("--meeting-directory-url needs --meeting-directory-token (GREENROOM_MEETING_DIRECTORY_TOKEN)"),
            (None, Some(_)) => bail!("--meeting-directory-token needs --meeting-directory-url, such as https://webexapis.com"),
            (None, None) => {}
        }
        for origin in &self.cors_origins {
            let ok = origin == "*"
                || ((origin.starts_with("http://") || origin.starts_with("https://"))
                    && !origin
                        .split_once("://")
                        .map(|(_, rest)| rest)
                        .unwrap_or("")
                        .contains('/'));
            if !ok {
                bail!("--cors-origin: '{origin}' must be an origin such as https://app.example.com (scheme, host and port only)");
            }
        }
        let ranges: [(&str, u64, u64, u64); 14] = [
            (
                "--booking-horizon-days",
                self.booking_horizon_days.max(0) as u64,
                1,
                3650,
            ),
            (
                "--failed-attempts-per-minute",
                self.failed_attempts_per_minute as u64,
                1,
                10_000,
            ),
            ("--body-timeout-seconds", self.body_timeout_seconds, 1, 600),
            (
                "--database-timeout-ms",
                self.database_timeout_ms,
                100,
                60_000,
            ),
            ("--sqlite-log-limit-mb", self.sqlite_log_limit_mb, 1, 65_536),
            (
                "--pool-size",
                u64::from(self.pool_size.unwrap_or(8)),
                1,
                1000,
            ),
            ("--workers", self.workers.unwrap_or(1) as u64, 1, 1024),
            (
                "--outbox-retry-base-ms",
                self.outbox_retry_base_ms,
                1,
                3_600_000,
            ),
            (
                "--outbox-retry-max-ms",
                self.outbox_retry_max_ms,
                1,
                86_400_000,
            ),
            (
                "--outbox-max-attempts",
                self.outbox_max_attempts.max(0) as u64,
                1,
                1000,
            ),
            ("--outbox-poll-ms", self.outbox_poll_ms, 5, 60_000),
            ("--outbox-lease-seconds", self.outbox_lease_seconds, 1, 3600),
            ("--sweep-ms", self.sweep_ms, 10, 3_600_000),
            ("--delivery-nice", u64::from(self.delivery_nice), 0, 19),
        ];
        for (flag, value, low, high) in ranges {
            if !(low..=high).contains(&value) {
                bail!("{flag}: {value} is out of range; give a number from {low} to {high}");
            }
        }
        Ok(())
    }
}
