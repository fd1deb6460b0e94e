//! Two instances on one database, sharing nothing else (each with its own pool, worker
//! and throttle): a race across both books no producer twice, and every outbox message
//! is sent by exactly one of the two workers.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::join_all;

use crate::helpers::{order_body, producer, spawn, weekdays, Options};
use crate::smtp::SmtpServer;

#[actix_web::test]
async fn two_instances_share_one_database_without_double_booking_or_double_sending() {
    let smtp = SmtpServer::start();
    let a = spawn(Options {
        smtp_url: Some(smtp.url()),
        ..Options::default()
    })
    .await;
    let b = spawn(Options {
        smtp_url: Some(smtp.url()),
        database_url: Some(a.database_url.clone()),
        ..Options::default()
    })
    .await;
    a.add_producer(producer(
        "Pat One",
        "UTC",
        &["en"],
        weekdays("06:00", "20:00"),
    ))
    .await;
    b.add_producer(producer(
        "Sam Two",
        "UTC",
        &["en"],
        weekdays("06:00", "20:00"),
    ))
    .await;

    // 64 orders for one slot, half through each instance: exactly two win.
    let body = order_body("2027-02-10T10:00:00Z", "UTC", 60);
    let results = join_all((0..64).map(|i| {
        if i % 2 == 0 {
            a.order(&body)
        } else {
            b.order(&body)
        }
    }))
    .await;
    let created = results.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        created,
        2,
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(results
        .iter()
        .all(|r| r.status == 201 || (r.status == 409 && r.code() == "no_producer_available")));

    // More orders through both; every message is sent once, by one worker or the other.
    let bodies: Vec<_> = (0..20)
        .map(|i| {
            order_body(
                &format!(
                    "2027-02-{:02}T{:02}:00:00Z",
                    [11, 12, 15, 16][i / 5],
                    8 + 2 * (i % 5)
                ),
                "UTC",
                60,
            )
        })
        .collect();
    let more = join_all(bodies.iter().enumerate().map(|(i, body)| {
        if i % 2 == 0 {
            a.order(body)
        } else {
            b.order(body)
        }
    }))
    .await;
    assert!(
        more.iter().all(|r| r.status == 201),
        "{:?}",
        more.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let expected = 2 * (created + more.len());
    let got = smtp.wait_for(expected, Duration::from_secs(30)).await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let got_after = smtp.received();
    assert_eq!(got.len(), expected);
    assert_eq!(got_after.len(), expected, "nothing sent twice");
    let mut ids: HashMap<String, usize> = HashMap::new();
    for m in &got_after {
        *ids.entry(m.header("Message-ID")).or_default() += 1;
    }
    assert!(ids.values().all(|n| *n == 1));
    let counts = a.outbox_counts_when_sent(expected as u64).await;
    assert_eq!(counts["sent"], expected as u64, "{counts}");
    assert_eq!(counts["pending"], 0, "{counts}");
}
