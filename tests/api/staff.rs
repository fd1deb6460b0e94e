use serde_json::json;

use crate::helpers::{order_body, producer, spawn_app, spawn_app_with, weekdays};

#[actix_web::test]
async fn staff_routes_need_a_token_and_the_right_role() {
    let app = spawn_app().await;
    let body = producer("Lea", "Europe/Paris", &["en"], weekdays("09:00", "17:00"));
    let r = app.post("/api/v1/producers", &body).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "unauthorized");
    let r = app.post_as("not-a-token", "/api/v1/producers", &body).await;
    assert_eq!(r.status, 401);
    let r = app
        .post_as(&app.scheduler, "/api/v1/producers", &body)
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.code(), "forbidden");
    assert_eq!(app.get("/api/v1/schedule").await.status, 401);
    assert_eq!(app.get("/api/v1/bookings").await.status, 401);
    assert_eq!(
        app.get_as(&app.scheduler, "/api/v1/producers").await.status,
        200
    );
}

#[actix_web::test]
async fn admin_manages_producers() {
    let app = spawn_app().await;
    let id = app
        .add_producer(producer(
            "Lea Martin",
            "Europe/Paris",
            &["en", "fr"],
            weekdays("09:00", "17:00"),
        ))
        .await;
    let r = app
        .get_as(&app.admin, &format!("/api/v1/producers/{id}"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["time_zone"], "Europe/Paris");
    assert_eq!(
        r.body["working_hours"][0],
        json!({"weekday": "monday", "start": "09:00", "end": "17:00"})
    );
    let mut changed = producer(
        "Lea Martin",
        "Europe/Paris",
        &["en", "fr", "es"],
        weekdays("08:00", "16:00"),
    );
    changed["centres"] = json!(["event"]);
    let r = app
        .request(
            "PUT",
            &format!("/api/v1/producers/{id}"),
            Some(&app.admin),
            Some(&changed),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["languages"], json!(["en", "fr", "es"]));
    assert_eq!(r.body["centres"], json!(["event"]));
    let list = app.get_as(&app.admin, "/api/v1/producers").await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let r = app
        .request(
            "DELETE",
            &format!("/api/v1/producers/{id}"),
            Some(&app.admin),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        app.get_as(&app.admin, &format!("/api/v1/producers/{id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        app.get_as(&app.admin, "/api/v1/producers").await.body,
        json!([])
    );
}

#[actix_web::test]
async fn a_bad_producer_is_refused_field_by_field() {
    let app = spawn_app().await;
    let r = app
        .post_as(
            &app.admin,
            "/api/v1/producers",
            &json!({"name": "X", "email": "x@", "time_zone": "Nowhere",
            "working_hours": [{"weekday": "someday", "start": "9", "end": "17:00"}]}),
        )
        .await;
    assert_eq!(r.status, 422);
    let fields: Vec<_> = r.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        [
            "email",
            "time_zone",
            "working_hours[0].weekday",
            "working_hours[0].start"
        ]
    );
}

#[actix_web::test]
async fn a_producer_with_bookings_to_run_cannot_be_deleted() {
    let app = spawn_app().await;
    let id = app
        .add_producer(producer(
            "Lea",
            "Europe/Paris",
            &["en"],
            weekdays("09:00", "17:00"),
        ))
        .await;
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
            .await
            .status,
        201
    );
    let r = app
        .request(
            "DELETE",
            &format!("/api/v1/producers/{id}"),
            Some(&app.admin),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "producer_has_bookings");
}

#[actix_web::test]
async fn time_off_makes_a_producer_unavailable_and_cannot_cover_a_booking() {
    let app = spawn_app().await;
    let id = app
        .add_producer(producer(
            "Lea",
            "Europe/Paris",
            &["en"],
            weekdays("09:00", "17:00"),
        ))
        .await;
    let r = app
        .post_as(
            &app.scheduler,
            &format!("/api/v1/producers/{id}/time-off"),
            &json!({"start": "2027-02-10T00:00", "end": "2027-02-11T00:00", "reason": "training"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["time_off"]["start"], "2027-02-10T00:00:00+01:00");
    let r = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.body["alternatives"][0]["start"],
        "2027-02-11T09:30:00+01:00"
    );
    let booked = app
        .order(&order_body("2027-02-12T10:00", "Europe/Paris", 60))
        .await;
    assert_eq!(booked.status, 201);
    let r = app
        .post_as(
            &app.scheduler,
            &format!("/api/v1/producers/{id}/time-off"),
            &json!({"start": "2027-02-12T08:00", "end": "2027-02-12T12:00"}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "time_off_conflicts_with_bookings");
    let r = app
        .post_as(
            &app.scheduler,
            &format!("/api/v1/producers/{id}/time-off"),
            &json!({"start": "2027-02-12T08:00", "end": "2027-02-12T07:00"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "invalid_range");
    let r = app
        .post_as(
            &app.scheduler,
            "/api/v1/producers/no-such-id/time-off",
            &json!({"start": "2027-02-12T08:00", "end": "2027-02-12T09:00"}),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[actix_web::test]
async fn schedule_and_bookings_list_for_staff() {
    let app = spawn_app().await;
    let a = app
        .add_producer(producer("Pat", "UTC", &["en"], weekdays("06:00", "20:00")))
        .await;
    app.add_producer(producer("Sam", "UTC", &["en"], weekdays("06:00", "20:00")))
        .await;
    for day in 8..=12 {
        let r = app
            .order(&order_body(
                &format!("2027-02-{day:02}T10:00:00Z"),
                "UTC",
                60,
            ))
            .await;
        assert_eq!(r.status, 201);
    }
    let r = app
        .get_as(
            &app.scheduler,
            "/api/v1/schedule?from=2027-02-08&to=2027-02-13",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["assignments"].as_array().unwrap().len(), 5);
    let r = app
        .get_as(
            &app.scheduler,
            &format!("/api/v1/schedule?from=2027-02-08&to=2027-02-13&producer={a}"),
        )
        .await;
    let mine = r.body["assignments"].as_array().unwrap();
    assert!(!mine.is_empty() && mine.len() < 5);
    assert!(mine.iter().all(|x| x["producer"]["id"] == a.as_str()));
    let r = app
        .get_as(
            &app.scheduler,
            "/api/v1/bookings?from=2027-02-01&to=2027-03-01&per_page=2&page=2",
        )
        .await;
    assert_eq!(r.body["total"], 5);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["items"][0]["start"], "2027-02-10T10:00:00+00:00");
    let r = app
        .get_as(
            &app.scheduler,
            "/api/v1/bookings?status=cancelled&from=2027-02-01&to=2027-03-01",
        )
        .await;
    assert_eq!(r.body["total"], 0);
    let r = app
        .get_as(
            &app.scheduler,
            "/api/v1/bookings?from=yesterday&status=maybe&per_page=1000",
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.field_errors().len(), 3);
}

#[actix_web::test]
async fn the_demo_roster_lets_a_new_user_book_at_once() {
    let app = spawn_app_with(true).await;
    let list = app.get_as(&app.admin, "/api/v1/producers").await;
    let zones: Vec<_> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["time_zone"].as_str().unwrap().to_string())
        .collect();
    for zone in [
        "America/New_York",
        "Europe/Paris",
        "Asia/Singapore",
        "Asia/Tokyo",
    ] {
        assert!(zones.iter().any(|z| z == zone), "{zones:?}");
    }
    let mut body = order_body("2027-02-10T11:00", "Asia/Tokyo", 60);
    body["event"]["language"] = json!("ja");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["producer"]["name"], "Yuki Sato");
}
