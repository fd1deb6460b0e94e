//! The customer's pages as a browser without JavaScript uses them: forms posted with
//! their token, redirects followed, cookies kept. (tests/api/browser.rs drives the same
//! pages in Chromium.)

use serde_json::json;

use crate::helpers::{
    order_body, producer, spawn, spawn_app, strip_tags, weekdays, Options, Page, TestApp, Visitor,
};

pub const SLOT: &[(&str, &str)] = &[
    ("contact.first_name", "Ana"),
    ("contact.last_name", "Souza"),
    ("contact.phone", "+33 1 23 45 67 89"),
    ("contact.email", "Ana.Souza@Example.com"),
    ("company", "Acme"),
    ("site", "acme.webex.com"),
    ("package", "event-standard"),
    ("date", "2027-02-10"),
    ("time", "10:00"),
    ("time_zone", "Europe/Paris"),
    ("duration_minutes", "60"),
    ("language", "en"),
];

/// Step 1's fields with some replaced.
pub fn slot_with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    SLOT.iter()
        .map(|(k, v)| {
            changes
                .iter()
                .find(|(ck, _)| ck == k)
                .map_or((*k, *v), |(ck, cv)| (*ck, *cv))
        })
        .collect()
}

pub async fn with_lea() -> TestApp {
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea Martin",
        "Europe/Paris",
        &["en", "fr"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    app
}

async fn step(v: &Visitor, path: &str, fields: &[(&str, &str)], action: &str) -> Page {
    let mut all = fields.to_vec();
    all.push(("action", action));
    v.post(path, &all).await
}

/// Steps 1 to 3 with "someone else scheduled it"; the confirmation page.
pub async fn order_through_pages(v: &Visitor, slot: &[(&str, &str)], title: &str) -> Page {
    let page = step(v, "/order", slot, "next").await;
    assert_eq!(
        page.path,
        "/order/meeting",
        "step 1 refused: {:?}",
        page.field_errors()
    );
    let page = step(
        v,
        "/order/meeting",
        &[("meeting.answer", "someone_else")],
        "next",
    )
    .await;
    assert_eq!(
        page.path,
        "/order/event",
        "step 2 refused: {:?}",
        page.field_errors()
    );
    step(
        v,
        "/order/event",
        &[("event.title", title), ("event.comments", "Two presenters")],
        "order",
    )
    .await
}

#[actix_web::test]
async fn the_four_steps_order_a_producer_with_plain_forms() {
    let app = with_lea().await;
    let v = Visitor::new(&app);

    // Step 1 sent empty: every field says what is missing, next to it and in the summary.
    let empty: Vec<(&str, &str)> = SLOT.iter().map(|(k, _)| (*k, "")).collect();
    let page = step(&v, "/order", &empty, "next").await;
    assert_eq!(page.status, 422);
    let errors = page.field_errors();
    for (field, message) in [
        ("contact-first_name", "Please fill in “First name”."),
        ("contact-last_name", "Please fill in “Last name”."),
        ("contact-phone", "Please fill in “Phone”."),
        ("contact-email", "Please fill in “E-mail”."),
        ("company", "Please fill in “Company”."),
        ("site", "Please fill in “Meeting site”."),
        ("date", "Please fill in “Date”."),
        ("time", "Please fill in “Start time”."),
    ] {
        assert!(
            errors.contains(&(field.to_string(), message.to_string())),
            "no {field}: {message} in {errors:?}"
        );
    }
    assert!(
        page.html.contains("role=\"alert\""),
        "the summary is announced"
    );
    assert!(page.html.contains("aria-invalid=\"true\""));

    // A wrong e-mail and a start inside the lead time, in plain words.
    let page = step(
        &v,
        "/order",
        &slot_with(&[("contact.email", "ana@"), ("date", "2027-01-10")]),
        "next",
    )
    .await;
    let errors = page.field_errors();
    assert!(
        errors
            .iter()
            .any(|(f, m)| f == "contact-email" && m.contains("name@example.com")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|(f, m)| f == "date"
            && m.contains("14 days' notice")
            && m.contains("Monday 18 January 2027")),
        "{errors:?}"
    );
    // What was typed is still there.
    assert!(page.html.contains("value=\"Ana\""));

    let done = order_through_pages(&v, SLOT, "Launch").await;
    assert_eq!(done.path, "/order/confirmation");
    let number = done.text_of("reservation-number").unwrap();
    assert_eq!(number.len(), 11, "{number}");
    assert_eq!(
        done.text_of("b-when").unwrap(),
        "Wednesday 10 February 2027, 10:00–11:00 (Europe/Paris)"
    );
    assert_eq!(done.text_of("charges-total").unwrap(), "900.00 USD");
    assert!(done.html.contains("Cancelled from 14 days to 48 hours before the start: 50% of the standard charges (450.00 USD)"));
    assert!(done
        .html
        .contains(&format!("href=\"/manage?number&#x3D;{number}\"")));

    // The booking is the API's, with the contact's e-mail.
    let look = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(look.status, 200);
    assert_eq!(look.body["start"], "2027-02-10T10:00:00+01:00");
    assert_eq!(look.body["meeting"]["scheduled_by"], "someone_else");
    assert_eq!(look.body["event"]["comments"], "Two presenters");

    // The calendar file is the confirmation's event.
    let ics = v.get("/order/confirmation.ics").await;
    assert_eq!(ics.status, 200);
    assert!(
        ics.html.contains("BEGIN:VEVENT") && ics.html.contains("DTSTART:20270210T090000Z"),
        "{}",
        ics.html
    );

    // Reloading the confirmation shows it again; the order draft is gone.
    assert_eq!(
        v.get("/order/confirmation")
            .await
            .text_of("reservation-number")
            .unwrap(),
        number
    );
    assert_eq!(v.get("/order/event").await.path, "/order");
}

#[actix_web::test]
async fn a_second_click_on_place_the_order_books_once() {
    let app = with_lea().await;
    let v = Visitor::new(&app);
    step(&v, "/order", SLOT, "next").await;
    step(
        &v,
        "/order/meeting",
        &[("meeting.answer", "someone_else")],
        "next",
    )
    .await;
    let token = v.csrf("/order").await;
    let fields = [
        ("csrf", token.as_str()),
        ("event.title", "Launch"),
        ("action", "order"),
    ];
    // Both clicks leave before either answer comes back.
    let (a, b) = futures_util::future::join(
        v.post_raw("/order/event", &fields),
        v.post_raw("/order/event", &fields),
    )
    .await;
    let numbers: Vec<String> = [&a, &b]
        .iter()
        .filter_map(|p| p.text_of("reservation-number"))
        .collect();
    assert!(
        !numbers.is_empty(),
        "{} {} / {} {}",
        a.status,
        a.path,
        b.status,
        strip_tags(&b.html)
    );
    let list = app
        .get_as(&app.admin, "/api/v1/bookings?from=2027-02-01&to=2027-03-01")
        .await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        list.body
    );
}

#[actix_web::test]
async fn a_meeting_not_scheduled_yet_is_refused_except_for_event_premium() {
    let app = with_lea().await;
    let v = Visitor::new(&app);
    step(&v, "/order", SLOT, "next").await;
    let page = step(
        &v,
        "/order/meeting",
        &[("meeting.answer", "not_yet")],
        "next",
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(
        page.field_errors()
            .iter()
            .any(|(f, m)| f == "meeting-answer"
                && m.contains("Schedule the meeting on your site first")),
        "{:?}",
        page.field_errors()
    );
    // My host ID needs the host ID.
    let page = step(&v, "/order/meeting", &[("meeting.answer", "me")], "next").await;
    assert!(
        page.field_errors()
            .iter()
            .any(|(f, _)| f == "meeting-host_id"),
        "{:?}",
        page.field_errors()
    );

    let v = Visitor::new(&app);
    step(
        &v,
        "/order",
        &slot_with(&[("package", "event-premium")]),
        "next",
    )
    .await;
    let page = step(
        &v,
        "/order/meeting",
        &[("meeting.answer", "not_yet")],
        "next",
    )
    .await;
    assert_eq!(page.path, "/order/event", "{:?}", page.field_errors());
    let done = step(&v, "/order/event", &[("event.title", "Summit")], "order").await;
    let number = done.text_of("reservation-number").unwrap();
    let look = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(look.body["meeting"]["scheduled"], false);
}

#[actix_web::test]
async fn a_full_slot_offers_three_bookable_times_as_buttons() {
    let app = with_lea().await;
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
            .await
            .status,
        201
    );
    let v = Visitor::new(&app);
    let page = step(&v, "/order", SLOT, "next").await;
    assert_eq!(page.status, 409);
    assert!(page
        .text_of("answer-text")
        .unwrap()
        .starts_with("No producer is free on Wednesday 10 February 2027"));
    let picks = page.actions("pick:");
    assert_eq!(
        picks,
        [
            "pick:2027-02-10T11:30",
            "pick:2027-02-10T12:00",
            "pick:2027-02-10T12:30"
        ]
    );
    // Taking one fills in the date and time; it is free.
    let page = step(&v, "/order", SLOT, &picks[0]).await;
    assert!(page.html.contains("value=\"11:30\""));
    assert_eq!(
        page.text_of("answer-text").unwrap(),
        "A producer is free on Wednesday 10 February 2027, 11:30–12:30 (Europe/Paris)."
    );
    let page = step(&v, "/order", &slot_with(&[("time", "11:30")]), "next").await;
    assert_eq!(page.path, "/order/meeting");
}

#[actix_web::test]
async fn the_calendar_lists_the_same_free_starts_as_the_api() {
    let app = with_lea().await;
    app.order(&order_body("2027-01-20T10:00", "Europe/Paris", 60))
        .await;
    let v = Visitor::new(&app);
    let page = step(
        &v,
        "/order",
        &slot_with(&[("date", ""), ("time", "")]),
        "month:2027-01",
    )
    .await;
    assert_eq!(page.text_of("calendar-month").unwrap(), "January 2027");
    // Inside the lead time and at weekends: greyed (disabled).
    assert!(page.html.contains("value=\"day:2027-01-15\" class=\"day\" data-date=\"2027-01-15\" aria-label=\"Friday 15 January: no free time\" disabled"), "{}", page.html);
    assert!(page
        .html
        .contains("aria-label=\"Saturday 23 January: no free time\" disabled"));
    let page = step(
        &v,
        "/order",
        &slot_with(&[("date", ""), ("time", "")]),
        "day:2027-01-20",
    )
    .await;
    let listed: Vec<String> = page
        .actions("pick:2027-01-20T")
        .iter()
        .map(|p| p.trim_start_matches("pick:2027-01-20T").to_string())
        .collect();
    let api = app
        .get("/api/v1/availability/slots?package=event-standard&from=2027-01-20&to=2027-01-20&time_zone=Europe/Paris&duration_minutes=60")
        .await;
    let expected: Vec<String> =
        serde_json::from_value(api.body["days"][0]["starts"].clone()).unwrap();
    assert_eq!(listed, expected);
    assert!(
        !listed.contains(&"10:00".to_string()),
        "the booked time is not offered"
    );
    assert_eq!(listed.first().map(String::as_str), Some("11:30"));
}

#[actix_web::test]
async fn pages_speak_french_from_the_browser_or_the_switch() {
    let app = with_lea().await;
    let v = Visitor::with_headers(&app, &[("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.5")]);
    let home = v.get("/").await;
    assert!(home.html.contains("<html lang=\"fr\">"));
    assert!(home.html.contains("Comparer les formules"));
    assert!(
        home.html
            .contains("2\u{202f}400,00\u{a0}$US pour 1 h d&#x27;événement en direct"),
        "{}",
        home.html
    );

    // Consultation and rehearsal: hourly, with the seed's 1 h 30 minimum shown.
    assert!(
        home.html.contains("par heure, 1 h 30 au minimum"),
        "{}",
        home.html
    );

    // The switch wins over the browser, and is remembered.
    let en = v.get("/?lang=en").await;
    assert!(en.html.contains("Compare the packages"));
    assert!(
        en.html.contains("150.00 USD per hour, at least 1 h 30 min"),
        "{}",
        en.html
    );
    assert_eq!(v.cookie("greenroom_lang").as_deref(), Some("en"));
    assert!(v.get("/order").await.html.contains("First name"));
    v.get("/order?lang=fr").await;

    let page = step(&v, "/order", &[("date", "")], "next").await;
    assert!(
        page.field_errors().contains(&(
            "contact-first_name".into(),
            "Veuillez renseigner « Prénom ».".into()
        )),
        "{:?}",
        page.field_errors()
    );
    let done = order_through_pages(&v, &slot_with(&[("language", "fr")]), "Lancement").await;
    assert_eq!(
        done.text_of("b-when").unwrap(),
        "mercredi 10 février 2027, 10:00–11:00 (Europe/Paris)"
    );
    assert!(
        done.html.contains("id=\"charges-total\">900,00\u{a0}$US<"),
        "{}",
        done.html
    );
    assert!(done.html.contains(
        "Event Center Standard (CE Standard), 60 minutes d&#x27;événement en direct incluses"
    ));
    // The confirmation e-mail is French too.
    let number = done.text_of("reservation-number").unwrap();
    let look = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(look.body["contact"]["locale"], "fr");
}

#[actix_web::test]
async fn forms_need_the_sessions_token() {
    let app = with_lea().await;
    let v = Visitor::new(&app);
    // No session at all.
    let page = v.post_raw("/order", &[("action", "next")]).await;
    assert_eq!(page.status, 403);
    assert!(page.html.contains("This page has expired"));
    // A session, but another token.
    v.get("/order").await;
    let page = v
        .post_raw(
            "/order",
            &[("csrf", "0".repeat(64).as_str()), ("action", "next")],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(page
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[actix_web::test]
async fn cookies_are_http_only_same_site_and_secure_over_https() {
    let app = spawn_app().await;
    let page = Visitor::new(&app).get("/order").await;
    let cookie = page
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("greenroom_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "{cookie}");
    let csp = page
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(!page.html.contains("<script>"), "no inline script");
    assert!(!page.html.contains(" style=\""), "no inline style");

    let behind_proxy = Visitor::with_headers(&app, &[("X-Forwarded-Proto", "https")]);
    let page = behind_proxy.get("/?lang=fr").await;
    for c in page.headers.get_all("set-cookie") {
        assert!(c.to_str().unwrap().contains("; Secure"), "{c:?}");
    }
}

#[actix_web::test]
async fn customer_text_is_shown_as_text() {
    let app = with_lea().await;
    let v = Visitor::new(&app);
    let done = order_through_pages(&v, SLOT, "<script>alert(1)</script> & <b>co</b>").await;
    assert!(!done.html.contains("<script>alert"), "escaped");
    assert!(done
        .html
        .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;"));
    // The number given in a link is only ever text in a field.
    let page = v
        .get("/manage?number=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
        .await;
    assert!(!page.html.contains("<script>alert"));
    assert!(page.html.contains("value=\"scriptalert1script\""));
}

#[actix_web::test]
async fn a_customer_finds_moves_and_cancels_with_plain_forms() {
    let app = with_lea().await;
    let number = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await
        .body["reservation_number"]
        .as_str()
        .unwrap()
        .to_string();
    app.order(&order_body("2027-02-11T10:00", "Europe/Paris", 60))
        .await;
    let v = Visitor::new(&app);

    // The e-mail's link fills in the number; a wrong e-mail finds nothing.
    let find = v.get(&format!("/manage?number={number}")).await;
    assert!(find.html.contains(&format!("value=\"{number}\"")));
    let page = v
        .post(
            "/manage",
            &[
                ("reservation_number", &number),
                ("email", "eve@example.com"),
            ],
        )
        .await;
    assert_eq!(page.status, 404);
    assert!(page.field_errors()[0].1.starts_with("No booking matches"));

    let page = v
        .post(
            "/manage",
            &[
                ("reservation_number", &number.to_lowercase()),
                ("email", "ANA.SOUZA@example.com"),
            ],
        )
        .await;
    assert_eq!(page.path, "/manage/booking");
    assert_eq!(
        page.text_of("b-producer").unwrap(),
        "Lea Martin <lea.martin@producers.example> (joins at 09:30)"
    );
    assert!(page.text_of("history").unwrap().contains("Booked."));

    // A busy time: three others, as buttons.
    let page = v
        .post(
            "/manage/change",
            &[
                ("date", "2027-02-11"),
                ("time", "10:00"),
                ("action", "check"),
            ],
        )
        .await;
    assert_eq!(page.status, 409);
    let picks = page.actions("pick:");
    assert_eq!(picks.len(), 3, "{picks:?}");
    assert_eq!(picks[0], "pick:2027-02-11T11:30");
    let page = v
        .post(
            "/manage/change",
            &[
                ("date", "2027-02-11"),
                ("time", "10:00"),
                ("action", &picks[0]),
            ],
        )
        .await;
    assert_eq!(page.path, "/manage/update");
    assert_eq!(
        page.text_of("new-time").unwrap(),
        "Thursday 11 February 2027, 11:30–12:30 (Europe/Paris)"
    );
    // Nothing moved before the question is answered.
    let look = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(look.body["start"], "2027-02-10T10:00:00+01:00");
    // No directory configured: no offer to move the meeting for the customer.
    assert!(!page.html.contains("move_for_me"));
    let page = v.post("/manage/update", &[("action", "confirm")]).await;
    assert_eq!(page.status, 422, "an answer is needed");
    let page = v
        .post(
            "/manage/update",
            &[("meeting_moved", "no"), ("action", "confirm")],
        )
        .await;
    assert_eq!(page.path, "/manage/changed");
    assert_eq!(
        page.text_of("old-time").unwrap(),
        "Wednesday 10 February 2027, 10:00–11:00 (Europe/Paris)"
    );
    assert_eq!(
        page.text_of("new-time").unwrap(),
        "Thursday 11 February 2027, 11:30–12:30 (Europe/Paris)"
    );
    assert!(page
        .text_of("meeting-note")
        .unwrap()
        .contains("Remember to move the meeting on acme.webex.com"));
    let look = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(look.body["start"], "2027-02-11T11:30:00+01:00");

    // Cancel: the fee first; No keeps it; Yes cancels.
    let page = v.get("/manage/cancel").await;
    assert_eq!(page.text_of("fee-amount").unwrap(), "0.00 USD");
    let page = v.post("/manage/cancel", &[("action", "no")]).await;
    assert_eq!(page.path, "/manage/booking");
    assert_eq!(page.text_of("b-status").unwrap(), "Confirmed");
    let page = v
        .post(
            "/manage/cancel",
            &[("action", "yes"), ("reason", "Postponed")],
        )
        .await;
    assert_eq!(page.path, "/manage/cancelled");
    assert_eq!(
        page.text_of("cancelled-message").unwrap(),
        "The booking is cancelled. Cancellation fee: 0.00 USD (0%)."
    );
    let page = v.get("/manage/booking").await;
    assert_eq!(page.text_of("b-status").unwrap(), "Cancelled");
    assert!(!page.html.contains("id=\"cancel-link\""));
}

#[actix_web::test]
async fn guessing_numbers_on_the_manage_page_is_throttled() {
    let app = spawn(Options {
        tweak: Some(|s| s.failed_attempts_per_minute = 3),
        ..Options::default()
    })
    .await;
    let v = Visitor::new(&app);
    let mut statuses = vec![];
    for i in 0..5 {
        let n = format!("AAAAA-AAAA{i}");
        statuses.push(
            v.post(
                "/manage",
                &[("reservation_number", &n), ("email", "eve@example.com")],
            )
            .await
            .status,
        );
    }
    assert_eq!(statuses, [404, 404, 404, 429, 429]);
}

#[actix_web::test]
async fn a_browser_at_an_unknown_address_gets_a_page_and_a_client_a_problem() {
    let app = spawn_app().await;
    let page = Visitor::with_headers(
        &app,
        &[("Accept", "text/html,*/*"), ("Accept-Language", "fr")],
    )
    .get("/prices")
    .await;
    assert_eq!(page.status, 404);
    assert!(page.html.contains("Page introuvable"), "{}", page.html);
    let api = app.get("/prices").await;
    assert_eq!(api.status, 404);
    assert_eq!(
        api.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let wrong_method = app
        .request(
            "DELETE",
            "/api/v1/packages",
            None,
            None,
            &[("Accept", "text/html")],
        )
        .await;
    assert_eq!(wrong_method.status, 405);
}

#[actix_web::test]
async fn a_customer_picks_session_times_with_plain_forms() {
    let app = with_lea().await;
    let mut body = order_body("2027-02-10T14:00", "Europe/Paris", 60);
    body["extensions"] = json!([{"id": "rehearsal", "quantity": 1}]);
    let number = app.order(&body).await.body["reservation_number"]
        .as_str()
        .unwrap()
        .to_string();
    // Lea is busy on 8 February from 10:00 to 11:30.
    let other = app
        .order(&order_body("2027-02-08T10:30", "Europe/Paris", 60))
        .await;
    assert_eq!(other.status, 201, "{}", other.body);
    let v = Visitor::new(&app);
    let page = v
        .post(
            "/manage",
            &[
                ("reservation_number", &number),
                ("email", "ana.souza@example.com"),
            ],
        )
        .await;
    assert_eq!(page.path, "/manage/booking");
    assert_eq!(
        page.text_of("b-sessions").unwrap(),
        "Scheduling call (15 min): To be scheduledRehearsal (1 h): To be scheduled"
    );
    assert!(page.html.contains("href=\"/manage/sessions\""));

    // Over the other booking: refused, with Lea's next free times as buttons.
    let page = v
        .post(
            "/manage/sessions",
            &[
                ("session", "rehearsal"),
                ("date", "2027-02-08"),
                ("time", "10:00"),
                ("action", "schedule"),
            ],
        )
        .await;
    assert_eq!(page.status, 409);
    assert_eq!(
        page.field_errors(),
        [(
            "rehearsal-date".to_string(),
            "Your producer is not free then. Pick one of the times below, or another time."
                .to_string()
        )]
    );
    assert_eq!(
        page.actions("pick:"),
        [
            "pick:2027-02-08T11:30",
            "pick:2027-02-08T11:45",
            "pick:2027-02-08T12:00"
        ]
    );
    let page = v
        .post(
            "/manage/sessions",
            &[
                ("session", "rehearsal"),
                ("action", "pick:2027-02-08T11:30"),
            ],
        )
        .await;
    assert_eq!(page.path, "/manage/sessions?done=saved");
    assert_eq!(
        page.text_of("sessions-notice").unwrap(),
        "Saved. You and your producer get an e-mail with a calendar invitation."
    );
    assert_eq!(
        page.text_of("session-rehearsal-when").unwrap(),
        "Monday 8 February 2027, 11:30–12:30"
    );
    // Too soon, and after the producer starts preparing: said in plain words.
    for (date, time, message) in [
        ("2027-01-04", "12:00", "A session starts at least 24 hours from now: pick a later time."),
        ("2027-02-10", "13:20", "A session ends before your producer starts preparing the event (at 13:30): pick an earlier time."),
    ] {
        let page = v
            .post(
                "/manage/sessions",
                &[
                    ("session", "scheduling-call"),
                    ("date", date),
                    ("time", time),
                    ("action", "schedule"),
                ],
            )
            .await;
        assert_eq!(page.status, 422, "{date} {time}: {}", page.path);
        assert_eq!(
            page.field_errors(),
            [("scheduling-call-date".to_string(), message.to_string())]
        );
    }
    // Taken off the schedule.
    let page = v
        .post(
            "/manage/sessions",
            &[("session", "rehearsal"), ("action", "remove")],
        )
        .await;
    assert_eq!(page.path, "/manage/sessions?done=removed");
    assert_eq!(
        page.text_of("session-rehearsal-when").unwrap(),
        "To be scheduled"
    );
    let page = v.get("/manage/booking").await;
    let history = page.text_of("history").unwrap();
    assert!(
        history.contains("Rehearsal set for Monday 8 February 2027, 11:30–12:30.")
            && history.contains(
                "Rehearsal of Monday 8 February 2027, 11:30–12:30 taken off the schedule."
            ),
        "{history}"
    );
}

#[actix_web::test]
async fn step_three_picks_the_included_scheduling_call() {
    let app = with_lea().await;
    let v = Visitor::new(&app);
    let page = step(&v, "/order", SLOT, "next").await;
    assert_eq!(page.path, "/order/meeting");
    let page = step(
        &v,
        "/order/meeting",
        &[("meeting.answer", "someone_else")],
        "next",
    )
    .await;
    assert_eq!(page.path, "/order/event");
    // Event Center Standard includes the 15-minute scheduling call.
    assert!(page.html.contains("id=\"pick-scheduling-call\""));
    assert!(page.html.contains("name=\"session.scheduling-call.date\""));
    // After the producer starts preparing (09:30): refused next to the session's date.
    let title = ("event.title", "Launch");
    let page = step(
        &v,
        "/order/event",
        &[
            title,
            ("session.scheduling-call.date", "2027-02-10"),
            ("session.scheduling-call.time", "09:30"),
        ],
        "order",
    )
    .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.field_errors(),
        [(
            "session-scheduling-call-date".to_string(),
            "A session ends before your producer starts preparing the event (at 09:30): pick an earlier time."
                .to_string()
        )]
    );
    assert!(
        page.html.contains("value=\"09:30\""),
        "what was typed is kept"
    );
    let page = step(
        &v,
        "/order/event",
        &[
            title,
            ("session.scheduling-call.date", "2027-02-09"),
            ("session.scheduling-call.time", "16:00"),
        ],
        "order",
    )
    .await;
    assert_eq!(
        page.path,
        "/order/confirmation",
        "{:?}",
        page.field_errors()
    );
    let number = page.text_of("reservation-number").unwrap();
    let found = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["sessions"][0]["name"], "scheduling-call");
    assert_eq!(
        found.body["sessions"][0]["start"],
        "2027-02-09T16:00:00+01:00"
    );
}
