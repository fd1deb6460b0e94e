//! An order, an availability answer and a lookup each take a fixed number of database
//! statements whatever the size of the roster and of the schedule.

use serde_json::json;

use crate::helpers::{order_body, producer, spawn, weekdays, Options, TestApp};

#[derive(Debug, PartialEq)]
struct Work {
    availability: u64,
    order: u64,
    lookup: u64,
    refused_order: u64,
}

fn queries(app: &TestApp) -> u64 {
    app.state
        .services
        .db
        .queries
        .load(std::sync::atomic::Ordering::SeqCst)
}

async fn measure(producers: usize) -> Work {
    let app = spawn(Options {
        no_outbox_worker: true,
        ..Options::default()
    })
    .await;
    for i in 0..producers {
        app.add_producer(producer(
            &format!("P{i:03}"),
            "UTC",
            &["en"],
            weekdays("08:00", "18:00"),
        ))
        .await;
    }
    // A schedule that grows with the roster: two bookings per producer that week.
    for day in [8, 9] {
        for _ in 0..producers {
            assert_eq!(
                app.order(&order_body(
                    &format!("2027-02-{day:02}T10:00:00Z"),
                    "UTC",
                    60
                ))
                .await
                .status,
                201
            );
        }
    }
    let ask = json!({"package": "event-standard", "start": "2027-02-10T10:00:00Z", "time_zone": "UTC", "duration_minutes": 60});
    let before = queries(&app);
    assert_eq!(app.post("/api/v1/availability", &ask).await.status, 200);
    let availability = queries(&app) - before;

    let before = queries(&app);
    let r = app
        .order(&order_body("2027-02-10T10:00:00Z", "UTC", 60))
        .await;
    assert_eq!(r.status, 201);
    let order = queries(&app) - before;

    let before = queries(&app);
    let look = app.post("/api/v1/bookings/lookup", &json!({"reservation_number": r.body["reservation_number"], "email": "ana.souza@example.com"})).await;
    assert_eq!(look.status, 200);
    let lookup = queries(&app) - before;

    // Fill the slot, then one more order is refused with alternatives.
    for _ in 1..producers {
        app.order(&order_body("2027-02-10T10:00:00Z", "UTC", 60))
            .await;
    }
    let before = queries(&app);
    let refused = app
        .order(&order_body("2027-02-10T10:00:00Z", "UTC", 60))
        .await;
    assert_eq!(refused.status, 409);
    let refused_order = queries(&app) - before;
    Work {
        availability,
        order,
        lookup,
        refused_order,
    }
}

#[actix_web::test]
async fn database_work_does_not_grow_with_the_roster() {
    let small = measure(2).await;
    let large = measure(30).await;
    eprintln!("statements per request: {large:?}");
    assert_eq!(
        small, large,
        "statements per request must not depend on the roster's size"
    );
    assert!(large.availability <= 6, "{large:?}");
    // 14 on PostgreSQL; on SQLite the writer's group commit runs each write in a
    // savepoint of a shared transaction, and the order's own transaction becomes a
    // savepoint inside it: four statements that touch no page (SAVEPOINT, RELEASE).
    assert!(large.order <= 20, "{large:?}");
    assert!(large.lookup <= 6, "{large:?}");
    assert!(large.refused_order <= 24, "{large:?}");
}
