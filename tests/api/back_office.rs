//! The back office's schedule: the picture checked against the data (rows, columns, two
//! zones, a clock change), the month's shading, and who may see which rows.

use chrono::{Datelike, NaiveDate};
use serde_json::json;

use crate::helpers::{order_body, producer, weekdays, TestApp};
use crate::staff_pages::{app_now, member};

/// The attribute `name` of the first element after `from` in `svg` that starts with
/// `tag`.
fn attr_after(svg: &str, from: usize, tag: &str, name: &str) -> f64 {
    let at = from
        + svg[from..]
            .find(tag)
            .unwrap_or_else(|| panic!("{tag} after {from}"));
    let end = at + svg[at..].find('>').unwrap();
    let element = &svg[at..end];
    let key = format!(" {name}=\"");
    let v = element
        .split(&key)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    v.parse().unwrap()
}

/// (x, y, width, preparation width) of the block of booking `number`.
fn block_of(html: &str, number: &str) -> (f64, f64, f64, f64) {
    let at = html
        .find(&format!("<a href=\"/staff/bookings/{number}\""))
        .unwrap_or_else(|| panic!("no block for {number}"));
    (
        attr_after(html, at, "<rect class=\"block", "x"),
        attr_after(html, at, "<rect class=\"block", "y"),
        attr_after(html, at, "<rect class=\"block", "width"),
        attr_after(html, at, "<rect class=\"prep", "width"),
    )
}

/// The y of the row named `name`.
fn row_of(html: &str, name: &str) -> f64 {
    let at = html
        .find(&format!(">{name}</text>"))
        .unwrap_or_else(|| panic!("no row for {name}"));
    let start = html[..at].rfind("<text class=\"name\"").unwrap();
    attr_after(html, start, "<text class=\"name\"", "y") - 20.0
}

fn svg_width(html: &str) -> f64 {
    attr_after(html, html.find("<svg").unwrap(), "<svg", "width")
}

async fn order(app: &TestApp, start: &str, zone: &str, minutes: i64) -> String {
    let r = app.order(&order_body(start, zone, minutes)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["reservation_number"].as_str().unwrap().to_string()
}

fn every_day(start: &str, end: &str) -> serde_json::Value {
    json!([
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday"
    ]
    .iter()
    .map(|d| json!({"weekday": d, "start": start, "end": end}))
    .collect::<Vec<_>>())
}

#[actix_web::test]
async fn the_picture_puts_each_booking_in_its_producers_row_and_hours_in_two_zones_across_a_clock_change(
) {
    let app = app_now().await;
    app.add_producer(producer(
        "Ada",
        "Europe/Paris",
        &["en"],
        every_day("08:00", "20:00"),
    ))
    .await;
    app.add_producer(producer(
        "Kenji",
        "America/New_York",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    // Sunday 28 March 2027, the day Paris goes from 02:00 to 03:00: only Ada works.
    let sunday = order(&app, "2027-03-28T10:00:00+02:00", "Europe/Paris", 60).await;
    // Monday 29 March, 10:00 in New York (14:00 UTC): Ada works until 18:00 UTC, Kenji
    // from 13:00 UTC; the second order of the same hour must go to the other one.
    let monday_1 = order(&app, "2027-03-29T10:00:00-04:00", "America/New_York", 60).await;
    let monday_2 = order(&app, "2027-03-29T10:00:00-04:00", "America/New_York", 60).await;
    let v = member(
        &app,
        "sam@example.com",
        "Sam Scheduler",
        "scheduler",
        "correct horse battery",
    )
    .await;

    // The day in Paris: 23 hours wide, 40 px an hour after 190 px of names.
    let page = v
        .get("/staff/schedule?view=day&date=2027-03-28&time_zone=Europe/Paris")
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(svg_width(&page.html), 190.0 + 23.0 * 40.0);
    let (x, y, w, prep) = block_of(&page.html, &sunday);
    // The window opens at 09:30 local, 07:30 UTC: 8.5 real hours after midnight (23:00 UTC).
    assert_eq!((x, w, prep), (190.0 + 8.5 * 40.0, 1.5 * 40.0, 20.0));
    assert_eq!(y, row_of(&page.html, "Ada") + 8.0);

    // The same day in New York (UTC-4 since 14 March): midnight is 04:00 UTC, 24 hours.
    let page = v
        .get("/staff/schedule?view=day&date=2027-03-28&time_zone=America%2FNew_York")
        .await;
    assert_eq!(svg_width(&page.html), 190.0 + 24.0 * 40.0);
    let (x, _, _, _) = block_of(&page.html, &sunday);
    assert_eq!(x, 190.0 + 3.5 * 40.0);

    // Monday in New York: both producers, one block each at 09:30 local.
    let page = v
        .get("/staff/schedule?view=day&date=2027-03-29&time_zone=America/New_York")
        .await;
    let (x1, y1, _, _) = block_of(&page.html, &monday_1);
    let (x2, y2, _, _) = block_of(&page.html, &monday_2);
    assert_eq!((x1, x2), (190.0 + 9.5 * 40.0, 190.0 + 9.5 * 40.0));
    let rows = [
        row_of(&page.html, "Ada") + 8.0,
        row_of(&page.html, "Kenji") + 8.0,
    ];
    assert!(
        rows.contains(&y1) && rows.contains(&y2) && y1 != y2,
        "{y1} {y2} {rows:?}"
    );

    // The week in Paris (Monday 22 to Sunday 28 March: 167 hours at 7 px): Sunday's
    // block sits 6 days and 8.5 hours after Monday's midnight, less the lost hour.
    let page = v
        .get("/staff/schedule?view=week&date=2027-03-25&time_zone=Europe/Paris")
        .await;
    assert_eq!(svg_width(&page.html), 190.0 + 167.0 * 7.0);
    let (x, _, _, _) = block_of(&page.html, &sunday);
    assert_eq!(x, 190.0 + (6.0 * 24.0 + 8.5) * 7.0);
    // Monday's bookings are in the next week, not this one.
    assert!(!page.html.contains(&monday_1));

    // A block opens its booking, with who did what.
    let booking = v.get(&format!("/staff/bookings/{sunday}")).await;
    assert_eq!(booking.status, 200);
    assert!(booking.html.contains("Ada"), "{}", booking.html);
    assert!(booking.text_of("history").unwrap().contains("the customer"));
}

#[actix_web::test]
async fn the_month_shades_days_by_free_working_time_and_producers_see_only_their_row() {
    let app = app_now().await;
    app.add_producer(producer(
        "Ada",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    app.add_producer(producer(
        "Kenji",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    // Two 3.5-hour windows on Monday 1 March 2027 (each 3 h + 30 min preparation): 7 of
    // the day's 16 working hours are taken.
    let a = order(&app, "2027-03-01T10:00:00+01:00", "Europe/Paris", 180).await;
    let b = order(&app, "2027-03-01T10:00:00+01:00", "Europe/Paris", 180).await;
    let v = member(
        &app,
        "sam@example.com",
        "Sam Scheduler",
        "scheduler",
        "correct horse battery",
    )
    .await;
    let page = v
        .get("/staff/schedule?view=month&date=2027-03-10&time_zone=Europe/Paris")
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let cell = |date: &str| {
        let at = page.html.find(&format!("data-date=\"{date}\"")).unwrap();
        let td = page.html[..at].rfind("<td").unwrap();
        page.html[td..at + 400].to_string()
    };
    // 9 of 16 hours free: 56 %, two bookings.
    assert!(
        cell("2027-03-01").contains("56% of working time free, 2 bookings"),
        "{}",
        cell("2027-03-01")
    );
    assert!(cell("2027-03-01").starts_with("<td class=\"cap-2\""));
    assert!(cell("2027-03-02").contains("100% of working time free"));
    assert!(cell("2027-03-06").contains("nobody works"));

    // Kenji, a producer, sees his own row only, and not the other's booking.
    let kenji = member(
        &app,
        "kenji@producers.example",
        "Kenji",
        "producer",
        "another good password",
    )
    .await;
    let page = kenji
        .get("/staff/schedule?view=day&date=2027-03-01&time_zone=Europe/Paris")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains(">Kenji</text>"));
    assert!(!page.html.contains(">Ada</text>"));
    let (mine, theirs) = if page.html.contains(&a) {
        (&a, &b)
    } else {
        (&b, &a)
    };
    assert!(!page.html.contains(theirs.as_str()));
    assert_eq!(
        kenji.get(&format!("/staff/bookings/{mine}")).await.status,
        200
    );
    assert_eq!(
        kenji.get(&format!("/staff/bookings/{theirs}")).await.status,
        404
    );

    // A member who is not on the roster is told so.
    let other = member(
        &app,
        "pat@example.com",
        "Pat",
        "producer",
        "yet another password",
    )
    .await;
    let page = other.get("/staff/schedule").await;
    assert!(page.text_of("no-row").is_some());

    // Bad choices are named, and the page still shows.
    let page = v
        .get("/staff/schedule?view=year&date=2027-13-01&time_zone=Mars/Olympus")
        .await;
    assert_eq!(page.status, 422);
    let fields: Vec<String> = page.field_errors().into_iter().map(|(f, _)| f).collect();
    assert!(
        fields.contains(&"time_zone".to_string()) && fields.contains(&"date".to_string()),
        "{fields:?}"
    );

    // Without a session, the sign-in page.
    let stranger = crate::helpers::Visitor::new(&app);
    assert_eq!(stranger.get("/staff/schedule").await.path, "/staff");
}

/// The subject and plain text of every message sent to `to`.
fn mail_to(app: &TestApp, to: &str) -> Vec<(String, String)> {
    crate::hardening::eml_files(app)
        .iter()
        .filter_map(|eml| {
            let parsed = mailparse::parse_mail(eml.as_bytes()).unwrap();
            let headers = &parsed.headers;
            let to_header = headers
                .iter()
                .find(|h| h.get_key_ref().eq_ignore_ascii_case("to"))?
                .get_value();
            if !to_header.to_lowercase().contains(&to.to_lowercase()) {
                return None;
            }
            let subject = headers
                .iter()
                .find(|h| h.get_key_ref().eq_ignore_ascii_case("subject"))?
                .get_value();
            fn text(p: &mailparse::ParsedMail<'_>) -> Option<String> {
                if p.ctype.mimetype == "text/plain" {
                    return p.get_body().ok();
                }
                p.subparts.iter().find_map(text)
            }
            Some((subject, text(&parsed).unwrap_or_default()))
        })
        .collect()
}

#[actix_web::test]
async fn the_desk_finds_moves_reassigns_confirms_a_language_and_cancels_with_a_waived_fee() {
    let app = app_now().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en", "fr"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    // German asked for; nobody speaks it yet: Lea takes it, the language to be confirmed.
    let mut body = order_body("2027-03-01T10:00:00+01:00", "Europe/Paris", 60);
    body["company"] = json!("Globex Partners");
    body["event"]["language"] = json!("de");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let number = r.body["reservation_number"].as_str().unwrap().to_string();
    let greta = app
        .add_producer(producer(
            "Greta",
            "Europe/Berlin",
            &["de", "en"],
            weekdays("08:00", "18:00"),
        ))
        .await;
    let v = member(
        &app,
        "sam@example.com",
        "Sam Scheduler",
        "scheduler",
        "correct horse battery",
    )
    .await;

    // Found by part of the company in another case, by the contact's e-mail, by number,
    // by day; not by a stranger's name.
    for q in [
        "/staff/bookings?q=gLoBeX".to_string(),
        "/staff/bookings?q=ANA.souza%40example.com".to_string(),
        format!(
            "/staff/bookings?q={}",
            number.to_lowercase().replace('-', "")
        ),
        "/staff/bookings?q=&date=2027-03-01".to_string(),
    ] {
        let page = v.get(&q).await;
        assert_eq!(page.status, 200, "{q}");
        assert!(
            page.text_of("results")
                .unwrap_or_default()
                .contains(&number),
            "{q}: {}",
            page.html
        );
    }
    let page = v.get("/staff/bookings?q=Initech").await;
    assert!(page.text_of("no-results").is_some());
    assert!(v
        .get("/staff/bookings?q=100%25")
        .await
        .text_of("no-results")
        .is_some());

    // The booking lists who else is free, German speakers first; assigning Greta
    // confirms the language and tells the customer.
    let page = v.get(&format!("/staff/bookings/{number}")).await;
    assert!(page.text_of("language-to-confirm").is_some());
    assert!(
        page.html.contains("Greta (Europe/Berlin) — speaks German"),
        "{}",
        page.html
    );
    let page = v
        .post(
            &format!("/staff/bookings/{number}/reassign"),
            &[("producer", &greta)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.text_of("b-producer").unwrap().contains("Greta"));
    assert!(page.text_of("language-to-confirm").is_none());
    assert!(page.text_of("history").unwrap().contains("Sam Scheduler"));
    app.outbox_counts_when_sent(5).await;
    let told = mail_to(&app, "ana.souza@example.com");
    let update = told
        .iter()
        .find(|(s, _)| s.contains("is now Greta"))
        .unwrap_or_else(|| panic!("{told:?}"));
    assert!(
        update.1.contains("Support in German is confirmed."),
        "{}",
        update.1
    );
    assert!(mail_to(&app, "lea@producers.example").len() >= 2);

    // A Monday within eight days is inside the lead time: refused with the way round it, then
    // moved with the override.
    let soon = (chrono::Utc::now() + chrono::Duration::days(8))
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    // The Monday of that week: two to eight days from now, always inside the lead time
    // (the next Monday could be fourteen days away, outside it).
    let soon = soon - chrono::Duration::days(soon.weekday().num_days_from_monday() as i64);
    let soon = soon.format("%Y-%m-%d").to_string();
    let page = v
        .post(
            &format!("/staff/bookings/{number}/move"),
            &[("date", &soon), ("time", "11:00")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    let fields: Vec<String> = page.field_errors().into_iter().map(|(f, _)| f).collect();
    assert!(
        fields.contains(&"override_lead_time".to_string()),
        "{:?}",
        page.field_errors()
    );
    let page = v
        .post(
            &format!("/staff/bookings/{number}/move"),
            &[
                ("date", &soon),
                ("time", "11:00"),
                ("override_lead_time", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.text_of("b-when").unwrap().contains("11:00"),
        "{}",
        page.html
    );

    // Nobody works on Saturday: three other times, any of which moves it.
    let saturday =
        NaiveDate::parse_from_str(&soon, "%Y-%m-%d").unwrap() + chrono::Duration::days(5);
    let page = v
        .post(
            &format!("/staff/bookings/{number}/move"),
            &[
                ("date", &saturday.format("%Y-%m-%d").to_string()),
                ("time", "11:00"),
                ("override_lead_time", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, 409, "{}", page.html);
    assert_eq!(page.actions("pick:").len(), 3, "{}", page.html);

    // Cancelling this soon costs a fee; waiving it needs a reason.
    let page = v.get(&format!("/staff/bookings/{number}")).await;
    assert!(page.text_of("fee-now").is_some());
    let page = v
        .post(
            &format!("/staff/bookings/{number}/cancel"),
            &[("waive", "yes"), ("reason", "")],
        )
        .await;
    assert_eq!(page.status, 422);
    let page = v
        .post(
            &format!("/staff/bookings/{number}/cancel"),
            &[("waive", "yes"), ("reason", "Our producer fell ill")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.text_of("b-fee").unwrap().contains("(0%)"),
        "{}",
        page.html
    );
    assert!(page.html.contains("Cancelled") || page.html.contains("cancelled"));
    // A cancelled booking offers nothing more to do.
    assert!(page.text_of("move-title").is_none());

    // Producers read bookings but do not work the desk.
    let greta_member = member(
        &app,
        "greta@producers.example",
        "Greta",
        "producer",
        "a producer's password",
    )
    .await;
    let page = greta_member.get(&format!("/staff/bookings/{number}")).await;
    assert_eq!(page.status, 200);
    assert_ne!(
        greta_member.get("/staff/bookings?q=globex").await.status,
        200
    );
}

async fn free(app: &TestApp, start: &str, zone: &str) -> bool {
    let r = app
        .post(
            "/api/v1/availability",
            &json!({"package": "meeting-premium", "start": start, "time_zone": zone, "duration_minutes": 60}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["available"].as_bool().unwrap()
}

#[actix_web::test]
async fn the_roster_pages_keep_hours_across_midnight_time_off_and_closures_that_availability_respects(
) {
    let app = app_now().await;
    let admin = member(
        &app,
        "ada@example.com",
        "Ada Admin",
        "admin",
        "correct horse battery",
    )
    .await;
    let page = admin.get("/staff/roster/new").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let rows = "6";
    let form = [
        ("rows", rows),
        ("producer.name", "Kenji Mori"),
        ("producer.email", "kenji@producers.example"),
        ("time_zone", "Asia/Tokyo"),
        ("languages", "en, ja"),
        ("centre.meeting", "yes"),
        ("centre.event", "yes"),
        ("hours.0.weekday", "monday"),
        ("hours.0.start", "22:00"),
        ("hours.0.end", "06:00"),
        ("hours.1.weekday", "tuesday"),
        ("hours.1.start", "09:00"),
        ("hours.1.end", "12:00"),
        ("hours.2.weekday", "tuesday"),
        ("hours.2.start", "13:00"),
        ("hours.2.end", "17:00"),
    ];
    // A shift that is not a time is named, with the rest kept as typed.
    let mut bad = form.to_vec();
    bad[13] = ("hours.2.start", "25:00");
    let page = admin.post("/staff/roster/new", &bad).await;
    assert_eq!(page.status, 422, "{}", page.html);
    let errors = page.field_errors();
    assert!(
        errors.iter().any(|(f, _)| f == "hours-2-start"),
        "{errors:?}"
    );
    assert!(page.html.contains("value=\"Kenji Mori\""));

    let page = admin.post("/staff/roster/new", &form).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let id = page
        .path
        .strip_prefix("/staff/roster/")
        .unwrap()
        .to_string();
    let stored = app
        .get_as(&app.admin, &format!("/api/v1/producers/{id}"))
        .await;
    assert_eq!(
        stored.body["working_hours"].as_array().unwrap().len(),
        3,
        "{}",
        stored.body
    );
    assert_eq!(stored.body["centres"], json!(["meeting", "event"]));
    assert_eq!(stored.body["languages"], json!(["en", "ja"]));

    // Monday 23:00 in Tokyo is inside the night shift; Tuesday 12:30 is the lunch gap.
    assert!(free(&app, "2027-03-01T23:00", "Asia/Tokyo").await);
    assert!(free(&app, "2027-03-02T04:00", "Asia/Tokyo").await);
    assert!(!free(&app, "2027-03-02T12:30", "Asia/Tokyo").await);

    // Time off, by a scheduler, read in Kenji's zone: then not free; removed: free again.
    let sam = member(
        &app,
        "sam@example.com",
        "Sam Scheduler",
        "scheduler",
        "another good password",
    )
    .await;
    let page = sam
        .post(
            &format!("/staff/roster/{id}/time-off"),
            &[
                ("off.start", "2027-03-01T20:00"),
                ("off.end", "2027-03-02T08:00"),
                ("off.reason", "Dentist"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.text_of("time-off-list").unwrap().contains("Dentist"));
    assert!(!free(&app, "2027-03-01T23:00", "Asia/Tokyo").await);
    let off_id = page
        .html
        .split("name=\"id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let page = sam
        .post(
            &format!("/staff/roster/{id}/time-off/remove"),
            &[("id", &off_id)],
        )
        .await;
    assert!(page.text_of("no-time-off").is_some());
    assert!(free(&app, "2027-03-01T23:00", "Asia/Tokyo").await);
    // A scheduler may not change the hours.
    assert_eq!(
        sam.post(&format!("/staff/roster/{id}"), &form).await.status,
        403
    );

    // A closure for Tokyo closes Kenji's Monday 22 March (his local day); one for Paris
    // does not.
    let page = sam
        .post(
            "/staff/closures",
            &[
                ("closure.name", "Vernal Equinox Day"),
                ("first_day", "2027-03-22"),
                ("zones", "Asia/Tokyo"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page
        .text_of("closures")
        .unwrap()
        .contains("Vernal Equinox Day"));
    assert!(!free(&app, "2027-03-22T23:00", "Asia/Tokyo").await);
    assert!(free(&app, "2027-03-29T23:00", "Asia/Tokyo").await);
    sam.post(
        "/staff/closures",
        &[
            ("closure.name", "Lundi de Pâques"),
            ("first_day", "2027-03-29"),
            ("zones", "Europe/Paris"),
        ],
    )
    .await;
    assert!(free(&app, "2027-03-29T23:00", "Asia/Tokyo").await);

    // A closure over a booking is refused, naming it.
    let r = app
        .order(&{
            let mut b = order_body("2027-03-08T23:00", "Asia/Tokyo", 60);
            b["package"] = json!("meeting-premium");
            b
        })
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let number = r.body["reservation_number"].as_str().unwrap();
    let page = sam
        .post(
            "/staff/closures",
            &[("closure.name", "Company day"), ("first_day", "2027-03-08")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.field_errors()
            .iter()
            .any(|(f, m)| f == "first_day" && m.contains(number)),
        "{:?}",
        page.field_errors()
    );
    // Bad dates are named.
    let page = sam
        .post(
            "/staff/closures",
            &[
                ("closure.name", ""),
                ("first_day", "2027-02-30"),
                ("last_day", "2026-01-01"),
                ("zones", "Mars/Base"),
            ],
        )
        .await;
    let fields: Vec<String> = page.field_errors().into_iter().map(|(f, _)| f).collect();
    for f in ["closure-name", "first_day", "zones"] {
        assert!(fields.contains(&f.to_string()), "{f}: {fields:?}");
    }
}

#[actix_web::test]
async fn closures_through_the_api() {
    let app = crate::helpers::spawn_with_two_producers(crate::helpers::Options::default()).await;
    let r = app
        .post_as(&app.scheduler, "/api/v1/closures", &json!({"name": "", "first_day": "2027-13-01", "zones": ["Nowhere/City"], "colour": "red"}))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r2 = app
        .post_as(
            &app.scheduler,
            "/api/v1/closures",
            &json!({"name": "Day", "first_day": "2027-03-01", "last_day": ""}),
        )
        .await;
    assert_eq!(
        r2.status, 422,
        "an empty last_day is not a date: {}",
        r2.body
    );
    assert_eq!(r2.body["errors"][0]["field"], json!("last_day"));
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["name", "first_day", "zones[0]", "colour"] {
        assert!(fields.contains(&f), "{f}: {fields:?}");
    }
    // Monday 1 March 2027, 10:00 in Paris: free, then closed for everyone.
    let asked = json!({"package": "event-standard", "start": "2027-03-01T10:00", "time_zone": "Europe/Paris", "duration_minutes": 60});
    assert_eq!(
        app.post("/api/v1/availability", &asked).await.body["available"],
        json!(true)
    );
    let r = app
        .post_as(
            &app.scheduler,
            "/api/v1/closures",
            &json!({"name": "Inventory day", "first_day": "2027-03-01", "last_day": "2027-03-02"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["zones"], json!([]));
    let id = r.body["id"].as_str().unwrap().to_string();
    let answer = app.post("/api/v1/availability", &asked).await.body;
    assert_eq!(answer["available"], json!(false));
    // The alternatives skip both closed days.
    assert!(
        answer["alternatives"][0]["start"]
            .as_str()
            .unwrap()
            .starts_with("2027-03-03"),
        "{answer}"
    );
    let listed = app.get_as(&app.scheduler, "/api/v1/closures").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(app.get("/api/v1/closures").await.status, 401);
    let r = app
        .request(
            "DELETE",
            &format!("/api/v1/closures/{id}"),
            Some(&app.scheduler),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    let r = app
        .request(
            "DELETE",
            &format!("/api/v1/closures/{id}"),
            Some(&app.scheduler),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.post("/api/v1/availability", &asked).await.body["available"],
        json!(true)
    );
}

#[actix_web::test]
async fn a_producer_subscribes_to_a_private_calendar_feed_that_can_be_replaced_and_stopped() {
    let app = app_now().await;
    app.add_producer(producer(
        "Kenji",
        "Europe/Paris",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    let first = order(&app, "2027-03-01T10:00:00+01:00", "Europe/Paris", 60).await;
    let second = order(&app, "2027-03-02T14:00:00+01:00", "Europe/Paris", 90).await;
    let kenji = member(
        &app,
        "kenji@producers.example",
        "Kenji",
        "producer",
        "correct horse battery",
    )
    .await;
    let home = kenji.get("/staff/home").await;
    assert!(home.text_of("feed-state").unwrap().contains("no feed"));
    let page = kenji.post("/staff/feed", &[]).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let url = page.text_of("secret").unwrap();
    assert!(
        url.starts_with("https://greenroom.example/calendar/") && url.ends_with(".ics"),
        "{url}"
    );
    let path = url
        .strip_prefix("https://greenroom.example")
        .unwrap()
        .to_string();

    // Anyone with the address reads it: no cookie needed.
    let r = app.get(&path).await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("text/calendar"));
    let ics = r.body.as_str().unwrap().to_string();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
    assert!(ics.contains(&first) && ics.contains(&second));
    // The producer's window: from 09:30 Paris (08:30 UTC), preparation included.
    assert!(ics.contains("DTSTART:20270301T083000Z"), "{ics}");
    assert!(ics.contains("DTEND:20270301T100000Z"), "{ics}");
    assert!(!ics.contains("METHOD:"), "a feed, not an invitation");
    let home = kenji.get("/staff/home").await;
    assert!(home.text_of("feed-state").unwrap().contains("on"));

    // A new address stops the old one; stopping ends the new one too.
    let page = kenji.post("/staff/feed", &[]).await;
    let second_path = page
        .text_of("secret")
        .unwrap()
        .strip_prefix("https://greenroom.example")
        .unwrap()
        .to_string();
    assert_ne!(second_path, path);
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(app.get(&second_path).await.status, 200);
    kenji.post("/staff/feed/stop", &[]).await;
    assert_eq!(app.get(&second_path).await.status, 404);
    assert_eq!(app.get("/calendar/not-a-token.ics").await.status, 404);
}

#[actix_web::test]
async fn each_booking_gets_a_coordinator_by_region_or_in_turn_named_in_the_confirmation() {
    let app = app_now().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    app.add_producer(producer(
        "Kenji",
        "Asia/Tokyo",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    // Before anyone coordinates, bookings have none (and say nothing of one).
    let none = order(&app, "2027-03-01T10:00:00+01:00", "Europe/Paris", 60).await;
    let ada = member(
        &app,
        "ada@example.com",
        "Ada Admin",
        "admin",
        "correct horse battery",
    )
    .await;
    let flo = member(
        &app,
        "flo@example.com",
        "Flo Coordinatrice",
        "scheduler",
        "another good password",
    )
    .await;
    let bea = member(
        &app,
        "bea@example.com",
        "Bea Planner",
        "scheduler",
        "yet another password",
    )
    .await;
    drop((flo, bea));
    let page = ada.get("/staff/members").await;
    let id_of = |name: &str| {
        let at = page.html.find(&format!("<td>{name}</td>")).unwrap();
        page.html[at..]
            .split("name=\"id\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string()
    };
    let (flo_id, bea_id) = (id_of("Flo Coordinatrice"), id_of("Bea Planner"));
    let page = ada
        .post(
            "/staff/members/coordinator",
            &[
                ("id", &flo_id),
                ("coordinator", "yes"),
                ("zones", "Europe/Paris"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    ada.post(
        "/staff/members/coordinator",
        &[("id", &bea_id), ("coordinator", "yes"), ("zones", "")],
    )
    .await;
    let page = ada
        .post(
            "/staff/members/coordinator",
            &[
                ("id", &bea_id),
                ("coordinator", "yes"),
                ("zones", "Atlantis/Capital"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);

    // Lea works in Paris: Flo. Kenji in Tokyo: nobody covers Tokyo, so Bea (any region).
    let mut body = order_body("2027-03-02T10:00:00+01:00", "Europe/Paris", 60);
    body["contact"]["email"] = json!("paris@example.com");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["coordinator"],
        json!({"name": "Flo Coordinatrice", "email": "flo@example.com"})
    );
    let mut body = order_body("2027-03-02T10:00:00+09:00", "Asia/Tokyo", 60);
    body["contact"]["email"] = json!("tokyo@example.com");
    let r = app.order(&body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["coordinator"]["name"], json!("Bea Planner"));
    let tokyo_number = r.body["reservation_number"].as_str().unwrap().to_string();

    // The confirmation names the coordinator and the producer with their addresses.
    app.outbox_counts_when_sent(6).await;
    let mail = mail_to(&app, "tokyo@example.com");
    let (_, text) = mail
        .iter()
        .find(|(s, _)| s.contains(&tokyo_number))
        .unwrap();
    assert!(
        text.contains("Your coordinator:   Bea Planner <bea@example.com>"),
        "{text}"
    );
    assert!(
        text.contains("Your producer:      Kenji <kenji@producers.example>"),
        "{text}"
    );
    let first = mail_to(&app, "ana.souza@example.com");
    assert!(
        !first.iter().any(|(_, t)| t.contains("coordinator")),
        "{first:?}"
    );
    let _ = none;

    // The customer's manage page names the coordinator too.
    let v = crate::helpers::Visitor::new(&app);
    let page = v
        .post(
            "/manage",
            &[
                ("reservation_number", &tokyo_number),
                ("email", "tokyo@example.com"),
            ],
        )
        .await;
    assert!(
        page.text_of("b-coordinator")
            .unwrap()
            .contains("Bea Planner"),
        "{}",
        page.html
    );
}

#[actix_web::test]
async fn the_desk_changes_what_was_ordered_recomputes_the_charges_and_tells_the_customer() {
    let app = app_now().await;
    app.add_producer(producer(
        "Lea",
        "Europe/Paris",
        &["en"],
        weekdays("08:00", "18:00"),
    ))
    .await;
    let number = order(&app, "2027-03-01T10:00:00+01:00", "Europe/Paris", 60).await;
    let before = app
        .get_as(&app.admin, &format!("/api/v1/bookings/{number}"))
        .await;
    assert_eq!(before.status, 200, "{}", before.body);
    let total_before = before.body["booking"]["charges"]["total"]["amount_minor"]
        .as_i64()
        .or_else(|| before.body["charges"]["total"]["amount_minor"].as_i64())
        .unwrap();
    let v = member(
        &app,
        "sam@example.com",
        "Sam Scheduler",
        "scheduler",
        "correct horse battery",
    )
    .await;
    let form = |duration: &'static str, title: &'static str| {
        vec![
            ("package", "training-premium"),
            ("duration_minutes", duration),
            ("event.title", title),
            ("event.details", "Three trainers"),
            ("event.comments", ""),
            ("company", "Acme Corp"),
            ("site", "acme.webex.com"),
            ("contact.first_name", "Ana"),
            ("contact.last_name", "Souza"),
            ("contact.phone", "+1 555 010 2000"),
            ("contact.email", "ana.new@example.com"),
        ]
    };
    // An empty title is named; nothing changes.
    let page = v
        .post(&format!("/staff/bookings/{number}/amend"), &form("180", ""))
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(
        page.field_errors().iter().any(|(f, _)| f == "event-title"),
        "{:?}",
        page.field_errors()
    );
    // Ten hours do not fit Lea's day: refused, naming the duration.
    let page = v
        .post(
            &format!("/staff/bookings/{number}/amend"),
            &form("600", "Onboarding"),
        )
        .await;
    assert_eq!(page.status, 409, "{}", page.html);
    assert!(page
        .field_errors()
        .iter()
        .any(|(f, _)| f == "duration_minutes"));
    // An extension the package does not offer is named next to its quantity.
    let mut with_rehearsal = form("180", "Onboarding");
    with_rehearsal.push(("ext.additional-rehearsal", "1"));
    let page = v
        .post(&format!("/staff/bookings/{number}/amend"), &with_rehearsal)
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(
        page.field_errors()
            .iter()
            .any(|(f, _)| f == "ext-additional-rehearsal"),
        "{:?}",
        page.field_errors()
    );
    // Three hours of training with registration management: the charges follow, the
    // start stays.
    let mut with_registration = form("180", "Onboarding");
    with_registration.push(("ext.registration-management", "1"));
    let page = v
        .post(
            &format!("/staff/bookings/{number}/amend"),
            &with_registration,
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.text_of("b-when").unwrap().contains("10:00–13:00"),
        "{}",
        page.html
    );
    assert!(page.text_of("b-title").unwrap().contains("Onboarding"));
    assert!(page
        .text_of("history")
        .unwrap()
        .contains("What was ordered was changed. (Sam Scheduler)"));
    let after = app
        .get_as(&app.admin, &format!("/api/v1/bookings/{number}"))
        .await;
    let b = if after.body["booking"].is_object() {
        &after.body["booking"]
    } else {
        &after.body
    };
    assert_eq!(b["package"], json!("training-premium"));
    assert_eq!(b["duration_minutes"], json!(180));
    assert!(
        b["charges"]["lines"]
            .to_string()
            .contains("registration management"),
        "{}",
        b["charges"]
    );
    assert_ne!(
        b["charges"]["total"]["amount_minor"].as_i64().unwrap(),
        total_before
    );
    // The customer hears of it at the new address, with the new charges.
    app.outbox_counts_when_sent(4).await;
    let mail = mail_to(&app, "ana.new@example.com");
    let (_, text) = mail
        .iter()
        .find(|(s, _)| s.starts_with("Your order was updated"))
        .unwrap_or_else(|| panic!("{mail:?}"));
    assert!(
        text.contains("Onboarding") && text.contains("3 h"),
        "{text}"
    );
    // And the customer finds it with the new e-mail.
    let r = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "ana.new@example.com"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}
