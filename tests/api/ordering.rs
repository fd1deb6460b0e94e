use serde_json::json;

use crate::helpers::{order_body, producer, spawn_app, weekdays};

#[actix_web::test]
async fn order_confirms_a_free_producer_with_charges_and_policy() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea Martin",
        "Europe/Paris",
        &["en", "fr"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let mut body = order_body("2027-02-10T15:00", "Europe/Paris", 90);
    body["extensions"] = json!([{"id": "consultation", "quantity": 1}]);
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let b = &r.body;
    let number = b["reservation_number"].as_str().unwrap();
    assert_eq!(number.len(), 11);
    assert_eq!(&number[5..6], "-");
    assert_eq!(
        r.header("location").unwrap(),
        format!("/api/v1/bookings/{number}")
    );
    assert_eq!(b["status"], "confirmed");
    assert_eq!(b["package"], "event-standard");
    assert_eq!(b["start"], "2027-02-10T15:00:00+01:00");
    assert_eq!(b["end"], "2027-02-10T16:30:00+01:00");
    assert_eq!(b["producer_starts_at"], "2027-02-10T14:30:00+01:00");
    assert_eq!(b["time_zone"], "Europe/Paris");
    assert_eq!(b["producer"]["name"], "Lea Martin");
    // 900.00 base + 1 extra hour (90 minutes, 60 included) + one consultation block.
    assert_eq!(b["charges"]["total"]["amount_minor"], 90000 + 20000 + 22500);
    assert_eq!(b["charges"]["lines"].as_array().unwrap().len(), 3);
    assert!(b["charges"]["note"]
        .as_str()
        .unwrap()
        .contains("contract rate"));
    assert_eq!(b["cancellation_policy"][1]["fee_percent"], 50);
    assert_eq!(b["contact"]["email"], "Ana.Souza@Example.com");
    assert_eq!(b["meeting"]["host_id"], "acme-host-1");
    assert_eq!(b["event"]["title"], "Quarterly all-hands");
    assert_eq!(b["language_pending_confirmation"], false);
}

#[actix_web::test]
async fn order_inside_lead_time_is_refused_unless_staff_override() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    // Now is 2027-01-04 08:00Z; 2027-01-15 is 11 days away.
    let body = order_body("2027-01-15T10:00", "Europe/Paris", 60);
    let r = app.order(&body).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "lead_time");
    assert_eq!(
        r.header("content-type").unwrap(),
        "application/problem+json"
    );
    assert!(
        r.body["detail"].as_str().unwrap().contains("14 days"),
        "{}",
        r.body
    );
    assert_eq!(
        r.field_errors(),
        [("start".to_string(), "lead_time".to_string())]
    );

    // Asking for the override without a staff token is refused.
    let mut over = body.clone();
    over["override_lead_time"] = json!(true);
    assert_eq!(app.order(&over).await.status, 401);
    // A scheduler may place a rush order.
    let r = app.post_as(&app.scheduler, "/api/v1/bookings", &over).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Not even staff may book in the past.
    let mut past = order_body("2027-01-03T10:00", "Europe/Paris", 60);
    past["override_lead_time"] = json!(true);
    let r = app.post_as(&app.scheduler, "/api/v1/bookings", &past).await;
    assert_eq!(r.code(), "start_in_past");
}

#[actix_web::test]
async fn exactly_fourteen_days_ahead_is_accepted() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Early",
        "UTC",
        &["en"],
        weekdays("06:00", "18:00"),
    ))
    .await;
    // 2027-01-18T08:00Z is exactly 14 days after now.
    assert_eq!(
        app.order(&order_body("2027-01-18T08:00:00Z", "UTC", 60))
            .await
            .status,
        201
    );
    assert_eq!(
        app.order(&order_body("2027-01-18T07:30:00Z", "UTC", 30))
            .await
            .code(),
        "lead_time"
    );
}

#[actix_web::test]
async fn order_needs_a_scheduled_meeting_except_event_premium() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    body["meeting"] = json!({"scheduled": false});
    let r = app.order(&body).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "meeting_not_scheduled");
    body["meeting"] = json!({"scheduled": true});
    let r = app.order(&body).await;
    assert_eq!(r.code(), "meeting_not_scheduled", "host ID missing");
    assert_eq!(r.field_errors()[0].0, "meeting.host_id");
    body["package"] = json!("event-premium");
    body.as_object_mut().unwrap().remove("meeting");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["charges"]["total"]["amount_minor"], 240000);
}

#[actix_web::test]
async fn refusals_name_the_field_and_code() {
    let app = spawn_app().await;
    let cases = [
        ("package", json!("gold"), "unknown_package"),
        ("time_zone", json!("Mars/Olympus"), "invalid_time_zone"),
        ("duration_minutes", json!(7), "invalid_duration"),
        ("duration_minutes", json!(24 * 60), "invalid_duration"),
        ("duration_minutes", json!("sixty"), "invalid_type"),
        ("start", json!("next tuesday"), "invalid_format"),
    ];
    for (field, value, code) in cases {
        let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
        body[field] = value;
        let r = app.order(&body).await;
        assert_eq!(r.status, 422, "{field}: {}", r.body);
        assert_eq!(r.code(), code, "{field}: {}", r.body);
        assert_eq!(
            r.field_errors(),
            [(field.to_string(), code.to_string())],
            "{}",
            r.body
        );
        assert!(!r.body["detail"].as_str().unwrap().is_empty());
    }
}

#[actix_web::test]
async fn every_field_error_is_reported_at_once() {
    let app = spawn_app().await;
    let body = json!({
        "contact": {"first_name": "", "email": "not-an-address", "phone": "x"},
        "package": "event-standard", "start": "2027-02-10T10:00", "time_zone": "Europe/Paris",
        "duration_minutes": 5, "site": "https://acme", "event": {"language": "??"},
        "extensions": [{"id": "spa-day"}]
    });
    let r = app.order(&body).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "validation_failed");
    let errors = r.field_errors();
    for (field, code) in [
        ("contact.first_name", "required"),
        ("contact.last_name", "required"),
        ("contact.email", "invalid_format"),
        ("contact.phone", "invalid_format"),
        ("company", "required"),
        ("site", "invalid_format"),
        ("duration_minutes", "invalid_duration"),
        ("event.title", "required"),
        ("event.language", "invalid_language"),
        ("meeting.scheduled", "meeting_not_scheduled"),
    ] {
        assert!(
            errors.contains(&(field.to_string(), code.to_string())),
            "missing {field}/{code} in {errors:?}"
        );
    }
    for e in r.body["errors"].as_array().unwrap() {
        assert!(e["message"].as_str().unwrap().len() > 10, "{e}");
    }
}

#[actix_web::test]
async fn extensions_are_checked_against_the_package() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    body["package"] = json!("event-premium");
    body["extensions"] = json!([{"id": "registration-management"}, {"id": "extra-hour"}, {"id": "additional-editing", "quantity": 0}]);
    let r = app.order(&body).await;
    let errors = r.field_errors();
    assert!(
        errors.contains(&("extensions[0].id".into(), "unknown_extension".into())),
        "{errors:?}"
    );
    assert!(
        errors.contains(&("extensions[1].id".into(), "automatic_extension".into())),
        "{errors:?}"
    );
    assert!(
        errors.contains(&("extensions[2].quantity".into(), "invalid_quantity".into())),
        "{errors:?}"
    );
    body["extensions"] = json!([{"id": "additional-rehearsal", "quantity": 2}]);
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["charges"]["total"]["amount_minor"],
        240000 + 2 * 22500
    );
}

#[actix_web::test]
async fn no_free_producer_gives_409_with_three_bookable_alternatives() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Solo",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let first = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    assert_eq!(first.status, 201);
    let r = app
        .order(&order_body("2027-02-10T10:30", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.code(), "no_producer_available");
    let alts = r.body["alternatives"].as_array().unwrap();
    assert_eq!(alts.len(), 3);
    // The solo producer is busy 09:30-11:00; the next window starts 11:00, so 11:30.
    assert_eq!(alts[0]["start"], "2027-02-10T11:30:00+01:00");
    assert_eq!(alts[1]["start"], "2027-02-10T12:00:00+01:00");
    assert_eq!(alts[2]["start"], "2027-02-10T12:30:00+01:00");
    assert_eq!(alts[0]["end"], "2027-02-10T12:30:00+01:00");
    // Each is bookable at once.
    for alt in alts {
        let mut check = order_body(alt["start"].as_str().unwrap(), "Europe/Paris", 60);
        check.as_object_mut().unwrap().retain(|k, _| {
            ["package", "start", "time_zone", "duration_minutes"].contains(&k.as_str())
        });
        let a = app.post("/api/v1/availability", &check).await;
        assert_eq!(a.body["available"], true, "{}", a.body);
    }
    let moved = app
        .order(&order_body(
            alts[2]["start"].as_str().unwrap(),
            "Europe/Paris",
            60,
        ))
        .await;
    assert_eq!(moved.status, 201, "{}", moved.body);
}

#[actix_web::test]
async fn idempotency_key_replays_the_first_result() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    let key = [("Idempotency-Key", "order-7f3a")];
    let first = app
        .request("POST", "/api/v1/bookings", None, Some(&body), &key)
        .await;
    assert_eq!(first.status, 201);
    let again = app
        .request("POST", "/api/v1/bookings", None, Some(&body), &key)
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(
        again.body["reservation_number"],
        first.body["reservation_number"]
    );
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    let list = app
        .get_as(
            &app.scheduler,
            "/api/v1/bookings?from=2027-02-01&to=2027-03-01",
        )
        .await;
    assert_eq!(list.body["total"], 1, "one booking only");
    let mut other = body.clone();
    other["duration_minutes"] = json!(90);
    let r = app
        .request("POST", "/api/v1/bookings", None, Some(&other), &key)
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "idempotency_key_reused");
}

#[actix_web::test]
async fn language_spoken_is_preferred_else_english_pending_confirmation() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Anna English",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    app.add_producer(producer(
        "Zoe Francais",
        "Europe/Paris",
        &["en", "fr"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    body["event"]["language"] = json!("fr-FR");
    let r = app.order(&body).await;
    assert_eq!(r.body["producer"]["name"], "Zoe Francais");
    assert_eq!(r.body["language"], "fr");
    assert_eq!(r.body["language_pending_confirmation"], false);
    body["event"]["language"] = json!("de");
    body["start"] = json!("2027-02-11T10:00");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["language_pending_confirmation"], true);
}

#[actix_web::test]
async fn the_least_loaded_producer_that_week_is_chosen() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Busy Bee",
        "UTC",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    app.add_producer(producer(
        "Calm Cat",
        "UTC",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    let names: Vec<String> = {
        let mut v = vec![];
        for start in [
            "2027-02-08T09:00:00Z",
            "2027-02-09T09:00:00Z",
            "2027-02-10T09:00:00Z",
            "2027-02-11T09:00:00Z",
        ] {
            let r = app.order(&order_body(start, "UTC", 60)).await;
            v.push(r.body["producer"]["name"].as_str().unwrap().to_string());
        }
        v
    };
    // Each order goes to whoever has fewer bookings that week; ties go the same way.
    assert_ne!(names[0], names[1], "{names:?}");
    assert_eq!(names[0], names[2], "{names:?}");
    assert_eq!(names[1], names[3], "{names:?}");
}

async fn week_load_reads(app: &crate::helpers::TestApp) -> f64 {
    crate::operations::metric_of(app, "greenroom_week_load_reads_total").await
}

/// The fair choice's counts are kept in memory between orders (read once for a week, then
/// each new order added), and a cancellation, a move or a reassignment is counted at once.
#[actix_web::test]
async fn the_fair_choice_follows_each_order_and_each_cancellation_at_once() {
    let app = spawn_app().await;
    for name in ["Busy Bee", "Calm Cat"] {
        app.add_producer(producer(name, "UTC", &["en"], weekdays("08:00", "18:00")))
            .await;
    }
    let reads = week_load_reads(&app).await;
    let mut orders = vec![];
    for start in [
        "2027-02-08T09:00:00Z",
        "2027-02-09T09:00:00Z",
        "2027-02-10T09:00:00Z",
    ] {
        let r = app.order(&order_body(start, "UTC", 60)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        orders.push((
            r.body["reservation_number"].as_str().unwrap().to_string(),
            r.body["producer"]["name"].as_str().unwrap().to_string(),
        ));
    }
    // Bee 2, Cat 1 (or the other way round); the week's counts were read once.
    assert_eq!(orders[0].1, orders[2].1, "{orders:?}");
    assert_ne!(orders[0].1, orders[1].1, "{orders:?}");
    assert_eq!(week_load_reads(&app).await, reads + 1.0);
    // Two cancellations of the busier one's orders: now it has fewer.
    for (number, _) in [&orders[0], &orders[2]] {
        let r = app
            .post(
                &format!("/api/v1/bookings/{number}/cancel"),
                &json!({"email": "ana.souza@example.com"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app
        .order(&order_body("2027-02-11T09:00:00Z", "UTC", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["producer"]["name"],
        orders[0].1.as_str(),
        "{}",
        r.body
    );
}

#[actix_web::test]
async fn lead_time_is_counted_from_the_current_time() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let body = order_body("2027-01-15T10:00", "Europe/Paris", 60);
    assert_eq!(app.order(&body).await.code(), "lead_time");
    app.clock.set(crate::helpers::utc("2026-12-31T10:00:00Z"));
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// Ordering for a colleague: the meeting is scheduled, by someone else, so no host ID
/// is asked; the contact's own meeting still needs it.
#[actix_web::test]
async fn a_colleague_orders_without_a_host_id() {
    let app = crate::helpers::spawn_with_two_producers(crate::helpers::Options::default()).await;
    let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    body["meeting"] = json!({"scheduled": true, "scheduled_by": "someone_else"});
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["meeting"]["scheduled_by"], "someone_else");
    body["meeting"] = json!({"scheduled": true});
    let r = app.order(&body).await;
    assert_eq!(
        r.field_errors(),
        [(
            "meeting.host_id".to_string(),
            "meeting_not_scheduled".to_string()
        )]
    );
    body["meeting"] = json!({"scheduled": true, "scheduled_by": "my boss"});
    let r = app.order(&body).await;
    assert_eq!(
        r.field_errors(),
        [
            (
                "meeting.scheduled_by".to_string(),
                "invalid_format".to_string()
            ),
            (
                "meeting.host_id".to_string(),
                "meeting_not_scheduled".to_string()
            )
        ]
    );
    // Not scheduled at all: refused, except for Event Premium.
    body["meeting"] = json!({"scheduled": false});
    assert_eq!(app.order(&body).await.code(), "meeting_not_scheduled");
    body["package"] = json!("event-premium");
    assert_eq!(app.order(&body).await.status, 201);
}
