//! Daylight-saving time, in the customer's zone and in the producer's.

use serde_json::json;

use crate::helpers::{order_body, producer, spawn_app, weekdays};

fn every_day(start: &str, end: &str) -> serde_json::Value {
    serde_json::Value::Array(
        [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]
        .iter()
        .map(|d| json!({"weekday": d, "start": start, "end": end}))
        .collect(),
    )
}

#[actix_web::test]
async fn paris_skipped_and_repeated_times_are_refused_with_a_way_out() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Night Owl",
        "Europe/Paris",
        &["en"],
        every_day("00:00", "24:00"),
    ))
    .await;
    let r = app
        .order(&order_body("2027-03-28T02:30", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "nonexistent_local_time");
    let r = app
        .order(&order_body("2027-10-31T02:30", "Europe/Paris", 30))
        .await;
    assert_eq!(r.code(), "ambiguous_local_time");
    assert!(r.body["detail"].as_str().unwrap().contains("+01:00"));
    // With the offset, the second 02:30 (winter time) is booked.
    let r = app
        .order(&order_body("2027-10-31T02:30:00+01:00", "Europe/Paris", 30))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["start"], "2027-10-31T02:30:00+01:00");
    // The first 02:30 (summer time) is another instant: windows 00:00Z-01:00Z and
    // 01:00Z-02:00Z do not overlap, so the same producer takes both.
    let r = app
        .order(&order_body("2027-10-31T02:30:00+02:00", "Europe/Paris", 30))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["start"], "2027-10-31T02:30:00+02:00");
}

#[actix_web::test]
async fn new_york_skipped_and_repeated_times_are_refused() {
    let app = spawn_app().await;
    let r = app
        .order(&order_body("2027-03-14T02:30", "America/New_York", 60))
        .await;
    assert_eq!(r.code(), "nonexistent_local_time");
    let r = app
        .order(&order_body("2027-11-07T01:30", "America/New_York", 60))
        .await;
    assert_eq!(r.code(), "ambiguous_local_time");
}

#[actix_web::test]
async fn producer_hours_follow_their_own_zone_while_the_customers_differs() {
    // 2027-03-22: New York is already on summer time (UTC-4), Paris not yet (UTC+1):
    // five hours apart instead of six.
    let app = spawn_app().await;
    app.add_producer(producer(
        "Nick York",
        "America/New_York",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    // 14:30 Paris: window from 14:00 Paris = 09:00 New York. Free.
    let r = app
        .order(&order_body("2027-03-22T14:30", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["producer_starts_at"], "2027-03-22T14:00:00+01:00");
    // 14:00 Paris would need the producer from 08:30 New York.
    let r = app
        .order(&order_body("2027-03-23T14:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        r.body["alternatives"][0]["start"],
        "2027-03-23T14:30:00+01:00"
    );
    // After Paris changes too (2027-03-29) they are six hours apart again.
    let r = app
        .order(&order_body("2027-03-29T14:30", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 409);
    let r = app
        .order(&order_body("2027-03-29T15:30", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["start"], "2027-03-29T15:30:00+02:00");
}

#[actix_web::test]
async fn a_producer_whose_hours_cross_midnight() {
    let app = spawn_app().await;
    let night = json!([{"weekday": "monday", "start": "22:00", "end": "06:00"}]);
    app.add_producer(producer("Nora Night", "Asia/Tokyo", &["en"], night))
        .await;
    // Tuesday 01:00-02:00 Tokyo: inside Monday's night shift.
    let r = app
        .order(&order_body("2027-02-09T01:00", "Asia/Tokyo", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Monday 22:00: the window starts at 21:30, before the shift.
    let r = app
        .order(&order_body("2027-02-08T22:00", "Asia/Tokyo", 60))
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.body["alternatives"][0]["start"],
        "2027-02-08T22:30:00+09:00"
    );
    // Tuesday 05:00-06:30 runs past the shift's end.
    let r = app
        .order(&order_body("2027-02-09T05:00", "Asia/Tokyo", 90))
        .await;
    assert_eq!(r.status, 409);
}
