//! Reminders with a settable clock: content due and the day before, to the contact (in
//! their zone and language) and the producer (in theirs); moved by a change, withdrawn
//! by a cancellation, sent once even with two instances sweeping one database.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{order_body, producer, spawn, utc, weekdays, Options, TestApp};
use crate::smtp::{Received, SmtpServer};

fn to(m: &Received) -> &str {
    m.to.first().map(String::as_str).unwrap_or("")
}

/// Set both instances' clocks, then what arrived over the next moments beyond `before`.
pub async fn at(
    apps: &[&TestApp],
    smtp: &SmtpServer,
    when: &str,
    before: usize,
    expect: usize,
) -> Vec<Received> {
    for app in apps {
        app.clock.set(utc(when));
    }
    let got = smtp
        .wait_for(before + expect, Duration::from_secs(10))
        .await;
    // Nothing more comes: each reminder once.
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    let all = smtp.received();
    assert_eq!(
        all.len(),
        got.len(),
        "more than expected at {when}: {:?}",
        subjects(&all[before..])
    );
    assert_eq!(
        all.len(),
        before + expect,
        "at {when}: {:?}",
        subjects(&all[before..])
    );
    all[before..].to_vec()
}

pub fn subjects(ms: &[Received]) -> Vec<String> {
    ms.iter()
        .map(|m| format!("{} → {}", m.header("Subject"), to(m)))
        .collect()
}

#[actix_web::test]
async fn reminders_follow_a_move_vanish_with_a_cancellation_and_come_once() {
    let smtp = SmtpServer::start();
    let app = spawn(Options {
        smtp_url: Some(smtp.url()),
        ..Options::default()
    })
    .await;
    // The customer is in Paris and reads French; Kenji works in Tokyo.
    app.add_producer(producer(
        "Kenji Mori",
        "Asia/Tokyo",
        &["en", "fr"],
        weekdays("09:00", "18:00"),
    ))
    .await;
    let french = |start: &str| {
        let mut body = order_body(start, "Europe/Paris", 90);
        body["contact"]["locale"] = json!("fr");
        body
    };
    let r = app.order(&french("2027-02-10T02:00")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let kept = r.body["reservation_number"].as_str().unwrap().to_string();
    let r = app.order(&french("2027-02-12T02:00")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let dropped = r.body["reservation_number"].as_str().unwrap().to_string();
    // Moved a day later; the other cancelled.
    let r = app
        .post(
            &format!("/api/v1/bookings/{kept}/reschedule"),
            &json!({"email": "ana.souza@example.com", "start": "2027-02-11T02:00"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/bookings/{dropped}/cancel"),
            &json!({"email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Two confirmations, two assignments, a move for each side, a cancellation for each.
    let sent = smtp.wait_for(8, Duration::from_secs(10)).await.len();
    assert_eq!(sent, 8, "{:?}", subjects(&smtp.received()));

    // A second instance on the same database sweeps too.
    let other = spawn(Options {
        smtp_url: Some(smtp.url()),
        database_url: Some(app.database_url.clone()),
        ..Options::default()
    })
    .await;
    let both = [&app, &other];

    // When the old time's content reminder was due (48 h before 10 Feb 02:00 Paris):
    // nothing, it moved.
    at(&both, &smtp, "2027-02-08T01:30:00Z", sent, 0).await;

    // 48 h before the new start: content is due the day before it, in the contact's zone
    // and language. (The old time's day-before reminder, due now too, moved.)
    let got = at(&both, &smtp, "2027-02-09T01:00:00Z", sent, 1).await;
    let content = &got[0];
    assert_eq!(to(content), "Ana.Souza@Example.com");
    let subject = content.header("Subject");
    assert!(
        subject.starts_with(
            "Vos contenus sont attendus avant le mercredi 10 février 2027 à 02:00 CET"
        ),
        "{subject}"
    );
    let text = content.part("text/plain").unwrap();
    assert!(
        text.contains("Kenji Mori <kenji.mori@producers.example>"),
        "{text}"
    );
    assert!(text.contains(&kept), "{text}");
    assert!(
        content.part("text/calendar").is_none(),
        "no invitation again"
    );

    // The day before: the contact (in French, Paris time) and the producer (in
    // English, Tokyo time). The cancelled booking's content reminder, due now, is gone.
    let got = at(&both, &smtp, "2027-02-10T01:00:00Z", sent + 1, 2).await;
    let contact = got
        .iter()
        .find(|m| to(m) == "Ana.Souza@Example.com")
        .expect("the contact's reminder");
    assert!(
        contact
            .header("Subject")
            .starts_with("Demain : Quarterly all-hands, jeudi 11 février 2027 à 02:00 CET"),
        "{}",
        contact.header("Subject")
    );
    assert!(contact
        .part("text/plain")
        .unwrap()
        .contains("se connecte à 01:30 CET"));
    let producer = got
        .iter()
        .find(|m| to(m) == "kenji.mori@producers.example")
        .expect("the producer's reminder");
    assert!(
        producer
            .header("Subject")
            .starts_with("Tomorrow: Quarterly all-hands, Thursday 11 February 2027 from 09:30 JST"),
        "{}",
        producer.header("Subject")
    );
    assert!(producer
        .part("text/plain")
        .unwrap()
        .contains("09:30 to 11:30 JST (Asia/Tokyo)"));

    // The cancelled booking's day before: nothing.
    at(&both, &smtp, "2027-02-11T01:30:00Z", sent + 3, 0).await;
}
