//! Bad requests of every shape get a 4xx problem+json, never a 5xx.

use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn malformed_and_empty_bodies_are_400_problems() {
    let app = spawn_app().await;
    for body in [
        b"{\"contact\": ".to_vec(),
        b"".to_vec(),
        b"[1, 2".to_vec(),
        vec![0xff, 0xfe],
    ] {
        let r = app.post_raw("/api/v1/bookings", body).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.code(), "malformed_json");
        assert_eq!(
            r.header("content-type").unwrap(),
            "application/problem+json"
        );
    }
    let r = app.post("/api/v1/bookings", &json!([1, 2, 3])).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "invalid_type");
}

#[actix_web::test]
async fn oversized_body_is_413_problem() {
    let app = spawn_app().await;
    let big = format!("{{\"company\": \"{}\"}}", "x".repeat(200 * 1024));
    let r = app.post_raw("/api/v1/bookings", big.into_bytes()).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.code(), "payload_too_large");
}

#[actix_web::test]
async fn unknown_route_and_wrong_method_are_problems() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/nothing-here").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "not_found");
    let r = app
        .request("DELETE", "/api/v1/packages", None, None, &[])
        .await;
    assert!(r.status == 404 || r.status == 405, "{}", r.status);
    assert!(r.body["code"].is_string());
}

#[actix_web::test]
async fn strange_values_never_cause_a_5xx() {
    let app = spawn_app().await;
    let values = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1e300),
        json!(i64::MAX),
        json!("\u{0000}"),
        json!("💥".repeat(300)),
        json!({}),
        json!([]),
    ];
    let fields = [
        "package",
        "start",
        "time_zone",
        "duration_minutes",
        "contact",
        "event",
        "meeting",
        "extensions",
        "site",
        "company",
    ];
    for field in fields {
        for v in &values {
            let mut body = crate::helpers::order_body("2027-02-10T10:00", "Europe/Paris", 60);
            body[field] = v.clone();
            let r = app.order(&body).await;
            assert!(r.status < 500, "{field}={v}: {} {}", r.status, r.body);
            let a = app.post("/api/v1/availability", &body).await;
            assert!(a.status < 500, "{field}={v}: {} {}", a.status, a.body);
        }
    }
    let r = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": "💥💥💥", "email": 3}),
        )
        .await;
    assert_eq!(r.status, 422);
}

#[actix_web::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status, 200);
    let r = app.get("/readyz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["database"], "reachable");
}

/// Bytes the database cannot store (NUL) or ids of the wrong shape, in paths and
/// queries, are refused before they reach it.
#[actix_web::test]
async fn odd_ids_and_nul_bytes_never_reach_the_database() {
    use crate::helpers::{producer, weekdays};
    let app = crate::helpers::spawn_app().await;
    let cases = [
        ("GET", "/api/v1/producers/%00", 404),
        ("PUT", "/api/v1/producers/%00", 404),
        ("DELETE", "/api/v1/producers/%00", 404),
        ("GET", "/api/v1/producers/not-a-uuid", 404),
        ("POST", "/api/v1/producers/%00/time-off", 404),
        (
            "DELETE",
            "/api/v1/producers/00000000-0000-0000-0000-000000000000/time-off/%00",
            404,
        ),
        ("GET", "/api/v1/schedule?producer=%00", 422),
        ("GET", "/api/v1/bookings/AAAA%00-BBBBB", 404),
        ("POST", "/api/v1/bookings/AAAA%00-BBBBB/cancel", 404),
    ];
    for (method, path, want) in cases {
        // A body each route would take, so that only the path is odd.
        let body = match (
            method,
            path.ends_with("/cancel"),
            path.ends_with("/time-off"),
        ) {
            ("GET" | "DELETE", _, _) => None,
            (_, true, _) => Some(json!({"email": "a@b.example"})),
            (_, _, true) => Some(json!({"start": "2027-02-10T10:00", "end": "2027-02-10T11:00"})),
            _ => Some(producer("Odd", "UTC", &["en"], weekdays("09:00", "17:00"))),
        };
        let r = app
            .request(method, path, Some(&app.admin), body.as_ref(), &[])
            .await;
        assert_eq!(r.status, want, "{method} {path}: {}", r.body);
    }
    let r = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": "AAAAA-AAAAA", "email": "a\u{0}@b.example"}),
        )
        .await;
    assert_eq!(r.status, 422);
}

/// A field the API does not take is refused by name, not silently dropped: the customer
/// would believe it was recorded.
#[actix_web::test]
async fn unknown_fields_are_refused_each_by_name() {
    use crate::helpers::{order_body, producer, weekdays};
    let app = crate::helpers::spawn_app().await;
    let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    body["producer_id"] = json!("00000000-0000-0000-0000-000000000000");
    body["attendees"] = json!(["bob@example.com"]);
    body["event"]["agenda"] = json!("first this");
    let r = app.order(&body).await;
    assert_eq!((r.status, r.code()), (422, "unknown_field"), "{}", r.body);
    let mut fields = r.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("attendees".to_string(), "unknown_field".to_string()),
            ("event.agenda".to_string(), "unknown_field".to_string()),
            ("producer_id".to_string(), "unknown_field".to_string()),
        ]
    );
    // Elsewhere too: availability, lookups, the roster.
    let r = app
        .post(
            "/api/v1/availability",
            &json!({"package": "event-standard", "start": "2027-02-10T10:00", "time_zone": "UTC", "duration_minutes": 60, "producer": "Lea"}),
        )
        .await;
    assert_eq!(
        r.field_errors(),
        [("producer".to_string(), "unknown_field".to_string())]
    );
    let r = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": "ABCDE-FGHJK", "email": "a@b.example", "pin": "1234"}),
        )
        .await;
    assert_eq!(
        r.field_errors(),
        [("pin".to_string(), "unknown_field".to_string())]
    );
    let mut lea = producer("Lea", "UTC", &["en"], weekdays("09:00", "17:00"));
    lea["working_hours"][0]["break"] = json!("12:00");
    let r = app.post_as(&app.admin, "/api/v1/producers", &lea).await;
    assert_eq!(
        r.field_errors(),
        [(
            "working_hours[0].break".to_string(),
            "unknown_field".to_string()
        )]
    );
    // A change that names what cannot change says so, and an unknown field is unknown.
    let r = app
        .post(
            "/api/v1/bookings/ABCDE-FGHJK/reschedule",
            &json!({"email": "a@b.example", "start": "2027-02-10T10:00", "package": "event-premium", "colour": "red"}),
        )
        .await;
    let mut fields = r.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("colour".to_string(), "unknown_field".to_string()),
            ("package".to_string(), "not_changeable".to_string()),
        ]
    );
}
