//! The back office's schedule and booking pages: the picture of a day, a week or a
//! month, and a booking with its history as staff see it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde_json::json;

use crate::domain::error::Error;
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::staff::{Role, Staff};
use crate::http::AppState;
use crate::workflow::{lookup, staff as work};

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

/// `GET /staff/bookings/{number}`: a booking with its history, who did what.
pub async fn booking_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Producer);
    let number = ReservationNumber::parse(&path)
        .map_err(|_| visit.fail(&state)(Error::booking_not_found()))?;
    let found = state
        .run(move |svc| lookup::by_number(svc, &number))
        .await
        .map_err(visit.fail(&state))?;
    if let Some(Some(own)) = own_producer(&state, &visit, &staff).await? {
        if found.booking.producer_id != own {
            return Err(visit.fail(&state)(Error::booking_not_found()));
        }
    } else if !staff.role.allows(Role::Scheduler) {
        return Err(visit.fail(&state)(Error::booking_not_found()));
    }
    let loc = visit.locale;
    let b = &found.booking;
    let day = b.start.with_timezone(&b.time_zone).date_naive();
    visit.page(
        &state,
        "staff_booking",
        "title_staff_booking",
        json!({
            "is_admin": staff.role == Role::Admin,
            "booking": views::booking(&found, loc),
            "schedule_link": format!(
                "/staff/schedule?view=day&date={}&time_zone={}",
                day.format("%Y-%m-%d"),
                form_urlencoded::byte_serialize(b.time_zone.name().as_bytes()).collect::<String>()
            ),
        }),
    )
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/schedule", web::get().to(schedule_page))
        .route("/staff/bookings/{number}", web::get().to(booking_page));
}
