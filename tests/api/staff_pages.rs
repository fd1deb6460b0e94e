//! Staff are people: added from the command line with a one-time link, signed in with a
//! password (argon2id), signed out at once; tokens belong to them and name them in
//! history.

use chrono::Utc;
use diesel::RunQueryDsl;
use serde_json::json;

use crate::helpers::{order_body, producer, spawn, spawn_app, weekdays, Options, TestApp, Visitor};

/// `greenroom staff create …`: its last line, the link.
fn staff_create(app: &TestApp, email: &str, name: &str, role: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_greenroom"))
        .args([
            "staff", "create", "--email", email, "--name", name, "--role", role,
        ])
        .args([
            "--database-url",
            &app.database_url,
            "--public-url",
            &app.address,
        ])
        .output()
        .expect("the binary runs")
}

fn link_of(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    text.lines().last().unwrap().to_string()
}

/// A member added by the command line, with their password set through their link;
/// returns their browser, signed in.
pub async fn member(app: &TestApp, email: &str, name: &str, role: &str, password: &str) -> Visitor {
    let link = link_of(&staff_create(app, email, name, role));
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    let token = path.split("token=").nth(1).unwrap().to_string();
    let v = Visitor::new(app);
    let page = v.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let page = v
        .post(
            "/staff/welcome",
            &[
                ("token", token.as_str()),
                ("staff.new_password", password),
                ("staff.again", password),
            ],
        )
        .await;
    assert_eq!(page.path, "/staff/home", "{:?}", page.field_errors());
    v
}

/// The app's clock at the real now: the command line dates links by the real clock.
pub async fn app_now() -> TestApp {
    let app = spawn_app().await;
    app.clock.set(Utc::now());
    app
}

#[actix_web::test]
async fn a_member_set_up_from_the_command_line_signs_in_and_out() {
    let app = app_now().await;
    let out = staff_create(&app, "sam@example.com", "Sam Scheduler", "scheduler");
    let link = link_of(&out);
    assert!(
        link.starts_with(&format!("{}/staff/welcome?token=", app.address)),
        "{link}"
    );
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    let token = path.split("token=").nth(1).unwrap().to_string();

    let v = Visitor::new(&app);
    let page = v.get(&path).await;
    assert!(page.html.contains("Welcome, Sam Scheduler"));
    // Too short, then two different ones: said next to the field.
    let page = v
        .post(
            "/staff/welcome",
            &[
                ("token", &token),
                ("staff.new_password", "short"),
                ("staff.again", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.field_errors()[0].1,
        "The password needs at least 12 characters."
    );
    let page = v
        .post(
            "/staff/welcome",
            &[
                ("token", &token),
                ("staff.new_password", "a long enough one"),
                ("staff.again", "a long enough two"),
            ],
        )
        .await;
    assert_eq!(page.field_errors()[0].0, "staff-again");
    let page = v
        .post(
            "/staff/welcome",
            &[
                ("token", &token),
                ("staff.new_password", "a long enough one"),
                ("staff.again", "a long enough one"),
            ],
        )
        .await;
    assert_eq!(page.path, "/staff/home");
    assert_eq!(
        page.text_of("signed-in-as").unwrap(),
        "Signed in as sam@example.com (scheduler)."
    );
    let cookie: Vec<String> = page
        .headers
        .get_all("set-cookie")
        .map(|c| c.to_str().unwrap().to_string())
        .collect();
    let _ = cookie;

    // The link worked once.
    assert_eq!(Visitor::new(&app).get(&path).await.status, 404);

    // The password is stored as argon2id, never as itself.
    let stored: Vec<String> = {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            password_hash: String,
        }
        let mut conn = app.state.services.db.pool.get().unwrap();
        diesel::sql_query("SELECT password_hash FROM staff_members")
            .load::<Row>(&mut *conn)
            .unwrap()
            .into_iter()
            .map(|r| r.password_hash)
            .collect()
    };
    assert!(stored[0].starts_with("$argon2id$v=19$"), "{stored:?}");
    assert!(!stored[0].contains("long enough"));

    // Signing out ends the session at once: the same cookie is refused.
    let staff_cookie = v.cookie("greenroom_staff").unwrap();
    v.post("/staff/sign-out", &[]).await;
    let replay = Visitor::with_headers(
        &app,
        &[("Cookie", &format!("greenroom_staff={staff_cookie}"))],
    );
    assert_eq!(
        replay.get("/staff/home").await.path,
        "/staff",
        "the old session is refused"
    );

    // Signing in again; a wrong password says nothing about which part was wrong.
    let v = Visitor::new(&app);
    let page = v
        .post(
            "/staff",
            &[
                ("staff.email", "sam@example.com"),
                ("staff.password", "not the password"),
            ],
        )
        .await;
    assert_eq!(page.status, 401);
    assert_eq!(
        page.field_errors()[0].1,
        "The e-mail or the password is wrong."
    );
    let page = v
        .post(
            "/staff",
            &[
                ("staff.email", "nobody@example.com"),
                ("staff.password", "not the password"),
            ],
        )
        .await;
    assert_eq!(
        page.field_errors()[0].1,
        "The e-mail or the password is wrong."
    );
    let page = v
        .post(
            "/staff",
            &[
                ("staff.email", "SAM@example.com"),
                ("staff.password", "a long enough one"),
            ],
        )
        .await;
    assert_eq!(page.path, "/staff/home");
}

#[actix_web::test]
async fn failed_sign_ins_are_throttled() {
    let app = spawn(Options {
        tweak: Some(|s| s.failed_attempts_per_minute = 3),
        ..Options::default()
    })
    .await;
    let v = Visitor::new(&app);
    let mut statuses = vec![];
    for _ in 0..5 {
        let page = v
            .post(
                "/staff",
                &[
                    ("staff.email", "sam@example.com"),
                    ("staff.password", "guess guess guess"),
                ],
            )
            .await;
        statuses.push(page.status);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[actix_web::test]
async fn tokens_belong_to_people_name_them_in_history_and_stop_at_once() {
    let app = app_now().await;
    let admin = member(
        &app,
        "ada@example.com",
        "Ada Admin",
        "admin",
        "admin password 1",
    )
    .await;
    let lea = member(
        &app,
        "lea@example.com",
        "Léa Planif",
        "scheduler",
        "scheduler pass 1",
    )
    .await;
    app.add_producer(producer(
        "Pat",
        "Europe/Paris",
        &["en"],
        weekdays("09:00", "17:00"),
    ))
    .await;

    // Léa makes a token on her page; it is hers and acts as her.
    let page = lea
        .post("/staff/tokens", &[("token.label", "my script")])
        .await;
    let token = page.text_of("secret").unwrap();
    assert!(token.starts_with("grs_"));
    let mine = app.get_as(&token, "/api/v1/staff/tokens").await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
    assert_eq!(mine.body[0]["owner"]["name"], "Léa Planif");
    assert_eq!(mine.body[0]["label"], "my script");
    // A Wednesday three weeks or more from today (the clock is the real one here).
    let mut day = (Utc::now() + chrono::Duration::days(21)).date_naive();
    while chrono::Datelike::weekday(&day) != chrono::Weekday::Wed {
        day = day.succ_opt().unwrap();
    }
    let ordered = app
        .order(&order_body(&format!("{day}T10:00"), "Europe/Paris", 60))
        .await;
    let number = ordered.body["reservation_number"]
        .as_str()
        .unwrap()
        .to_string();
    let moved = app
        .post_as(
            &token,
            &format!("/api/v1/bookings/{number}/reschedule"),
            &json!({"start": format!("{day}T14:00")}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let history = app
        .get_as(&token, &format!("/api/v1/bookings/{number}"))
        .await
        .body["history"]
        .clone();
    assert_eq!(history[1]["actor"], "staff:Léa Planif", "{history}");

    // The admin's token sees every token; revoking Léa's stops it at once.
    let page = admin.post("/staff/tokens", &[("token.label", "ops")]).await;
    let admin_token = page.text_of("secret").unwrap();
    let all = app.get_as(&admin_token, "/api/v1/staff/tokens").await;
    assert!(all.body.as_array().unwrap().len() >= 4, "{}", all.body);
    let id = mine.body[0]["id"].as_str().unwrap();
    let revoked = app
        .request(
            "DELETE",
            &format!("/api/v1/staff/tokens/{id}"),
            Some(&admin_token),
            None,
            &[],
        )
        .await;
    assert_eq!(revoked.status, 204);
    assert_eq!(app.get_as(&token, "/api/v1/staff/tokens").await.status, 401);

    // Disabling Léa ends her session and her other tokens at once.
    let page = lea
        .post("/staff/tokens", &[("token.label", "second")])
        .await;
    let second = page.text_of("secret").unwrap();
    let members = admin.get("/staff/members").await;
    assert!(members.html.contains("Léa Planif"));
    let lea_id = members
        .html
        .split("name=\"id\" value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|id| {
            members.html.contains(&format!(
                "value=\"{id}\"><input type=\"hidden\" name=\"name\" value=\"Léa Planif\""
            ))
        })
        .unwrap()
        .to_string();
    admin
        .post("/staff/members/disable", &[("id", &lea_id)])
        .await;
    assert_eq!(lea.get("/staff/home").await.path, "/staff");
    assert_eq!(app.get_as(&second, "/api/v1/schedule").await.status, 401);
    // A scheduler may not see the staff.
    let page = Visitor::new(&app).get("/staff/members").await;
    assert_eq!(page.path, "/staff");
}

#[actix_web::test]
async fn an_admin_invites_from_the_page_and_the_link_works_once() {
    let app = app_now().await;
    let admin = member(
        &app,
        "ada@example.com",
        "Ada Admin",
        "admin",
        "admin password 1",
    )
    .await;
    let page = admin
        .post(
            "/staff/members",
            &[
                ("member.name", "Pat Producer"),
                ("member.email", "pat@example.com"),
                ("member.role", "producer"),
            ],
        )
        .await;
    let link = page.text_of("secret").unwrap();
    assert!(link.contains("/staff/welcome?token="), "{link}");
    // The same e-mail twice is refused, by name.
    let page = admin
        .post(
            "/staff/members",
            &[
                ("member.name", "Pat Again"),
                ("member.email", "PAT@example.com"),
                ("member.role", "producer"),
            ],
        )
        .await;
    assert_eq!(page.status, 409);
    assert_eq!(
        page.field_errors()[0].1,
        "Someone on the staff already has this e-mail."
    );
    // A producer signs in but makes no API token.
    let path = format!("/staff/welcome?{}", link.split('?').nth(1).unwrap());
    let token = path.split("token=").nth(1).unwrap().to_string();
    let pat = Visitor::new(&app);
    pat.get(&path).await;
    let page = pat
        .post(
            "/staff/welcome",
            &[
                ("token", &token),
                ("staff.new_password", "producer pass 1"),
                ("staff.again", "producer pass 1"),
            ],
        )
        .await;
    assert_eq!(page.path, "/staff/home");
    assert!(!page.html.contains("create-token-button"));
    assert_eq!(
        pat.post("/staff/tokens", &[("token.label", "x")])
            .await
            .status,
        403
    );
    // Links expire after a week.
    let page = admin
        .post(
            "/staff/members/link",
            &[("id", "not-a-member"), ("name", "x")],
        )
        .await;
    assert_eq!(page.status, 404);
    let page = admin
        .post(
            "/staff/members",
            &[
                ("member.name", "Late Comer"),
                ("member.email", "late@example.com"),
                ("member.role", "scheduler"),
            ],
        )
        .await;
    let late = page.text_of("secret").unwrap();
    let late_path = format!("/staff/welcome?{}", late.split('?').nth(1).unwrap());
    assert_eq!(Visitor::new(&app).get(&late_path).await.status, 200);
    app.clock.set(Utc::now() + chrono::Duration::days(8));
    let dead = Visitor::new(&app).get(&late_path).await;
    assert_eq!(dead.status, 404);
    assert!(dead.html.contains("This link no longer works"));
}
