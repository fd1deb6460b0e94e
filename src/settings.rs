//! Typed settings for `greenroom serve`.

use std::path::PathBuf;

use crate::clock::Clock;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://greenroom.db";
pub const DEFAULT_OUTBOX_DIR: &str = "outbox";

#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free one.
    pub bind: String,
    pub database_url: String,
    /// Where e-mails are written as `.eml` files when no SMTP server is configured.
    pub outbox_dir: PathBuf,
    pub smtp_url: Option<String>,
    /// Load the demo roster into an empty database.
    pub demo_roster: bool,
    /// Database connections in the pool (default: 16 on PostgreSQL, 8 on SQLite).
    pub pool_size: Option<u32>,
    /// The booking horizon and the orders a contact e-mail may place a day.
    pub limits: crate::workflow::Limits,
    /// Erase the contacts of bookings ended more than this many months ago (0: never).
    pub retention_months: u32,
    /// Orders one client address may place an hour (0: no limit); staff are exempt.
    pub orders_per_address_per_hour: u32,
    /// How long a request body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// How long a request waits for a database connection before a 503.
    pub db_checkout_timeout: std::time::Duration,
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
    pub retry: crate::email::worker::RetryPolicy,
    /// Run the outbox worker in this process (an instance may leave sending to others).
    pub outbox_worker: bool,
    /// Origins allowed to call the API from a browser; empty: CORS off.
    pub cors_origins: Vec<String>,
    pub clock: Clock,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            bind: DEFAULT_BIND.into(),
            database_url: DEFAULT_DATABASE_URL.into(),
            outbox_dir: DEFAULT_OUTBOX_DIR.into(),
            smtp_url: None,
            demo_roster: true,
            pool_size: None,
            limits: crate::workflow::Limits::default(),
            retention_months: 24,
            orders_per_address_per_hour: 30,
            body_timeout: std::time::Duration::from_secs(10),
            db_checkout_timeout: std::time::Duration::from_secs(2),
            workers: None,
            failed_attempts_per_minute: 10,
            trust_forwarded: false,
            email_templates_dir: None,
            email_from: crate::email::MailConfig::default().from,
            public_url: None,
            retry: crate::email::worker::RetryPolicy::default(),
            outbox_worker: true,
            cors_origins: vec![],
            clock: Clock::system(),
        }
    }
}

impl Settings {
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
        Ok(())
    }
}
