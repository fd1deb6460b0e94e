//! After the event: the attendance report (CSV) kept and read back, the follow-up e-mail
//! with the recording's links and the report attached, and no-shows.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{order_body, producer, spawn, utc, weekdays, Options, TestApp, Visitor};
use crate::smtp::SmtpServer;

const REPORT: &str = "name,email,joined,left\nAna Souza,ana@example.com,10:01,10:58\n\"Martin, Bob\",bob@example.com,10:03,10:40\nChloé Durand,chloe@example.com,10:10,11:00\n";

async fn csv_put(
    app: &TestApp,
    token: &str,
    number: &str,
    body: &str,
    content_type: &str,
) -> (u16, serde_json::Value) {
    let r = awc::Client::new()
        .put(format!(
            "{}/api/v1/bookings/{number}/attendance",
            app.address
        ))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", content_type))
        .send_body(body.to_string())
        .await
        .unwrap();
    let status = r.status().as_u16();
    let mut r = r;
    let bytes = r.body().limit(1 << 22).await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(json!(null)),
    )
}

#[actix_web::test]
async fn the_report_and_the_recording_reach_the_customer_after_the_event() {
    let smtp = SmtpServer::start();
    let app = spawn(Options {
        smtp_url: Some(smtp.url()),
        ..Options::default()
    })
    .await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en", "fr"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    body["contact"]["locale"] = json!("fr");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    let sent = smtp.wait_for(2, Duration::from_secs(10)).await.len();

    // Before the event ends: too early.
    let (status, said) = csv_put(&app, &app.scheduler, &n, REPORT, "text/csv").await;
    assert_eq!(status, 409, "{said}");
    assert_eq!(said["code"], "not_yet_held");
    let r = app
        .post_as(
            &app.scheduler,
            &format!("/api/v1/bookings/{n}/no-show"),
            &json!({"reason": "nobody"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);

    app.clock.set(utc("2027-02-10T10:05:00Z"));
    // Refused as sent: not CSV, ragged, not UTF-8-free of sense.
    let (status, said) = csv_put(&app, &app.scheduler, &n, REPORT, "application/json").await;
    assert_eq!(status, 415, "{said}");
    let (status, said) = csv_put(&app, &app.scheduler, &n, "name,email\nAna\n", "text/csv").await;
    assert_eq!(status, 422, "{said}");
    assert_eq!(said["errors"][0]["field"], "attendance");
    assert!(
        said["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("line 2"),
        "{said}"
    );
    let (status, said) = csv_put(&app, &app.scheduler, &n, REPORT, "text/csv; charset=utf-8").await;
    assert_eq!(status, 200, "{said}");
    assert_eq!(said["after_event"]["attendees"], 3, "{said}");
    let back = app
        .get_as(&app.scheduler, &format!("/api/v1/bookings/{n}/attendance"))
        .await;
    assert_eq!(back.status, 200);
    assert_eq!(
        back.header("content-type").as_deref(),
        Some("text/csv; charset=utf-8")
    );

    // The follow-up: links checked, then sent in French with the report attached.
    let r = app
        .post_as(
            &app.scheduler,
            &format!("/api/v1/bookings/{n}/follow-up"),
            &json!({"recording_links": ["not a link"]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "recording_links[0]");
    let link = "https://recordings.example.com/acme/all-hands.mp4";
    let r = app
        .post_as(
            &app.scheduler,
            &format!("/api/v1/bookings/{n}/follow-up"),
            &json!({"recording_links": [link]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["after_event"]["recording_links"], json!([link]));
    assert!(r.body["after_event"]["follow_up_sent_at"].is_string());
    assert_eq!(
        r.body["history"].as_array().unwrap().last().unwrap()["kind"],
        "follow_up_sent"
    );
    // (The reminders the clock's jump made due arrive too.)
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mail = loop {
        let got = smtp.received();
        if let Some(m) = got[sent..]
            .iter()
            .find(|m| m.header("Subject").starts_with("Votre enregistrement"))
        {
            break m.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no follow-up");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(mail.to[0], "Ana.Souza@Example.com");
    assert!(
        mail.header("Subject")
            .starts_with("Votre enregistrement et la liste de présence"),
        "{}",
        mail.header("Subject")
    );
    let text = mail.part("text/plain").unwrap();
    assert!(
        text.contains(link) && text.contains("3 participants"),
        "{text}"
    );
    let attached = mail.part("text/csv").expect("the report attached");
    assert_eq!(attached.replace("\r\n", "\n"), REPORT);
    assert!(mail.part("text/calendar").is_none());

    // The customer's lookup shows what was recorded.
    let look = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": n, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(look.body["after_event"]["attendees"], 3, "{}", look.body);
    assert_eq!(look.body["after_event"]["recording_links"], json!([link]));

    // So does the manage page, which no longer offers to move or cancel it.
    let v = Visitor::new(&app);
    let page = v
        .post(
            "/manage",
            &[
                ("reservation_number", &n),
                ("email", "ana.souza@example.com"),
            ],
        )
        .await;
    assert_eq!(page.path, "/manage/booking");
    assert!(page.text_of("recording-links").unwrap().contains(link));
    assert!(page.html.contains("3 attendees"), "{}", page.html);
    assert!(!page.html.contains("id=\"change-link\""));
    assert!(
        page.text_of("b-status").unwrap().contains("Completed"),
        "{:?}",
        page.text_of("b-status")
    );
}

#[actix_web::test]
async fn a_no_show_is_recorded_with_its_reason() {
    let app = spawn(Options::default()).await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    let r = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    app.clock.set(utc("2027-02-10T09:20:00Z"));
    let path = format!("/api/v1/bookings/{n}/no-show");
    let r = app.post_as(&app.scheduler, &path, &json!({})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "reason");
    let r = app
        .post_as(
            &app.scheduler,
            &path,
            &json!({"reason": "Nobody joined by 10:20; the host did not answer the phone."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "no_show");
    assert_eq!(
        r.body["after_event"]["no_show_reason"],
        "Nobody joined by 10:20; the host did not answer the phone."
    );
    let last = r.body["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "no_show");
    // Still a no-show once the sweep marks it over.
    app.clock.set(utc("2027-02-10T11:00:00Z"));
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let r = app
        .get_as(&app.scheduler, &format!("/api/v1/bookings/{n}"))
        .await;
    assert_eq!(r.body["status"], "no_show", "{}", r.body);
    // Nothing to follow up with: said so.
    let r = app
        .post_as(
            &app.scheduler,
            &format!("/api/v1/bookings/{n}/follow-up"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "recording_links");
}

#[actix_web::test]
async fn a_producer_sends_the_follow_up_from_the_back_office() {
    let app = crate::staff_pages::app_now().await;
    app.add_producer(producer(
        "Lea Martin",
        "Europe/Paris",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    let password = "a producer's long password";
    crate::staff_pages::member(
        &app,
        "lea.martin@producers.example",
        "Lea Martin",
        "producer",
        password,
    )
    .await;
    // A weekday more than two weeks ahead.
    let mut day = (chrono::Utc::now() + chrono::Duration::days(15)).date_naive();
    while chrono::Datelike::weekday(&day).number_from_monday() > 5 {
        day = day.succ_opt().unwrap();
    }
    let r = app
        .order(&order_body(&format!("{day}T10:00"), "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    let end = chrono::DateTime::parse_from_rfc3339(r.body["end"].as_str().unwrap()).unwrap();

    // During the event she can only record a no-show; after it, she signs in again (her
    // session lapsed with the clock) and sends the follow-up.
    app.clock
        .set(end.with_timezone(&chrono::Utc) + chrono::Duration::minutes(10));
    let v = Visitor::new(&app);
    let page = v
        .post(
            "/staff",
            &[
                ("staff.email", "lea.martin@producers.example"),
                ("staff.password", password),
            ],
        )
        .await;
    assert_eq!(page.path, "/staff/home", "{:?}", page.field_errors());
    let page = v.get(&format!("/staff/bookings/{n}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.html.contains("id=\"follow-up-button\""),
        "{}",
        page.html
    );
    assert!(page.html.contains("data-fills=\"attendance\""));
    assert!(
        !page.html.contains("id=\"move-button\""),
        "past: not movable"
    );

    let path = format!("/staff/bookings/{n}/after-event");
    let link = "https://recordings.example.com/acme/all-hands.mp4";
    let page = v
        .post(
            &path,
            &[
                ("action", "follow_up"),
                ("attendance", REPORT),
                ("recording_links", "not a link"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    let errors = page.field_errors();
    assert!(
        errors
            .iter()
            .any(|(f, m)| f == "recording_links" && m.contains("not a web address")),
        "{errors:?}"
    );
    // What was typed stays.
    assert!(page.html.contains("Martin, Bob"));

    let page = v
        .post(
            &path,
            &[
                ("action", "follow_up"),
                ("attendance", REPORT),
                ("recording_links", &format!("{link}\n")),
            ],
        )
        .await;
    assert_eq!(
        page.path,
        format!("/staff/bookings/{n}"),
        "{:?}",
        page.field_errors()
    );
    assert!(
        page.text_of("history")
            .unwrap()
            .contains("The recording and attendance were sent."),
        "{:?}",
        page.text_of("history")
    );
    let r = app
        .get_as(&app.scheduler, &format!("/api/v1/bookings/{n}"))
        .await;
    assert_eq!(r.body["after_event"]["attendees"], 3, "{}", r.body);
    assert_eq!(r.body["after_event"]["recording_links"], json!([link]));
    assert!(
        r.body["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["kind"] == "follow_up_sent"
                && h["actor"].as_str().unwrap().contains("Lea Martin")),
        "{}",
        r.body
    );
}
