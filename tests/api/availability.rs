use serde_json::json;

use crate::helpers::{order_body, producer, spawn_app, weekdays};

fn ask(start: &str, zone: &str, minutes: i64) -> serde_json::Value {
    json!({"package": "meeting-premium", "start": start, "time_zone": zone, "duration_minutes": minutes})
}

#[actix_web::test]
async fn availability_answers_free_or_three_alternatives() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let r = app
        .post(
            "/api/v1/availability",
            &ask("2027-02-10T10:00", "Europe/Paris", 60),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["available"], true);
    assert_eq!(r.body["start"], "2027-02-10T10:00:00+01:00");
    assert_eq!(r.body["end"], "2027-02-10T11:00:00+01:00");
    // 16:45 for an hour runs past 17:00.
    let r = app
        .post(
            "/api/v1/availability",
            &ask("2027-02-10T16:30", "Europe/Paris", 60),
        )
        .await;
    assert_eq!(r.body["available"], false);
    let alts = r.body["alternatives"].as_array().unwrap();
    assert_eq!(alts.len(), 3);
    // Next day from 09:30 (the producer starts at 09:00, 30 minutes of preparation).
    assert_eq!(alts[0]["start"], "2027-02-11T09:30:00+01:00");
    assert_eq!(alts[1]["start"], "2027-02-11T10:00:00+01:00");
    // Availability books nothing.
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
            .await
            .status,
        201
    );
}

#[actix_web::test]
async fn a_weekend_asks_for_monday_alternatives_in_the_customers_zone() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Kenji",
        "Asia/Tokyo",
        &["en", "ja"],
        weekdays("09:00", "17:30"),
    ))
    .await;
    // Saturday in New York; Kenji works Monday to Friday in Tokyo.
    let r = app
        .post(
            "/api/v1/availability",
            &ask("2027-02-13T10:00", "America/New_York", 60),
        )
        .await;
    assert_eq!(r.body["available"], false);
    // Monday 09:30 Tokyo is Sunday 19:30 in New York.
    assert_eq!(
        r.body["alternatives"][0]["start"],
        "2027-02-14T19:30:00-05:00"
    );
}

#[actix_web::test]
async fn availability_validates_like_ordering() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/api/v1/availability",
            &json!({"package": "nope", "start": "2027-02-10T10:00", "time_zone": "Europe/Paris"}),
        )
        .await;
    assert_eq!(r.status, 422);
    let errors = r.field_errors();
    assert!(errors.contains(&("package".into(), "unknown_package".into())));
    assert!(errors.contains(&("duration_minutes".into(), "required".into())));
    let r = app
        .post(
            "/api/v1/availability",
            &ask("2027-01-10T10:00", "Europe/Paris", 60),
        )
        .await;
    assert_eq!(r.code(), "lead_time");
}
