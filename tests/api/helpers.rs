//! The test harness: each test gets the real app on a random port with a fresh database
//! (a temporary SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is set,
//! dropped afterwards) and talks to it over HTTP.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use greenroom::clock::Clock;
use greenroom::db::models::staff_tokens as tokens;
use greenroom::domain::staff::Role;
use greenroom::settings::Settings;
use greenroom::Application;
use serde_json::{json, Value};

/// Tests run at a fixed "now": Monday 2027-01-04 08:00 UTC. The lead time makes
/// 2027-01-18 08:00 UTC the earliest bookable start.
pub const NOW: &str = "2027-01-04T08:00:00Z";

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test instant")
        .with_timezone(&Utc)
}

pub enum TestDb {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub fn create() -> (TestDb, String) {
        let name = format!("greenroom_test_{}", uuid::Uuid::new_v4().simple());
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let mut conn = PgConnection::establish(&admin_url)
                    .expect("TEST_DATABASE_URL must reach PostgreSQL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let base = admin_url.split('?').next().unwrap();
                let (server, _) = base
                    .rsplit_once('/')
                    .expect("TEST_DATABASE_URL has a database name");
                let url = format!("{server}/{name}");
                (TestDb::Postgres { admin_url, name }, url)
            }
            None => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let url = format!("sqlite://{}", path.display());
                (TestDb::Sqlite(path), url)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDb::Postgres { admin_url, name } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn);
                }
            }
        }
    }
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: awc::http::header::HeaderMap,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }

    /// The field errors as (field, code) pairs.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_string(),
                            e["code"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub clock: Clock,
    pub admin: String,
    pub scheduler: String,
    pub state: greenroom::http::AppState,
    /// Where e-mails land as .eml files when no SMTP server is set.
    pub outbox_dir: PathBuf,
    client: awc::Client,
    // Dropped last: the database outlives the requests.
    _db: Option<TestDb>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.state.services.stop_workers();
        let _ = std::fs::remove_dir_all(&self.outbox_dir);
    }
}

pub async fn spawn_app() -> TestApp {
    spawn(Options::default()).await
}

/// `demo_roster`: load the demo producers, as `cargo run` does on an empty database.
pub async fn spawn_app_with(demo_roster: bool) -> TestApp {
    spawn(Options {
        demo_roster,
        ..Options::default()
    })
    .await
}

#[derive(Default)]
pub struct Options {
    pub demo_roster: bool,
    /// Send e-mail through this SMTP server instead of writing .eml files.
    pub smtp_url: Option<String>,
    /// Share another app's database (a second instance, or a restart).
    pub database_url: Option<String>,
    pub email_templates_dir: Option<PathBuf>,
    /// Leave the outbox worker off (its polling would count as database work).
    pub no_outbox_worker: bool,
    pub cors_origins: Vec<String>,
    /// Orders per address an hour and per contact e-mail a day; None leaves both off,
    /// since most tests order many times from one address with one e-mail.
    pub order_limits: Option<(u32, u32)>,
    /// Settings that no other option covers.
    pub tweak: Option<fn(&mut Settings)>,
    /// The meeting directory's base URL (its token is `DIRECTORY_TOKEN`).
    pub meeting_directory: Option<String>,
}

/// The bearer token the test meeting directory accepts.
pub const DIRECTORY_TOKEN: &str = "test-directory-token";

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("greenroom-{tag}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn settings_for(
    opts: &Options,
    database_url: &str,
    clock: &Clock,
    outbox_dir: &std::path::Path,
) -> Settings {
    let (per_address, per_email) = opts.order_limits.unwrap_or((0, 0));
    let mut settings = Settings {
        bind: "127.0.0.1:0".into(),
        database_url: database_url.to_string(),
        demo_roster: opts.demo_roster,
        workers: Some(2),
        clock: clock.clone(),
        smtp_url: opts.smtp_url.clone(),
        outbox_dir: outbox_dir.to_path_buf(),
        email_templates_dir: opts.email_templates_dir.clone(),
        public_url: Some("https://greenroom.example".into()),
        outbox_worker: !opts.no_outbox_worker,
        cors_origins: opts.cors_origins.clone(),
        outbox_retry_base_ms: 50,
        outbox_retry_max_ms: 400,
        outbox_max_attempts: 1000,
        outbox_poll_ms: 25,
        outbox_lease_seconds: 30,
        sweep_ms: 25,
        orders_per_address_per_hour: per_address,
        orders_per_email_per_day: per_email,
        ..Settings::default()
    };
    if let Some(url) = &opts.meeting_directory {
        settings.meeting_directory_url = Some(url.clone());
        settings.meeting_directory_token = Some(DIRECTORY_TOKEN.into());
    }
    if let Some(tweak) = opts.tweak {
        tweak(&mut settings);
    }
    settings
}

pub async fn spawn(opts: Options) -> TestApp {
    let (db, database_url) = match &opts.database_url {
        Some(url) => (None, url.clone()),
        None => {
            let (db, url) = TestDb::create();
            (Some(db), url)
        }
    };
    let clock = Clock::manual(utc(NOW));
    let outbox_dir = temp_dir("outbox");
    let settings = settings_for(&opts, &database_url, &clock, &outbox_dir);
    let app = Application::build(settings).expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone();
    actix_web::rt::spawn(app.run_until_stopped());
    let (admin, scheduler) = {
        let mut conn = state.services.db.pool.get().unwrap();
        let now = clock.now();
        (
            tokens::create(&mut conn, Role::Admin, Some("tests"), now)
                .unwrap()
                .1,
            tokens::create(&mut conn, Role::Scheduler, Some("tests"), now)
                .unwrap()
                .1,
        )
    };
    TestApp {
        address,
        database_url,
        clock,
        admin,
        scheduler,
        state,
        outbox_dir,
        client: awc::Client::builder()
            .timeout(Duration::from_secs(120))
            .finish(),
        _db: db,
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let url = format!("{}{}", self.address, path);
        let mut req = self.client.request(method.parse().unwrap(), url);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let res = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        };
        let mut res = res.expect("the request reaches the app");
        let bytes = res.body().limit(50 * 1024 * 1024).await.expect("a body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp {
            status: res.status().as_u16(),
            body,
            headers: res.headers().clone(),
        }
    }

    /// Send raw bytes (for malformed and oversized bodies).
    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> Resp {
        let mut res = self
            .client
            .post(format!("{}{}", self.address, path))
            .insert_header(("Content-Type", "application/json"))
            .send_body(body)
            .await
            .expect("the request reaches the app");
        let bytes = res.body().limit(1024 * 1024).await.unwrap_or_default();
        Resp {
            status: res.status().as_u16(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            headers: res.headers().clone(),
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request("GET", path, None, None, &[]).await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Resp {
        self.request("GET", path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.request("POST", path, None, Some(body), &[]).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Resp {
        self.request("POST", path, Some(token), Some(body), &[])
            .await
    }

    pub async fn order(&self, body: &Value) -> Resp {
        self.post("/api/v1/bookings", body).await
    }

    /// The outbox's counts once `sent` reaches `n` (outcomes are recorded a batch at a
    /// time, just after the sends), or as they are when the time runs out.
    pub async fn outbox_counts_when_sent(&self, n: u64) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let counts = self
                .get_as(&self.admin, "/api/v1/outbox?limit=1")
                .await
                .body["counts"]
                .clone();
            if counts["sent"].as_u64() >= Some(n) || std::time::Instant::now() > deadline {
                return counts;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Add a producer through the staff API; returns its id.
    pub async fn add_producer(&self, body: Value) -> String {
        let r = self.post_as(&self.admin, "/api/v1/producers", &body).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }
}

/// An app with two producers in Paris, Lea and Hugo, weekdays 08:00–18:00.
pub async fn spawn_with_two_producers(opts: Options) -> TestApp {
    let app = spawn(opts).await;
    for name in ["Lea", "Hugo"] {
        app.add_producer(producer(
            name,
            "Europe/Paris",
            &["en", "fr"],
            weekdays("08:00", "18:00"),
        ))
        .await;
    }
    app
}

pub fn weekdays(start: &str, end: &str) -> Value {
    Value::Array(
        ["monday", "tuesday", "wednesday", "thursday", "friday"]
            .iter()
            .map(|d| json!({"weekday": d, "start": start, "end": end}))
            .collect(),
    )
}

pub fn producer(name: &str, zone: &str, languages: &[&str], hours: Value) -> Value {
    json!({
        "name": name,
        "email": format!("{}@producers.example", name.to_lowercase().replace(' ', ".")),
        "time_zone": zone,
        "languages": languages,
        "centres": ["meeting", "training", "event"],
        "working_hours": hours,
    })
}

/// A complete, valid order for event-standard.
pub fn order_body(start: &str, zone: &str, minutes: i64) -> Value {
    json!({
        "contact": {"first_name": "Ana", "last_name": "Souza", "phone": "+1 555 010 2000", "email": "Ana.Souza@Example.com"},
        "company": "Acme Corp",
        "site": "acme.webex.com",
        "package": "event-standard",
        "start": start,
        "time_zone": zone,
        "duration_minutes": minutes,
        "meeting": {"scheduled": true, "host_id": "acme-host-1", "host_email": "host@example.com"},
        "event": {"title": "Quarterly all-hands", "details": "Two presenters", "comments": "Slides 24h before"}
    })
}

/// A page as a visitor without JavaScript gets it.
pub struct Page {
    pub status: u16,
    pub html: String,
    /// Where the last redirect led.
    pub path: String,
    pub headers: awc::http::header::HeaderMap,
}

impl Page {
    /// The text of the first element with this id (tags inside it removed).
    pub fn text_of(&self, id: &str) -> Option<String> {
        let start = self.html.find(&format!("id=\"{id}\""))?;
        let open_end = start + self.html[start..].find('>')? + 1;
        let tag_start = self.html[..start].rfind('<')? + 1;
        let tag: String = self.html[tag_start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let close = self.html[open_end..].find(&format!("</{tag}>"))?;
        Some(strip_tags(&self.html[open_end..open_end + close]))
    }

    /// Every field error shown next to a field, as (field id, message).
    pub fn field_errors(&self) -> Vec<(String, String)> {
        let mut found = vec![];
        let mut rest = self.html.as_str();
        while let Some(i) = rest.find("class=\"error\" id=\"") {
            rest = &rest[i + "class=\"error\" id=\"".len()..];
            let id = rest
                .split('"')
                .next()
                .unwrap_or("")
                .trim_end_matches("-error")
                .to_string();
            let text = rest
                .split_once('>')
                .map(|(_, t)| t.split("</p>").next().unwrap_or(""))
                .unwrap_or("");
            found.push((
                id,
                strip_tags(text)
                    .replace("Error: ", "")
                    .replace("Erreur : ", ""),
            ));
        }
        found
    }

    /// The values of the submit buttons named `action` that start with `prefix`.
    pub fn actions(&self, prefix: &str) -> Vec<String> {
        self.html
            .split("name=\"action\" value=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|v| v.starts_with(prefix))
            .map(|v| v.to_string())
            .collect()
    }
}

pub fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x3D;", "=")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A person with a browser that runs no script: keeps cookies, sends forms with their
/// token, follows redirects.
pub struct Visitor {
    address: String,
    client: awc::Client,
    cookies: std::cell::RefCell<Vec<(String, String)>>,
    headers: Vec<(String, String)>,
}

impl Visitor {
    pub fn new(app: &TestApp) -> Visitor {
        Visitor::with_headers(app, &[])
    }

    pub fn with_headers(app: &TestApp, headers: &[(&str, &str)]) -> Visitor {
        Visitor {
            address: app.address.clone(),
            client: awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .disable_redirects()
                .finish(),
            cookies: Default::default(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .borrow()
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    async fn send(&self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{}", self.address, path));
        let jar = self
            .cookies
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !jar.is_empty() {
            req = req.insert_header(("Cookie", jar));
        }
        for (k, v) in &self.headers {
            req = req.insert_header((k.as_str(), v.as_str()));
        }
        let mut res = match form {
            Some(f) => {
                let body = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(f.iter())
                    .finish();
                req.insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                    .send_body(body)
                    .await
            }
            None => req.send().await,
        }
        .expect("the page answers");
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (pair, _) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.borrow_mut();
            jar.retain(|(name, _)| name != k);
            jar.push((k.to_string(), val.to_string()));
        }
        let bytes = res.body().limit(10 * 1024 * 1024).await.unwrap();
        Page {
            status: res.status().as_u16(),
            html: String::from_utf8_lossy(&bytes).into_owned(),
            path: path.to_string(),
            headers: res.headers().clone(),
        }
    }

    /// GET, following redirects.
    pub async fn get(&self, path: &str) -> Page {
        let mut page = self.send("GET", path, None).await;
        for _ in 0..5 {
            if page.status != 303 && page.status != 302 {
                break;
            }
            let to = page
                .headers
                .get("location")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            let to = to.split('#').next().unwrap().to_string();
            page = self.send("GET", &to, None).await;
            page.path = to;
        }
        page
    }

    /// POST a form with the session's token, following the redirect.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf(path).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// POST exactly these fields.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.send("POST", path, Some(fields)).await;
        if page.status == 303 {
            let to = page
                .headers
                .get("location")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            return self.get(to.split('#').next().unwrap()).await;
        }
        page
    }

    /// The form token: every form of a session carries the same one; the find form is
    /// on a page without side effects.
    pub async fn csrf(&self, _path: &str) -> String {
        let page = self.get("/manage").await;
        page.html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a form token")
            .to_string()
    }
}
