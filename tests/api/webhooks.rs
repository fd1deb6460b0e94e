//! Webhooks against a real HTTP receiver in this test binary, which checks every
//! delivery with the Standard Webhooks reference library (`standardwebhooks`), as an
//! integrator would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::helpers::{order_body, producer, spawn, weekdays, Options, TestApp};

/// One request the receiver took.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: http::HeaderMap,
    body: String,
}

/// A receiver on a port of its own: answers 503 to its first `refuse_first` requests,
/// 200 after.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Received>>>,
    refuse_first: usize,
}

async fn take(req: HttpRequest, body: web::Bytes, r: web::Data<Receiver>) -> HttpResponse {
    let mut headers = http::HeaderMap::new();
    for (name, value) in req.headers() {
        headers.insert(
            http::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    let mut seen = r.seen.lock().unwrap();
    seen.push(Received {
        path: req.path().to_string(),
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    });
    if seen.len() <= r.refuse_first {
        HttpResponse::ServiceUnavailable().body("busy, come back later")
    } else {
        HttpResponse::Ok().finish()
    }
}

impl Receiver {
    /// Serve on `port` until the test ends.
    fn start(&self, port: u16) {
        let me = self.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(me.clone()))
                .default_service(web::to(take))
        })
        .workers(1)
        .bind(("127.0.0.1", port))
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
    }

    fn received(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// What arrived once `n` requests did (or after 20 s).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while self.received().len() < n && std::time::Instant::now() < deadline {
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        self.received()
    }
}

/// A port nobody listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn with_lea() -> TestApp {
    let app = spawn(Options::default()).await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    app
}

async fn register(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let r = app
        .post_as(
            &app.admin,
            "/api/v1/webhooks",
            &json!({"url": url, "events": events}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn deliveries(app: &TestApp, id: &str) -> Vec<Value> {
    let r = app
        .get_as(&app.admin, &format!("/api/v1/webhooks/{id}/deliveries"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

/// Deliveries once `pred` holds for them (or after 20 s).
async fn deliveries_when(app: &TestApp, id: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let all = deliveries(app, id).await;
        if pred(&all) || std::time::Instant::now() > deadline {
            return all;
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
}

#[actix_web::test]
async fn a_receiver_that_was_down_gets_every_event_once_in_order_and_signed() {
    let app = with_lea().await;
    let port = free_port();
    let all = register(
        &app,
        &format!("http://127.0.0.1:{port}/greenroom/events"),
        &[
            "booking.created",
            "booking.rescheduled",
            "booking.cancelled",
            "booking.completed",
        ],
    )
    .await;
    let secret = all["secret"].as_str().unwrap().to_string();
    let raw = secret.strip_prefix("whsec_").expect("whsec_ prefix");
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .unwrap();
    assert!(key.len() >= 24, "{} bytes", key.len());
    let only_cancellations = register(
        &app,
        &format!("http://127.0.0.1:{port}/cancellations"),
        &["booking.cancelled", "booking.cancelled"],
    )
    .await;
    assert_eq!(only_cancellations["events"], json!(["booking.cancelled"]));
    assert_ne!(only_cancellations["secret"], all["secret"]);

    // The list never shows a secret again.
    let listed = app.get_as(&app.admin, "/api/v1/webhooks").await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert!(
        !listed.body.to_string().contains("whsec_"),
        "{}",
        listed.body
    );
    let ids: Vec<&Value> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["id"])
        .collect();
    assert!(ids.contains(&&all["id"]) && ids.contains(&&only_cancellations["id"]));

    // While the receiver is down: an order, a move and a cancellation.
    let r = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let number = r.body["reservation_number"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/bookings/{number}/reschedule"),
            &json!({"email": "ana.souza@example.com", "start": "2027-02-11T14:00"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/bookings/{number}/cancel"),
            &json!({"email": "ana.souza@example.com", "reason": "plans changed"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // The first event is tried and retried; the later ones wait behind it.
    let id = all["id"].as_str().unwrap();
    let waiting = deliveries_when(&app, id, |d| {
        d.len() == 3 && d[2]["attempts"].as_i64() >= Some(2)
    })
    .await;
    let types: Vec<&str> = waiting
        .iter()
        .map(|d| d["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "booking.cancelled",
            "booking.rescheduled",
            "booking.created"
        ],
        "newest first"
    );
    let first = &waiting[2];
    assert_eq!(first["status"], "pending", "{first}");
    assert!(first["attempts"].as_i64() >= Some(2), "{first}");
    assert!(
        first["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot reach the receiver"),
        "{first}"
    );
    assert!(first["last_status_code"].is_null());
    for later in &waiting[..2] {
        assert_eq!(
            later["attempts"], 0,
            "sent before the earlier event: {later}"
        );
    }

    // Up again, busy for its first request, then fine.
    let receiver = Receiver {
        refuse_first: 1,
        ..Receiver::default()
    };
    receiver.start(port);
    let got = receiver.wait_for(5).await;
    // Nothing more arrives: each event once (after the refused try).
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    let got_after = receiver.received();
    assert_eq!(got_after.len(), got.len(), "{got_after:?}");

    let main: Vec<&Received> = got
        .iter()
        .filter(|r| r.path == "/greenroom/events")
        .collect();
    let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
    let mut accepted = vec![];
    for r in &main {
        verifier
            .verify(r.body.as_bytes(), &r.headers)
            .expect("a Standard Webhooks library accepts the signature");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        let id = r.headers["webhook-id"].to_str().unwrap().to_string();
        accepted.push((id, body));
    }
    // The refused try was repeated with the same id; each id counted once, in order.
    let mut ids: Vec<&str> = accepted.iter().map(|(id, _)| id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let mut order: Vec<&str> = accepted
        .iter()
        .map(|(_, b)| b["type"].as_str().unwrap())
        .collect();
    order.dedup();
    assert_eq!(
        order,
        [
            "booking.created",
            "booking.rescheduled",
            "booking.cancelled"
        ]
    );
    let (_, created) = &accepted[0];
    assert_eq!(created["data"]["reservation_number"], number.as_str());
    assert_eq!(created["data"]["start"], "2027-02-10T10:00:00+01:00");
    assert_eq!(created["data"]["contact"]["email"], "Ana.Souza@Example.com");
    assert!(created["timestamp"].as_str().unwrap().ends_with('Z'));
    let (_, moved) = &accepted[accepted.len() - 2];
    assert_eq!(moved["data"]["start"], "2027-02-11T14:00:00+01:00");
    let (_, cancelled) = accepted.last().unwrap();
    assert_eq!(cancelled["type"], "booking.cancelled");
    assert_eq!(cancelled["data"]["status"], "cancelled");

    // A signature made with another secret is refused by the same library.
    let other =
        standardwebhooks::Webhook::new(only_cancellations["secret"].as_str().unwrap()).unwrap();
    assert!(other
        .verify(main[0].body.as_bytes(), &main[0].headers)
        .is_err());

    // The other endpoint got the cancellation only (perhaps refused once, then again
    // with the same id).
    let side: Vec<&Received> = got.iter().filter(|r| r.path == "/cancellations").collect();
    let mut side_ids: Vec<&str> = side
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap())
        .collect();
    side_ids.dedup();
    assert_eq!(side_ids.len(), 1, "{got:?}");
    for r in &side {
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["type"], "booking.cancelled");
    }

    // The deliveries show every attempt.
    let done = deliveries_when(&app, id, |d| d.iter().all(|x| x["status"] == "delivered")).await;
    assert!(done.iter().all(|d| d["status"] == "delivered"), "{done:?}");
    let first = &done[2];
    let log = first["attempt_log"].as_array().unwrap();
    assert_eq!(log.len() as i64, first["attempts"].as_i64().unwrap());
    assert_eq!(log.last().unwrap()["status_code"], 200);
    assert!(log[0]["status_code"].is_null(), "down at first: {log:?}");
    assert!(first["delivered_at"].is_string());
    assert_eq!(first["id"], accepted[0].0.as_str());
}

#[actix_web::test]
async fn only_admins_register_webhooks_and_bad_ones_are_refused_by_field() {
    let app = with_lea().await;
    let body = json!({"url": "https://example.com/hooks", "events": ["booking.created"]});
    assert_eq!(app.post("/api/v1/webhooks", &body).await.status, 401);
    let r = app.post_as(&app.scheduler, "/api/v1/webhooks", &body).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        app.get_as(&app.scheduler, "/api/v1/webhooks").await.status,
        403
    );

    for (bad, field, code) in [
        (json!({"events": ["booking.created"]}), "url", "required"),
        (
            json!({"url": "ftp://example.com/", "events": ["booking.created"]}),
            "url",
            "invalid_url",
        ),
        (
            json!({"url": "https://me:pw@example.com/", "events": ["booking.created"]}),
            "url",
            "invalid_url",
        ),
        (
            json!({"url": "not a url", "events": ["booking.created"]}),
            "url",
            "invalid_url",
        ),
        (json!({"url": "https://example.com/"}), "events", "required"),
        (
            json!({"url": "https://example.com/", "events": []}),
            "events",
            "required",
        ),
        (
            json!({"url": "https://example.com/", "events": ["booking.deleted"]}),
            "events[0]",
            "unknown_event",
        ),
        (
            json!({"url": "https://example.com/", "events": "booking.created"}),
            "events",
            "invalid_type",
        ),
        (
            json!({"url": "https://example.com/", "events": ["booking.created"], "secret": "mine"}),
            "secret",
            "unknown_field",
        ),
    ] {
        let r = app.post_as(&app.admin, "/api/v1/webhooks", &bad).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        let errors = r.field_errors();
        assert!(
            errors.iter().any(|(f, c)| f == field && c == code),
            "{bad}: {errors:?}"
        );
        if !["invalid_type", "unknown_field"].contains(&code) {
            let said = r.body.to_string();
            assert!(
                said.contains("https://example.com/") || said.contains("booking.created"),
                "the message says what to send: {said}"
            );
        }
    }

    // Removed: gone from the list, its deliveries unknown, nothing more sent to it.
    let receiver = Receiver::default();
    let port = free_port();
    receiver.start(port);
    let hook = register(
        &app,
        &format!("http://127.0.0.1:{port}/in"),
        &["booking.created"],
    )
    .await;
    let id = hook["id"].as_str().unwrap();
    let path = format!("/api/v1/webhooks/{id}");
    let r = app
        .request("DELETE", &path, Some(app.admin.as_str()), None, &[])
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = app
        .request("DELETE", &path, Some(app.admin.as_str()), None, &[])
        .await;
    assert_eq!(r.status, 404);
    let r = app.get_as(&app.admin, &format!("{path}/deliveries")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["code"], "not_found");
    let r = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    assert!(receiver.received().is_empty());
    let r = app
        .get_as(&app.admin, "/api/v1/webhooks/not-a-uuid/deliveries")
        .await;
    assert_eq!(r.status, 404);
}

#[actix_web::test]
async fn erasing_a_contact_withdraws_the_events_not_yet_delivered() {
    let app = with_lea().await;
    let hook = register(
        &app,
        &format!("http://127.0.0.1:{}/down", free_port()),
        &["booking.created"],
    )
    .await;
    let r = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = hook["id"].as_str().unwrap();
    let before = deliveries(&app, id).await;
    assert_eq!(before.len(), 1);
    assert!(before[0]["body"]
        .as_str()
        .unwrap()
        .contains("Ana.Souza@Example.com"));
    let r = app
        .post_as(
            &app.admin,
            "/api/v1/privacy/erase",
            &json!({"email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let after = deliveries(&app, id).await;
    assert_eq!(after[0]["status"], "failed", "{after:?}");
    assert_eq!(after[0]["body"], "{}");
    assert!(after[0]["last_error"].as_str().unwrap().contains("erased"));
}

#[actix_web::test]
async fn a_booking_that_ended_is_completed_once_and_can_no_longer_change() {
    let app = with_lea().await;
    let receiver = Receiver::default();
    let port = free_port();
    receiver.start(port);
    let hook = register(
        &app,
        &format!("http://127.0.0.1:{port}/done"),
        &["booking.completed"],
    )
    .await;
    let mut numbers = vec![];
    for start in ["2027-02-10T10:00", "2027-02-10T14:00"] {
        let r = app.order(&order_body(start, "Europe/Paris", 60)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        numbers.push(r.body["reservation_number"].as_str().unwrap().to_string());
    }
    let (ran, dropped) = (&numbers[0], &numbers[1]);
    let r = app
        .post(
            &format!("/api/v1/bookings/{dropped}/cancel"),
            &json!({"email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let lookup = |n: &str| json!({"reservation_number": n, "email": "ana.souza@example.com"});

    // During the event (10:00 to 11:00 in Paris, 09:00 to 10:00 UTC): still confirmed.
    app.clock.set(crate::helpers::utc("2027-02-10T09:59:00Z"));
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let r = app.post("/api/v1/bookings/lookup", &lookup(ran)).await;
    assert_eq!(r.body["status"], "confirmed", "{}", r.body);
    assert!(receiver.received().is_empty());

    // Ended: completed by the sweep, told once.
    app.clock.set(crate::helpers::utc("2027-02-10T10:00:00Z"));
    let got = receiver.wait_for(1).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "once: {:?}",
        receiver.received()
    );
    let verifier = standardwebhooks::Webhook::new(hook["secret"].as_str().unwrap()).unwrap();
    verifier
        .verify(got[0].body.as_bytes(), &got[0].headers)
        .unwrap();
    let event: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(event["type"], "booking.completed");
    assert_eq!(event["data"]["reservation_number"], ran.as_str());
    assert_eq!(event["data"]["status"], "completed");
    assert_eq!(event["data"]["completed_at"], "2027-02-10T11:00:00+01:00");

    let r = app.post("/api/v1/bookings/lookup", &lookup(ran)).await;
    assert_eq!(r.body["status"], "completed", "{}", r.body);
    let history = r.body["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["kind"], "completed");
    assert_eq!(history.last().unwrap()["actor"], "service:completion");
    // The cancelled one stays cancelled.
    let r = app.post("/api/v1/bookings/lookup", &lookup(dropped)).await;
    assert_eq!(r.body["status"], "cancelled", "{}", r.body);
    assert!(r.body.get("completed_at").is_none());

    // What took place cannot be moved, reassigned or cancelled.
    let r = app
        .post(
            &format!("/api/v1/bookings/{ran}/reschedule"),
            &json!({"email": "ana.souza@example.com", "start": "2027-03-10T10:00"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["code"], "booking_took_place");
    let r = app
        .post(
            &format!("/api/v1/bookings/{ran}/cancel"),
            &json!({"email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["code"], "booking_took_place");
    assert!(
        r.body["detail"].as_str().unwrap().contains("took place"),
        "{}",
        r.body
    );
}
