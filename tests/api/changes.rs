//! Changing the date and time, cancelling with fees, history, throttled guessing.

use serde_json::{json, Value};

use crate::helpers::{order_body, producer, spawn_app, utc, weekdays, TestApp, NOW};

async fn book(app: &TestApp, start: &str, zone: &str, minutes: i64) -> String {
    let r = app.order(&order_body(start, zone, minutes)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["reservation_number"].as_str().unwrap().to_string()
}

fn move_to(start: &str) -> Value {
    json!({"email": "ana.souza@example.com", "start": start})
}

#[actix_web::test]
async fn reschedule_changes_only_date_and_time_and_shows_both() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let n = book(&app, "2027-02-10T10:00", "Europe/Paris", 90).await;
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/reschedule"),
            &move_to("2027-02-12T14:00"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["previous"]["start"], "2027-02-10T10:00:00+01:00");
    assert_eq!(r.body["previous"]["end"], "2027-02-10T11:30:00+01:00");
    let b = &r.body["booking"];
    assert_eq!(b["start"], "2027-02-12T14:00:00+01:00");
    assert_eq!(b["end"], "2027-02-12T15:30:00+01:00");
    assert_eq!(b["duration_minutes"], 90);
    assert_eq!(b["reservation_number"], n.as_str());
    assert_eq!(b["producer"]["name"], "Lea");
    let history = b["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["kind"], "rescheduled");
    assert_eq!(history[1]["actor"], "customer");
    assert_eq!(history[1]["old"]["start"], "2027-02-10T10:00:00+01:00");
    assert_eq!(history[1]["new"]["start"], "2027-02-12T14:00:00+01:00");
    // The old time is free again.
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00", "Europe/Paris", 90))
            .await
            .status,
        201
    );
    // Only the date and time may change.
    let mut more = move_to("2027-02-15T10:00");
    more["duration_minutes"] = json!(30);
    more["package"] = json!("event-premium");
    let r = app
        .post(&format!("/api/v1/bookings/{n}/reschedule"), &more)
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "not_changeable");
    assert_eq!(r.field_errors().len(), 2);
}

#[actix_web::test]
async fn a_small_move_inside_its_own_slot_works() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Solo",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let n = book(&app, "2027-02-10T10:00", "Europe/Paris", 60).await;
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/reschedule"),
            &move_to("2027-02-10T10:30"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["booking"]["start"], "2027-02-10T10:30:00+01:00");
}

#[actix_web::test]
async fn a_busy_time_offers_three_alternatives_and_moving_to_one_works() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Solo",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let a = book(&app, "2027-02-10T10:00", "Europe/Paris", 60).await;
    book(&app, "2027-02-11T10:00", "Europe/Paris", 60).await;
    let r = app
        .post(
            &format!("/api/v1/bookings/{a}/reschedule"),
            &move_to("2027-02-11T10:00"),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.code(), "no_producer_available");
    let alts = r.body["alternatives"].as_array().unwrap().clone();
    assert_eq!(alts.len(), 3);
    assert_eq!(alts[0]["start"], "2027-02-11T11:30:00+01:00");
    // Nothing moved.
    let look = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": a, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(look.body["start"], "2027-02-10T10:00:00+01:00");
    let r = app
        .post(
            &format!("/api/v1/bookings/{a}/reschedule"),
            &move_to(alts[0]["start"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["booking"]["start"], "2027-02-11T11:30:00+01:00");
}

#[actix_web::test]
async fn another_free_producer_takes_over_when_the_first_is_busy() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Ann First",
        "UTC",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    let n = book(&app, "2027-02-10T10:00:00Z", "UTC", 60).await;
    let first = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": n, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(first.body["producer"]["name"], "Ann First");
    // Ann is taken on Thursday at 10:00; Bob joins the roster.
    book(&app, "2027-02-11T10:00:00Z", "UTC", 60).await;
    app.add_producer(producer(
        "Bob Second",
        "UTC",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/reschedule"),
            &move_to("2027-02-11T10:00:00Z"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["booking"]["producer"]["name"], "Bob Second");
    let kinds: Vec<_> = r.body["booking"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["created", "rescheduled", "producer_changed"]);
}

#[actix_web::test]
async fn reschedule_inside_lead_time_needs_staff() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let n = book(&app, "2027-02-10T10:00", "Europe/Paris", 60).await;
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/reschedule"),
            &move_to("2027-01-12T10:00"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "lead_time");
    let mut rush = json!({"start": "2027-01-12T10:00", "override_lead_time": true});
    assert_eq!(
        app.post(&format!("/api/v1/bookings/{n}/reschedule"), &rush)
            .await
            .status,
        422,
        "customers need their e-mail"
    );
    rush["email"] = json!("ana.souza@example.com");
    assert_eq!(
        app.post(&format!("/api/v1/bookings/{n}/reschedule"), &rush)
            .await
            .status,
        401
    );
    rush.as_object_mut().unwrap().remove("email");
    let r = app
        .post_as(
            &app.scheduler,
            &format!("/api/v1/bookings/{n}/reschedule"),
            &rush,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let last = r.body["booking"]["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["actor"].as_str().unwrap().starts_with("staff:"),
        "{last}"
    );
    assert_eq!(last["detail"]["override_lead_time"], true);
}

#[actix_web::test]
async fn cancellation_fee_at_each_boundary_of_the_policy() {
    let app = spawn_app().await;
    app.add_producer(producer("Lea", "UTC", &["en"], weekdays("06:00", "20:00")))
        .await;
    // (moment of cancelling relative to the start, percent, rule)
    let cases = [
        (chrono::Duration::days(14), 0, "14_days_or_more"),
        (
            chrono::Duration::days(14) - chrono::Duration::seconds(1),
            50,
            "48_hours_to_14_days",
        ),
        (chrono::Duration::hours(48), 50, "48_hours_to_14_days"),
        (
            chrono::Duration::hours(48) - chrono::Duration::seconds(1),
            100,
            "under_48_hours",
        ),
        (chrono::Duration::zero(), 100, "under_48_hours"),
        (-chrono::Duration::hours(1), 100, "under_48_hours"),
    ];
    for (i, (before, percent, rule)) in cases.into_iter().enumerate() {
        app.clock.set(utc(NOW));
        // Weekdays from Monday 2027-02-08 (the producer works Monday to Friday).
        let day = [8, 9, 10, 11, 12, 15][i];
        let start = format!("2027-02-{day:02}T10:00:00Z");
        let n = book(&app, &start, "UTC", 90).await; // 900.00 + 200.00 extra hour
        app.clock.set(utc(&start) - before);
        let r = app
            .post(
                &format!("/api/v1/bookings/{n}/cancel"),
                &json!({"email": "ana.souza@example.com", "reason": "plans changed"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let fee = &r.body["cancellation_fee"];
        assert_eq!(fee["policy_rule"], rule, "case {i}");
        assert_eq!(
            fee["amount"]["amount_minor"],
            110000 * percent / 100,
            "case {i}"
        );
        assert_eq!(fee["amount"]["currency"], "USD");
        assert_eq!(r.body["booking"]["status"], "cancelled");
        assert_eq!(r.body["booking"]["cancellation"]["reason"], "plans changed");
    }
}

#[actix_web::test]
async fn cancelling_frees_the_producer_and_cannot_be_repeated() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Solo",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let n = book(&app, "2027-02-10T10:00", "Europe/Paris", 60).await;
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
            .await
            .status,
        409
    );
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/cancel"),
            &json!({"email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let kinds: Vec<_> = r.body["booking"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("created"), json!("cancelled")]);
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
            .await
            .status,
        201
    );
    let again = app
        .post(
            &format!("/api/v1/bookings/{n}/cancel"),
            &json!({"email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.code(), "booking_cancelled");
    let moved = app
        .post(
            &format!("/api/v1/bookings/{n}/reschedule"),
            &move_to("2027-02-12T10:00"),
        )
        .await;
    assert_eq!(moved.status, 409);
    assert_eq!(moved.code(), "booking_cancelled");
}

#[actix_web::test]
async fn a_wrong_email_or_number_cannot_change_a_booking() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Solo",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let n = book(&app, "2027-02-10T10:00", "Europe/Paris", 60).await;
    let bad = json!({"email": "eve@example.com", "start": "2027-02-12T10:00"});
    let r = app
        .post(&format!("/api/v1/bookings/{n}/reschedule"), &bad)
        .await;
    assert_eq!((r.status, r.code()), (404, "booking_not_found"));
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/cancel"),
            &json!({"email": "eve@example.com"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "booking_not_found"));
    let r = app
        .post(
            "/api/v1/bookings/not-a-number/cancel",
            &json!({"email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "booking_not_found"));
    let look = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": n, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(look.body["status"], "confirmed");
    assert_eq!(look.body["history"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn staff_act_for_the_customer_and_history_says_who() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Solo",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let n = book(&app, "2027-02-10T10:00", "Europe/Paris", 60).await;
    let r = app
        .post_as(
            &app.scheduler,
            &format!("/api/v1/bookings/{n}/reschedule"),
            &json!({"start": "2027-02-11T10:00"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post_as(
            &app.admin,
            &format!("/api/v1/bookings/{n}/cancel"),
            &json!({"reason": "customer phoned"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .get_as(
            &app.scheduler,
            &format!("/api/v1/bookings/{}", n.to_lowercase()),
        )
        .await;
    assert_eq!(r.status, 200);
    let history = r.body["history"].as_array().unwrap();
    let actors: Vec<_> = history
        .iter()
        .map(|h| h["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors[0], "customer");
    assert!(
        actors[1].starts_with("staff:")
            && actors[2].starts_with("staff:")
            && actors[1] != actors[2],
        "{actors:?}"
    );
    assert_eq!(history[2]["detail"]["reason"], "customer phoned");
    assert_eq!(app.get(&format!("/api/v1/bookings/{n}")).await.status, 401);
}

#[actix_web::test]
async fn forty_wrong_guesses_from_one_address_end_in_429s() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Solo",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let n = book(&app, "2027-02-10T10:00", "Europe/Paris", 60).await;
    // Honest use: many successful lookups are never slowed.
    for _ in 0..30 {
        let r = app
            .post(
                "/api/v1/bookings/lookup",
                &json!({"reservation_number": n, "email": "ana.souza@example.com"}),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let mut statuses = vec![];
    for i in 0..40 {
        let guess = format!("{:05}-ABCDE", i);
        let r = app
            .post(
                "/api/v1/bookings/lookup",
                &json!({"reservation_number": guess, "email": "ana.souza@example.com"}),
            )
            .await;
        if r.status == 429 {
            assert_eq!(r.code(), "too_many_requests");
            let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&wait));
        }
        statuses.push(r.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 404).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        30,
        "{statuses:?}"
    );
    assert!(statuses[..10].iter().all(|s| *s == 404));
    // Cancels and reschedules are guarded by the same count.
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/cancel"),
            &json!({"email": "eve@example.com"}),
        )
        .await;
    assert_eq!(r.status, 429);
    // Staff are not throttled.
    assert_eq!(
        app.post_as(
            &app.scheduler,
            &format!("/api/v1/bookings/{n}/reschedule"),
            &json!({"start": "2027-02-11T10:00"})
        )
        .await
        .status,
        200
    );
}

#[actix_web::test]
async fn a_reschedule_and_a_new_order_race_for_the_last_free_slot() {
    let app = spawn_app().await;
    app.add_producer(producer("Solo", "UTC", &["en"], weekdays("08:00", "18:00")))
        .await;
    // Monday 2027-03-08 to Friday 2027-03-12.
    for round in 0..5 {
        let day = 8 + round;
        let n = book(&app, &format!("2027-03-{day:02}T09:00:00Z"), "UTC", 60).await;
        let target = format!("2027-03-{day:02}T15:00:00Z");
        let path = format!("/api/v1/bookings/{n}/reschedule");
        let moving = move_to(&target);
        let ordering = order_body(&target, "UTC", 60);
        let (moved, ordered) =
            futures_util::future::join(app.post(&path, &moving), app.order(&ordering)).await;
        let won: Vec<u16> = [moved.status, ordered.status]
            .into_iter()
            .filter(|s| *s == 200 || *s == 201)
            .collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: {} {} / {} {}",
            moved.status,
            moved.body,
            ordered.status,
            ordered.body
        );
        for r in [&moved, &ordered] {
            assert!(r.status < 500, "{}", r.body);
            if r.status == 409 {
                assert_eq!(r.code(), "no_producer_available");
            }
        }
    }
    let schedule = app
        .get_as(
            &app.scheduler,
            "/api/v1/schedule?from=2027-03-08&to=2027-03-15",
        )
        .await;
    let mut windows: Vec<(String, String)> = schedule.body["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["producer_window"]["start"].as_str().unwrap().to_string(),
                a["producer_window"]["end"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    windows.sort();
    for pair in windows.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "overlap: {pair:?}");
    }
}
