//! E-mail: every message's content, the calendar part parsed back, and delivery that
//! survives an SMTP outage and a restart without losing or doubling a message.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use icalendar::{Calendar, Component};
use serde_json::json;

use crate::helpers::{order_body, producer, spawn, weekdays, Options, TestApp};
use crate::smtp::{Received, SmtpServer};

async fn app_with_smtp(smtp: &SmtpServer) -> TestApp {
    spawn(Options {
        smtp_url: Some(smtp.url()),
        ..Options::default()
    })
    .await
}

fn to(m: &Received) -> &str {
    m.to.first().map(String::as_str).unwrap_or("")
}

fn calendar(m: &Received) -> Calendar {
    let ics = m.part("text/calendar").expect("a calendar part");
    Calendar::from_str(&ics).expect("the calendar parses")
}

struct Ics {
    method: String,
    uid: String,
    sequence: u32,
    start: String,
}

fn ics_of(m: &Received) -> Ics {
    let cal = calendar(m);
    let ev = cal.events().next().expect("one event");
    Ics {
        method: cal.property_value("METHOD").unwrap_or("").to_string(),
        uid: ev.get_uid().unwrap().to_string(),
        sequence: ev.get_sequence().unwrap_or(0),
        start: ev.property_value("DTSTART").unwrap_or("").to_string(),
    }
}

#[actix_web::test]
async fn order_change_and_cancel_tell_the_contact_and_the_producer() {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(&smtp).await;
    app.add_producer(producer(
        "Kenji Mori",
        "Asia/Tokyo",
        &["en", "ja"],
        weekdays("09:00", "18:00"),
    ))
    .await;
    // The customer is in Paris; Kenji works in Tokyo (Paris 02:00 = Tokyo 10:00 in February).
    let mut body = order_body("2027-02-10T02:00", "Europe/Paris", 90);
    body["event"]["comments"] = json!("Two presenters");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let number = r.body["reservation_number"].as_str().unwrap().to_string();

    let got = smtp.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    let contact = got
        .iter()
        .find(|m| to(m) == "Ana.Souza@Example.com")
        .expect("the contact's confirmation");
    let prod = got
        .iter()
        .find(|m| to(m) == "kenji.mori@producers.example")
        .expect("the producer's assignment");
    assert!(contact
        .header("Subject")
        .starts_with("Booking confirmed: Quarterly all-hands"));
    assert_eq!(
        contact.from, "bookings@greenroom.localhost",
        "the envelope sender"
    );
    let text = contact.part("text/plain").unwrap();
    for needle in [
        number.as_str(),
        "Event Center Standard (CE Standard)",
        "Wednesday 10 February 2027",
        "02:00 to 03:30 CET (Europe/Paris)",
        "1 h 30 min",
        "Kenji Mori <kenji.mori@producers.example>",
        "joins at 01:30",
        "Total: 1,100.00 USD",
        "Actual charges are at your contract rate",
        "14 days or more before the start: 0% of the standard charges (0.00 USD)",
        "from 14 days to 48 hours before the start: 50% of the standard charges (550.00 USD)",
        "less than 48 hours before the start (or after it): 100% of the standard charges (1,100.00 USD)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // The link opens the manage page with the number filled in.
    assert!(
        text.contains(&format!("https://greenroom.example/manage?number={number}")),
        "{text}"
    );
    let html = contact.part("text/html").unwrap();
    assert!(html.contains(&number) && html.contains("1,100.00 USD"));
    let ptext = prod.part("text/plain").unwrap();
    for needle in [
        "Wednesday 10 February 2027",
        "09:30 to 11:30 JST (Asia/Tokyo)",
        "event starts at 10:00",
        "02:00 to 03:30 CET (Europe/Paris)",
        "host ID acme-host-1",
        "Two presenters",
        "+1 555 010 2000",
    ] {
        assert!(ptext.contains(needle), "missing {needle:?} in:\n{ptext}");
    }
    let c1 = ics_of(contact);
    assert_eq!((c1.method.as_str(), c1.sequence), ("REQUEST", 0));
    assert_eq!(c1.start, "20270210T010000Z");
    let p1 = ics_of(prod);
    assert_eq!(
        p1.start, "20270210T003000Z",
        "the producer's calendar holds their whole window"
    );
    assert_ne!(p1.uid, c1.uid);

    // Change the date and time: both are told, with the old and the new.
    let r = app
        .post(
            &format!("/api/v1/bookings/{number}/reschedule"),
            &json!({"email": "ana.souza@example.com", "start": "2027-02-11T03:00"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = smtp.wait_for(4, Duration::from_secs(10)).await;
    let moved_contact = got[2..]
        .iter()
        .find(|m| to(m) == "Ana.Souza@Example.com")
        .unwrap();
    let moved_prod = got[2..]
        .iter()
        .find(|m| to(m) == "kenji.mori@producers.example")
        .unwrap();
    let text = moved_contact.part("text/plain").unwrap();
    assert!(
        text.contains("Before: Wednesday 10 February 2027, 02:00 to 03:30 CET"),
        "{text}"
    );
    assert!(
        text.contains("Now:    Thursday 11 February 2027, 03:00 to 04:30 CET"),
        "{text}"
    );
    assert!(moved_prod.header("Subject").starts_with("Moved:"));
    let c2 = ics_of(moved_contact);
    assert_eq!(
        (c2.method.as_str(), c2.uid.as_str(), c2.sequence),
        ("REQUEST", c1.uid.as_str(), 1)
    );
    let p2 = ics_of(moved_prod);
    assert_eq!((p2.uid.as_str(), p2.sequence), (p1.uid.as_str(), 1));

    // Cancel: the fee, and CANCEL for both calendars.
    app.clock.set(crate::helpers::utc("2027-02-05T03:00:00Z")); // 6 days before: 50 %
    let r = app
        .post(
            &format!("/api/v1/bookings/{number}/cancel"),
            &json!({"email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let got = smtp.wait_for(6, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 6);
    let cancelled = got[4..]
        .iter()
        .find(|m| to(m) == "Ana.Souza@Example.com")
        .unwrap();
    let released = got[4..]
        .iter()
        .find(|m| to(m) == "kenji.mori@producers.example")
        .unwrap();
    let text = cancelled.part("text/plain").unwrap();
    assert!(
        text.contains("Cancellation fee: 550.00 USD (50% of the standard charges of 1,100.00 USD"),
        "{text}"
    );
    assert!(released.header("Subject").starts_with("Released:"));
    let c3 = ics_of(cancelled);
    assert_eq!(
        (c3.method.as_str(), c3.uid.as_str()),
        ("CANCEL", c1.uid.as_str())
    );
    assert!(c3.sequence > c2.sequence);
    let p3 = ics_of(released);
    assert_eq!(
        (p3.method.as_str(), p3.uid.as_str()),
        ("CANCEL", p1.uid.as_str())
    );
    // And an attachment for programs that do not read the inline part.
    assert!(cancelled.data.contains("invite.ics"));
}

#[actix_web::test]
async fn a_new_producer_is_assigned_and_the_old_one_released() {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(&smtp).await;
    app.add_producer(producer(
        "Ann First",
        "UTC",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    let r = app
        .order(&order_body("2027-02-10T10:00:00Z", "UTC", 60))
        .await;
    let number = r.body["reservation_number"].as_str().unwrap().to_string();
    app.order(&order_body("2027-02-11T10:00:00Z", "UTC", 60))
        .await;
    app.add_producer(producer(
        "Bob Second",
        "UTC",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    smtp.wait_for(4, Duration::from_secs(10)).await;
    let r = app
        .post(
            &format!("/api/v1/bookings/{number}/reschedule"),
            &json!({"email": "ana.souza@example.com", "start": "2027-02-11T10:00:00Z"}),
        )
        .await;
    assert_eq!(r.body["booking"]["producer"]["name"], "Bob Second");
    let got = smtp.wait_for(7, Duration::from_secs(10)).await;
    let last: Vec<(String, String)> = got[4..]
        .iter()
        .map(|m| (to(m).to_string(), m.header("Subject")))
        .collect();
    assert!(
        last.iter()
            .any(|(t, s)| t == "ann.first@producers.example" && s.starts_with("Released:")),
        "{last:?}"
    );
    assert!(
        last.iter()
            .any(|(t, s)| t == "bob.second@producers.example" && s.starts_with("New assignment:")),
        "{last:?}"
    );
    assert!(
        last.iter()
            .any(|(t, s)| t == "Ana.Souza@Example.com" && s.starts_with("Booking moved:")),
        "{last:?}"
    );
}

#[actix_web::test]
async fn french_contacts_get_french_mail() {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(&smtp).await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en", "fr"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    body["contact"]["locale"] = json!("fr");
    assert_eq!(app.order(&body).await.status, 201);
    let got = smtp.wait_for(2, Duration::from_secs(10)).await;
    let m = got
        .iter()
        .find(|m| to(m) == "Ana.Souza@Example.com")
        .unwrap();
    assert!(
        m.header("Subject").starts_with("Réservation confirmée"),
        "{}",
        m.header("Subject")
    );
    let text = m.part("text/plain").unwrap();
    for needle in [
        "Bonjour Ana",
        "mercredi 10 février 2027",
        "de 10:00 à 11:00 CET (Europe/Paris)",
        "taux contractuel",
        "de 48 heures à 14 jours avant le début : 50 %",
        // The charge lines and the money are French too.
        "Event Center Standard (CE Standard), 60 minutes d'événement en direct incluses : 900,00\u{a0}$US",
        "Total : 900,00\u{a0}$US",
        "(450,00\u{a0}$US)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[actix_web::test]
async fn customer_text_is_escaped_in_html() {
    let smtp = SmtpServer::start();
    let app = app_with_smtp(&smtp).await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let mut body = order_body("2027-02-10T10:00", "Europe/Paris", 60);
    body["event"]["title"] = json!("<script>alert('x')</script> & <b>bold</b>");
    // Names are plain words: markup and links in them are refused at the door.
    body["contact"]["first_name"] = json!("<img src=x onerror=alert(1)>");
    let refused = app.order(&body).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.field_errors(),
        [(
            "contact.first_name".to_string(),
            "invalid_format".to_string()
        )]
    );
    body["contact"]["first_name"] = json!("Ana \"A&B\" O'Neil");
    assert_eq!(app.order(&body).await.status, 201);
    let got = smtp.wait_for(2, Duration::from_secs(10)).await;
    let m = got
        .iter()
        .find(|m| to(m) == "Ana.Souza@Example.com")
        .unwrap();
    let html = m.part("text/html").unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<img src=x") && !html.contains("<b>bold"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;")
            && html.contains("&amp; &lt;b&gt;bold")
            && html.contains("Ana &quot;A&amp;B&quot; O&#x27;Neil"),
        "{html}"
    );
    // The plain-text part shows the text as typed.
    assert!(m
        .part("text/plain")
        .unwrap()
        .contains("<script>alert('x')</script> & <b>bold</b>"));
}

#[actix_web::test]
async fn without_smtp_mail_is_written_as_eml_files() {
    let app = spawn(Options::default()).await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
            .await
            .status,
        201
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let files = loop {
        let files: Vec<_> = std::fs::read_dir(&app.outbox_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        if files.len() >= 2 || std::time::Instant::now() > deadline {
            break files;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(files.len(), 2);
    let all: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert!(all.contains("Subject: Booking confirmed") && all.contains("BEGIN:VCALENDAR"));
    assert_eq!(
        app.outbox_counts_when_sent(2).await,
        json!({"pending": 0, "sent": 2, "failed": 0})
    );
}

#[actix_web::test]
async fn an_operator_folder_overrides_templates() {
    let dir = crate::helpers::temp_dir("templates");
    std::fs::create_dir_all(dir.join("booking_confirmed")).unwrap();
    std::fs::write(
        dir.join("booking_confirmed/subject.en.hbs"),
        "ACME bookings: {{reservation_number}}",
    )
    .unwrap();
    let smtp = SmtpServer::start();
    let app = spawn(Options {
        smtp_url: Some(smtp.url()),
        email_templates_dir: Some(dir.clone()),
        ..Options::default()
    })
    .await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let r = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    let got = smtp.wait_for(2, Duration::from_secs(10)).await;
    let m = got
        .iter()
        .find(|m| to(m) == "Ana.Souza@Example.com")
        .unwrap();
    assert_eq!(
        m.header("Subject"),
        format!(
            "ACME bookings: {}",
            r.body["reservation_number"].as_str().unwrap()
        )
    );
    // A template that does not compile stops the service at start, with its name.
    std::fs::write(
        dir.join("booking_confirmed/subject.en.hbs"),
        "{{#if}} broken",
    )
    .unwrap();
    let (_db, url) = crate::helpers::TestDb::create();
    let settings = crate::helpers::settings_for(
        &Options {
            email_templates_dir: Some(dir.clone()),
            ..Options::default()
        },
        &url,
        &app.clock,
        &app.outbox_dir,
    );
    let err = greenroom::Application::build(settings)
        .err()
        .expect("a broken template is refused");
    assert!(
        format!("{err:#}").contains("booking_confirmed/subject.en.hbs"),
        "{err:#}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// SMTP is down while 20 orders are placed; the orders all succeed. The instance is
/// restarted (its messages are rows, not memory), SMTP comes back, and every message,
/// the contacts' and the producers', arrives exactly once.
#[actix_web::test]
async fn smtp_outage_and_restart_lose_and_double_nothing() {
    let smtp = SmtpServer::stopped();
    let first = app_with_smtp(&smtp).await;
    first
        .add_producer(producer(
            "Pat One",
            "UTC",
            &["en"],
            weekdays("06:00", "20:00"),
        ))
        .await;
    first
        .add_producer(producer(
            "Sam Two",
            "UTC",
            &["en"],
            weekdays("06:00", "20:00"),
        ))
        .await;
    for i in 0..20 {
        let start = format!("2027-02-{:02}T{:02}:00:00Z", 8 + i / 5, 8 + 2 * (i % 5));
        let r = first.order(&order_body(&start, "UTC", 60)).await;
        assert_eq!(
            r.status, 201,
            "an e-mail failure never fails the booking: {}",
            r.body
        );
    }
    // Wait until the worker has tried and failed on every message.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let outbox = loop {
        let outbox = first
            .get_as(&first.admin, "/api/v1/outbox?status=pending&limit=1000")
            .await;
        let all_tried = outbox.body["items"].as_array().is_some_and(|items| {
            items.len() == 40 && items.iter().all(|m| m["attempts"].as_i64() > Some(0))
        });
        if all_tried || std::time::Instant::now() > deadline {
            break outbox;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(outbox.body["counts"]["pending"], 40, "{}", outbox.body);
    assert!(outbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["attempts"].as_i64().unwrap() > 0 && m["last_error"].is_string()));
    assert!(smtp.received().is_empty());

    // Restart: the first instance goes away, a new one opens the same database.
    let database_url = first.database_url.clone();
    first.state.services.outbox.stop();
    let second = spawn(Options {
        smtp_url: Some(smtp.url()),
        database_url: Some(database_url),
        ..Options::default()
    })
    .await;
    smtp.resume();
    let got = smtp.wait_for(40, Duration::from_secs(30)).await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let got_after = smtp.received();
    assert_eq!(got.len(), 40);
    assert_eq!(got_after.len(), 40, "nothing is sent twice");
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for m in &got_after {
        *by_id.entry(m.header("Message-ID")).or_default() += 1;
    }
    assert_eq!(by_id.len(), 40);
    let contacts = got_after
        .iter()
        .filter(|m| to(m) == "Ana.Souza@Example.com")
        .count();
    assert_eq!(contacts, 20);
    assert_eq!(
        second.outbox_counts_when_sent(40).await,
        json!({"pending": 0, "sent": 40, "failed": 0})
    );
    drop(first);
}

#[actix_web::test]
async fn smtp_credentials_from_the_url_are_used() {
    let smtp = SmtpServer::start();
    let url = format!("smtp://mailer:s3cret@127.0.0.1:{}", smtp.port);
    let app = spawn(Options {
        smtp_url: Some(url),
        ..Options::default()
    })
    .await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    assert_eq!(
        app.order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
            .await
            .status,
        201
    );
    let got = smtp.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    assert!(
        got.iter()
            .all(|m| m.auth.as_deref() == Some("mailer:s3cret")),
        "{:?}",
        got.iter().map(|m| &m.auth).collect::<Vec<_>>()
    );
}
