//! `greenroom-loadtest`: drive a running Greenroom with a realistic mix of requests and
//! report throughput, latency per operation, errors by status, and whether any producer
//! ended up booked twice at once (it must not). A client of the service, so a binary of
//! its own, not a command of the service.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// What the clients send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    /// 35 % availability, 30 % orders, 15 % lookups, 12 % reschedules, 8 % cancels.
    Default,
    /// Only orders (to compare with pgbench running an order's transaction).
    Orders,
    /// Only availability checks.
    Availability,
    /// Only `GET /api/v1/availability/slots`: a month of free start times.
    Slots,
    /// Only `GET /healthz`: the floor, what the server and this client can do at all.
    Healthz,
    /// Only `GET /api/v1/packages`, an answer that never changes.
    Packages,
    /// Only `GET /api/v1/openapi.json`, an answer that never changes.
    Openapi,
}

impl Mix {
    /// Answers read only from memory: no roster to set up, nothing to check afterwards.
    fn is_static(self) -> bool {
        matches!(self, Mix::Healthz | Mix::Packages | Mix::Openapi)
    }

    fn only(self) -> Option<&'static str> {
        match self {
            Mix::Default => None,
            Mix::Orders => Some("order"),
            Mix::Availability => Some("availability"),
            Mix::Slots => Some("slots"),
            Mix::Healthz => Some("healthz"),
            Mix::Packages => Some("packages"),
            Mix::Openapi => Some("openapi"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadTest {
    pub url: String,
    pub token: String,
    pub concurrency: usize,
    pub duration: Duration,
    pub producers: usize,
    pub mix: Mix,
    /// Sample this process's resident memory during the run.
    pub server_pid: Option<u32>,
}

const ZONES: [&str; 8] = [
    "Europe/Paris",
    "America/New_York",
    "Asia/Tokyo",
    "Europe/London",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Singapore",
    "Europe/Berlin",
];
const OPS: [&str; 9] = [
    "availability",
    "order",
    "lookup",
    "reschedule",
    "cancel",
    "slots",
    "healthz",
    "packages",
    "openapi",
];

struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        Rng((uuid::Uuid::new_v4().as_u128() as u64) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Default)]
struct Stats {
    latencies: BTreeMap<&'static str, Vec<u32>>,
    statuses: BTreeMap<&'static str, BTreeMap<u16, u64>>,
    booked: Vec<(String, String)>,
    peak_rss_kib: u64,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[idx]) / 1000.0
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

struct Client {
    http: awc::Client,
    base: String,
    token: String,
}

impl Client {
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        staff: bool,
    ) -> anyhow::Result<(u16, Value)> {
        let (status, bytes) = self.send_raw(method, path, body, staff).await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// The status and the body unread (parsing a large answer would load this client,
    /// which shares the machine with the server).
    async fn send_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        staff: bool,
    ) -> anyhow::Result<(u16, actix_web::web::Bytes)> {
        let mut req = self
            .http
            .request(method.parse()?, format!("{}{}", self.base, path))
            // As browsers send it: the large answers that never change come gzipped.
            .insert_header(("Accept-Encoding", "gzip"));
        if staff {
            req = req.insert_header(("Authorization", format!("Bearer {}", self.token)));
        }
        let mut res = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        }
        .map_err(|e| anyhow::anyhow!("{method} {path}: {e}"))?;
        let bytes = res
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .map_err(|e| anyhow::anyhow!("{method} {path}: {e}"))?;
        Ok((res.status().as_u16(), bytes))
    }
}

fn unread(r: anyhow::Result<(u16, actix_web::web::Bytes)>) -> anyhow::Result<(u16, Value)> {
    r.map(|(status, _)| (status, Value::Null))
}

fn order_body(rng: &mut Rng, now: DateTime<Utc>, email: &str) -> Value {
    // 15 to 75 days ahead, on the half hour, in one of the customer zones.
    let start = now + chrono::Duration::days(15 + rng.below(60) as i64);
    let start = start.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc()
        + chrono::Duration::minutes(30 * rng.below(48) as i64);
    const PACKAGES: [&str; 4] = [
        "meeting-premium",
        "training-premium",
        "event-standard",
        "event-premium",
    ];
    let package = PACKAGES[rng.below(4) as usize];
    let zone = ZONES[rng.below(ZONES.len() as u64) as usize];
    let minutes = [60, 90, 120][rng.below(3) as usize];
    json!({
        "contact": {"first_name": "Load", "last_name": "Test", "phone": "+1 555 010 2000", "email": email},
        "company": "Load Co", "site": "load.webex.com",
        "package": package,
        "start": start.to_rfc3339(),
        "time_zone": zone,
        "duration_minutes": minutes,
        "meeting": {"scheduled": true, "host_id": "load-host"},
        "event": {"title": "Load test"},
    })
}

impl LoadTest {
    pub fn run(&self) -> anyhow::Result<bool> {
        actix_web::rt::System::new().block_on(self.drive())
    }

    async fn setup(&self, client: &Client) -> anyhow::Result<Vec<String>> {
        let (status, existing) = client.send("GET", "/api/v1/producers", None, true).await?;
        if status != 200 {
            bail!("GET /api/v1/producers answered {status}: is --token an admin token of this service? {existing}");
        }
        let mut ids: Vec<String> = existing
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| {
                p["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("Load producer"))
            })
            .filter_map(|p| p["id"].as_str().map(String::from))
            .collect();
        let all_week: Vec<Value> = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]
        .iter()
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
        while ids.len() < self.producers {
            let i = ids.len();
            let body = json!({
                "name": format!("Load producer {i:04}"),
                "email": format!("load{i:04}@producers.example"),
                "time_zone": ZONES[i % ZONES.len()],
                "languages": ["en"],
                "centres": ["meeting", "training", "event"],
                "working_hours": all_week,
            });
            let (status, created) = client
                .send("POST", "/api/v1/producers", Some(&body), true)
                .await?;
            if status != 201 {
                bail!("creating a producer answered {status}: {created}");
            }
            ids.push(created["id"].as_str().unwrap_or_default().to_string());
        }
        Ok(ids)
    }

    async fn drive(&self) -> anyhow::Result<bool> {
        let http = awc::Client::builder()
            .timeout(Duration::from_secs(60))
            // Idle connections are given up before the server's own keep-alive (5 s)
            // closes them: awc's default (15 s) reused connections the server had closed
            // while the schedules were read back after a long run ("connector has been
            // disconnected").
            .connector(
                awc::Connector::new()
                    .limit(self.concurrency * 2)
                    .conn_keep_alive(Duration::from_secs(4)),
            )
            .finish();
        let client = Rc::new(Client {
            http,
            base: self.url.trim_end_matches('/').to_string(),
            token: self.token.clone(),
        });
        let producer_ids = if self.mix.is_static() {
            vec![]
        } else {
            let ids = self.setup(&client).await.context("setting up the roster")?;
            println!(
                "roster: {} load-test producers (round the clock, 8 zones)",
                ids.len()
            );
            ids
        };
        let mail_before = if self.mix.is_static() {
            None
        } else {
            Some(mail_state(&client).await.context("reading the outbox")?)
        };
        let stats = Rc::new(RefCell::new(Stats::default()));
        let started = Instant::now();
        let deadline = started + self.duration;
        let now = Utc::now();
        let mut tasks = Vec::new();
        for worker in 0..self.concurrency {
            let client = client.clone();
            let stats = stats.clone();
            let mix = self.mix;
            tasks.push(actix_web::rt::spawn(async move {
                let mut rng = Rng::new();
                let email = format!("load{worker}@customers.example");
                while Instant::now() < deadline {
                    let roll = rng.below(100);
                    let known = stats.borrow().booked.len();
                    let op = if let Some(op) = mix.only() {
                        op
                    } else if known == 0 {
                        "order"
                    } else {
                        match roll {
                            0..=34 => "availability",
                            35..=64 => "order",
                            65..=79 => "lookup",
                            80..=91 => "reschedule",
                            _ => "cancel",
                        }
                    };
                    let pick = || {
                        let s = stats.borrow();
                        s.booked[(uuid::Uuid::new_v4().as_u128() as usize) % s.booked.len()].clone()
                    };
                    let t0 = Instant::now();
                    let result = match op {
                        "availability" => {
                            let mut b = order_body(&mut rng, now, &email);
                            b.as_object_mut().unwrap().retain(|k, _| {
                                ["package", "start", "time_zone", "duration_minutes"]
                                    .contains(&k.as_str())
                            });
                            unread(
                                client
                                    .send_raw("POST", "/api/v1/availability", Some(&b), false)
                                    .await,
                            )
                        }
                        "slots" => {
                            let b = order_body(&mut rng, now, &email);
                            let from = DateTime::parse_from_rfc3339(b["start"].as_str().unwrap_or_default())
                                .map(|d| d.date_naive())
                                .unwrap_or_else(|_| now.date_naive());
                            let to = from + chrono::Duration::days(30);
                            let path = format!(
                                "/api/v1/availability/slots?package={}&from={from}&to={to}&time_zone={}&duration_minutes={}",
                                b["package"].as_str().unwrap_or_default(),
                                b["time_zone"].as_str().unwrap_or_default(),
                                b["duration_minutes"]
                            );
                            unread(client.send_raw("GET", &path, None, false).await)
                        }
                        "healthz" => unread(client.send_raw("GET", "/healthz", None, false).await),
                        "packages" => {
                            unread(client.send_raw("GET", "/api/v1/packages", None, false).await)
                        }
                        "openapi" => unread(
                            client
                                .send_raw("GET", "/api/v1/openapi.json", None, false)
                                .await,
                        ),
                        "order" => {
                            client
                                .send(
                                    "POST",
                                    "/api/v1/bookings",
                                    Some(&order_body(&mut rng, now, &email)),
                                    false,
                                )
                                .await
                        }
                        "lookup" => {
                            let (n, e) = pick();
                            client
                                .send(
                                    "POST",
                                    "/api/v1/bookings/lookup",
                                    Some(&json!({"reservation_number": n, "email": e})),
                                    false,
                                )
                                .await
                        }
                        "reschedule" => {
                            let (n, e) = pick();
                            let b = order_body(&mut rng, now, &e);
                            client
                                .send(
                                    "POST",
                                    &format!("/api/v1/bookings/{n}/reschedule"),
                                    Some(&json!({"email": e, "start": b["start"]})),
                                    false,
                                )
                                .await
                        }
                        _ => {
                            let (n, e) = pick();
                            client
                                .send(
                                    "POST",
                                    &format!("/api/v1/bookings/{n}/cancel"),
                                    Some(&json!({"email": e})),
                                    false,
                                )
                                .await
                        }
                    };
                    let micros = t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                    let status = match &result {
                        Ok((s, _)) => *s,
                        Err(_) => 0,
                    };
                    let mut s = stats.borrow_mut();
                    let op: &'static str =
                        OPS.iter().find(|o| **o == op).copied().unwrap_or("order");
                    s.latencies.entry(op).or_default().push(micros);
                    *s.statuses.entry(op).or_default().entry(status).or_default() += 1;
                    if let (Ok((201, body)), "order") = (&result, op) {
                        if let Some(n) = body["reservation_number"].as_str() {
                            s.booked.push((n.to_string(), email.clone()));
                        }
                    }
                }
            }));
        }
        if let Some(pid) = self.server_pid {
            let stats = stats.clone();
            actix_web::rt::spawn(async move {
                while Instant::now() < deadline {
                    if let Some(kib) = rss_kib(pid) {
                        let mut s = stats.borrow_mut();
                        s.peak_rss_kib = s.peak_rss_kib.max(kib);
                    }
                    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
                }
            });
        }
        for t in tasks {
            let _ = t.await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let overlaps = if self.mix.is_static() {
            0
        } else {
            self.count_overlaps(&client, &producer_ids, now).await?
        };
        let mail = match mail_before {
            Some(before) => Some(mail_after(&client, before).await?),
            None => None,
        };
        let s = stats.borrow();
        self.report(&s, elapsed, overlaps);
        let mail_ok = match mail {
            Some(m) => {
                println!(
                    "e-mails sent during and after the run: {}; sent twice: {}; failed: {}; still pending: {}",
                    m.sent, m.twice, m.failed, m.pending
                );
                m.twice == 0 && m.failed == 0 && m.pending == 0
            }
            None => true,
        };
        let server_errors: u64 = s
            .statuses
            .values()
            .flat_map(|m| m.iter())
            .filter(|(k, _)| **k >= 500 || **k == 0)
            .map(|(_, v)| *v)
            .sum();
        Ok(overlaps == 0 && server_errors == 0 && mail_ok)
    }

    /// Read every load-test producer's schedule back and count overlapping windows.
    async fn count_overlaps(
        &self,
        client: &Client,
        producers: &[String],
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let from = now.date_naive();
        let to = from + chrono::Duration::days(90);
        let mut overlaps = 0;
        for id in producers {
            let path = format!("/api/v1/schedule?from={from}&to={to}&producer={id}");
            // A connection lost on the way is tried again (twice); an answer is not.
            let mut tries = 0;
            let (status, body) = loop {
                match client.send("GET", &path, None, true).await {
                    Err(e) if tries < 2 => {
                        tries += 1;
                        eprintln!("greenroom-loadtest: {e:#}; trying again");
                    }
                    result => break result?,
                }
            };
            if status != 200 {
                bail!("GET /api/v1/schedule answered {status}: {body}");
            }
            // Live windows and preparation sessions: all the producer's time.
            let window = |w: &Value| {
                let at = |k: &str| {
                    DateTime::parse_from_rfc3339(w[k].as_str()?)
                        .ok()
                        .map(|t| t.with_timezone(&Utc))
                };
                Some((at("start")?, at("end")?))
            };
            let mut windows: Vec<(DateTime<Utc>, DateTime<Utc>)> = body["assignments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| window(&a["producer_window"]))
                .chain(
                    body["sessions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|s| window(&s["window"])),
                )
                .collect();
            windows.sort();
            overlaps += windows.windows(2).filter(|w| w[1].0 < w[0].1).count();
        }
        Ok(overlaps)
    }

    fn report(&self, s: &Stats, elapsed: f64, overlaps: usize) {
        println!(
            "\ngreenroom-loadtest: {} clients for {:.1} s against {}",
            self.concurrency, elapsed, self.url
        );
        println!(
            "{:<13} {:>8} {:>9} {:>9} {:>9} {:>9}  statuses",
            "operation", "count", "per sec", "p50 ms", "p95 ms", "p99 ms"
        );
        let mut total = 0u64;
        for op in OPS {
            let Some(lat) = s.latencies.get(op) else {
                continue;
            };
            let mut sorted = lat.clone();
            sorted.sort_unstable();
            total += sorted.len() as u64;
            let statuses: Vec<String> = s
                .statuses
                .get(op)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            format!(
                                "{}:{v}",
                                if *k == 0 {
                                    "error".to_string()
                                } else {
                                    k.to_string()
                                }
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            println!(
                "{:<13} {:>8} {:>9.1} {:>9.2} {:>9.2} {:>9.2}  {}",
                op,
                sorted.len(),
                sorted.len() as f64 / elapsed,
                percentile(&sorted, 0.50),
                percentile(&sorted, 0.95),
                percentile(&sorted, 0.99),
                statuses.join(" ")
            );
        }
        let confirmed = s
            .statuses
            .get("order")
            .and_then(|m| m.get(&201))
            .copied()
            .unwrap_or(0);
        println!("total: {total} requests, {:.1} per second; orders confirmed: {confirmed} ({:.1} per second)", total as f64 / elapsed, confirmed as f64 / elapsed);
        if self.server_pid.is_some() {
            println!(
                "server memory (peak RSS): {:.1} MiB",
                s.peak_rss_kib as f64 / 1024.0
            );
        }
        println!("overlapping assignments found afterwards: {overlaps}");
    }
}

/// The outbox's counts and the driven server's count of sends at one moment.
#[derive(Clone, Copy)]
struct MailState {
    pending: i64,
    sent_rows: i64,
    failed_rows: i64,
    sends: i64,
}

/// What became of the e-mails queued by a run, once the outbox is empty (or two minutes
/// after the run): how many were sent, how many of those sends were a second one of a
/// message already sent (the server's send counter rose by more than the messages marked
/// sent), how many failed, how many are still waiting.
struct Mail {
    sent: i64,
    twice: i64,
    failed: i64,
    pending: i64,
}

async fn mail_state(client: &Client) -> anyhow::Result<MailState> {
    let (status, outbox) = client
        .send("GET", "/api/v1/outbox?limit=1", None, true)
        .await?;
    if status != 200 {
        bail!("GET /api/v1/outbox answered {status}: {outbox}");
    }
    let count = |k: &str| outbox["counts"][k].as_i64().unwrap_or(0);
    let (status, metrics) = client.send_raw("GET", "/metrics", None, false).await?;
    if status != 200 {
        bail!("GET /metrics answered {status}");
    }
    let sends = String::from_utf8_lossy(&metrics)
        .lines()
        .find_map(|l| l.strip_prefix("greenroom_emails_sent_total "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .context("/metrics has no greenroom_emails_sent_total")?;
    Ok(MailState {
        pending: count("pending"),
        sent_rows: count("sent"),
        failed_rows: count("failed"),
        sends: sends as i64,
    })
}

async fn mail_after(client: &Client, before: MailState) -> anyhow::Result<Mail> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut now = mail_state(client).await?;
    while now.pending > 0 && Instant::now() < deadline {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        now = mail_state(client).await?;
    }
    let sent = now.sent_rows - before.sent_rows;
    Ok(Mail {
        sent,
        twice: (now.sends - before.sends - sent).max(0),
        failed: now.failed_rows - before.failed_rows,
        pending: now.pending,
    })
}

/// The database at `url`, and a booking of the next two years to copy.
fn open_with_template(
    url: &str,
) -> anyhow::Result<(greenroom::db::Database, greenroom::domain::booking::Booking)> {
    use greenroom::db::{models::bookings, Database, DbUrl};
    let url = DbUrl::parse(url).map_err(anyhow::Error::msg)?;
    let database = Database::open(&url, 2, Duration::from_secs(30))?;
    let now = Utc::now();
    let range = greenroom::scheduling::Interval::new(now, now + chrono::Duration::days(730));
    let template = bookings::in_windows(&mut *database.read()?, range, None, 1)?
        .into_iter()
        .next()
        .context("no booking to copy: run some orders against this database first")?;
    Ok((database, template))
}

/// The database's own limit for orders: the statements an order cannot avoid (the
/// booking, its first history event, its two outbox messages, its reminders), run by
/// Greenroom's own code through its write path, in a loop on this process's thread for
/// `duration`, twice: one transaction an order, then `per_transaction` orders a
/// transaction, each in its own savepoint, as the SQLite writer's group commit does
/// when orders queue (see `db::Writer`). Copies a booking already in the database (run
/// the orders first) so the rows are of real sizes; each copy is three years from now
/// or later, one after the other for the same producer, so the double-booking check
/// runs as usual. Writes into the database: point it at a copy.
fn db_limit(url: &str, duration: Duration, per_transaction: usize) -> anyhow::Result<()> {
    use greenroom::db;
    use greenroom::db::models::{booking_events, bookings, outbox, producers, reminders};
    use greenroom::domain::booking::{EventKind, HistoryEvent};
    use greenroom::email::{self, Kind, MailConfig};

    let (database, template) = open_with_template(url)?;
    let url = database.url.clone();
    let now = Utc::now();
    let producer = producers::contact_of(&mut *database.read()?, &template.producer_id)?
        .context("the booking's producer is not on the roster")?;
    let mail = MailConfig::default();
    let messages = vec![
        email::contact_message(Kind::BookingConfirmed, &template, &producer, None, 0, &mail),
        email::producer_message(Kind::ProducerAssigned, &template, &producer, None, 0, &mail),
    ];
    // Past the two years `--seed` fills, so the copies meet nothing already there.
    let first = (now + chrono::Duration::days(3 * 365))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let step = chrono::Duration::minutes(30 + 12 * 60 + 30);
    let mut done: i32 = 0;
    let copy = |n: i32| {
        let mut b = template.clone();
        b.id = greenroom::db::new_id();
        b.number = greenroom::domain::reservation_number::ReservationNumber::generate();
        b.window_start = first + step * n;
        b.start = b.window_start + chrono::Duration::minutes(30);
        b.end = b.start + chrono::Duration::minutes(b.duration_minutes);
        b.window_end = b.end;
        let event = HistoryEvent {
            at: now,
            kind: EventKind::Created,
            actor: "customer".into(),
            old: None,
            new: Some((b.start, b.end)),
            old_producer_id: None,
            new_producer_id: Some(b.producer_id.clone()),
            detail: None,
        };
        (b, event)
    };
    for per in [1, per_transaction.max(1)] {
        // Each loop starts with the write-ahead log emptied into the file, so that the
        // second does not pay for the first's.
        if !url.is_postgres() {
            use diesel::connection::SimpleConnection;
            database
                .read()?
                .batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")?;
        }
        let started = Instant::now();
        let mut count = 0;
        while started.elapsed() < duration {
            let orders: Vec<_> = (0..per).map(|i| copy(done + i as i32)).collect();
            database.write(|conn| {
                db::write_transaction(conn, |conn| -> anyhow::Result<()> {
                    for (b, event) in &orders {
                        db::write_transaction(conn, |conn| -> anyhow::Result<()> {
                            bookings::insert(conn, b)?;
                            booking_events::record(conn, &b.id, event, true)?;
                            outbox::enqueue(conn, &b.id, &messages)?;
                            let due = greenroom::domain::reminder::reminders_for(b, now);
                            reminders::insert(conn, &b.id, &due, now)?;
                            Ok(())
                        })?;
                    }
                    Ok(())
                })
            })?;
            done += per as i32;
            count += per;
        }
        let secs = started.elapsed().as_secs_f64();
        let how = if per == 1 {
            "one transaction each".to_string()
        } else {
            format!("{per} to a transaction, a savepoint each")
        };
        println!(
            "database limit ({}): {count} orders' writes in {secs:.1} s, {:.1} per second, {how}",
            url.redacted(),
            count as f64 / secs
        );
    }
    Ok(())
}

/// Fill the schedule with `count` confirmed bookings (assignments) copied from one
/// already there, spread evenly over the next `years` years across every producer on the
/// roster, so that measurements run against a schedule of that size (and, for a given
/// count, that density). Written 1,000 to a transaction, without e-mails.
fn seed(url: &str, count: usize, years: i32) -> anyhow::Result<()> {
    use greenroom::db;
    use greenroom::db::models::{bookings, producers};

    let (database, template) = open_with_template(url)?;
    let now = Utc::now();
    let roster = producers::list(&mut *database.read()?)?;
    anyhow::ensure!(!roster.is_empty(), "no producer on the roster");
    let each = count.div_ceil(roster.len()) as i32;
    let window = 30 + template.duration_minutes;
    // Half hours between one producer's assignments, over the years asked.
    let step = (years.max(1) * 365 * 48 / each.max(1)).max(1);
    anyhow::ensure!(
        i64::from(step) * 30 > window,
        "{count} assignments over {} producers would overlap; add producers",
        roster.len()
    );
    let first = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        + chrono::Duration::days(1);
    let started = Instant::now();
    let (mut written, mut inserted) = (0, 0);
    while written < count {
        let batch = (count - written).min(1000);
        database.write(|conn| {
            db::write_transaction(conn, |conn| -> anyhow::Result<()> {
                for i in written..written + batch {
                    let mut b = template.clone();
                    b.id = greenroom::db::new_id();
                    b.number = greenroom::domain::reservation_number::ReservationNumber::generate();
                    b.producer_id = roster[i % roster.len()].id.clone();
                    // Each producer's k-th assignment, offset by producer so that starts
                    // differ across the roster.
                    let k = (i / roster.len()) as i32;
                    let offset = (i % roster.len()) as i32 % step;
                    b.window_start =
                        first + chrono::Duration::minutes(30 * i64::from(k * step + offset));
                    b.start = b.window_start + chrono::Duration::minutes(30);
                    b.end = b.start + chrono::Duration::minutes(b.duration_minutes);
                    b.window_end = b.end;
                    // A savepoint each: one that meets a booking already there is
                    // left out, the rest of the batch goes in.
                    use diesel::Connection;
                    match conn.transaction(|conn| bookings::insert(conn, &b)) {
                        Ok(()) => inserted += 1,
                        Err(e) if db::is_double_booking(&e) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(())
            })
        })?;
        written += batch;
    }
    if database.is_postgres() {
        // What autovacuum would do soon after (it is off on some machines, this project's
        // build machine among them): the planner's statistics, and the visibility map
        // that lets an index-only scan skip the table (without it, every overlapping
        // window an answer reads was fetched from the heap too).
        use diesel::RunQueryDsl;
        diesel::sql_query("VACUUM (ANALYZE) bookings, assignments")
            .execute(&mut *database.read()?)?;
    }
    println!(
        "seeded {inserted} assignments over {} producers in {:.1} s ({} met a booking already there)",
        roster.len(),
        started.elapsed().as_secs_f64(),
        written - inserted
    );
    Ok(())
}

/// Drive a running Greenroom and report what it did.
#[derive(Debug, clap::Parser)]
#[command(name = "greenroom-loadtest", version)]
struct Args {
    /// The service to drive.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An admin token of that service (to set up the roster and read the schedule).
    #[arg(long, env = "GREENROOM_TOKEN")]
    token: Option<String>,
    /// Clients sending requests at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How long to drive, in seconds.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Load-test producers to have on the roster (created if missing).
    #[arg(long, default_value_t = 100)]
    producers: usize,
    /// What the clients send: the realistic mix, only orders (to compare with pgbench
    /// running an order's transaction), or only availability checks.
    #[arg(long, value_enum, default_value = "default")]
    mix: Mix,
    /// Sample this process's memory (RSS) during the run.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Instead of driving the service, measure this database's own limit for orders: an
    /// order's writes in a loop, in this process, for --duration (see `db_limit`). It
    /// writes rows: point it at a copy.
    #[arg(long, value_name = "DATABASE_URL")]
    db_limit: Option<String>,
    /// With --db-limit: the orders written to one transaction in its second loop (the
    /// first writes one a transaction).
    #[arg(long, default_value_t = 32)]
    db_limit_batch: usize,
    /// Instead of driving the service, add this many assignments to the database at
    /// --seed-url, spread over --seed-years and the whole roster (see `seed`).
    #[arg(long, requires = "seed_url")]
    seed: Option<usize>,
    #[arg(long, value_name = "DATABASE_URL")]
    seed_url: Option<String>,
    /// With --seed: the years the assignments are spread over, from tomorrow (the
    /// density is the count over the years).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(i32).range(1..=50))]
    seed_years: i32,
}

fn main() -> std::process::ExitCode {
    use clap::Parser;
    let args = Args::parse();
    if args.concurrency == 0 || args.duration == 0 {
        eprintln!("greenroom-loadtest: --concurrency and --duration must be at least 1");
        return std::process::ExitCode::FAILURE;
    }
    let database_mode = match (args.seed, &args.seed_url, &args.db_limit) {
        (Some(count), Some(url), _) => Some(seed(url, count, args.seed_years)),
        (_, _, Some(url)) => Some(db_limit(
            url,
            Duration::from_secs(args.duration),
            args.db_limit_batch,
        )),
        _ => None,
    };
    match database_mode {
        Some(Ok(())) => return std::process::ExitCode::SUCCESS,
        Some(Err(e)) => {
            eprintln!("greenroom-loadtest: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
        None => {}
    }
    let Some(token) = args.token else {
        eprintln!("greenroom-loadtest: --token (or GREENROOM_TOKEN) is needed: an admin token of the service");
        return std::process::ExitCode::FAILURE;
    };
    let run = LoadTest {
        url: args.url,
        token,
        concurrency: args.concurrency,
        duration: Duration::from_secs(args.duration),
        producers: args.producers,
        mix: args.mix,
        server_pid: args.server_pid,
    }
    .run();
    match run {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("greenroom-loadtest: the run found server errors or overlapping assignments");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("greenroom-loadtest: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
