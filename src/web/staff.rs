//! The staff's own pages: signing in (e-mail and password), the one-time link to set a
//! password, signing out, one's API tokens, and (for admins) the people on the staff.
//! The session is a cookie of its own (HttpOnly, SameSite=Strict, path /staff) naming a
//! row the service can end at once.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::domain::error::{Error, Limit, ProblemCode};
use crate::domain::staff::{Role, Staff};
use crate::http::throttle::RetryAfter;
use crate::http::AppState;
use crate::workflow::accounts;

use super::form::{Errors, FieldView};
use super::i18n::say;
use super::session::cookie;
use super::{PageError, Visit};

pub const COOKIE: &str = "greenroom_staff";

fn session_cookie(value: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path=/staff; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

fn ended_cookie() -> String {
    format!("{COOKIE}=; Path=/staff; Max-Age=0; HttpOnly; SameSite=Strict")
}

fn secure(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

/// The member signed in on this browser, if any.
pub async fn signed_in(req: &HttpRequest, state: &AppState) -> Result<Option<Staff>, Error> {
    let Some(secret) =
        cookie(req, COOKIE).filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return Ok(None);
    };
    state.run(move |svc| accounts::session(svc, &secret)).await
}

/// The member signed in, with at least `role`; else the sign-in page (or 403).
pub(super) async fn require(
    req: &HttpRequest,
    state: &AppState,
    visit: &Visit,
    role: Role,
) -> Result<Result<Staff, HttpResponse>, PageError> {
    let Some(staff) = signed_in(req, state).await.map_err(visit.fail(state))? else {
        return Ok(Err(visit.redirect("/staff")));
    };
    if !staff.role.allows(role) {
        return Err(visit.fail(state)(Error::forbidden(role.as_str())));
    }
    Ok(Ok(staff))
}

fn with_cookie(mut res: HttpResponse, value: String) -> HttpResponse {
    if let Ok(v) = header::HeaderValue::from_str(&value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn render_sign_in(
    visit: &Visit,
    state: &AppState,
    email: &str,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    visit.page_with_status(
        state,
        status,
        "staff_sign_in",
        "title_staff_sign_in",
        json!({
            "errors": errors.summary(),
            "email": FieldView::new(loc, "staff.email", "email", email, errors).autocomplete("username").max(254),
            "password": FieldView::new(loc, "staff.password", "password", "", errors).autocomplete("current-password").max(200),
        }),
    )
}

/// `GET /staff`: sign in (or on to the staff's home when signed in already).
pub async fn sign_in_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    if signed_in(&req, &state)
        .await
        .map_err(visit.fail(&state))?
        .is_some()
    {
        return Ok(visit.redirect("/staff/home"));
    }
    render_sign_in(&visit, &state, "", &Errors::default(), StatusCode::OK)
}

/// `POST /staff`: e-mail and password. Failures count against the address like
/// guessed reservation numbers do.
pub async fn sign_in_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let loc = visit.locale;
    let email = form.get("staff.email").trim().to_string();
    let password = form.get("staff.password").to_string();
    let too_many = |RetryAfter(secs)| Error::TooMany {
        limit: Limit::FailedAttempts,
        retry_after_secs: secs,
    };
    let ip = state.client_ip(&req);
    state
        .throttle
        .check(&ip)
        .map_err(too_many)
        .map_err(visit.fail(&state))?;
    let (e, p) = (email.clone(), password);
    let signed = state
        .run(move |svc| accounts::sign_in(svc, &e, &p))
        .await
        .map_err(visit.fail(&state))?;
    let Some((_, secret)) = signed else {
        state
            .throttle
            .record(ip)
            .map_err(too_many)
            .map_err(visit.fail(&state))?;
        let mut errors = Errors::default();
        errors.add("staff.email", say(loc, "err_sign_in", &[]));
        return render_sign_in(&visit, &state, &email, &errors, StatusCode::UNAUTHORIZED);
    };
    Ok(with_cookie(
        visit.redirect("/staff/home"),
        session_cookie(&secret, secure(&req)),
    ))
}

/// `POST /staff/sign-out`: the session ends at once, here and on the server.
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    visit.form(&state, &body)?;
    if let Some(secret) = cookie(&req, COOKIE) {
        state
            .run(move |svc| accounts::sign_out(svc, &secret))
            .await
            .map_err(visit.fail(&state))?;
    }
    Ok(with_cookie(visit.redirect("/staff"), ended_cookie()))
}

/// `GET /staff/welcome?token=`: set a password from the one-time link.
pub async fn welcome_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let token = super::form::query_value(req.query_string(), "token").unwrap_or_default();
    render_welcome(&visit, &state, &token, &Errors::default(), StatusCode::OK).await
}

async fn render_welcome(
    visit: &Visit,
    state: &AppState,
    token: &str,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let t = token.to_string();
    let member = if t.len() == 64 {
        state
            .run(move |svc| accounts::invitation(svc, &t))
            .await
            .map_err(visit.fail(state))?
    } else {
        None
    };
    let status = if member.is_none() {
        StatusCode::NOT_FOUND
    } else {
        status
    };
    visit.page_with_status(
        state,
        status,
        "staff_welcome",
        "title_staff_welcome",
        json!({
            "errors": errors.summary(),
            "member": member.map(|m| json!({"name": m.name, "email": m.email, "role": m.role.as_str()})),
            "token": token,
            "password": FieldView::new(loc, "staff.new_password", "password", "", errors).autocomplete("new-password").max(200),
            "again": FieldView::new(loc, "staff.again", "password", "", errors).autocomplete("new-password").max(200),
        }),
    )
}

/// `POST /staff/welcome`: the password, twice; then signed in.
pub async fn welcome_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let loc = visit.locale;
    let token = form.get("token").to_string();
    let (password, again) = (
        form.get("staff.new_password").to_string(),
        form.get("staff.again").to_string(),
    );
    let mut errors = Errors::default();
    if let Err(Error::Invalid(found)) = accounts::check_password(&password) {
        let n = accounts::MIN_PASSWORD_CHARS.to_string();
        for e in found {
            let key = if e.code == ProblemCode::TooLong {
                "err_password_long"
            } else {
                "err_password_short"
            };
            errors.add("staff.new_password", say(loc, key, &[("min", &n)]));
        }
    } else if password != again {
        errors.add("staff.again", say(loc, "err_password_again", &[]));
    }
    if !errors.is_empty() {
        return render_welcome(
            &visit,
            &state,
            &token,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let t = token.clone();
    match state
        .run(move |svc| accounts::set_password(svc, &t, &password))
        .await
    {
        Ok((_, secret)) => Ok(with_cookie(
            visit.redirect("/staff/home"),
            session_cookie(&secret, secure(&req)),
        )),
        Err(Error::Refused {
            code: ProblemCode::NotFound,
            ..
        }) => {
            render_welcome(
                &visit,
                &state,
                &token,
                &Errors::default(),
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

fn token_rows(
    tokens: &[crate::db::models::staff_tokens::TokenInfo],
    loc: crate::domain::locale::Locale,
) -> Vec<serde_json::Value> {
    tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "role": t.role.as_str(),
                "label": t.label,
                "created": crate::email::format::date(t.created_at, chrono_tz::UTC, loc.as_str()),
                "revoked": t.revoked_at.is_some(),
                "owner": t.owner.as_ref().map(|(_, name)| name.clone()),
            })
        })
        .collect()
}

/// `GET /staff/home`: who you are, your API tokens, and (admins) the staff.
pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Producer);
    let member = staff.member.clone().expect("a session is a member's");
    let id = member.id.clone();
    let tokens = state
        .run(move |svc| accounts::tokens(svc, Some(&id)))
        .await
        .map_err(visit.fail(&state))?;
    let loc = visit.locale;
    let (m, e) = (member.clone(), member.email.clone());
    let (has_feed, on_roster) = state
        .run(move |svc| {
            Ok((
                accounts::has_feed(svc, &m)?,
                crate::workflow::staff::producer_with_email(svc, &e)?.is_some(),
            ))
        })
        .await
        .map_err(visit.fail(&state))?;
    visit.page(
        &state,
        "staff_home",
        "title_staff_home",
        json!({
            "me": {"name": member.name, "email": member.email, "role": say(loc, &format!("role_{}", member.role.as_str()), &[])},
            "is_admin": member.role == Role::Admin,
            "is_scheduler": member.role.allows(Role::Scheduler),
            "can_use_api": member.role != Role::Producer,
            "tokens": token_rows(&tokens, loc),
            "label": FieldView::new(loc, "token.label", "text", "", &Errors::default()).optional().max(100),
            "new_token": serde_json::Value::Null,
            "has_feed": has_feed,
            "on_roster": on_roster,
        }),
    )
}

/// `POST /staff/tokens`: a new API token, shown once.
pub async fn create_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let member = staff.member.clone().expect("a session is a member's");
    let label = Some(
        form.get("token.label")
            .trim()
            .chars()
            .take(100)
            .collect::<String>(),
    )
    .filter(|l| !l.is_empty());
    let (_, token) = state
        .run(move |svc| accounts::create_token(svc, &member, label.as_deref()))
        .await
        .map_err(visit.fail(&state))?;
    visit.page(
        &state,
        "staff_secret",
        "title_staff_token",
        json!({ "secret": token, "token": true }),
    )
}

/// `POST /staff/tokens/revoke`: the token stops working at once.
pub async fn revoke_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let id = form.get("id").to_string();
    state
        .run(move |svc| accounts::revoke_token(svc, &id, &staff))
        .await
        .map_err(visit.fail(&state))?;
    Ok(visit.redirect("/staff/home"))
}

async fn render_members(
    visit: &Visit,
    state: &AppState,
    errors: &Errors,
    typed: (&str, &str, &str),
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let members = state
        .run(accounts::members)
        .await
        .map_err(visit.fail(state))?;
    let coordinating = state
        .run(accounts::coordinators)
        .await
        .map_err(visit.fail(state))?;
    let rows: Vec<serde_json::Value> = members
        .iter()
        .map(|(m, disabled, has_password)| {
            let zones = coordinating.get(&m.id);
            json!({"id": m.id, "name": m.name, "email": m.email,
                   "role": say(loc, &format!("role_{}", m.role.as_str()), &[]),
                   "disabled": disabled, "has_password": has_password,
                   "coordinator": zones.is_some(),
                   "zones": zones.map(|z| z.join(", ")).unwrap_or_default()})
        })
        .collect();
    let roles = crate::domain::staff::Role::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                say(loc, &format!("role_{}", r.as_str()), &[]),
            )
        })
        .collect();
    visit.page_with_status(
        state,
        status,
        "staff_members",
        "title_staff_members",
        json!({
            "is_admin": true,
            "is_scheduler": true,
            "errors": errors.summary(),
            "members": rows,
            "zones": chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect::<Vec<_>>(),
            "name": FieldView::new(loc, "member.name", "text", typed.0, errors).max(100),
            "email": FieldView::new(loc, "member.email", "email", typed.1, errors).max(254),
            "role": FieldView::new(loc, "member.role", "select", typed.2, errors).choices(roles),
        }),
    )
}

/// `GET /staff/members` (admins): the people on the staff.
pub async fn members(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    staff_or_sign_in!(req, state, visit, Role::Admin);
    render_members(
        &visit,
        &state,
        &Errors::default(),
        ("", "", "scheduler"),
        StatusCode::OK,
    )
    .await
}

fn link_page(
    visit: &Visit,
    state: &AppState,
    req: &HttpRequest,
    name: &str,
    token: &str,
) -> Result<HttpResponse, PageError> {
    let base = base_url(state, req);
    visit.page(
        state,
        "staff_secret",
        "title_staff_link",
        json!({ "secret": format!("{base}/staff/welcome?token={token}"), "token": false, "name": name }),
    )
}

/// `POST /staff/members` (admins): invite someone; their link is shown once.
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    staff_or_sign_in!(req, state, visit, Role::Admin);
    let loc = visit.locale;
    let (name, email, role) = (
        form.get("member.name").trim().to_string(),
        form.get("member.email").trim().to_string(),
        form.get("member.role").to_string(),
    );
    let mut errors = Errors::default();
    errors.require(loc, &[("member.name", &name), ("member.email", &email)]);
    let parsed_role = Role::parse(&role);
    if parsed_role.is_none() {
        errors.add(
            "member.role",
            say(
                loc,
                "err_format",
                &[("label", &say(loc, "label_member-role", &[]))],
            ),
        );
    }
    let typed = (name.as_str(), email.as_str(), role.as_str());
    if !errors.is_empty() {
        return render_members(
            &visit,
            &state,
            &errors,
            typed,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (n, e, r) = (
        name.clone(),
        email.clone(),
        parsed_role.expect("checked above"),
    );
    match state.run(move |svc| accounts::invite(svc, &n, &e, r)).await {
        Ok((member, token)) => link_page(&visit, &state, &req, &member.name, &token),
        Err(Error::Invalid(found)) => {
            for f in found {
                let field = format!("member.{}", f.field);
                let key = if f.field == "email" {
                    "err_email"
                } else {
                    "err_format"
                };
                let label = say(loc, &format!("label_member-{}", f.field), &[]);
                errors.add(&field, say(loc, key, &[("label", &label)]));
            }
            render_members(
                &visit,
                &state,
                &errors,
                typed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(Error::Refused {
            code: ProblemCode::StaffExists,
            ..
        }) => {
            errors.add("member.email", say(loc, "err_staff_exists", &[]));
            render_members(&visit, &state, &errors, typed, StatusCode::CONFLICT).await
        }
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

/// `POST /staff/members/link` (admins): a new one-time link for a member.
pub async fn new_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    staff_or_sign_in!(req, state, visit, Role::Admin);
    let id = form.get("id").to_string();
    let name = form.get("name").to_string();
    let token = state
        .run(move |svc| accounts::reinvite(svc, &id))
        .await
        .map_err(visit.fail(&state))?;
    link_page(&visit, &state, &req, &name, &token)
}

/// `POST /staff/members/disable` (admins): their sessions and tokens end at once.
pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let me = staff_or_sign_in!(req, state, visit, Role::Admin);
    let id = form.get("id").to_string();
    if me.member.as_ref().is_some_and(|m| m.id == id) {
        return Err(visit.fail(&state)(Error::refused(
            ProblemCode::Forbidden,
            "you cannot disable yourself",
        )));
    }
    state
        .run(move |svc| accounts::disable(svc, &id))
        .await
        .map_err(visit.fail(&state))?;
    Ok(visit.redirect("/staff/members"))
}

/// The address links to this service start with (the public URL, else this request's).
fn base_url(state: &AppState, req: &HttpRequest) -> String {
    let base = state
        .services
        .mail
        .manage_url
        .trim_end_matches("/manage")
        .to_string();
    if base.is_empty() {
        format!(
            "{}://{}",
            req.connection_info().scheme(),
            req.connection_info().host()
        )
    } else {
        base
    }
}

/// `POST /staff/feed`: a new private calendar URL (the earlier one stops), shown once.
pub async fn create_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Producer);
    let member = staff.member.clone().expect("a session is a member's");
    let token = state
        .run(move |svc| accounts::create_feed(svc, &member))
        .await
        .map_err(visit.fail(&state))?;
    visit.page(
        &state,
        "staff_feed",
        "title_staff_feed",
        json!({ "secret": format!("{}/calendar/{token}.ics", base_url(&state, &req)) }),
    )
}

/// `POST /staff/feed/stop`: the calendar URL answers 404 from now on.
pub async fn stop_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Producer);
    let member = staff.member.clone().expect("a session is a member's");
    state
        .run(move |svc| accounts::revoke_feed(svc, &member))
        .await
        .map_err(visit.fail(&state))?;
    Ok(visit.redirect("/staff/home"))
}

/// `POST /staff/members/coordinator` (admins): whether a member coordinates bookings,
/// and for which zones' producers (none listed: any region, in turn).
pub async fn set_coordinator(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    staff_or_sign_in!(req, state, visit, Role::Admin);
    let loc = visit.locale;
    let id = form.get("id").to_string();
    let names: Vec<String> = form
        .get("zones")
        .split([',', ' '])
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .map(String::from)
        .collect();
    let mut zones = Vec::new();
    for n in &names {
        match n.parse::<chrono_tz::Tz>() {
            Ok(z) => zones.push(z),
            Err(_) => {
                let mut errors = Errors::default();
                errors.add(
                    "member.email",
                    say(loc, "err_coordinator_zone", &[("zone", n)]),
                );
                return render_members(
                    &visit,
                    &state,
                    &errors,
                    ("", "", "scheduler"),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        }
    }
    let choice = (form.get("coordinator") == "yes").then_some(zones);
    state
        .run(move |svc| accounts::set_coordinator(svc, &id, choice))
        .await
        .map_err(visit.fail(&state))?;
    Ok(visit.redirect("/staff/members"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff", web::get().to(sign_in_page))
        .route("/staff", web::post().to(sign_in_form))
        .route("/staff/sign-out", web::post().to(sign_out))
        .route("/staff/welcome", web::get().to(welcome_page))
        .route("/staff/welcome", web::post().to(welcome_form))
        .route("/staff/home", web::get().to(home))
        .route("/staff/tokens", web::post().to(create_token))
        .route("/staff/tokens/revoke", web::post().to(revoke_token))
        .route("/staff/members", web::get().to(members))
        .route("/staff/members", web::post().to(invite))
        .route("/staff/members/link", web::post().to(new_link))
        .route("/staff/members/disable", web::post().to(disable))
        .route(
            "/staff/members/coordinator",
            web::post().to(set_coordinator),
        )
        .route("/staff/feed", web::post().to(create_feed))
        .route("/staff/feed/stop", web::post().to(stop_feed));
}
