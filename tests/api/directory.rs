//! The meeting directory against a local server that answers as the Webex Meetings REST
//! API documents (`GET /v1/meetings` with `meetingType`, `hostEmail`, `from`, `to`;
//! `PATCH /v1/meetings/{meetingId}`; bearer tokens; `{"message", "errors", "trackingId"}`
//! on refusal).

use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::{producer, spawn, weekdays, Options, TestApp, Visitor, DIRECTORY_TOKEN};
use crate::pages::SLOT;

#[derive(Clone)]
pub struct Webex {
    token: String,
    pub meetings: Arc<Mutex<Vec<Value>>>,
    /// Every request: method, path and query.
    seen: Arc<Mutex<Vec<String>>>,
}

fn refusal(status: u16, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).json(json!({
        "message": message,
        "errors": [{"description": message}],
        "trackingId": "ROUTER_TEST_0001",
    }))
}

fn authorised(req: &HttpRequest, w: &Webex) -> bool {
    w.seen.lock().unwrap().push(format!(
        "{} {}?{}",
        req.method(),
        req.path(),
        req.query_string()
    ));
    req.headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        == Some(format!("Bearer {}", w.token).as_str())
}

fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn list(req: HttpRequest, w: web::Data<Webex>) -> HttpResponse {
    if !authorised(&req, &w) {
        return refusal(
            401,
            "The request requires a valid access token set in the Authorization request header.",
        );
    }
    let q: std::collections::HashMap<String, String> =
        form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .collect();
    let (Some(from), Some(to)) = (q.get("from"), q.get("to")) else {
        return refusal(400, "from and to are required with hostEmail");
    };
    let (from, to) = (instant(&json!(from)), instant(&json!(to)));
    let items: Vec<Value> = w
        .meetings
        .lock()
        .unwrap()
        .iter()
        .filter(|m| {
            q.get("meetingType")
                .is_none_or(|t| m["meetingType"] == t.as_str())
        })
        .filter(|m| {
            q.get("hostEmail")
                .is_some_and(|h| m["hostEmail"].as_str().unwrap().eq_ignore_ascii_case(h))
        })
        .filter(|m| instant(&m["start"]) >= from && instant(&m["start"]) < to)
        .cloned()
        .collect();
    HttpResponse::Ok().json(json!({ "items": items }))
}

async fn patch(
    req: HttpRequest,
    w: web::Data<Webex>,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    if !authorised(&req, &w) {
        return refusal(
            401,
            "The request requires a valid access token set in the Authorization request header.",
        );
    }
    let mut meetings = w.meetings.lock().unwrap();
    let Some(m) = meetings.iter_mut().find(|m| m["id"] == path.as_str()) else {
        return refusal(404, "Meeting not found.");
    };
    for key in ["start", "end", "timezone"] {
        if let Some(v) = body.get(key) {
            m[key] = v.clone();
        }
    }
    HttpResponse::Ok().json(m.clone())
}

impl Webex {
    /// A directory that accepts `token` and holds one meeting hosted by Ana on
    /// Wednesday 10 February 2027, 10:00 Paris.
    pub fn start(token: &str) -> (Webex, String) {
        let w = Webex {
            token: token.into(),
            meetings: Arc::new(Mutex::new(vec![
                json!({
                    "id": "870f51ff287b41be84648412901e0402_20270210T090000Z",
                    "meetingSeriesId": "870f51ff287b41be84648412901e0402",
                    "meetingNumber": "25831234567",
                    "title": "Quarterly review",
                    "agenda": "Results and outlook",
                    "meetingType": "scheduledMeeting",
                    "state": "ready",
                    "timezone": "Europe/Paris",
                    "start": "2027-02-10T10:00:00+01:00",
                    "end": "2027-02-10T11:00:00+01:00",
                    "hostUserId": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbmE",
                    "hostDisplayName": "Ana Souza",
                    "hostEmail": "ana.souza@example.com",
                    "siteUrl": "acme.webex.com",
                    "webLink": "https://acme.webex.com/acme/j.php?MTID=m1"
                }),
                json!({
                    "id": "other", "meetingNumber": "1", "title": "Someone else's", "meetingType": "scheduledMeeting",
                    "start": "2027-02-10T10:00:00+01:00", "end": "2027-02-10T11:00:00+01:00",
                    "hostEmail": "bob@example.com"
                }),
            ])),
            seen: Arc::default(),
        };
        let data = web::Data::new(w.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/v1/meetings", web::get().to(list))
                .route("/v1/meetings/{id}", web::patch().to(patch))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let url = format!("http://{}", server.addrs()[0]);
        actix_web::rt::spawn(server.run());
        (w, url)
    }
}

pub async fn app_with_directory(url: &str) -> TestApp {
    let app = spawn(Options {
        meeting_directory: Some(url.to_string()),
        ..Options::default()
    })
    .await;
    app.add_producer(producer(
        "Lea Martin",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    app
}

async fn through_step_two(v: &Visitor, host_email: &str) -> crate::helpers::Page {
    let mut slot = SLOT.to_vec();
    slot.push(("action", "next"));
    assert_eq!(v.post("/order", &slot).await.path, "/order/meeting");
    v.post(
        "/order/meeting",
        &[
            ("meeting.answer", "me"),
            ("meeting.host_id", "ana-host"),
            ("meeting.host_email", host_email),
            ("action", "next"),
        ],
    )
    .await
}

#[actix_web::test]
async fn the_hosts_meeting_fills_in_step_three_and_moves_with_the_booking() {
    let (webex, url) = Webex::start(DIRECTORY_TOKEN);
    let app = app_with_directory(&url).await;
    let v = Visitor::new(&app);

    // No host e-mail given: the contact's is the host's.
    let page = through_step_two(&v, "").await;
    assert_eq!(page.path, "/order/event");
    assert!(
        page.html.contains("value=\"Quarterly review\""),
        "{}",
        page.html
    );
    assert!(page.html.contains(">Results and outlook</textarea>"));
    assert!(page
        .html
        .contains("We found your meeting “Quarterly review”"));
    let asked = webex.seen.lock().unwrap().clone();
    assert!(asked[0].starts_with("GET /v1/meetings?meetingType=scheduledMeeting&hostEmail=Ana.Souza%40Example.com&from=2027-02-09T21%3A00%3A00Z&to=2027-02-10T21%3A00%3A00Z"), "{asked:?}");

    let done = v
        .post(
            "/order/event",
            &[("event.title", "Quarterly review"), ("action", "order")],
        )
        .await;
    let number = done.text_of("reservation-number").unwrap();
    let look = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(look.body["meeting"]["meeting_number"], "25831234567");
    assert_eq!(look.body["meeting"]["host_id"], "ana-host");

    // A change: the service can move the meeting on the site too.
    v.post(
        "/manage",
        &[
            ("reservation_number", number.as_str()),
            ("email", "ana.souza@example.com"),
        ],
    )
    .await;
    let page = v
        .post(
            "/manage/change",
            &[
                ("date", "2027-02-11"),
                ("time", "14:00"),
                ("action", "check"),
            ],
        )
        .await;
    assert_eq!(page.path, "/manage/update");
    assert!(page.html.contains("value=\"move_for_me\""));
    let page = v
        .post(
            "/manage/update",
            &[("meeting_moved", "move_for_me"), ("action", "confirm")],
        )
        .await;
    assert_eq!(page.path, "/manage/changed");
    assert!(
        page.text_of("meeting-note")
            .unwrap()
            .starts_with("We moved your meeting “Quarterly review” on acme.webex.com"),
        "{:?}",
        page.text_of("meeting-note")
    );
    let moved = webex.meetings.lock().unwrap()[0].clone();
    assert_eq!(moved["start"], "2027-02-11T14:00:00+01:00");
    assert_eq!(moved["end"], "2027-02-11T15:00:00+01:00");
    assert_eq!(moved["timezone"], "Europe/Paris");
    // Bob's meeting was never touched.
    assert_eq!(
        webex.meetings.lock().unwrap()[1]["start"],
        "2027-02-10T10:00:00+01:00"
    );
}

#[actix_web::test]
async fn a_meeting_the_directory_cannot_find_is_typed_by_hand() {
    let (_webex, url) = Webex::start(DIRECTORY_TOKEN);
    let app = app_with_directory(&url).await;
    let v = Visitor::new(&app);
    let page = through_step_two(&v, "carol@example.com").await;
    assert_eq!(page.path, "/order/event");
    assert!(
        page.html
            .contains("We found no meeting hosted by carol@example.com"),
        "{}",
        page.html
    );
    assert!(page
        .html
        .contains("id=\"event-title\" name=\"event.title\" type=\"text\" value=\"\""));
}

#[actix_web::test]
async fn a_directory_that_refuses_the_token_leaves_the_order_to_go_on() {
    let (webex, url) = Webex::start("another-token");
    let app = app_with_directory(&url).await;
    let v = Visitor::new(&app);
    let page = through_step_two(&v, "").await;
    assert_eq!(page.path, "/order/event");
    assert!(
        page.html.contains("could not be asked just now"),
        "{}",
        page.html
    );
    assert_eq!(webex.seen.lock().unwrap().len(), 1);
    let done = v
        .post(
            "/order/event",
            &[("event.title", "Typed by hand"), ("action", "order")],
        )
        .await;
    assert!(done.text_of("reservation-number").is_some());
}
