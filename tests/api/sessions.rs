//! Preparation sessions (scheduling call, consultation, rehearsal) as real producer
//! time: picked with the order or later, covered by availability and the
//! no-double-booking rule, moved off the schedule when the event moves before them,
//! within Event Center Premium's production time, told by e-mail with an invitation.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{order_body, producer, spawn, spawn_app, weekdays, Options, Resp, TestApp};
use crate::reminders::{at, subjects};
use crate::smtp::SmtpServer;

const EMAIL: &str = "ana.souza@example.com";

async fn put(app: &TestApp, number: &str, name: &str, body: Value) -> Resp {
    app.request(
        "PUT",
        &format!("/api/v1/bookings/{number}/sessions/{name}"),
        None,
        Some(&body),
        &[],
    )
    .await
}

fn session<'a>(booking: &'a Value, name: &str) -> &'a Value {
    booking["sessions"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no session {name} in {booking}"))
}

/// Event Center Standard on 10 February 14:00 Paris with a rehearsal (1 h) and a
/// consultation (2 h) ordered.
fn with_sessions(sessions: Value) -> Value {
    let mut body = order_body("2027-02-10T14:00", "Europe/Paris", 60);
    body["extensions"] = json!([
        {"id": "rehearsal", "quantity": 1},
        {"id": "consultation", "quantity": 2}
    ]);
    body["sessions"] = sessions;
    body
}

async fn lea(app: &TestApp) {
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
}

#[actix_web::test]
async fn an_order_with_rehearsal_and_consultation_books_real_producer_time() {
    let app = spawn_app().await;
    lea(&app).await;
    let r = app
        .order(&with_sessions(json!([
            {"name": "rehearsal", "start": "2027-02-08T10:00"},
            {"name": "consultation", "start": "2027-02-05T09:00"}
        ])))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    let call = session(&r.body, "scheduling-call");
    assert_eq!(call["scheduled"], false);
    assert_eq!(call["minutes"], 15);
    let consultation = session(&r.body, "consultation");
    assert_eq!(consultation["start"], "2027-02-05T09:00:00+01:00");
    assert_eq!(consultation["end"], "2027-02-05T11:00:00+01:00");
    let rehearsal = session(&r.body, "rehearsal");
    assert_eq!(rehearsal["end"], "2027-02-08T11:00:00+01:00");
    assert!(r.body["production_time"].is_null());

    // The rehearsal is the producer's time: nobody can book over it.
    let over = app
        .order(&order_body("2027-02-08T10:30", "Europe/Paris", 30))
        .await;
    assert_eq!(over.status, 409, "{}", over.body);
    assert_eq!(over.code(), "no_producer_available");
    let after = app
        .order(&order_body("2027-02-08T12:00", "Europe/Paris", 60))
        .await;
    assert_eq!(after.status, 201, "{}", after.body);

    // The scheduling call over the rehearsal: refused, with the producer's next free
    // times (11:00 and 11:15 before the 11:30 order's window, then 13:00).
    let r = put(
        &app,
        &n,
        "scheduling-call",
        json!({"email": EMAIL, "start": "2027-02-08T10:30"}),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.code(), "no_producer_available");
    let offered: Vec<&str> = r.body["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        offered,
        [
            "2027-02-08T11:00:00+01:00",
            "2027-02-08T11:15:00+01:00",
            "2027-02-08T13:00:00+01:00"
        ]
    );
    let r = put(
        &app,
        &n,
        "scheduling-call",
        json!({"email": EMAIL, "start": "2027-02-08T11:15"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(session(&r.body, "scheduling-call")["scheduled"], true);
    // Moved: the old time is free again, the new one taken.
    let r = put(
        &app,
        &n,
        "scheduling-call",
        json!({"email": EMAIL, "start": "2027-02-09T09:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let history = r.body["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["kind"], "session_scheduled");
    assert_eq!(last["detail"]["session"], "scheduling-call");
    assert_eq!(last["old"]["start"], "2027-02-08T11:15:00+01:00");
    assert_eq!(last["new"]["start"], "2027-02-09T09:00:00+01:00");
    let freed = app
        .order(&order_body("2027-02-08T15:30", "Europe/Paris", 30))
        .await;
    assert_eq!(freed.status, 201, "{}", freed.body);

    // Taken off the schedule: the time is free, the session still belongs to the booking.
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/sessions/consultation/unschedule"),
            &json!({"email": EMAIL}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(session(&r.body, "consultation")["scheduled"], false);
    assert_eq!(session(&r.body, "consultation")["minutes"], 120);
    let r = app
        .order(&order_body("2027-02-05T10:00", "Europe/Paris", 60))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Staff see the sessions on the schedule with the live windows.
    let schedule = app
        .get_as(&app.admin, "/api/v1/schedule?from=2027-02-01&to=2027-02-15")
        .await;
    assert_eq!(schedule.status, 200, "{}", schedule.body);
    let sessions: Vec<(&str, &str)> = schedule.body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["session"].as_str().unwrap(),
                s["window"]["start"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sessions,
        [
            ("rehearsal", "2027-02-08T09:00:00+00:00"),
            ("scheduling-call", "2027-02-09T08:00:00+00:00")
        ]
    );

    // Cancelling the booking frees its sessions.
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/cancel"),
            &json!({"email": EMAIL}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .order(&order_body("2027-02-08T10:30", "Europe/Paris", 30))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[actix_web::test]
async fn session_times_are_checked_and_each_refusal_names_its_field() {
    let app = spawn_app().await;
    lea(&app).await;
    let r = app.order(&with_sessions(json!([]))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    let cases = [
        // (session, body, status, code, field)
        (
            "encore",
            json!({"email": EMAIL, "start": "2027-02-08T10:00"}),
            422,
            "unknown_session",
            "session",
        ),
        (
            "rehearsal",
            json!({"email": EMAIL, "start": "2027-02-10T13:00"}),
            422,
            "session_time",
            "start",
        ),
        (
            "rehearsal",
            json!({"email": EMAIL, "start": "2027-01-04T12:00"}),
            422,
            "session_notice",
            "start",
        ),
        (
            "rehearsal",
            json!({"email": EMAIL, "start": "2027-02-08T10:00", "minutes": 90}),
            422,
            "invalid_session_length",
            "minutes",
        ),
        (
            "rehearsal",
            json!({"email": EMAIL, "start": "2027-02-08T10:00", "length": 90}),
            422,
            "unknown_field",
            "length",
        ),
        (
            "rehearsal",
            json!({"start": "2027-02-08T10:00"}),
            422,
            "required",
            "email",
        ),
        (
            "rehearsal",
            json!({"email": EMAIL, "start": "2027-02-08T10:00", "time_zone": "Mars/Olympus"}),
            422,
            "invalid_time_zone",
            "time_zone",
        ),
        // Saturday: outside the producer's hours.
        (
            "rehearsal",
            json!({"email": EMAIL, "start": "2027-02-06T10:00"}),
            409,
            "no_producer_available",
            "",
        ),
        (
            "rehearsal",
            json!({"email": "someone@else.example", "start": "2027-02-08T10:00"}),
            404,
            "booking_not_found",
            "",
        ),
    ];
    for (name, body, status, code, field) in cases {
        let r = put(&app, &n, name, body.clone()).await;
        assert_eq!(r.status, status, "{name} {body}: {}", r.body);
        assert_eq!(r.code(), code, "{body}: {}", r.body);
        if !field.is_empty() {
            assert!(
                r.field_errors()
                    .iter()
                    .any(|(f, c)| f == field && c == code),
                "{body}: {}",
                r.body
            );
        }
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/problem+json")
        );
    }
    // Picked with the order: refusals name the session's place in the list.
    let r = app
        .order(&with_sessions(json!([
            {"name": "rehearsal", "start": "2027-02-08T10:00"},
            {"name": "consultation", "start": "2027-02-08T10:30"},
            {"name": "rehearsal", "start": "2027-02-09T10:00"},
            {"name": "encore", "start": "2027-02-09T10:00"}
        ])))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let errors = r.field_errors();
    assert!(
        errors.contains(&("sessions[2].name".into(), "duplicate_session".into())),
        "{errors:?}"
    );
    assert!(
        errors.contains(&("sessions[3].name".into(), "unknown_session".into())),
        "{errors:?}"
    );
    let r = app
        .order(&with_sessions(json!([
            {"name": "rehearsal", "start": "2027-02-08T10:00"},
            {"name": "consultation", "start": "2027-02-08T10:30"}
        ])))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.field_errors(),
        [("sessions[1].start".to_string(), "session_time".to_string())]
    );
    // A package without sessions has none to pick.
    let mut meeting = order_body("2027-02-11T14:00", "Europe/Paris", 60);
    meeting["package"] = json!("meeting-premium");
    meeting["sessions"] = json!([{"name": "rehearsal", "start": "2027-02-08T10:00"}]);
    let r = app.order(&meeting).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.field_errors(),
        [(
            "sessions[0].name".to_string(),
            "unknown_session".to_string()
        )]
    );
}

#[actix_web::test]
async fn moving_the_event_before_a_session_takes_the_session_off_the_schedule() {
    let app = spawn_app().await;
    lea(&app).await;
    let r = app
        .order(&with_sessions(json!([
            {"name": "rehearsal", "start": "2027-02-08T10:00"},
            {"name": "consultation", "start": "2027-02-05T09:00"}
        ])))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    // The event moves onto the rehearsal's own time: the rehearsal would come after the
    // producer's preparation, so it is taken off the schedule; the consultation stays.
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/reschedule"),
            &json!({"email": EMAIL, "start": "2027-02-08T10:00"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body["booking"];
    assert_eq!(session(b, "rehearsal")["scheduled"], false);
    assert_eq!(session(b, "consultation")["scheduled"], true);
    let kinds: Vec<&str> = b["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "session_removed", "rescheduled"]);
    // It can be picked again before the new time.
    let r = put(
        &app,
        &n,
        "rehearsal",
        json!({"email": EMAIL, "start": "2027-02-05T14:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[actix_web::test]
async fn event_premium_sessions_fit_in_its_production_time() {
    let app = spawn_app().await;
    lea(&app).await;
    let mut body = order_body("2027-02-10T14:00", "Europe/Paris", 60);
    body["package"] = json!("event-premium");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    let names: Vec<&str> = r.body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["scheduling-call", "consultation", "rehearsal"]);
    assert_eq!(
        r.body["production_time"],
        json!({"included_minutes": 390, "used_minutes": 90, "remaining_minutes": 300})
    );
    let r = put(
        &app,
        &n,
        "rehearsal",
        json!({"email": EMAIL, "start": "2027-02-08T09:00", "minutes": 180}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["production_time"]["remaining_minutes"], 120);
    let r = put(
        &app,
        &n,
        "consultation",
        json!({"email": EMAIL, "start": "2027-02-05T09:00", "minutes": 180}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.field_errors(),
        [(
            "minutes".to_string(),
            "production_time_exceeded".to_string()
        )]
    );
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("at most 120 minutes"));
    let r = put(
        &app,
        &n,
        "consultation",
        json!({"email": EMAIL, "start": "2027-02-05T09:00", "minutes": 120}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["production_time"],
        json!({"included_minutes": 390, "used_minutes": 390, "remaining_minutes": 0})
    );
    // Nothing left for the call; a shorter rehearsal makes room.
    let call = json!({"email": EMAIL, "start": "2027-02-04T09:00"});
    assert_eq!(
        put(&app, &n, "scheduling-call", call.clone()).await.code(),
        "production_time_exceeded"
    );
    let r = put(
        &app,
        &n,
        "rehearsal",
        json!({"email": EMAIL, "start": "2027-02-08T09:00", "minutes": 165}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(put(&app, &n, "scheduling-call", call).await.status, 200);
}

#[actix_web::test]
async fn a_rehearsal_and_another_order_race_for_the_producers_last_free_hour() {
    let app = spawn_app().await;
    lea(&app).await;
    let r = app.order(&with_sessions(json!([]))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    // Five days, each full but for its last hour (16:00-17:00): the rehearsal and eight
    // orders for that hour race; exactly one gets it.
    let mut rehearsal_won = 0;
    for day in [
        "2027-02-01",
        "2027-02-02",
        "2027-02-03",
        "2027-02-04",
        "2027-02-05",
    ] {
        let full = app
            .order(&order_body(&format!("{day}T09:30"), "Europe/Paris", 390))
            .await;
        assert_eq!(full.status, 201, "{}", full.body);
        let rehearsal = put(
            &app,
            &n,
            "rehearsal",
            json!({"email": EMAIL, "start": format!("{day}T16:00")}),
        );
        let last = order_body(&format!("{day}T16:30"), "Europe/Paris", 30);
        let orders = join_all((0..8).map(|_| app.order(&last)));
        let (rehearsal, orders) = futures_util::future::join(rehearsal, orders).await;
        let won: Vec<u16> = orders
            .iter()
            .map(|r| r.status)
            .filter(|s| *s == 201)
            .collect();
        for r in orders.iter().chain([&rehearsal]) {
            assert!(
                r.status == 200
                    || r.status == 201
                    || (r.status == 409 && r.code() == "no_producer_available"),
                "{} {}",
                r.status,
                r.body
            );
        }
        let rehearsal_ok = rehearsal.status == 200;
        assert_eq!(
            won.len() + usize::from(rehearsal_ok),
            1,
            "{day}: rehearsal {} and orders {:?}",
            rehearsal.status,
            orders.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        if rehearsal_ok {
            rehearsal_won += 1;
            // The rehearsal moves to the next day's race: take it off first.
            let r = app
                .post(
                    &format!("/api/v1/bookings/{n}/sessions/rehearsal/unschedule"),
                    &json!({"email": EMAIL}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let taken = app
                .order(&order_body(&format!("{day}T16:30"), "Europe/Paris", 30))
                .await;
            assert_eq!(taken.status, 201, "{}", taken.body);
        }
    }
    eprintln!("the rehearsal won {rehearsal_won} of 5 races");
}

#[actix_web::test]
async fn a_session_is_told_by_email_with_its_own_invitation() {
    let smtp = SmtpServer::start();
    let app = spawn(Options {
        smtp_url: Some(smtp.url()),
        ..Options::default()
    })
    .await;
    lea(&app).await;
    let mut body = with_sessions(json!([{"name": "rehearsal", "start": "2027-02-08T10:00"}]));
    body["contact"]["locale"] = json!("fr");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Confirmation and assignment, then the rehearsal's invitation to each.
    let got = smtp.wait_for(4, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 4);
    let confirmation = got
        .iter()
        .find(|m| m.header("Subject").starts_with("Réservation confirmée"))
        .expect("the confirmation");
    let text = confirmation.part("text/plain").unwrap();
    for needle in [
        "Séances de préparation",
        "Appel de planification (15 min) : à planifier",
        "Consultation (2 h) : à planifier",
        "Répétition (1 h) : lundi 8 février 2027, de 10:00 à 11:00",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let invitations: Vec<_> = got
        .iter()
        .filter(|m| {
            m.header("Subject").starts_with("Répétition")
                || m.header("Subject").starts_with("Rehearsal")
        })
        .collect();
    assert_eq!(
        invitations.len(),
        2,
        "{:?}",
        got.iter().map(|m| m.header("Subject")).collect::<Vec<_>>()
    );
    for m in &invitations {
        let ics = m.part("text/calendar").expect("an invitation");
        assert!(ics.contains("METHOD:REQUEST"), "{ics}");
        assert!(ics.contains("DTSTART:20270208T090000Z"), "{ics}");
        assert!(ics.contains("-rehearsal-"), "{ics}");
    }
    let producer_mail = invitations
        .iter()
        .find(|m| m.to.iter().any(|t| t == "lea@producers.example"))
        .expect("the producer's invitation");
    assert!(producer_mail
        .part("text/plain")
        .unwrap()
        .contains("You run it for this event"));
    let uid = |m: &crate::smtp::Received| {
        let ics = m.part("text/calendar").unwrap();
        ics.lines()
            .find(|l| l.starts_with("UID:"))
            .unwrap()
            .to_string()
    };
    let uids: Vec<String> = invitations.iter().map(|m| uid(m)).collect();

    // Cancelling the booking withdraws the session's invitations too.
    let n = r.body["reservation_number"].as_str().unwrap();
    let c = app
        .post(
            &format!("/api/v1/bookings/{n}/cancel"),
            &json!({"email": EMAIL}),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.body);
    let got = smtp.wait_for(8, Duration::from_secs(10)).await;
    let withdrawn: Vec<_> = got[4..]
        .iter()
        .filter(|m| {
            m.part("text/calendar")
                .is_some_and(|ics| ics.contains("METHOD:CANCEL") && ics.contains("-rehearsal-"))
        })
        .collect();
    assert_eq!(withdrawn.len(), 2);
    for m in withdrawn {
        assert!(uids.contains(&uid(m)), "the same UID as the invitation");
        let text = m.part("text/plain").unwrap();
        assert!(
            text.contains("The booking is cancelled, and this session with it")
                || text.contains("La réservation est annulée, et cette séance avec elle"),
            "{text}"
        );
    }
}

#[actix_web::test]
async fn a_session_is_reminded_the_day_before_once_even_after_it_moved() {
    let smtp = SmtpServer::start();
    let app = spawn(Options {
        smtp_url: Some(smtp.url()),
        ..Options::default()
    })
    .await;
    lea(&app).await;
    let r = app
        .order(&with_sessions(json!([
            {"name": "rehearsal", "start": "2027-02-08T10:00"},
            {"name": "consultation", "start": "2027-02-04T14:00"}
        ])))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    // The rehearsal moves three days earlier; the consultation is taken off the schedule.
    let r = put(
        &app,
        &n,
        "rehearsal",
        json!({"email": EMAIL, "start": "2027-02-05T10:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/bookings/{n}/sessions/consultation/unschedule"),
            &json!({"email": EMAIL}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Confirmation, assignment, two invitations each for the two sessions picked, the
    // rehearsal's move and the consultation's withdrawal.
    let sent = smtp.wait_for(10, Duration::from_secs(10)).await.len();
    assert_eq!(sent, 10, "{:?}", subjects(&smtp.received()));
    let other = spawn(Options {
        smtp_url: Some(smtp.url()),
        database_url: Some(app.database_url.clone()),
        ..Options::default()
    })
    .await;
    let both = [&app, &other];

    // The consultation's day before: withdrawn with it.
    at(&both, &smtp, "2027-02-03T13:01:00Z", sent, 0).await;
    // The day before the rehearsal's new time, to the contact and to Lea, once.
    let got = at(&both, &smtp, "2027-02-04T09:01:00Z", sent, 2).await;
    let subjects: Vec<String> = got.iter().map(|m| m.header("Subject")).collect();
    for s in &subjects {
        assert!(
            s.starts_with("Tomorrow: Rehearsal at 10:00 CET (Quarterly all-hands"),
            "{subjects:?}"
        );
    }
    let to_lea = got
        .iter()
        .find(|m| m.to.iter().any(|t| t == "lea@producers.example"))
        .expect("Lea's reminder");
    assert!(to_lea
        .part("text/plain")
        .unwrap()
        .contains("You run this preparation session tomorrow"));
    assert!(to_lea.part("text/calendar").is_none());
    // Not the rehearsal's old time's.
    at(&both, &smtp, "2027-02-07T09:01:00Z", sent + 2, 0).await;
}

#[actix_web::test]
async fn staff_may_give_a_session_to_another_producer() {
    let app = spawn_app().await;
    lea(&app).await;
    let r = app.order(&with_sessions(json!([]))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    let lea_id = r.body["sessions"][0]["producer_id"].clone();
    assert!(lea_id.is_null(), "not scheduled yet");
    let sam = app
        .add_producer(producer(
            "Sam",
            "America/New_York",
            &["en"],
            weekdays("09:00", "17:00"),
        ))
        .await;
    let body = json!({"start": "2027-02-08T15:00", "producer_id": sam});
    // A customer may not choose the producer.
    let mut as_customer = body.clone();
    as_customer["email"] = json!(EMAIL);
    assert_eq!(put(&app, &n, "rehearsal", as_customer).await.status, 401);
    let r = app
        .request(
            "PUT",
            &format!("/api/v1/bookings/{n}/sessions/rehearsal"),
            Some(&app.admin),
            Some(&body),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rehearsal = session(&r.body, "rehearsal");
    assert_eq!(rehearsal["producer_id"], json!(sam));
    assert_eq!(
        r.body["producer"]["name"], "Lea",
        "the event keeps its producer"
    );
    // The same again changes nothing and adds no history.
    let lines = r.body["history"].as_array().unwrap().len();
    let same = app
        .request(
            "PUT",
            &format!("/api/v1/bookings/{n}/sessions/rehearsal"),
            Some(&app.admin),
            Some(&body),
            &[],
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.body);
    assert_eq!(same.body["history"].as_array().unwrap().len(), lines);
    // Sam's time now: an order then gets Lea (free), not Sam.
    let r = app
        .order(&order_body("2027-02-08T15:30", "Europe/Paris", 30))
        .await;
    assert_eq!(r.body["producer"]["name"], "Lea", "{}", r.body);
    let unknown = json!({"start": "2027-02-09T15:00", "producer_id": "nobody"});
    let r = app
        .request(
            "PUT",
            &format!("/api/v1/bookings/{n}/sessions/rehearsal"),
            Some(&app.admin),
            Some(&unknown),
            &[],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.field_errors(),
        [("producer_id".to_string(), "invalid_format".to_string())]
    );
}

#[actix_web::test]
async fn giving_a_session_to_another_producer_tells_both() {
    let smtp = SmtpServer::start();
    let app = spawn(Options {
        smtp_url: Some(smtp.url()),
        ..Options::default()
    })
    .await;
    lea(&app).await;
    let r = app
        .order(&with_sessions(
            json!([{"name": "rehearsal", "start": "2027-02-08T10:00"}]),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let n = r.body["reservation_number"].as_str().unwrap().to_string();
    let sent = smtp.wait_for(4, Duration::from_secs(10)).await.len();
    let sam = app
        .add_producer(producer(
            "Sam",
            "Europe/Paris",
            &["en"],
            weekdays("09:00", "17:00"),
        ))
        .await;
    let r = app
        .request(
            "PUT",
            &format!("/api/v1/bookings/{n}/sessions/rehearsal"),
            Some(&app.admin),
            Some(&json!({"start": "2027-02-08T10:00", "producer_id": sam})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The contact and Sam get the session; Lea is released from it.
    let got = smtp.wait_for(sent + 3, Duration::from_secs(10)).await;
    assert_eq!(got.len(), sent + 3, "{:?}", subjects(&got));
    let method = |who: &str| {
        let m = got[sent..]
            .iter()
            .find(|m| m.to.iter().any(|t| t == who))
            .unwrap_or_else(|| panic!("nothing to {who}: {:?}", subjects(&got[sent..])));
        let ics = m.part("text/calendar").expect("an invitation");
        ics.lines()
            .find(|l| l.starts_with("METHOD:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(method("sam@producers.example"), "METHOD:REQUEST");
    assert_eq!(method("lea@producers.example"), "METHOD:CANCEL");
    assert_eq!(method("Ana.Souza@Example.com"), "METHOD:REQUEST");
}
