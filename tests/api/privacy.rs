//! Personal data has an end: erasure on request (API and command line) and by retention.
//! After it, nothing the contact typed is left in the database or the `.eml` folder, and
//! the bookings still hold the producers' time.

use std::time::Duration;

use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::{
    order_body, producer, spawn, spawn_with_two_producers, utc, weekdays, Options, TestApp,
};

/// What Ana typed, each piece of which must disappear.
const ANA: [&str; 6] = [
    "ana.souza@example.com",
    "Souza",
    "+33 6 11 22 33 44",
    "Secret launch of Falcon",
    "Falcon presenters",
    "Falcon was moved",
];

fn anas_order(start: &str) -> Value {
    let mut body = order_body(start, "Europe/Paris", 60);
    body["contact"]["phone"] = json!(ANA[2]);
    body["event"]["title"] = json!(ANA[3]);
    body["event"]["details"] = json!(ANA[4]);
    body["meeting"]["host_email"] = json!("ana.souza@example.com");
    body
}

/// Every text column of every table, lower-cased, joined: what the database holds.
fn database_text(app: &TestApp) -> String {
    let mut conn = app.state.services.db.pool.get().unwrap();
    #[derive(diesel::QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
    }
    let queries = [
        "SELECT contact || event || meeting || COALESCE(cancellation, '') || contact_email_norm AS t FROM bookings",
        "SELECT COALESCE(detail, '') AS t FROM booking_events",
        "SELECT recipient || payload AS t FROM outbox",
        "SELECT response_body AS t FROM idempotency_keys",
    ];
    let mut all = String::new();
    for q in queries {
        let rows: Vec<Text> = diesel::sql_query(q).load(&mut *conn).unwrap();
        for r in rows {
            all.push_str(&r.t.to_lowercase());
            all.push('\n');
        }
    }
    all
}

fn folder_text(app: &TestApp) -> String {
    std::fs::read_dir(&app.outbox_dir)
        .unwrap()
        .flatten()
        .map(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .to_lowercase()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn traces(text: &str) -> Vec<&'static str> {
    ANA.iter()
        .copied()
        .filter(|needle| text.contains(&needle.to_lowercase()))
        .collect()
}

#[actix_web::test]
async fn erasure_on_request_removes_every_trace_and_keeps_the_schedule() {
    let app = spawn_with_two_producers(Options::default()).await;
    // Ana orders twice (once with an idempotency key) and cancels one with a reason;
    // Bob orders once.
    let first = app
        .request(
            "POST",
            "/api/v1/bookings",
            None,
            Some(&anas_order("2027-02-10T10:00")),
            &[("Idempotency-Key", "ana-1")],
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = app.order(&anas_order("2027-02-11T10:00")).await;
    assert_eq!(second.status, 201);
    let cancel = app
        .post(
            &format!(
                "/api/v1/bookings/{}/cancel",
                second.body["reservation_number"].as_str().unwrap()
            ),
            &json!({"email": "Ana.Souza@Example.com", "reason": ANA[5]}),
        )
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    let mut bob = order_body("2027-02-12T10:00", "Europe/Paris", 60);
    bob["contact"]["email"] = json!("bob@example.com");
    bob["contact"]["last_name"] = json!("Martin");
    let bob = app.order(&bob).await;
    assert_eq!(bob.status, 201);
    app.outbox_counts_when_sent(8).await;
    assert!(!traces(&database_text(&app)).is_empty());
    assert!(traces(&folder_text(&app)).contains(&"Souza"));

    // Only admins erase; a scheduler may not.
    let ask = json!({"email": "ANA.souza@example.com"});
    let r = app
        .post_as(&app.scheduler, "/api/v1/privacy/erase", &ask)
        .await;
    assert_eq!(r.status, 403);
    let r = app.post("/api/v1/privacy/erase", &ask).await;
    assert_eq!(r.status, 401);
    let r = app
        .post_as(
            &app.admin,
            "/api/v1/privacy/erase",
            &json!({"email": "nope"}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = app.post_as(&app.admin, "/api/v1/privacy/erase", &ask).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, json!({"bookings": 2}));

    assert_eq!(traces(&database_text(&app)), Vec::<&str>::new());
    assert_eq!(traces(&folder_text(&app)), Vec::<&str>::new());
    // Bob's data and messages are untouched.
    assert!(database_text(&app).contains("bob@example.com"));
    assert!(folder_text(&app).contains("bob@example.com"));

    // Ana's e-mail no longer finds anything; the booking still holds Lea's time.
    let number = first.body["reservation_number"].as_str().unwrap();
    let r = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let staff_view = app
        .get_as(&app.admin, &format!("/api/v1/bookings/{number}"))
        .await;
    assert_eq!(staff_view.status, 200);
    assert_eq!(staff_view.body["status"], "confirmed");
    assert_eq!(staff_view.body["contact"]["last_name"], "(erased)");
    assert_eq!(staff_view.body["event"]["title"], "(erased)");
    let kinds: Vec<&str> = staff_view.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "personal_data_erased"]);
    let schedule = app
        .get_as(&app.admin, "/api/v1/schedule?from=2027-02-01&to=2027-03-01")
        .await;
    assert_eq!(
        schedule.body["assignments"].as_array().unwrap().len(),
        2,
        "{}",
        schedule.body
    );
    // The slot is still taken: Lea and Hugo have one booking between them at 10:00.
    let mut carla = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    carla["contact"]["email"] = json!("carla@example.com");
    assert_eq!(app.order(&carla).await.status, 201);
    assert_eq!(app.order(&carla).await.status, 409);
    // Erasing again finds nothing more.
    let r = app.post_as(&app.admin, "/api/v1/privacy/erase", &ask).await;
    assert_eq!(r.body, json!({"bookings": 0}));
}

#[actix_web::test]
async fn a_message_not_yet_sent_is_withdrawn_by_erasure() {
    let app = spawn(Options {
        no_outbox_worker: true,
        ..Options::default()
    })
    .await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    assert_eq!(app.order(&anas_order("2027-02-10T10:00")).await.status, 201);
    let r = app
        .post_as(
            &app.admin,
            "/api/v1/privacy/erase",
            &json!({"email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(r.body, json!({"bookings": 1}));
    let outbox = app.get_as(&app.admin, "/api/v1/outbox").await;
    let messages = outbox.body["items"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{}", outbox.body);
    for m in messages {
        assert_eq!(m["status"], "failed", "{m}");
        assert!(m["last_error"].as_str().unwrap().contains("erased"), "{m}");
    }
    assert_eq!(traces(&database_text(&app)), Vec::<&str>::new());
}

#[actix_web::test]
async fn the_erase_command_erases_a_contact() {
    let app = spawn_with_two_producers(Options::default()).await;
    assert_eq!(app.order(&anas_order("2027-02-10T10:00")).await.status, 201);
    app.outbox_counts_when_sent(2).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_greenroom"))
        .args([
            "erase",
            "--email",
            "Ana.Souza@Example.com",
            "--database-url",
            &app.database_url,
            "--outbox-dir",
            &app.outbox_dir.display().to_string(),
        ])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("1 booking"), "{stdout}");
    assert_eq!(traces(&database_text(&app)), Vec::<&str>::new());
    assert_eq!(traces(&folder_text(&app)), Vec::<&str>::new());
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_greenroom"))
        .args([
            "erase",
            "--email",
            "not-an-address",
            "--database-url",
            &app.database_url,
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--email"));
}

#[actix_web::test]
async fn retention_erases_contacts_of_bookings_ended_long_ago() {
    let app = spawn_with_two_producers(Options::default()).await;
    let old = app.order(&anas_order("2027-02-10T10:00")).await;
    assert_eq!(old.status, 201);
    let mut recent = order_body("2027-06-10T10:00", "Europe/Paris", 60);
    recent["contact"]["email"] = json!("bob@example.com");
    recent["contact"]["last_name"] = json!("Martin");
    let recent = app.order(&recent).await;
    assert_eq!(recent.status, 201);
    app.outbox_counts_when_sent(4).await;
    // 24 months and a day after Ana's booking ended; Bob's ended 20 months ago.
    app.clock.set(utc("2029-02-11T12:00:00Z"));
    app.state.retention.wake();
    let number = old.body["reservation_number"].as_str().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let view = app
            .get_as(&app.admin, &format!("/api/v1/bookings/{number}"))
            .await;
        if view.body["contact"]["last_name"] == "(erased)" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not erased: {}",
            view.body
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(traces(&database_text(&app)), Vec::<&str>::new());
    assert_eq!(traces(&folder_text(&app)), Vec::<&str>::new());
    let view = app
        .get_as(
            &app.admin,
            &format!(
                "/api/v1/bookings/{}",
                recent.body["reservation_number"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        view.body["contact"]["email"], "bob@example.com",
        "{}",
        view.body
    );
    let history = app
        .get_as(&app.admin, &format!("/api/v1/bookings/{number}"))
        .await;
    // Its history says so (beside `completed`, which the completion sweep adds in an
    // order of its own).
    let lines = history.body["history"].as_array().unwrap();
    let erased = lines
        .iter()
        .find(|l| l["kind"] == "personal_data_erased")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(erased["actor"], "service:retention");
}
