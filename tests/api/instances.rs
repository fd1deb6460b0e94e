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

async fn available(app: &crate::helpers::TestApp) -> bool {
    let ask = serde_json::json!({"package": "meeting-premium", "start": "2027-02-10T10:00",
        "time_zone": "UTC", "duration_minutes": 60});
    let r = app.post("/api/v1/availability", &ask).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["available"].as_bool().unwrap()
}

async fn roster_reads(app: &crate::helpers::TestApp) -> f64 {
    crate::operations::metric_of(app, "greenroom_roster_reads_total").await
}

/// Each instance keeps the roster in memory and reads it again only when it changed,
/// whichever instance changed it: time off, a closure or new hours added through one are
/// respected at once by the other.
#[actix_web::test]
async fn the_roster_kept_in_memory_follows_changes_made_through_another_instance() {
    let a = spawn(Options::default()).await;
    let b = spawn(Options {
        database_url: Some(a.database_url.clone()),
        ..Options::default()
    })
    .await;
    let id = a
        .add_producer(producer(
            "Pat One",
            "UTC",
            &["en"],
            weekdays("08:00", "18:00"),
        ))
        .await;
    assert!(available(&b).await);
    // Asked again and again, the roster is not read again while nothing changes.
    let reads = roster_reads(&b).await;
    for _ in 0..20 {
        assert!(available(&b).await);
    }
    assert_eq!(roster_reads(&b).await, reads);

    // Time off through A: B refuses the slot, and offers it again once it is removed.
    let off = a
        .post_as(
            &a.admin,
            &format!("/api/v1/producers/{id}/time-off"),
            &serde_json::json!({"start": "2027-02-10T00:00", "end": "2027-02-11T00:00", "reason": "Course"}),
        )
        .await;
    assert_eq!(off.status, 201, "{}", off.body);
    assert!(!available(&b).await);
    assert_eq!(roster_reads(&b).await, reads + 1.0);
    let off_id = off.body["time_off"]["id"].as_str().unwrap();
    let removed = a
        .request(
            "DELETE",
            &format!("/api/v1/producers/{id}/time-off/{off_id}"),
            Some(&a.admin),
            None,
            &[],
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    assert!(available(&b).await);

    // A closure for the producer's zone, through A: B's answer follows.
    let closed = a
        .post_as(
            &a.admin,
            "/api/v1/closures",
            &serde_json::json!({"name": "Founders' Day", "first_day": "2027-02-10", "zones": ["UTC"]}),
        )
        .await;
    assert_eq!(closed.status, 201, "{}", closed.body);
    assert!(!available(&b).await);

    // A second producer added through A is free that day for B at once, with the
    // closure not theirs (another zone).
    a.add_producer(producer(
        "Sam Two",
        "Europe/Paris",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    assert!(available(&b).await);
}

/// Each instance keeps the fair choice's counts for a week for at most two seconds: the
/// orders another instance took meanwhile are counted from then on.
#[actix_web::test]
async fn orders_through_another_instance_count_for_the_fair_choice_within_two_seconds() {
    let a = spawn(Options::default()).await;
    let b = spawn(Options {
        database_url: Some(a.database_url.clone()),
        ..Options::default()
    })
    .await;
    // Only Bee works early, only Cat late.
    a.add_producer(producer(
        "Busy Bee",
        "UTC",
        &["en"],
        weekdays("06:00", "18:00"),
    ))
    .await;
    a.add_producer(producer(
        "Calm Cat",
        "UTC",
        &["en"],
        weekdays("08:00", "21:00"),
    ))
    .await;
    let order = |app, start| async move {
        let r = crate::helpers::TestApp::order(app, &order_body(start, "UTC", 60)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["producer"]["name"].as_str().unwrap().to_string()
    };
    // B counts the week and gives Bee one; A gives Cat two in the same week.
    assert_eq!(order(&b, "2027-02-08T07:00:00Z").await, "Busy Bee");
    assert_eq!(order(&a, "2027-02-09T19:00:00Z").await, "Calm Cat");
    assert_eq!(order(&a, "2027-02-10T19:00:00Z").await, "Calm Cat");
    // Past two seconds B counts again: Cat has more, Bee gets the next one (counts kept
    // from before A's orders would have given it to Cat).
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(order(&b, "2027-02-11T10:00:00Z").await, "Busy Bee");
}
