//! Many orders for the same slot at once: exactly as many bookings as free producers.

use futures_util::future::join_all;

use crate::helpers::{order_body, producer, spawn_app, weekdays};

#[actix_web::test]
async fn sixty_four_concurrent_orders_for_two_producers_book_exactly_two() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Pat One",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    app.add_producer(producer(
        "Sam Two",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    let results = join_all((0..64).map(|_| app.order(&body))).await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    statuses.sort();
    let created = statuses.iter().filter(|s| **s == 201).count();
    let refused = results
        .iter()
        .filter(|r| r.status == 409 && r.code() == "no_producer_available")
        .count();
    assert_eq!(created, 2, "statuses: {statuses:?}");
    assert_eq!(refused, 62, "statuses: {statuses:?}");
    for r in results.iter().filter(|r| r.status == 409) {
        assert_eq!(r.body["alternatives"].as_array().unwrap().len(), 3);
    }
    let mut producers: Vec<&str> = results
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.body["producer"]["name"].as_str().unwrap())
        .collect();
    producers.sort();
    assert_eq!(producers, ["Pat One", "Sam Two"]);
    let schedule = app
        .get_as(
            &app.scheduler,
            "/api/v1/schedule?from=2027-02-10&to=2027-02-11",
        )
        .await;
    assert_eq!(schedule.body["assignments"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn concurrent_orders_for_different_times_all_succeed() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Pat One",
        "UTC",
        &["en"],
        weekdays("06:00", "20:00"),
    ))
    .await;
    let starts: Vec<String> = (0..12)
        .map(|i| format!("2027-02-{:02}T{:02}:00:00Z", 8 + i / 6, 7 + 2 * (i % 6)))
        .collect();
    let bodies: Vec<_> = starts.iter().map(|s| order_body(s, "UTC", 60)).collect();
    let results = join_all(bodies.iter().map(|b| app.order(b))).await;
    for r in &results {
        assert_eq!(r.status, 201, "{}", r.body);
    }
}

/// The rule holds in the database itself, not only in the code that checks first: a
/// second confirmed booking overlapping the first, written straight to the table, fails.
#[actix_web::test]
async fn the_database_itself_refuses_an_overlapping_assignment() {
    use diesel::prelude::*;
    use greenroom::db::models::bookings::BookingRow;
    use greenroom::db::schema::bookings;

    let app = spawn_app().await;
    app.add_producer(producer(
        "Pat One",
        "UTC",
        &["en"],
        weekdays("06:00", "20:00"),
    ))
    .await;
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00:00Z", "UTC", 60))
            .await
            .status,
        201
    );
    let mut conn = app.state.services.db.pool.get().unwrap();
    let mut row: BookingRow = bookings::table
        .select(BookingRow::as_select())
        .first(&mut *conn)
        .unwrap();
    row.id = "copy".into();
    row.reservation_number = "COPY000000".into();
    row.window_start += chrono::Duration::minutes(45);
    row.window_end += chrono::Duration::minutes(45);
    let err = diesel::insert_into(bookings::table)
        .values(&row)
        .execute(&mut *conn)
        .unwrap_err();
    assert!(greenroom::db::is_double_booking(&err), "{err}");
    // Touching end to start is allowed; a cancelled booking does not count.
    row.window_start += chrono::Duration::minutes(45);
    row.window_end += chrono::Duration::minutes(45);
    diesel::insert_into(bookings::table)
        .values(&row)
        .execute(&mut *conn)
        .unwrap();
    row.id = "cancelled".into();
    row.reservation_number = "CANC000000".into();
    row.status = "cancelled".into();
    diesel::insert_into(bookings::table)
        .values(&row)
        .execute(&mut *conn)
        .unwrap();
    // Moving a booking onto another's time is refused too.
    let moved = diesel::update(bookings::table.filter(bookings::id.eq("copy")))
        .set(bookings::window_start.eq(row.window_start - chrono::Duration::minutes(60)))
        .execute(&mut *conn)
        .unwrap_err();
    assert!(greenroom::db::is_double_booking(&moved), "{moved}");
}

/// The same order sent many times at once with one Idempotency-Key (a client retrying
/// on a timeout): one booking, and every answer is it, never a "nobody is free" caused
/// by the order's own first copy.
#[actix_web::test]
async fn one_order_sent_many_times_at_once_with_its_key_books_once_and_answers_alike() {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Pat One",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    let results = join_all((0..24).map(|_| {
        app.request(
            "POST",
            "/api/v1/bookings",
            None,
            Some(&body),
            &[("Idempotency-Key", "retry-storm-1")],
        )
    }))
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let numbers: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|r| r.body["reservation_number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 1, "{numbers:?}");
}
