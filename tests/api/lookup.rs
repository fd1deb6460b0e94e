use serde_json::json;

use crate::helpers::{order_body, producer, spawn_app, weekdays};

#[actix_web::test]
async fn lookup_finds_the_booking_by_number_and_email_in_any_case() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let created = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    let number = created.body["reservation_number"].as_str().unwrap();
    let r = app
        .post("/api/v1/bookings/lookup", &json!({"reservation_number": number.to_lowercase().replace('-', ""), "email": "ANA.SOUZA@example.COM "}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["reservation_number"], number);
    assert_eq!(r.body["start"], "2027-02-10T10:00:00+01:00");
    let history = r.body["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["kind"], "created");
    assert_eq!(history[0]["actor"], "customer");
    assert_eq!(history[0]["new"]["start"], "2027-02-10T10:00:00+01:00");
}

#[actix_web::test]
async fn wrong_email_and_unknown_number_get_the_same_404() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let created = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    let number = created.body["reservation_number"].as_str().unwrap();
    let wrong_email = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "eve@example.com"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": "ZZZZZ-ZZZZZ", "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(wrong_email.status, 404);
    assert_eq!(wrong_email.code(), "booking_not_found");
    // Identical but for the request id: nothing tells which of the two was wrong.
    let without_id = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("request_id");
        v
    };
    assert_eq!(
        without_id(wrong_email.body.clone()),
        without_id(unknown.body.clone())
    );
    let malformed = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": "12", "email": ""}),
        )
        .await;
    assert_eq!(malformed.status, 422);
    assert_eq!(malformed.field_errors().len(), 2);
}
