//! What an operator relies on: request ids, security headers, CORS only when asked,
//! metrics, structured logs without secrets, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{order_body, producer, spawn, spawn_app, weekdays, Options};

#[actix_web::test]
async fn every_response_has_a_request_id_and_problems_quote_it() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/packages").await;
    let id = r.header("x-request-id").expect("a request id");
    assert_eq!(id.len(), 36);
    let r = app
        .request(
            "POST",
            "/api/v1/bookings",
            None,
            Some(&json!({})),
            &[("X-Request-Id", "client-req-42")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.header("x-request-id").as_deref(), Some("client-req-42"));
    assert_eq!(r.body["request_id"], "client-req-42");
    // An unusable incoming id is replaced, not echoed.
    let r = app
        .request(
            "GET",
            "/api/v1/nothing",
            None,
            None,
            &[("X-Request-Id", "<script>")],
        )
        .await;
    assert_ne!(r.header("x-request-id").as_deref(), Some("<script>"));
    assert_eq!(
        r.body["request_id"].as_str(),
        r.header("x-request-id").as_deref()
    );
}

#[actix_web::test]
async fn security_headers_and_no_cors_by_default() {
    let app = spawn_app().await;
    let r = app
        .request(
            "GET",
            "/api/v1/packages",
            None,
            None,
            &[("Origin", "https://evil.example")],
        )
        .await;
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(r.header("referrer-policy").as_deref(), Some("no-referrer"));
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    assert!(r.header("access-control-allow-origin").is_none());
    let pre = app
        .request(
            "OPTIONS",
            "/api/v1/bookings",
            None,
            None,
            &[
                ("Origin", "https://evil.example"),
                ("Access-Control-Request-Method", "POST"),
            ],
        )
        .await;
    assert!(pre.header("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn cors_for_configured_origins_only() {
    let app = spawn(Options {
        cors_origins: vec!["https://app.example".into()],
        ..Options::default()
    })
    .await;
    let pre = app
        .request(
            "OPTIONS",
            "/api/v1/bookings",
            None,
            None,
            &[
                ("Origin", "https://app.example"),
                ("Access-Control-Request-Method", "POST"),
            ],
        )
        .await;
    assert!(pre.status == 200 || pre.status == 204, "{}", pre.status);
    assert_eq!(
        pre.header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    assert!(pre
        .header("access-control-allow-headers")
        .unwrap()
        .contains("idempotency-key"));
    let r = app
        .request(
            "GET",
            "/api/v1/packages",
            None,
            None,
            &[("Origin", "https://app.example")],
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    let other = app
        .request(
            "GET",
            "/api/v1/packages",
            None,
            None,
            &[("Origin", "https://other.example")],
        )
        .await;
    assert!(other.header("access-control-allow-origin").is_none());
}

/// One figure of the app's `/metrics`.
pub async fn metric_of(app: &crate::helpers::TestApp, line_start: &str) -> f64 {
    let mut res = awc::Client::default()
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    metric(&text, line_start)
}

pub fn metric(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no metric {line_start} in:\n{text}"))
}

#[actix_web::test]
async fn metrics_count_requests_orders_outbox_and_the_pool() {
    let app = spawn_app().await;
    app.add_producer(producer("Solo", "UTC", &["en"], weekdays("08:00", "18:00")))
        .await;
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00:00Z", "UTC", 60))
            .await
            .status,
        201
    );
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00:00Z", "UTC", 60))
            .await
            .status,
        409
    );
    assert_eq!(app.order(&json!({})).await.status, 422);
    let client = awc::Client::default();
    let mut res = client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert_eq!(
        metric(&text, "greenroom_orders_total{outcome=\"confirmed\"}"),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            "greenroom_orders_total{outcome=\"no_producer_available\"}"
        ),
        1.0
    );
    assert_eq!(
        metric(&text, "greenroom_orders_total{outcome=\"refused\"}"),
        1.0
    );
    assert_eq!(metric(&text, "greenroom_http_requests_total{method=\"POST\",route=\"/api/v1/bookings\",status=\"201\"}"), 1.0);
    assert_eq!(metric(&text, "greenroom_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/bookings\",status=\"409\"}"), 1.0);
    assert!(
        metric(&text, "greenroom_outbox_messages{status=\"pending\"}")
            + metric(&text, "greenroom_outbox_messages{status=\"sent\"}")
            >= 2.0
    );
    assert!(metric(&text, "greenroom_db_pool_max_connections") >= 1.0);
    assert!(metric(&text, "greenroom_db_statements_total") > 10.0);
    assert!(text.contains("le=\"+Inf\""));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Served {
    child: std::process::Child,
    address: String,
    logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    dir: std::path::PathBuf,
}

impl Served {
    /// The real binary, on its own SQLite file and port, logging JSON.
    fn start() -> Served {
        let dir = crate::helpers::temp_dir("serve");
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_greenroom"))
            .current_dir(&dir)
            .args([
                "--log-format",
                "json",
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                "sqlite://served.db",
            ])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = logs.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the server did not start: {:?}",
                logs.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Served {
            child,
            address: format!("http://127.0.0.1:{port}"),
            logs,
            dir,
        }
    }

    fn token(&self) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_greenroom"))
            .current_dir(&self.dir)
            .args([
                "staff-token",
                "create",
                "--role",
                "admin",
                "--database-url",
                "sqlite://served.db",
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .last()
            .unwrap()
            .to_string()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[actix_web::test]
async fn sigterm_finishes_requests_in_flight_and_exits_cleanly_with_json_logs_and_no_secrets() {
    let mut served = Served::start();
    let token = served.token();
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let r = client
        .get(format!("{}/api/v1/producers", served.address))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // Orders in flight when SIGTERM arrives all get their answer.
    // The real binary runs on the real clock: a start a month away.
    let start = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%dT10:00")
        .to_string();
    let body = order_body(&start, "Europe/Paris", 60);
    let url = format!("{}/api/v1/bookings", served.address);
    let requests = join_all((0..24).map(|_| {
        let client = client.clone();
        let url = url.clone();
        let body = body.clone();
        async move {
            let mut r = client.post(url).send_json(&body).await?;
            let answer: Value = r.json().await.unwrap_or(Value::Null);
            Ok::<_, awc::error::SendRequestError>((r.status().as_u16(), answer))
        }
    }));
    let pid = served.child.id();
    let killer = actix_web::rt::spawn(async move {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
    });
    let answers = requests.await;
    killer.await.unwrap();
    let answered: Vec<u16> = answers
        .iter()
        .filter_map(|a| a.as_ref().ok().map(|(s, _)| *s))
        .collect();
    let numbers: Vec<String> = answers
        .iter()
        .filter_map(|a| a.as_ref().ok())
        .filter_map(|(_, b)| b["reservation_number"].as_str().map(String::from))
        .collect();
    assert!(!numbers.is_empty(), "{answers:?}");
    assert!(!answered.is_empty());
    assert!(answered.iter().all(|s| *s < 500), "{answered:?}");
    let status = served.terminate();
    assert!(status.success(), "exit status {status:?}");

    let logs = served.logs.lock().unwrap().clone();
    assert!(
        logs.iter().any(|l| l.contains("greenroom stopped")),
        "{logs:?}"
    );
    for line in &logs {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(v["timestamp"].is_string() && v["level"].is_string());
        assert!(!line.contains(&token), "a token reached the logs: {line}");
        assert!(
            !line.contains("Ana.Souza@Example.com"),
            "an e-mail address reached the logs: {line}"
        );
        for number in &numbers {
            assert!(
                !line.contains(number.as_str()) && !line.contains(&number.replace('-', "")),
                "a reservation number reached the INFO logs: {line}"
            );
        }
    }
    let access: Vec<&String> = logs.iter().filter(|l| l.contains("\"route\"")).collect();
    assert!(
        access
            .iter()
            .any(|l| l.contains("/api/v1/producers") && l.contains("request_id")),
        "{access:?}"
    );
}

#[actix_web::test]
async fn every_described_operation_is_served_and_the_description_is_served() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let paths = doc.body["paths"].as_object().unwrap().clone();
    let operations: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "post", "put", "delete"].contains(&m.as_str()))
                .map(|m| (m.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(operations.len() >= 20, "{operations:?}");
    for (method, path) in &operations {
        let method = method.as_str();
        let concrete = path
            .replace("{reservation_number}", "ABCDE-FGHJK")
            .replace("{id}", "some-id")
            .replace("{time_off_id}", "some-off");
        let r = app
            .request(
                &method.to_uppercase(),
                &concrete,
                Some(&app.admin),
                Some(&json!({})).filter(|_| method != "get" && method != "delete"),
                &[],
            )
            .await;
        let catch_all = r.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("nothing is served at"));
        assert!(
            !catch_all && r.status != 405,
            "{method} {path} is not routed: {} {}",
            r.status,
            r.body
        );
        assert!(r.status < 500, "{method} {path}: {} {}", r.status, r.body);
        assert!(doc.body["paths"][path][method].is_object());
    }
}
