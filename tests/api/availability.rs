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

/// The calendar lists, day by day, the starts that can be ordered now, and every one of
/// them is bookable: the lead time, the horizon and a free producer for the whole window.
#[actix_web::test]
async fn the_calendar_lists_every_bookable_start_and_only_those() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "12:00"),
    ))
    .await;
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
            .await
            .status,
        201
    );
    let q = "/api/v1/availability/slots?package=event-standard&time_zone=Europe/Paris&duration_minutes=60";
    let r = app.get(&format!("{q}&from=2027-02-08&to=2027-02-14")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["time_zone"], "Europe/Paris");
    let days = r.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let starts = |date: &str| -> Vec<String> {
        days.iter().find(|d| d["date"] == date).unwrap()["starts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    // The producer joins 30 minutes before and leaves at noon.
    assert_eq!(starts("2027-02-08"), ["09:30", "10:00", "10:30", "11:00"]);
    assert!(
        starts("2027-02-10").is_empty(),
        "Wednesday is taken: {:?}",
        starts("2027-02-10")
    );
    assert!(starts("2027-02-13").is_empty() && starts("2027-02-14").is_empty());
    for day in days {
        for start in day["starts"].as_array().unwrap() {
            let ask = json!({"package": "event-standard", "start": format!("{}T{}", day["date"].as_str().unwrap(), start.as_str().unwrap()),
                             "time_zone": "Europe/Paris", "duration_minutes": 60});
            let a = app.post("/api/v1/availability", &ask).await;
            assert_eq!(a.body["available"], true, "{ask} listed but {}", a.body);
        }
    }
    // Nothing inside the lead time: the first bookable start is 18 January 08:00 UTC,
    // 09:00 in Paris, so the weekdays before it are empty though Lea works them.
    let r = app.get(&format!("{q}&from=2027-01-11&to=2027-01-19")).await;
    let days = r.body["days"].as_array().unwrap();
    for day in days {
        let date = day["date"].as_str().unwrap();
        let n = day["starts"].as_array().unwrap().len();
        match date {
            "2027-01-18" | "2027-01-19" => assert_eq!(n, 4, "{day}"),
            _ => assert_eq!(n, 0, "{day}"),
        }
    }
}

#[actix_web::test]
async fn the_calendar_refuses_what_it_cannot_answer() {
    let app = spawn_app().await;
    let base = "/api/v1/availability/slots?package=event-standard&time_zone=Europe/Paris&duration_minutes=60";
    let r = app
        .get(&format!("{base}&from=2027-02-10&to=2027-02-01"))
        .await;
    assert_eq!(
        r.field_errors(),
        [("to".to_string(), "invalid_range".to_string())]
    );
    let r = app
        .get(&format!("{base}&from=2027-02-01&to=2027-05-01"))
        .await;
    assert_eq!(
        r.field_errors(),
        [("to".to_string(), "invalid_range".to_string())]
    );
    let r = app
        .get("/api/v1/availability/slots?package=gold&time_zone=Mars/Base&duration_minutes=7&from=soon")
        .await;
    let mut fields = r.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            (
                "duration_minutes".to_string(),
                "invalid_duration".to_string()
            ),
            ("from".to_string(), "invalid_format".to_string()),
            ("package".to_string(), "unknown_package".to_string()),
            ("time_zone".to_string(), "invalid_time_zone".to_string()),
            ("to".to_string(), "required".to_string()),
        ]
    );
}
