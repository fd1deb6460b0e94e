//! What a hostile client tries: a request that would stop all writes, dates without
//! bounds, floods of orders, calendar injection, a database lost under the service,
//! and the smaller holes (media types, slow bodies, bursts of guesses, the HTTP layer's
//! own refusals). Each test fails on the service as it was before the fix.

use std::io::{Read, Write};
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{
    order_body, producer, spawn, spawn_app, spawn_with_two_producers, utc, Options, TestApp, NOW,
};

/// Send raw bytes on a new connection and read the whole answer.
fn raw(address: &str, request: &[u8], pause_after: Option<Duration>) -> String {
    let host = address.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).unwrap();
    if let Some(pause) = pause_after {
        std::thread::sleep(pause);
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn problem_of(answer: &str) -> (u16, String, Value) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (
        status,
        head.to_ascii_lowercase(),
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

#[actix_web::test]
async fn a_panic_inside_a_write_leaves_the_next_order_working() {
    let app = spawn_with_two_producers(Options::default()).await;
    // A bug that panics halfway through a write transaction, after it wrote.
    let outcome = app
        .state
        .run(|svc| {
            svc.db.write(|conn| greenroom::db::write_transaction(conn, |conn| {
                use diesel::RunQueryDsl;
                diesel::sql_query(
                    "INSERT INTO idempotency_keys (key, request_hash, response_status, response_body, created_at) \
                     VALUES ('half-written', 'h', 201, '{}', '2027-01-04 08:00:00')",
                )
                .execute(conn)?;
                if conn_is_anything(conn) {
                    panic!("a bug halfway through a write");
                }
                Ok::<_, greenroom::error::Error>(())
            }))
        })
        .await;
    assert!(
        matches!(outcome, Err(greenroom::error::Error::Internal(_))),
        "{outcome:?}"
    );
    // The next order, change and cancel work, and the half-written row is gone.
    let r = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let number = r.body["reservation_number"].as_str().unwrap().to_string();
    let moved = app
        .post(
            &format!("/api/v1/bookings/{number}/reschedule"),
            &json!({"email": "ana.souza@example.com", "start": "2027-02-11T10:00"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let again = app
        .request(
            "POST",
            "/api/v1/bookings",
            None,
            Some(&order_body("2027-02-10T10:00", "Europe/Paris", 60)),
            &[("Idempotency-Key", "half-written")],
        )
        .await;
    assert_eq!(
        again.status, 201,
        "the rolled-back key must not replay: {}",
        again.body
    );
    assert_ne!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(app.get("/readyz").await.status, 200);
    // The outbox worker writes too: its messages still go out.
    let counts = app.outbox_counts_when_sent(6).await;
    assert!(counts["sent"].as_u64() >= Some(6), "{counts}");
}

/// Always true; keeps the compiler from seeing the panic as the closure's only path.
fn conn_is_anything(_: &mut greenroom::db::DbConnection) -> bool {
    true
}

#[actix_web::test]
async fn a_start_in_year_262142_is_refused_and_writes_go_on() {
    let app = spawn_with_two_producers(Options::default()).await;
    let mut body = order_body("+262142-12-31T10:00", "UTC", 60);
    let r = app.order(&body).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.field_errors(),
        [("start".to_string(), "invalid_format".to_string())]
    );
    body["start"] = json!("2027-02-10T10:00");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let number = r.body["reservation_number"].as_str().unwrap();
    for start in ["+262142-12-31T10:00", "9999-12-31T23:45"] {
        let moved = app
            .post(
                &format!("/api/v1/bookings/{number}/reschedule"),
                &json!({"email": "ana.souza@example.com", "start": start, "time_zone": "UTC"}),
            )
            .await;
        assert_eq!(moved.status, 422, "{start}: {}", moved.body);
    }
    let r = app
        .order(&order_body("2027-02-10T11:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[actix_web::test]
async fn starts_beyond_the_horizon_and_with_seconds_are_refused() {
    let app = spawn_with_two_producers(Options::default()).await;
    for start in ["9999-12-31T23:45", "2099-06-01T10:00", "2029-01-05T10:00"] {
        let r = app.order(&order_body(start, "UTC", 60)).await;
        assert_eq!(r.status, 422, "{start}: {}", r.body);
        assert_eq!(r.code(), "beyond_horizon", "{start}: {}", r.body);
        let ask = json!({"package": "event-standard", "start": start, "time_zone": "UTC", "duration_minutes": 60});
        let a = app.post("/api/v1/availability", &ask).await;
        assert_eq!((a.status, a.code()), (422, "beyond_horizon"), "{}", a.body);
    }
    for start in [
        "2027-02-10T10:00:30",
        "2027-02-10T10:00:00.5Z",
        "2027-02-10T09:59:60Z",
        "2027-02-10T10:00:00.000001+01:00",
    ] {
        let r = app.order(&order_body(start, "Europe/Paris", 60)).await;
        assert_eq!(r.status, 422, "{start}: {}", r.body);
        assert_eq!(r.code(), "invalid_format", "{start}: {}", r.body);
    }
    // Whole minutes with :00 seconds are fine, as an instant or a local time.
    for start in ["2027-02-10T10:00:00+01:00", "2027-02-11T10:00:00"] {
        let r = app.order(&order_body(start, "Europe/Paris", 60)).await;
        assert_eq!(r.status, 201, "{start}: {}", r.body);
    }
    // Staff queries and time off are bounded too.
    let r = app
        .get_as(&app.admin, "/api/v1/schedule?from=9999-01-01&to=9999-12-31")
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app
        .get_as(&app.admin, "/api/v1/bookings?from=+262142-01-01")
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let lea = app.get_as(&app.admin, "/api/v1/producers").await.body[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post_as(
            &app.admin,
            &format!("/api/v1/producers/{lea}/time-off"),
            &json!({"start": "9999-12-31T00:00", "end": "9999-12-31T23:59"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
}

#[actix_web::test]
async fn the_horizon_is_a_setting_and_alternatives_stay_inside_it() {
    // Bookings open 17 days ahead (until Thursday 2027-01-21 08:00 UTC); one producer
    // with two shifts on Wednesdays and Thursdays.
    let app = spawn(Options {
        tweak: Some(|s| s.booking_horizon_days = 17),
        ..Options::default()
    })
    .await;
    let shifts = |day: &str| {
        [
            json!({"weekday": day, "start": "09:30", "end": "11:00"}),
            json!({"weekday": day, "start": "13:30", "end": "15:00"}),
        ]
    };
    let hours: Vec<Value> = shifts("wednesday")
        .into_iter()
        .chain(shifts("thursday"))
        .collect();
    app.add_producer(producer("Lea", "UTC", &["en"], Value::Array(hours)))
        .await;
    let r = app
        .order(&order_body("2027-01-20T10:00:00Z", "UTC", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app
        .order(&order_body("2027-01-21T10:00:00Z", "UTC", 60))
        .await;
    assert_eq!((r.status, r.code()), (422, "beyond_horizon"), "{}", r.body);
    assert!(
        r.body["detail"].as_str().unwrap().contains("17 days"),
        "{}",
        r.body
    );
    // Wednesday morning is full: the one alternative is Wednesday afternoon; Thursday's
    // would be past the horizon, so none is offered there.
    let r = app
        .order(&order_body("2027-01-20T10:00:00Z", "UTC", 60))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let starts: Vec<&str> = r.body["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["start"].as_str().unwrap())
        .collect();
    assert_eq!(starts, ["2027-01-20T14:00:00+00:00"], "{}", r.body);
}

#[actix_web::test]
async fn orders_are_limited_per_client_address_and_staff_are_not() {
    let app = spawn_with_two_producers(Options {
        order_limits: Some((5, 0)),
        ..Options::default()
    })
    .await;
    // Twenty at once from one address, each for another hour and e-mail: exactly five
    // get through, whether or not a producer was free.
    let answers = join_all((0..20).map(|i| {
        let mut body = order_body(
            &format!("2027-02-{:02}T10:00", 8 + i % 5),
            "Europe/Paris",
            60,
        );
        body["contact"]["email"] = json!(format!("guest{i}@example.com"));
        let app = &app;
        async move { app.order(&body).await }
    }))
    .await;
    let limited: Vec<&crate::helpers::Resp> = answers.iter().filter(|r| r.status == 429).collect();
    assert_eq!(
        limited.len(),
        15,
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for r in &limited {
        assert_eq!(r.code(), "too_many_orders");
        let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((3500..=3600).contains(&wait), "{wait}");
    }
    // A malformed order is told what to fix before any limit applies...
    let r = app.order(&json!({"package": "event-standard"})).await;
    assert_eq!(r.status, 422);
    // ...and staff book on behalf of customers without limit.
    let r = app
        .post_as(
            &app.scheduler,
            "/api/v1/bookings",
            &order_body("2027-02-15T10:00", "Europe/Paris", 60),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[actix_web::test]
async fn orders_are_limited_per_contact_email_a_day() {
    let app = spawn_with_two_producers(Options {
        order_limits: Some((0, 3)),
        ..Options::default()
    })
    .await;
    // Eight at once for one contact (the address in any case): three are booked.
    let answers = join_all((0..8).map(|i| {
        let mut body = order_body(
            &format!("2027-02-{:02}T{:02}:00", 8 + i % 4, 9 + i / 4),
            "Europe/Paris",
            60,
        );
        body["contact"]["email"] = json!(if i % 2 == 0 {
            "ana@example.com"
        } else {
            "ANA@Example.COM"
        });
        let app = &app;
        async move { app.order(&body).await }
    }))
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
    let limited = answers.iter().find(|r| r.status == 429).unwrap();
    assert_eq!(limited.code(), "too_many_orders");
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((86_000..=86_400).contains(&wait), "{wait}");
    // Another contact is not affected; a day later, this one may order again.
    let mut body = order_body("2027-02-16T10:00", "Europe/Paris", 60);
    body["contact"]["email"] = json!("bob@example.com");
    assert_eq!(app.order(&body).await.status, 201);
    body["contact"]["email"] = json!("ana@example.com");
    assert_eq!(app.order(&body).await.status, 429);
    app.clock
        .set(utc(NOW) + chrono::Duration::hours(24) + chrono::Duration::minutes(1));
    body["start"] = json!("2027-02-17T10:00");
    assert_eq!(app.order(&body).await.status, 201);
}

#[actix_web::test]
async fn names_and_titles_cannot_inject_lines_into_the_invitation() {
    let app = spawn_with_two_producers(Options::default()).await;
    // Line breaks in one-line fields are refused, each named.
    let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    body["contact"]["last_name"] = json!(
        "Souza\r\nATTENDEE;CN=Evil:mailto:evil@attacker.example\r\nURL:https://phish.example"
    );
    body["event"]["title"] = json!("Launch\rURL:https://phish.example");
    body["company"] = json!("Acme\u{2028}Evil");
    let r = app.order(&body).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let mut fields = r.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("company".to_string(), "invalid_format".to_string()),
            (
                "contact.last_name".to_string(),
                "invalid_format".to_string()
            ),
            ("event.title".to_string(), "invalid_format".to_string()),
        ]
    );
    // A quote and parameters in a name stay inside the attendee's name.
    let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    body["contact"]["first_name"] = json!("Ana\";ROLE=CHAIR:mailto:evil@attacker.example");
    body["event"]["details"] = json!("Two presenters\r\nURL:https://phish.example");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.outbox_counts_when_sent(2).await;
    let contact_mail = eml_files(&app)
        .into_iter()
        .find(|m| {
            let parsed = mailparse::parse_mail(m.as_bytes()).unwrap();
            mailparse::MailHeaderMap::get_first_value(parsed.headers.as_slice(), "To")
                .is_some_and(|to| to.contains("Ana.Souza@Example.com"))
        })
        .expect("the contact's e-mail");
    let calendar = calendar_of(&contact_mail);
    use icalendar::Component;
    use std::str::FromStr;
    let parsed = icalendar::Calendar::from_str(&calendar).unwrap();
    let event = parsed.events().next().unwrap();
    let attendees: Vec<&icalendar::Property> = event
        .properties()
        .get("ATTENDEE")
        .into_iter()
        .chain(
            event
                .multi_properties()
                .get("ATTENDEE")
                .into_iter()
                .flatten(),
        )
        .collect();
    assert_eq!(attendees.len(), 1, "{calendar}");
    let attendee = attendees[0];
    assert_eq!(attendee.value(), "mailto:Ana.Souza@Example.com");
    assert!(attendee
        .params()
        .get("CN")
        .unwrap()
        .value()
        .starts_with("Ana';ROLE=CHAIR"));
    assert_eq!(
        attendee.params().get("ROLE").unwrap().value(),
        "REQ-PARTICIPANT"
    );
    assert!(event.properties().get("URL").is_none(), "{calendar}");
}

/// Every `.eml` file written so far, as text.
pub fn eml_files(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(&app.outbox_dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// The calendar part of a message, decoded.
fn calendar_of(eml: &str) -> String {
    let parsed = mailparse::parse_mail(eml.as_bytes()).unwrap();
    fn find(part: &mailparse::ParsedMail<'_>) -> Option<String> {
        if part.ctype.mimetype == "text/calendar" {
            return part.get_body().ok();
        }
        part.subparts.iter().find_map(find)
    }
    find(&parsed).expect("a text/calendar part")
}

/// The write-ahead log is copied into the database file soon after writes, by the
/// checkpointer, not left to grow until a commit crosses SQLite's threshold (10,000
/// pages) and checkpoints while every other write waits. Read from the log's index (the
/// `-shm` file; its layout is SQLite's documented WAL format): the last frame written
/// (`mxFrame`, at byte 16) and the last copied into the database (`nBackfill`, byte 96).
#[actix_web::test]
async fn the_sqlite_log_is_checkpointed_soon_after_writes() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return; // SQLite only.
    }
    let app = spawn_with_two_producers(Options::default()).await;
    let shm = format!("{}-shm", app.database_url.trim_start_matches("sqlite://"));
    let word = |bytes: &[u8], at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
    for (i, hour) in ["10:00", "12:00", "14:00"].iter().enumerate() {
        let r = app
            .order(&order_body(
                &format!("2027-02-1{i}T{hour}"),
                "Europe/Paris",
                60,
            ))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let mut seen = (0, 0);
    for _ in 0..60 {
        let bytes = std::fs::read(&shm).unwrap();
        seen = (word(&bytes, 16), word(&bytes, 96));
        if seen.0 > 0 && seen.0 == seen.1 {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the log's frames (written, copied) stayed at {seen:?} for 3 s");
}

#[actix_web::test]
async fn a_deleted_or_read_only_sqlite_file_answers_503() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return; // SQLite only; PostgreSQL's counterpart is below.
    }
    let app = spawn_with_two_producers(Options::default()).await;
    let path = app.database_url.trim_start_matches("sqlite://").to_string();
    let r = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201);
    let number = r.body["reservation_number"].as_str().unwrap().to_string();
    let lookup = json!({"reservation_number": number, "email": "ana.souza@example.com"});

    // Read-only: refused at once, and ready again when writable.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let r = app
        .order(&order_body("2027-02-10T11:00", "Europe/Paris", 60))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (503, "service_unavailable"),
        "{}",
        r.body
    );
    assert!(r.header("retry-after").is_some());
    assert_eq!(app.get("/readyz").await.status, 503);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(app.get("/readyz").await.status, 200);
    let r = app
        .order(&order_body("2027-02-10T11:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Deleted: no 201 for an order nobody will find, no 500 either.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let r = app
        .order(&order_body("2027-02-10T12:00", "Europe/Paris", 60))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (503, "service_unavailable"),
        "{}",
        r.body
    );
    let r = app.post("/api/v1/bookings/lookup", &lookup).await;
    assert_eq!(r.status, 503, "{}", r.body);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(
        ready.body["detail"].as_str().unwrap().contains("gone"),
        "{}",
        ready.body
    );
    // A new empty file at the same path is not the database either.
    std::fs::write(&path, b"").unwrap();
    let r = app
        .order(&order_body("2027-02-10T12:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(app.get("/readyz").await.status, 503);
}

#[actix_web::test]
async fn a_dropped_postgresql_database_is_reported_quickly_not_waited_on() {
    let Some(admin_url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return; // PostgreSQL only; SQLite's counterpart is above.
    };
    let app = spawn_with_two_producers(Options::default()).await;
    assert_eq!(app.get("/readyz").await.status, 200);
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    let admin = |sql: String| {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::PgConnection::establish(&admin_url).unwrap();
        diesel::sql_query(sql).execute(&mut conn).unwrap();
    };
    admin(format!("DROP DATABASE {name} WITH (FORCE)"));
    for _ in 0..2 {
        let started = std::time::Instant::now();
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status, 503, "{}", ready.body);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        let started = std::time::Instant::now();
        let r = app
            .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (503, "service_unavailable"),
            "{}",
            r.body
        );
        assert!(r.header("retry-after").is_some());
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
    // Re-created empty: reachable but without the schema, so not ready, and calls 503.
    admin(format!("CREATE DATABASE {name}"));
    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert!(
        ready.body["detail"].as_str().unwrap().contains("migrate"),
        "{}",
        ready.body
    );
    let r = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    let r = app.get_as(&app.admin, "/api/v1/producers").await;
    assert!(r.status == 503 || r.status == 401, "{}", r.body);
}

/// PostgreSQL closes the service's connections (a restart, a failover, an operator's
/// `pg_terminate_backend`): a connection used within the last second is handed out
/// without a ping, so a request may meet a closed one and answer 503; that connection is
/// then dropped, not handed out again, and the requests after are served.
#[actix_web::test]
async fn connections_postgresql_closed_are_replaced_and_the_next_requests_served() {
    let Some(admin_url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return; // PostgreSQL only: a SQLite connection is a file, not a server's.
    };
    let app = spawn_with_two_producers(Options::default()).await;
    let ask = serde_json::json!({"package": "meeting-premium", "start": "2027-02-10T10:00",
        "time_zone": "UTC", "duration_minutes": 60});
    // Several connections in use at once, so that several are in the pool.
    let asks: Vec<_> = (0..6)
        .map(|_| app.post("/api/v1/availability", &ask))
        .collect();
    for r in futures_util::future::join_all(asks).await {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::PgConnection::establish(&admin_url).unwrap();
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    let started = std::time::Instant::now();
    let mut statuses = vec![];
    for _ in 0..20 {
        statuses.push(app.post("/api/v1/availability", &ask).await.status);
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 503).count() <= 10,
        "{statuses:?}"
    );
    assert!(statuses[10..].iter().all(|s| *s == 200), "{statuses:?}");
    // All within the second in which a closed connection would not have been pinged.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn json_bodies_need_the_json_media_type() {
    let app = spawn_with_two_producers(Options::default()).await;
    let body = order_body("2027-02-10T10:00", "Europe/Paris", 60).to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut req = awc::Client::new().post(format!("{}/api/v1/bookings", app.address));
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        let mut res = req.send_body(body.clone()).await.unwrap();
        assert_eq!(res.status().as_u16(), 415, "{content_type:?}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["code"], "unsupported_media_type");
    }
    let mut res = awc::Client::new()
        .post(format!("{}/api/v1/bookings", app.address))
        .insert_header(("Content-Type", "Application/JSON; charset=utf-8"))
        .send_body(body)
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{:?}", res.body().await);
}

#[actix_web::test]
async fn a_slow_body_is_cut_off_with_408() {
    let app = spawn(Options {
        tweak: Some(|s| s.body_timeout_seconds = 1),
        ..Options::default()
    })
    .await;
    let address = app.address.clone();
    let started = std::time::Instant::now();
    let answer = actix_web::web::block(move || {
        raw(
            &address,
            b"POST /api/v1/availability HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"package\":",
            None,
        )
    })
    .await
    .unwrap();
    let (status, head, problem) = problem_of(&answer);
    assert_eq!(status, 408, "{answer}");
    assert!(
        head.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert_eq!(problem["code"], "request_timeout");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn a_burst_of_wrong_guesses_gets_exactly_ten_answers() {
    let app = spawn_app().await;
    let answers = join_all((0..200).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/bookings/lookup",
                &json!({"reservation_number": format!("ZZZZZ-{:05}", i), "email": "who@example.com"}),
            )
            .await
            .status
        }
    }))
    .await;
    assert_eq!(
        answers.iter().filter(|s| **s == 404).count(),
        10,
        "{answers:?}"
    );
    assert_eq!(answers.iter().filter(|s| **s == 429).count(), 190);
}

#[actix_web::test]
async fn the_http_layer_refuses_in_problem_documents_too() {
    let app = spawn_app().await;
    let address = app.address.clone();
    let (too_large, bad) = actix_web::web::block(move || {
        let mut big = b"GET /healthz HTTP/1.1\r\nHost: x\r\n".to_vec();
        for i in 0..200 {
            big.extend(format!("X-Header-{i}: {}\r\n", "a".repeat(500)).bytes());
        }
        big.extend(b"\r\n");
        (
            raw(&address, &big, None),
            raw(
                &address,
                b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
                None,
            ),
        )
    })
    .await
    .unwrap();
    for (answer, status, code) in [
        (too_large, 431, "request_header_fields_too_large"),
        (bad, 400, "bad_request"),
    ] {
        let (got, head, problem) = problem_of(&answer);
        assert_eq!(got, status, "{answer}");
        assert!(
            head.contains("content-type: application/problem+json"),
            "{answer}"
        );
        assert_eq!(problem["code"], code, "{answer}");
        assert_eq!(problem["status"], status);
    }
    // The server still answers.
    assert_eq!(app.get("/healthz").await.status, 200);
}

#[actix_web::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = app
            .request(
                "GET",
                "/api/v1/producers",
                None,
                None,
                &[("Authorization", format!("{scheme} {}", app.admin).as_str())],
            )
            .await;
        assert_eq!(r.status, 200, "{scheme}");
    }
    let r = app
        .request(
            "GET",
            "/api/v1/producers",
            None,
            None,
            &[("Authorization", format!("Basic {}", app.admin).as_str())],
        )
        .await;
    assert_eq!(r.status, 401);
}
