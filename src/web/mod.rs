//! The pages: the package comparison, the four steps of an order, and finding, changing
//! and cancelling a booking. Server-rendered with handlebars (the e-mails' registry),
//! each form posting back and redirecting, so every page works without JavaScript; a
//! small script only helps (the browser's time zone, answers as you type).

/// The member signed in with at least a role, or (from the handler) the way to the
/// sign-in page.
macro_rules! staff_or_sign_in {
    ($req:expr, $state:expr, $visit:expr, $role:expr) => {
        match $crate::web::staff::require(&$req, &$state, &$visit, $role).await? {
            Ok(staff) => staff,
            Err(to_sign_in) => return Ok(to_sign_in),
        }
    };
}

mod calendar;
mod desk;
mod form;
mod i18n;
mod manage;
mod order;
mod preparation;
mod roster;
mod schedule;
mod session;
pub mod staff;
mod views;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde_json::{json, Value};

use crate::domain::error::{Error, ProblemCode};
use crate::domain::locale::Locale;
use crate::http::AppState;

pub use i18n::messages;
use session::Session;

/// The pages' templates, by name; `partials/…` are partials. Embedded: the binary runs
/// from any folder.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "partials/page_top",
        include_str!("templates/partials/page_top.hbs"),
    ),
    (
        "partials/page_bottom",
        include_str!("templates/partials/page_bottom.hbs"),
    ),
    (
        "partials/field",
        include_str!("templates/partials/field.hbs"),
    ),
    (
        "partials/steps",
        include_str!("templates/partials/steps.hbs"),
    ),
    (
        "partials/errors",
        include_str!("templates/partials/errors.hbs"),
    ),
    (
        "partials/charges",
        include_str!("templates/partials/charges.hbs"),
    ),
    (
        "partials/booking",
        include_str!("templates/partials/booking.hbs"),
    ),
    (
        "partials/alternatives",
        include_str!("templates/partials/alternatives.hbs"),
    ),
    ("home", include_str!("templates/home.hbs")),
    ("order_slot", include_str!("templates/order_slot.hbs")),
    ("order_meeting", include_str!("templates/order_meeting.hbs")),
    ("order_event", include_str!("templates/order_event.hbs")),
    ("order_done", include_str!("templates/order_done.hbs")),
    (
        "order_cancelled",
        include_str!("templates/order_cancelled.hbs"),
    ),
    ("manage_find", include_str!("templates/manage_find.hbs")),
    (
        "manage_booking",
        include_str!("templates/manage_booking.hbs"),
    ),
    ("manage_change", include_str!("templates/manage_change.hbs")),
    (
        "manage_sessions",
        include_str!("templates/manage_sessions.hbs"),
    ),
    ("manage_update", include_str!("templates/manage_update.hbs")),
    (
        "manage_changed",
        include_str!("templates/manage_changed.hbs"),
    ),
    ("manage_cancel", include_str!("templates/manage_cancel.hbs")),
    (
        "manage_cancelled",
        include_str!("templates/manage_cancelled.hbs"),
    ),
    ("problem", include_str!("templates/problem.hbs")),
    (
        "partials/staff_nav",
        include_str!("templates/partials/staff_nav.hbs"),
    ),
    ("staff_sign_in", include_str!("templates/staff_sign_in.hbs")),
    ("staff_welcome", include_str!("templates/staff_welcome.hbs")),
    ("staff_home", include_str!("templates/staff_home.hbs")),
    ("staff_members", include_str!("templates/staff_members.hbs")),
    ("staff_secret", include_str!("templates/staff_secret.hbs")),
    (
        "staff_schedule",
        include_str!("templates/staff_schedule.hbs"),
    ),
    ("staff_booking", include_str!("templates/staff_booking.hbs")),
    (
        "staff_bookings",
        include_str!("templates/staff_bookings.hbs"),
    ),
    ("staff_roster", include_str!("templates/staff_roster.hbs")),
    ("staff_feed", include_str!("templates/staff_feed.hbs")),
    (
        "staff_producer",
        include_str!("templates/staff_producer.hbs"),
    ),
    (
        "staff_closures",
        include_str!("templates/staff_closures.hbs"),
    ),
];

const STYLE: &str = include_str!("assets/greenroom.css");
const SCRIPT: &str = include_str!("assets/greenroom.js");

/// Pages load only this site's own scripts and styles; nothing inline, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// One request to a page: the reader's language, their session, and how to answer.
pub struct Visit {
    pub locale: Locale,
    pub session: Session,
    /// Set the language cookie (the reader chose with the switch).
    chosen_locale: Option<Locale>,
    /// The path and query, to switch language in place.
    here: String,
    /// Cookies get `Secure` when the page was reached over https.
    secure: bool,
}

/// A page that could not be served: shown as a page, in the reader's language.
pub struct PageError {
    locale: Locale,
    error: Error,
    templates: std::sync::Arc<crate::email::render::Templates>,
}

impl std::fmt::Debug for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let t = messages(self.locale);
        let (title, detail) = match &self.error {
            Error::Unavailable(_) => (&t["error_unavailable_title"], &t["error_unavailable"]),
            Error::TooMany { .. } => (&t["error_too_many_title"], &t["error_too_many"]),
            Error::Refused {
                code: ProblemCode::Forbidden,
                ..
            } => (&t["error_expired_title"], &t["error_expired"]),
            Error::Refused {
                code: ProblemCode::NotFound,
                ..
            } => (&t["error_not_found_title"], &t["error_not_found"]),
            Error::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "a page failed");
                (&t["error_internal_title"], &t["error_internal"])
            }
            _ => (&t["error_bad_request_title"], &t["error_bad_request"]),
        };
        let data = json!({
            "t": t, "lang": self.locale.as_str(), "title": title, "detail": detail,
            "switch_en": "?lang=en", "switch_fr": "?lang=fr", "is_fr": self.locale == Locale::Fr,
            "nav": "",
        });
        let body = self.templates.page("problem", &data).unwrap_or_else(|e| {
            tracing::error!(error = %format!("{e:#}"), "the error page does not render");
            "<!DOCTYPE html><title>Greenroom</title><p>This page is unavailable just now.</p>"
                .into()
        });
        let mut res = HttpResponse::build(self.status_code());
        if let Error::TooMany {
            retry_after_secs, ..
        } = &self.error
        {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        html(&mut res).body(body)
    }
}

fn html(res: &mut actix_web::HttpResponseBuilder) -> &mut actix_web::HttpResponseBuilder {
    res.content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
}

impl Visit {
    /// Start serving a page: the language (the switch, then the cookie it set, then the
    /// browser's preference) and the session.
    pub async fn start(req: &HttpRequest, state: &AppState) -> Result<Visit, PageError> {
        let chosen_locale = form::query_value(req.query_string(), "lang")
            .as_deref()
            .and_then(Locale::parse);
        let locale = chosen_locale
            .or_else(|| session::cookie(req, i18n::LANG_COOKIE).and_then(|v| Locale::parse(&v)))
            .unwrap_or_else(|| {
                Locale::from_accept_language(
                    req.headers()
                        .get(header::ACCEPT_LANGUAGE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or(""),
                )
            });
        let fail = |error| PageError {
            locale,
            error,
            templates: state.templates.clone(),
        };
        let session = Session::open(req, state).await.map_err(fail)?;
        let query: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
            .filter(|(k, _)| k != "lang")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let here = if query.is_empty() {
            req.path().to_string()
        } else {
            format!(
                "{}?{}",
                req.path(),
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query)
                    .finish()
            )
        };
        Ok(Visit {
            locale,
            session,
            chosen_locale,
            here,
            secure: req.connection_info().scheme() == "https",
        })
    }

    /// A failure, as a page in the reader's language.
    pub fn fail(&self, state: &AppState) -> impl Fn(Error) -> PageError {
        let locale = self.locale;
        let templates = state.templates.clone();
        move |error| PageError {
            locale,
            error,
            templates: templates.clone(),
        }
    }

    /// A form's body, once its CSRF token is checked against the session's.
    pub fn form(&self, state: &AppState, body: &[u8]) -> Result<form::Form, PageError> {
        let form = form::Form::parse(body);
        if !self.session.has_cookie() || !self.session.csrf_matches(form.get("csrf")) {
            return Err(self.fail(state)(Error::refused(
                ProblemCode::Forbidden,
                "the form's session expired or its token does not match",
            )));
        }
        Ok(form)
    }

    fn cookies(&self, res: &mut actix_web::HttpResponseBuilder) {
        if let Some(c) = self.session.new_cookie(self.secure) {
            res.append_header((header::SET_COOKIE, c));
        }
        if let Some(l) = self.chosen_locale {
            res.append_header((header::SET_COOKIE, i18n::lang_cookie(l, self.secure)));
        }
    }

    /// The page `name`, with what every page shows (its language, the switch, the CSRF
    /// token) added to `data`.
    pub fn page(
        &self,
        state: &AppState,
        name: &str,
        title_key: &str,
        data: Value,
    ) -> Result<HttpResponse, PageError> {
        self.page_with_status(state, StatusCode::OK, name, title_key, data)
    }

    /// A page answered with another status (422 with errors to fix, 409 when taken).
    pub fn page_with_status(
        &self,
        state: &AppState,
        status: StatusCode,
        name: &str,
        title_key: &str,
        mut data: Value,
    ) -> Result<HttpResponse, PageError> {
        let t = messages(self.locale);
        let switch = |l: &str| {
            let sep = if self.here.contains('?') { '&' } else { '?' };
            format!("{}{sep}lang={l}", self.here)
        };
        let common = json!({
            "t": t,
            "lang": self.locale.as_str(),
            "is_fr": self.locale == Locale::Fr,
            "title": t.get(title_key).map(String::as_str).unwrap_or(title_key),
            "csrf": self.session.csrf(),
            "switch_en": switch("en"),
            "switch_fr": switch("fr"),
            "nav": name.split('_').next().unwrap_or(""),
            // Which part of the back office the staff menu marks as current.
            "section": "",
            "wide": false,
            "is_scheduler": false,
        });
        if let (Value::Object(d), Value::Object(c)) = (&mut data, common) {
            for (k, v) in c {
                d.entry(k).or_insert(v);
            }
        }
        let body = state
            .templates
            .page(name, &data)
            .map_err(|e| self.fail(state)(Error::Internal(e)))?;
        let mut res = HttpResponse::build(status);
        self.cookies(&mut res);
        Ok(html(&mut res).body(body))
    }

    /// After a form: see the next page (303, so reload and back never post again).
    pub fn redirect(&self, to: &str) -> HttpResponse {
        let mut res = HttpResponse::SeeOther();
        self.cookies(&mut res);
        res.insert_header((header::LOCATION, to.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish()
    }

    /// Keep the session's data.
    pub async fn save(&self, state: &AppState) -> Result<(), PageError> {
        self.session.save(state).await.map_err(self.fail(state))
    }
}

pub async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(STYLE)
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(SCRIPT)
}

/// Nothing is served here. A browser asking for a page gets a page that says so, in its
/// language; anything else gets the API's problem document (404, or 405 with `Allow`).
pub async fn not_found(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let wants_page = req.method() == actix_web::http::Method::GET
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    if wants_page {
        if let Ok(visit) = Visit::start(&req, &state).await {
            return visit.fail(&state)(Error::refused(ProblemCode::NotFound, "no such page"))
                .error_response();
        }
    }
    crate::http::errors::not_found(req)
        .await
        .unwrap_or_else(|e| e.error_response())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(order::home))
        .route("/order", web::get().to(order::slot_page))
        .route("/order", web::post().to(order::slot_form))
        .route("/order/meeting", web::get().to(order::meeting_page))
        .route("/order/meeting", web::post().to(order::meeting_form))
        .route("/order/event", web::get().to(order::event_page))
        .route("/order/event", web::post().to(order::event_form))
        .route("/order/cancel", web::post().to(order::cancel_order))
        .route("/order/cancelled", web::get().to(order::cancelled_page))
        .route("/order/confirmation", web::get().to(order::done_page))
        .route(
            "/order/confirmation.ics",
            web::get().to(order::done_calendar),
        )
        .route("/manage", web::get().to(manage::find_page))
        .route("/manage", web::post().to(manage::find_form))
        .route("/manage/booking", web::get().to(manage::booking_page))
        .route("/manage/sessions", web::get().to(preparation::page))
        .route("/manage/sessions", web::post().to(preparation::form))
        .route("/manage/change", web::get().to(manage::change_page))
        .route("/manage/change", web::post().to(manage::change_form))
        .route("/manage/update", web::get().to(manage::update_page))
        .route("/manage/update", web::post().to(manage::update_form))
        .route("/manage/changed", web::get().to(manage::changed_page))
        .route("/manage/cancel", web::get().to(manage::cancel_page))
        .route("/manage/cancel", web::post().to(manage::cancel_form))
        .route("/manage/cancelled", web::get().to(manage::cancelled_page))
        .configure(staff::routes)
        .configure(desk::routes)
        .configure(roster::routes)
        .route("/assets/greenroom.css", web::get().to(style))
        .route("/assets/greenroom.js", web::get().to(script))
        // Last: whatever nothing above serves.
        .route("/{anything:.*}", web::route().to(not_found));
}
