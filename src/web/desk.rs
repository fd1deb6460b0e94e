//! The back office's schedule and booking pages: the picture of a day, a week or a
//! month, and a booking with its history as staff see it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde_json::json;

use crate::domain::error::{Error, ProblemCode};
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::staff::Actor;
use crate::domain::staff::{Role, Staff};
use crate::http::AppState;
use crate::workflow::{amend, cancel, change, lookup, reassign, report, staff as work};

use super::form::{query_value, Errors, FieldView};
use super::i18n::say;
use super::schedule::{self, View};
use super::session::cookie;
use super::{views, PageError, Visit};

/// The viewer's last chosen zone, so the schedule opens in it.
const ZONE_COOKIE: &str = "greenroom_staff_zone";

fn zone_cookie(zone: &str, secure: bool) -> String {
    format!(
        "{ZONE_COOKIE}={zone}; Path=/staff; Max-Age=31536000; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The producer row a member may see: all (staff who schedule) or their own (a
/// producer, found by their e-mail on the roster).
async fn own_producer(
    state: &AppState,
    visit: &Visit,
    staff: &Staff,
) -> Result<Option<Option<String>>, PageError> {
    if staff.role.allows(Role::Scheduler) {
        return Ok(Some(None));
    }
    let email = staff
        .member
        .as_ref()
        .map(|m| m.email.clone())
        .unwrap_or_default();
    let found = state
        .run(move |svc| work::producer_with_email(svc, &email))
        .await
        .map_err(visit.fail(state))?;
    Ok(found.map(Some))
}

/// `GET /staff/schedule?view=day|week|month&date=YYYY-MM-DD&zone=Area/City`.
pub async fn schedule_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Producer);
    let loc = visit.locale;
    let q = req.query_string();
    let mut errors = Errors::default();
    let view_text = query_value(q, "view").unwrap_or_else(|| "week".into());
    let view = View::parse(&view_text).unwrap_or_else(|| {
        errors.add(
            "view",
            say(
                loc,
                "err_format",
                &[("label", &say(loc, "label_view", &[]))],
            ),
        );
        View::Week
    });
    let now = state.services.now();
    let zone_text = query_value(q, "time_zone")
        .map(|z| z.trim().to_string())
        .or_else(|| cookie(&req, ZONE_COOKIE))
        .unwrap_or_else(|| "UTC".into());
    let tz: Tz = zone_text.parse().unwrap_or_else(|_| {
        errors.add("time_zone", say(loc, "err_time_zone", &[]));
        chrono_tz::UTC
    });
    let today = now.with_timezone(&tz).date_naive();
    let date_text = query_value(q, "date").unwrap_or_default();
    let date = if date_text.is_empty() {
        today
    } else {
        match NaiveDate::parse_from_str(&date_text, "%Y-%m-%d") {
            Ok(d) if (2000..=2999).contains(&chrono::Datelike::year(&d)) => d,
            _ => {
                errors.add(
                    "date",
                    say(
                        loc,
                        "err_format",
                        &[("label", &say(loc, "label_date", &[]))],
                    ),
                );
                today
            }
        }
    };
    let Some(only) = own_producer(&state, &visit, &staff).await? else {
        return visit.page(
            &state,
            "staff_schedule",
            "title_staff_schedule",
            json!({ "is_admin": false, "no_row": true, "heading": "", "errors": [], "section": "schedule" }),
        );
    };
    let range = schedule::range(view, date, tz);
    let o = only.clone();
    let board = state
        .run(move |svc| work::board(svc, range, o.as_deref()))
        .await
        .map_err(visit.fail(&state))?;
    let link = |v: View, d: NaiveDate| {
        format!(
            "/staff/schedule?view={}&date={}&time_zone={}",
            v.as_str(),
            d.format("%Y-%m-%d"),
            form_urlencoded::byte_serialize(tz.name().as_bytes()).collect::<String>()
        )
    };
    let (first, after) = view.dates(date);
    let heading = match view {
        View::Day => crate::email::format::day(date, loc.as_str()),
        View::Week => say(
            loc,
            "schedule_week_of",
            &[
                ("first", &crate::email::format::day(first, loc.as_str())),
                (
                    "last",
                    &crate::email::format::day(after - chrono::Duration::days(1), loc.as_str()),
                ),
            ],
        ),
        View::Month => crate::email::format::month(
            chrono::Datelike::year(&first),
            chrono::Datelike::month0(&first) as usize,
            loc.as_str(),
        ),
    };
    let views: Vec<serde_json::Value> = [View::Day, View::Week, View::Month]
        .iter()
        .map(|v| {
            json!({"href": link(*v, date), "label": say(loc, &format!("schedule_view_{}", v.as_str()), &[]), "current": *v == view})
        })
        .collect();
    let mut zone = FieldView::new(loc, "time_zone", "text", tz.name(), &errors).max(64);
    zone.list = Some("zones");
    zone.hint = Some(say(loc, "schedule_zone_hint", &[]));
    let data = json!({
        "is_admin": staff.role == Role::Admin,
        "is_scheduler": staff.role.allows(Role::Scheduler),
        "errors": errors.summary(),
        "heading": heading,
        "view": view.as_str(),
        "is_month": view == View::Month,
        "views": views,
        "earlier": link(view, view.step(date, false)),
        "later": link(view, view.step(date, true)),
        "today": link(view, today),
        "date": FieldView::new(loc, "date", "date", &date.format("%Y-%m-%d").to_string(), &errors),
        "zone": zone,
        "zone_name": tz.name(),
        "zone_q": form_urlencoded::byte_serialize(tz.name().as_bytes()).collect::<String>(),
        "section": "schedule",
        "wide": true,
        "zones": chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect::<Vec<_>>(),
        "picture": (view != View::Month).then(|| schedule::draw(&board, view, date, tz, now, loc)),
        "weeks": (view == View::Month).then(|| schedule::month(&board, date, tz, loc)),
        "weekdays": crate::email::format::weekdays_short(loc.as_str()),
        "day_links": (view == View::Month).then(|| link(View::Day, date)),
        "empty": board.roster.people.is_empty(),
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = visit.page_with_status(
        &state,
        status,
        "staff_schedule",
        "title_staff_schedule",
        data,
    )?;
    if errors.is_empty() && query_value(q, "time_zone").is_some() {
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&zone_cookie(
            tz.name(),
            req.connection_info().scheme() == "https",
        )) {
            res.headers_mut()
                .append(actix_web::http::header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// What the desk's forms hold when a page is shown again.
#[derive(Default)]
struct Typed {
    date: String,
    time: String,
    override_lead_time: bool,
    reason: String,
    waive: bool,
    /// The order's fields as typed in "Change what was ordered".
    amend: std::collections::HashMap<String, String>,
    /// "After the event", as typed.
    attendance: String,
    recording_links: String,
    no_show_reason: String,
}

/// The fields of "Change what was ordered", as the order pages name them.
const AMEND_FIELDS: [&str; 11] = [
    "package",
    "duration_minutes",
    "event.title",
    "event.details",
    "event.comments",
    "company",
    "site",
    "contact.first_name",
    "contact.last_name",
    "contact.phone",
    "contact.email",
];

/// Extensions a customer orders (not those added from the duration), in catalogue order.
fn orderable_extensions() -> Vec<&'static str> {
    crate::domain::catalogue::Catalogue::get()
        .extensions
        .iter()
        .filter(|(_, e)| !e.automatic)
        .map(|(id, _)| id.as_str())
        .collect()
}

/// What the booking says now, by the amend form's field names.
fn amend_values(b: &crate::domain::booking::Booking) -> std::collections::HashMap<String, String> {
    [
        ("package", b.package_id.clone()),
        ("duration_minutes", b.duration_minutes.to_string()),
        ("event.title", b.event.title.clone()),
        ("event.details", b.event.details.clone().unwrap_or_default()),
        (
            "event.comments",
            b.event.comments.clone().unwrap_or_default(),
        ),
        ("company", b.company.clone()),
        ("site", b.site.clone()),
        ("contact.first_name", b.contact.first_name.clone()),
        ("contact.last_name", b.contact.last_name.clone()),
        ("contact.phone", b.contact.phone.clone()),
        ("contact.email", b.contact.email.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .chain(orderable_extensions().into_iter().map(|id| {
        let quantity = b
            .extensions
            .iter()
            .find(|e| e.id == id)
            .map_or(0, |e| e.quantity);
        (format!("ext.{id}"), quantity.to_string())
    }))
    .collect()
}

/// The API's order request for the booking as the amend form says it should read.
fn amend_request(
    b: &crate::domain::booking::Booking,
    typed: &std::collections::HashMap<String, String>,
) -> serde_json::Value {
    let get = |k: &str| {
        typed
            .get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let optional = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    let package = get("package");
    let extensions: Vec<serde_json::Value> = orderable_extensions()
        .into_iter()
        .filter_map(|id| {
            let q = get(&format!("ext.{id}"));
            match q.parse::<i64>() {
                Ok(0) => None,
                Ok(n) => Some(json!({"id": id, "quantity": n})),
                Err(_) if q.is_empty() => None,
                Err(_) => Some(json!({"id": id, "quantity": q})),
            }
        })
        .collect();
    let mut meeting = serde_json::to_value(&b.meeting).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut meeting {
        m.retain(|_, v| !v.is_null());
        if m.get("scheduled") == Some(&serde_json::Value::Bool(false)) {
            m.remove("scheduled_by");
        }
    }
    json!({
        "contact": {
            "first_name": get("contact.first_name"),
            "last_name": get("contact.last_name"),
            "phone": get("contact.phone"),
            "email": get("contact.email"),
            "locale": b.contact.locale,
        },
        "company": get("company"),
        "site": get("site"),
        "package": package,
        "start": b.start.to_rfc3339(),
        "time_zone": b.time_zone.name(),
        "duration_minutes": get("duration_minutes").parse::<i64>().map(serde_json::Value::from).unwrap_or_else(|_| json!(get("duration_minutes"))),
        "meeting": meeting,
        "event": {
            "title": get("event.title"),
            "details": optional("event.details"),
            "comments": optional("event.comments"),
            "language": b.event.language,
        },
        "extensions": extensions,
    })
}

/// The booking a member may work on: any (schedulers and admins) or their own
/// (producers, who only read).
async fn open_booking(
    state: &AppState,
    visit: &Visit,
    staff: &Staff,
    number: &str,
) -> Result<crate::domain::booking::BookingDetails, PageError> {
    let number = ReservationNumber::parse(number)
        .map_err(|_| visit.fail(state)(Error::booking_not_found()))?;
    let found = state
        .run(move |svc| lookup::by_number(svc, &number))
        .await
        .map_err(visit.fail(state))?;
    match own_producer(state, visit, staff).await? {
        Some(None) => Ok(found),
        Some(Some(own)) if found.booking.producer_id == own => Ok(found),
        _ => Err(visit.fail(state)(Error::booking_not_found())),
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_booking(
    visit: &Visit,
    state: &AppState,
    staff: &Staff,
    found: &crate::domain::booking::BookingDetails,
    errors: &Errors,
    typed: &Typed,
    alternatives: Vec<serde_json::Value>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let b = &found.booking;
    let tz = b.time_zone;
    let day = b.start.with_timezone(&tz).date_naive();
    let now = state.services.now();
    let can_edit = staff.role.allows(Role::Scheduler) && !b.is_cancelled() && b.end > now;
    let candidates = if can_edit {
        let number = b.number.clone();
        state
            .run(move |svc| reassign::candidates(svc, &number))
            .await
            .map_err(visit.fail(state))?
    } else {
        Vec::new()
    };
    let fee_now = (!b.is_cancelled())
        .then(|| {
            crate::domain::policy::applicable_rule(
                &b.cancellation_policy,
                b.start,
                state.services.now(),
            )
            .map(|rule| {
                say(
                    loc,
                    "fee_line",
                    &[
                        (
                            "fee",
                            &loc.money(&crate::domain::policy::fee(rule, &b.charges.total)),
                        ),
                        ("percent", &rule.fee_percent.to_string()),
                    ],
                )
            })
        })
        .flatten();
    let local = b.start.with_timezone(&tz);
    let (date, time) = if typed.date.is_empty() && typed.time.is_empty() {
        (
            local.format("%Y-%m-%d").to_string(),
            local.format("%H:%M").to_string(),
        )
    } else {
        (typed.date.clone(), typed.time.clone())
    };
    let producer_choices: Vec<(String, String)> = candidates
        .iter()
        .map(|c| {
            let speaks = if c.speaks {
                format!(
                    " — {}",
                    say(
                        loc,
                        "desk_speaks",
                        &[(
                            "language",
                            &crate::domain::locale::language_name(&b.language, loc)
                        )]
                    )
                )
            } else {
                String::new()
            };
            (
                c.producer.id.clone(),
                format!(
                    "{} ({}){speaks}",
                    c.producer.name,
                    c.producer.time_zone.name()
                ),
            )
        })
        .collect();
    visit.page_with_status(
        state,
        status,
        "staff_booking",
        "title_staff_booking",
        json!({
            "is_admin": staff.role == Role::Admin,
            "is_scheduler": staff.role.allows(Role::Scheduler),
            "section": "bookings",
            "booking": views::booking(found, loc),
            "can_edit": can_edit,
            "errors": errors.summary(),
            "schedule_link": format!(
                "/staff/schedule?view=day&date={}&time_zone={}",
                day.format("%Y-%m-%d"),
                form_urlencoded::byte_serialize(tz.name().as_bytes()).collect::<String>()
            ),
            "zone": tz.name(),
            "date": FieldView::new(loc, "date", "date", &date, errors),
            "time": FieldView::new(loc, "time", "time", &time, errors),
            "override_lead_time": typed.override_lead_time,
            "override_error": errors.get("override_lead_time"),
            "alternatives": alternatives,
            "has_candidates": !producer_choices.is_empty(),
            "producer": FieldView::new(loc, "producer", "select", "", errors).choices(producer_choices),
            "fee_now": fee_now,
            "reason": FieldView::new(loc, "reason", "textarea", &typed.reason, errors).optional().max(500),
            "waive": typed.waive,
            "amend": amend_view(loc, b, &typed.amend, errors),
            "after_event": !b.is_cancelled() && now >= b.start,
            "can_report": !b.is_cancelled() && now >= b.end,
            "attendance": FieldView::new(loc, "attendance", "textarea", &typed.attendance, errors).optional(),
            "recording_links": FieldView::new(loc, "recording_links", "textarea", &typed.recording_links, errors).optional(),
            "no_show_reason": FieldView::new(loc, "no_show_reason", "textarea", &typed.no_show_reason, errors).max(1000),
        }),
    )
}

fn amend_view(
    loc: crate::domain::locale::Locale,
    b: &crate::domain::booking::Booking,
    typed: &std::collections::HashMap<String, String>,
    errors: &Errors,
) -> serde_json::Value {
    let now = amend_values(b);
    let value = |k: &str| {
        typed
            .get(k)
            .or_else(|| now.get(k))
            .cloned()
            .unwrap_or_default()
    };
    let field = |k: &str, kind: &'static str| FieldView::new(loc, k, kind, &value(k), errors);
    json!({
        "package": field("package", "select").choices(views::package_choices(loc)),
        "duration": field("duration_minutes", "select").choices(views::duration_choices(loc)),
        "title": field("event.title", "text").max(200),
        "details": field("event.details", "textarea").optional().max(5000),
        "comments": field("event.comments", "textarea").optional().max(1000),
        "company": field("company", "text").max(200),
        "site": field("site", "text").max(253),
        "first_name": field("contact.first_name", "text").max(100),
        "last_name": field("contact.last_name", "text").max(100),
        "phone": field("contact.phone", "tel").max(40),
        "email": field("contact.email", "email").max(254),
        "extensions": orderable_extensions().into_iter().map(|id| {
            let (name, unit) = crate::domain::catalogue::Catalogue::get().extension_text(id, loc);
            let key = format!("ext.{id}");
            FieldView::new(loc, &key, "number", &value(&key), errors)
                .label(&format!("{name} ({unit})"))
                .optional()
        }).collect::<Vec<_>>(),
    })
}

/// `POST /staff/bookings/{number}/amend`: what was ordered, changed by staff; charges
/// recomputed; the customer and the producers are told.
pub async fn amend_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let found = open_booking(&state, &visit, &staff, &path).await?;
    let loc = visit.locale;
    let typed = Typed {
        amend: AMEND_FIELDS
            .iter()
            .map(|k| k.to_string())
            .chain(
                orderable_extensions()
                    .into_iter()
                    .map(|id| format!("ext.{id}")),
            )
            .map(|k| {
                let v = form.get(&k).to_string();
                (k, v)
            })
            .collect(),
        ..Typed::default()
    };
    let parsed = serde_json::from_value::<crate::http::bookings::json::OrderRequest>(
        amend_request(&found.booking, &typed.amend),
    )
    .map_err(|e| {
        vec![crate::domain::error::FieldError::new(
            "package",
            ProblemCode::InvalidFormat,
            e.to_string(),
        )]
    })
    .and_then(crate::http::bookings::json::OrderRequest::parse);
    let result = match parsed {
        Err(found) => Err(Error::Invalid(found)),
        Ok(order) => {
            let number = found.booking.number.clone();
            let actor = Actor::Staff(staff.clone());
            state
                .run(move |svc| amend::amend(svc, &number, &order, &actor))
                .await
        }
    };
    let mut errors = Errors::default();
    let status = match result {
        Ok(_) => return Ok(visit.redirect(&booking_path(&found.booking.number.to_string()))),
        Err(Error::Invalid(found_errors)) => {
            let limits = super::manage::limits_for(&state, &found, loc);
            // An extension's problem goes next to its quantity, in the API's words.
            let sent: Vec<String> = amend_request(&found.booking, &typed.amend)["extensions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e["id"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let (ext, rest): (Vec<_>, Vec<_>) = found_errors
                .into_iter()
                .partition(|e| e.field.starts_with("extensions["));
            for e in ext {
                let index: Option<usize> = e.field["extensions[".len()..]
                    .split(']')
                    .next()
                    .and_then(|i| i.parse().ok());
                match index.and_then(|i| sent.get(i)) {
                    Some(id) => errors.add(&format!("ext.{id}"), e.message),
                    None => errors.add("package", e.message),
                }
            }
            errors.explain_all(loc, &rest, &limits);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(Error::Refused {
            code: ProblemCode::NoProducerAvailable,
            ..
        }) => {
            errors.add("duration_minutes", say(loc, "desk_amend_busy", &[]));
            StatusCode::CONFLICT
        }
        Err(e) => return Err(visit.fail(&state)(e)),
    };
    render_booking(
        &visit,
        &state,
        &staff,
        &found,
        &errors,
        &typed,
        vec![],
        status,
    )
    .await
}

/// `GET /staff/bookings/{number}`: a booking with its history, who did what, and (for
/// schedulers) moving, reassigning and cancelling it.
pub async fn booking_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Producer);
    let found = open_booking(&state, &visit, &staff, &path).await?;
    render_booking(
        &visit,
        &state,
        &staff,
        &found,
        &Errors::default(),
        &Typed::default(),
        vec![],
        StatusCode::OK,
    )
    .await
}

fn booking_path(number: &str) -> String {
    format!("/staff/bookings/{number}")
}

/// `POST /staff/bookings/{number}/move`: a new date and time (in the booking's zone);
/// staff may book inside the lead time.
pub async fn move_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let found = open_booking(&state, &visit, &staff, &path).await?;
    let loc = visit.locale;
    let mut typed = Typed {
        date: form.get("date").trim().to_string(),
        time: form.get("time").trim().to_string(),
        override_lead_time: form.get("override_lead_time") == "yes",
        ..Typed::default()
    };
    if let Some((d, t)) = form
        .action()
        .strip_prefix("pick:")
        .and_then(|p| p.split_once('T'))
    {
        (typed.date, typed.time) = (d.to_string(), t.to_string());
    }
    let mut errors = Errors::default();
    errors.require(loc, &[("date", &typed.date), ("time", &typed.time)]);
    if errors.is_empty() {
        let request = change::Reschedule {
            number: found.booking.number.clone(),
            email: None,
            start: format!("{}T{}", typed.date, typed.time),
            time_zone: None,
            override_lead_time: typed.override_lead_time,
        };
        let actor = Actor::Staff(staff.clone());
        match state
            .run(move |svc| change::reschedule(svc, &request, &actor))
            .await
        {
            Ok(_) => return Ok(visit.redirect(&booking_path(&found.booking.number.to_string()))),
            Err(Error::NoProducer { alternatives, .. }) => {
                errors.add("date", say(loc, "err_no_producer", &[]));
                let alts = super::manage::alternatives_view(loc, &alternatives);
                return render_booking(
                    &visit,
                    &state,
                    &staff,
                    &found,
                    &errors,
                    &typed,
                    alts,
                    StatusCode::CONFLICT,
                )
                .await;
            }
            Err(Error::Invalid(found_errors)) => {
                let limits = super::manage::limits_for(&state, &found, loc);
                errors.explain_all(loc, &found_errors, &limits);
                if found_errors.iter().any(|e| e.code == ProblemCode::LeadTime) {
                    errors.add("override_lead_time", say(loc, "desk_override_hint", &[]));
                }
            }
            Err(e) => return Err(visit.fail(&state)(e)),
        }
    }
    render_booking(
        &visit,
        &state,
        &staff,
        &found,
        &errors,
        &typed,
        vec![],
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /staff/bookings/{number}/reassign`: another producer free for the whole window.
pub async fn reassign_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let found = open_booking(&state, &visit, &staff, &path).await?;
    let loc = visit.locale;
    let producer = form.get("producer").to_string();
    let number = found.booking.number.clone();
    let actor = Actor::Staff(staff.clone());
    match state
        .run(move |svc| reassign::reassign(svc, &number, &producer, &actor))
        .await
    {
        Ok(_) => Ok(visit.redirect(&booking_path(&found.booking.number.to_string()))),
        Err(Error::Invalid(_))
        | Err(Error::Refused {
            code: ProblemCode::NoProducerAvailable,
            ..
        }) => {
            let mut errors = Errors::default();
            errors.add("producer", say(loc, "desk_producer_busy", &[]));
            render_booking(
                &visit,
                &state,
                &staff,
                &found,
                &errors,
                &Typed::default(),
                vec![],
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

/// `POST /staff/bookings/{number}/cancel`: the policy's fee, or none with a reason.
pub async fn cancel_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let found = open_booking(&state, &visit, &staff, &path).await?;
    let loc = visit.locale;
    let typed = Typed {
        reason: form.get("reason").trim().chars().take(500).collect(),
        waive: form.get("waive") == "yes",
        ..Typed::default()
    };
    if typed.waive && typed.reason.is_empty() {
        let mut errors = Errors::default();
        errors.add("reason", say(loc, "desk_waive_reason", &[]));
        return render_booking(
            &visit,
            &state,
            &staff,
            &found,
            &errors,
            &typed,
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let number = found.booking.number.clone();
    let actor = Actor::Staff(staff.clone());
    let (reason, waive) = (
        Some(typed.reason.clone()).filter(|r| !r.is_empty()),
        typed.waive,
    );
    match state
        .run(move |svc| cancel::cancel_with(svc, &number, None, reason.as_deref(), waive, &actor))
        .await
    {
        Ok(_)
        | Err(Error::Refused {
            code: ProblemCode::BookingCancelled,
            ..
        }) => Ok(visit.redirect(&booking_path(&found.booking.number.to_string()))),
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

/// `POST /staff/bookings/{number}/after-event`: the producer (their own bookings) or
/// staff who schedule send the follow-up (the attendance report pasted or read from a
/// file, the recording's links one a line), or record a no-show.
pub async fn after_event_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Producer);
    let found = open_booking(&state, &visit, &staff, &path).await?;
    let loc = visit.locale;
    let typed = Typed {
        attendance: form.get("attendance").to_string(),
        recording_links: form.get("recording_links").to_string(),
        no_show_reason: form.get("no_show_reason").trim().to_string(),
        ..Typed::default()
    };
    let number = found.booking.number.clone();
    let who = staff.clone();
    let result = if form.get("action") == "no_show" {
        let reason = typed.no_show_reason.clone();
        if reason.is_empty() {
            Err(Error::Invalid(vec![crate::domain::error::FieldError::new(
                "reason",
                ProblemCode::Required,
                say(loc, "desk_no_show_reason", &[]),
            )]))
        } else {
            state
                .run(move |svc| report::no_show(svc, &number, reason, &who))
                .await
        }
    } else {
        let csv = typed.attendance.trim().to_string();
        let links: Vec<String> = typed
            .recording_links
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        state
            .run(move |svc| {
                if !csv.is_empty() {
                    report::upload_attendance(svc, &number, csv, &who)?;
                }
                for (i, link) in links.iter().enumerate() {
                    crate::domain::report::recording_link(link).map_err(|(code, message)| {
                        Error::field(&format!("recording_links[{i}]"), code, message)
                    })?;
                }
                report::follow_up(svc, &number, links, &who)
            })
            .await
    };
    let errors = match result {
        Ok(_) => return Ok(visit.redirect(&booking_path(&found.booking.number.to_string()))),
        Err(Error::Invalid(problems)) => {
            let mut errors = Errors::default();
            for p in problems {
                // "recording_links[1]" is told beside the links; "reason" beside the
                // no-show's reason.
                let field = match p.field.split('[').next().unwrap_or("") {
                    "reason" => "no_show_reason",
                    other => other,
                };
                errors.add(field, p.message);
            }
            errors
        }
        Err(e) => return Err(visit.fail(&state)(e)),
    };
    render_booking(
        &visit,
        &state,
        &staff,
        &found,
        &errors,
        &typed,
        vec![],
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `GET /staff/bookings?q=&date=`: find bookings by number, contact e-mail or company,
/// and by the day they start (in the zone the schedule uses).
pub async fn search_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let loc = visit.locale;
    let q = req.query_string();
    let text = query_value(q, "q").unwrap_or_default().trim().to_string();
    let date_text = query_value(q, "date")
        .unwrap_or_default()
        .trim()
        .to_string();
    let tz: Tz = cookie(&req, ZONE_COOKIE)
        .and_then(|z| z.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let mut errors = Errors::default();
    let day = if date_text.is_empty() {
        None
    } else {
        match NaiveDate::parse_from_str(&date_text, "%Y-%m-%d") {
            Ok(d) if (2000..=2999).contains(&chrono::Datelike::year(&d)) => {
                Some(schedule::range(View::Day, d, tz))
            }
            _ => {
                errors.add(
                    "date",
                    say(
                        loc,
                        "err_format",
                        &[("label", &say(loc, "label_date", &[]))],
                    ),
                );
                None
            }
        }
    };
    let asked = !text.is_empty() || day.is_some();
    let results = if asked && errors.is_empty() {
        let t = text.clone();
        state
            .run(move |svc| work::find_bookings(svc, &t, day))
            .await
            .map_err(visit.fail(&state))?
    } else {
        Vec::new()
    };
    let rows: Vec<serde_json::Value> = results
        .iter()
        .map(|d| {
            let b = &d.booking;
            let w = views::when(b.start, b.end, tz, loc);
            json!({
                "number": b.number.to_string(),
                "href": booking_path(&b.number.to_string()),
                "when": format!("{}, {}–{}", w.date, w.start, w.end),
                "company": b.company,
                "contact": format!("{} {} <{}>", b.contact.first_name, b.contact.last_name, b.contact.email),
                "producer": d.producer.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
                "cancelled": b.is_cancelled(),
                "pending": b.language_pending,
            })
        })
        .collect();
    visit.page_with_status(
        &state,
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        "staff_bookings",
        "title_staff_bookings",
        json!({
            "is_admin": staff.role == Role::Admin,
            "is_scheduler": staff.role.allows(Role::Scheduler),
            "section": "bookings",
            "errors": errors.summary(),
            "q": FieldView::new(loc, "q", "text", &text, &errors).optional().max(254),
            "date": FieldView::new(loc, "date", "date", &date_text, &errors).optional(),
            "asked": asked,
            "results": rows,
            "zone": tz.name(),
        }),
    )
}

/// `GET /calendar/{secret}.ics`: a producer's own bookings as a calendar to subscribe
/// to, from the private URL their home page makes (no sign-in: the secret is the key).
/// Each event is the producer's window (from the preparation to the end) in UTC.
pub async fn calendar_feed(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let gone = || {
        HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("This calendar feed does not exist or was stopped. Make a new link from your Greenroom home page.\n")
    };
    let Some(token) = path
        .strip_suffix(".ics")
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
    else {
        return gone();
    };
    let found = match state.run(move |svc| work::feed(svc, &token)).await {
        Ok(Some(found)) => found,
        Ok(None) => return gone(),
        Err(e) => return crate::http::problem::Problem::of(&e).response(),
    };
    let (producer, bookings, sessions) = found;
    let base = state
        .services
        .mail
        .manage_url
        .trim_end_matches("/manage")
        .to_string();
    let tz = producer.time_zone;
    let events: Vec<crate::email::ics::FeedEvent> = bookings
        .iter()
        .map(|b| {
            let package = b
                .package()
                .map(|p| p.name.clone())
                .unwrap_or_else(|| b.package_id.clone());
            let mut description = vec![
                format!(
                    "{} {} – {} ({}); you start at {}.",
                    crate::email::format::date(b.start, tz, "en"),
                    crate::email::format::time(b.start, tz),
                    crate::email::format::time(b.end, tz),
                    tz.name(),
                    crate::email::format::time(b.window_start, tz)
                ),
                format!("Reservation {} · {package}", b.number),
                format!("{} · site {}", b.company, b.site),
                format!(
                    "Contact: {} {} <{}> {}",
                    b.contact.first_name, b.contact.last_name, b.contact.email, b.contact.phone
                ),
                format!(
                    "Language: {}{}",
                    crate::domain::locale::language_name(
                        &b.language,
                        crate::domain::locale::Locale::En
                    ),
                    if b.language_pending {
                        " (to be confirmed)"
                    } else {
                        ""
                    }
                ),
            ];
            if let Some(d) = &b.event.details {
                description.push(d.clone());
            }
            if let Some(c) = &b.event.comments {
                description.push(c.clone());
            }
            crate::email::ics::FeedEvent {
                uid: format!("{}@greenroom", b.id),
                start: b.window_start,
                end: b.window_end,
                summary: format!("{package}: {} ({})", b.event.title, b.number),
                description: description.join("\n"),
                location: b.site.clone(),
                url: format!("{base}/staff/bookings/{}", b.number),
            }
        })
        .chain(sessions.iter().map(|(s, b)| {
            let name = crate::domain::session::SessionKind::of_name(&s.name)
                .map_or(s.name.as_str(), |k| k.label("en"));
            crate::email::ics::FeedEvent {
                uid: format!("{}-{}@greenroom", b.id, s.name),
                start: s.start,
                end: s.end,
                summary: format!("{name}: {} ({})", b.event.title, b.number),
                description: format!(
                    "{name} with {} {} <{}> {}, {}, to prepare the event of {} {} ({}).",
                    b.contact.first_name,
                    b.contact.last_name,
                    b.contact.email,
                    b.contact.phone,
                    b.company,
                    crate::email::format::date(b.start, tz, "en"),
                    crate::email::format::time(b.start, tz),
                    tz.name()
                ),
                location: b.site.clone(),
                url: format!("{base}/staff/bookings/{}", b.number),
            }
        }))
        .collect();
    let body = crate::email::ics::feed(
        &format!("Greenroom: {}", producer.name),
        &events,
        state.services.now(),
    );
    HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "private, max-age=300",
        ))
        .body(body)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/calendar/{file}", web::get().to(calendar_feed))
        .route("/staff/schedule", web::get().to(schedule_page))
        .route("/staff/bookings", web::get().to(search_page))
        .route("/staff/bookings/{number}", web::get().to(booking_page))
        .route("/staff/bookings/{number}/move", web::post().to(move_form))
        .route(
            "/staff/bookings/{number}/reassign",
            web::post().to(reassign_form),
        )
        .route(
            "/staff/bookings/{number}/cancel",
            web::post().to(cancel_form),
        )
        .route("/staff/bookings/{number}/amend", web::post().to(amend_form))
        .service(
            // The attendance report rides in the form: room for it, encoded.
            web::resource("/staff/bookings/{number}/after-event")
                .app_data(web::PayloadConfig::new(
                    3 * crate::domain::report::MAX_ATTENDANCE_BYTES,
                ))
                .route(web::post().to(after_event_form)),
        );
}
