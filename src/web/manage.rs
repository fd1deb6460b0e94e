//! The manage pages: find a booking with its number and contact e-mail, see it with its
//! history, change its date and time (alternatives when nobody is free, then the seed's
//! question about the meeting on the customer's site), or cancel it (the fee first,
//! then Yes or No). Failed finds count against the address like the API's.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::domain::booking::BookingDetails;
use crate::domain::error::{Error, ProblemCode};
use crate::domain::local_time::Slot;
use crate::domain::policy::{applicable_rule, fee};
use crate::domain::reservation_number::ReservationNumber;
use crate::email::{self, Kind};
use crate::http::bookings::guarded;
use crate::http::AppState;
use crate::workflow::{cancel, change, lookup, Actor};

use super::form::{DateLimits, Errors, FieldView};
use super::i18n::say;
use super::session::Opened;
use super::views;
use super::{PageError, Visit};

/// The calendar file of a booking: the confirmation e-mail's event.
pub fn ics_of(state: &AppState, d: &BookingDetails) -> Result<String, Error> {
    let producer = d.producer.as_ref().ok_or_else(|| {
        Error::Internal(anyhow::anyhow!("booking {} has no producer", d.booking.id))
    })?;
    let sequence = d.history.as_ref().map_or(0, |h| h.len().saturating_sub(1)) as i32;
    let message = email::contact_message(
        Kind::BookingConfirmed,
        &d.booking,
        producer,
        None,
        sequence,
        &state.services.mail,
    );
    email::ics::calendar(
        Kind::BookingConfirmed,
        &message.payload["ics"],
        state.services.now(),
    )
    .ok_or_else(|| Error::Internal(anyhow::anyhow!("booking {} has no calendar", d.booking.id)))
}

fn number_from_query(req: &HttpRequest) -> String {
    super::form::query_value(req.query_string(), "number")
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(20)
        .collect()
}

async fn render_find(
    visit: &Visit,
    state: &AppState,
    number: &str,
    email: &str,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let f = |name: &str, kind: &'static str, value: &str| {
        FieldView::new(loc, name, kind, value, errors)
    };
    visit.page_with_status(
        state,
        status,
        "manage_find",
        "title_manage_find",
        json!({
            "errors": errors.summary(),
            "number": f("reservation_number", "text", number).max(20),
            "email": f("email", "email", email).autocomplete("email").max(254),
        }),
    )
}

/// `GET /manage?number=`: the page every customer e-mail links to.
pub async fn find_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let number = number_from_query(&req);
    render_find(
        &visit,
        &state,
        &number,
        "",
        &Errors::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /manage`: open the booking.
pub async fn find_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let loc = visit.locale;
    let (raw_number, email) = (
        form.get("reservation_number").trim().to_string(),
        form.get("email").trim().to_string(),
    );
    let mut errors = Errors::default();
    errors.require(
        loc,
        &[("reservation_number", &raw_number), ("email", &email)],
    );
    if !errors.is_empty() {
        return render_find(
            &visit,
            &state,
            &raw_number,
            &email,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let run = state.clone();
    let (n, e) = (raw_number.clone(), email.clone());
    let found = guarded(&req, &state, false, async move {
        let number = ReservationNumber::parse(&n).map_err(|_| Error::booking_not_found())?;
        run.run(move |svc| lookup::by_contact(svc, &number, &e))
            .await
    })
    .await;
    match found {
        Ok(d) => {
            visit.session.data.manage = Some(Opened {
                number: d.booking.number.to_string(),
                email,
                ..Opened::default()
            });
            visit.save(&state).await?;
            Ok(visit.redirect("/manage/booking"))
        }
        Err(e) if e.is_booking_not_found() => {
            errors.add("reservation_number", say(loc, "err_not_found", &[]));
            render_find(
                &visit,
                &state,
                &raw_number,
                &email,
                &errors,
                StatusCode::NOT_FOUND,
            )
            .await
        }
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

/// The booking this session opened, read afresh.
pub(super) async fn opened(
    visit: &Visit,
    state: &AppState,
) -> Result<Option<(Opened, BookingDetails)>, PageError> {
    let Some(o) = visit.session.data.manage.clone() else {
        return Ok(None);
    };
    let Ok(number) = ReservationNumber::parse(&o.number) else {
        return Ok(None);
    };
    let email = o.email.clone();
    match state
        .run(move |svc| lookup::by_contact(svc, &number, &email))
        .await
    {
        Ok(d) => Ok(Some((o, d))),
        Err(e) if e.is_booking_not_found() => Ok(None),
        Err(e) => Err(visit.fail(state)(e)),
    }
}

/// The page for a booking's number, or the find page when the session has none.
macro_rules! opened_or_find {
    ($visit:expr, $state:expr) => {
        match opened(&$visit, &$state).await? {
            Some(found) => found,
            None => return Ok($visit.redirect("/manage")),
        }
    };
}

/// `GET /manage/booking`.
pub async fn booking_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let (_, d) = opened_or_find!(visit, state);
    visit.page(
        &state,
        "manage_booking",
        "title_manage_booking",
        json!({ "booking": views::booking(&d, visit.locale) }),
    )
}

pub(super) fn alternatives_view(
    loc: crate::domain::locale::Locale,
    alternatives: &[Slot],
) -> Vec<Value> {
    alternatives
        .iter()
        .map(|s| {
            let w = views::when(s.start, s.end, s.time_zone, loc);
            json!({
                "value": s.start.with_timezone(&s.time_zone).format("%Y-%m-%dT%H:%M").to_string(),
                "text": format!("{}, {}–{}", w.date, w.start, w.end),
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn render_change(
    visit: &Visit,
    state: &AppState,
    d: &BookingDetails,
    date: &str,
    time: &str,
    errors: &Errors,
    alternatives: Vec<Value>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let f = |name: &str, kind: &'static str, value: &str| {
        FieldView::new(loc, name, kind, value, errors)
    };
    visit.page_with_status(
        state,
        status,
        "manage_change",
        "title_manage_change",
        json!({
            "booking": views::booking(d, loc),
            "errors": errors.summary(),
            "date": f("date", "date", date),
            "time": f("time", "time", time),
            "zone": d.booking.time_zone.name(),
            "alternatives": alternatives,
        }),
    )
}

/// `GET /manage/change`: the new date and time.
pub async fn change_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let (_, d) = opened_or_find!(visit, state);
    if d.booking.is_cancelled() {
        return Ok(visit.redirect("/manage/booking"));
    }
    let local = d.booking.start.with_timezone(&d.booking.time_zone);
    let (date, time) = (
        local.format("%Y-%m-%d").to_string(),
        local.format("%H:%M").to_string(),
    );
    render_change(
        &visit,
        &state,
        &d,
        &date,
        &time,
        &Errors::default(),
        vec![],
        StatusCode::OK,
    )
    .await
}

pub(super) fn limits_for(
    state: &AppState,
    d: &BookingDetails,
    loc: crate::domain::locale::Locale,
) -> DateLimits {
    let now = state.services.now();
    let lead_days = d.booking.package().map_or(14, |p| p.lead_time_days);
    let tz = d.booking.time_zone;
    let horizon_days = state.services.limits.horizon_days;
    DateLimits {
        lead_days,
        earliest: email::format::date(now + chrono::Duration::days(lead_days), tz, loc.as_str()),
        latest: email::format::date(now + chrono::Duration::days(horizon_days), tz, loc.as_str()),
        horizon_days,
    }
}

/// `POST /manage/change`: is a producer free at the new time? If so, ask about the
/// meeting next; if not, offer three times that are.
pub async fn change_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let loc = visit.locale;
    let (opened, d) = opened_or_find!(visit, state);
    let (mut date, mut time) = (
        form.get("date").trim().to_string(),
        form.get("time").trim().to_string(),
    );
    if let Some((dd, tt)) = form
        .action()
        .strip_prefix("pick:")
        .and_then(|p| p.split_once('T'))
    {
        (date, time) = (dd.to_string(), tt.to_string());
    }
    let mut errors = Errors::default();
    errors.require(loc, &[("date", &date), ("time", &time)]);
    if !errors.is_empty() {
        return render_change(
            &visit,
            &state,
            &d,
            &date,
            &time,
            &errors,
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let start = format!("{date}T{time}");
    let Some(request) = reschedule_request(&opened, &start) else {
        return Ok(visit.redirect("/manage"));
    };
    let run = state.clone();
    let checked = guarded(&req, &state, false, async move {
        run.run(move |svc| change::check(svc, &request, &Actor::Customer))
            .await
    })
    .await;
    match checked {
        Ok(_) => {
            if let Some(m) = visit.session.data.manage.as_mut() {
                m.new_start = Some(start);
            }
            visit.save(&state).await?;
            Ok(visit.redirect("/manage/update"))
        }
        Err(Error::NoProducer { alternatives, .. }) => {
            errors.add("date", say(loc, "err_no_producer", &[]));
            let alts = alternatives_view(loc, &alternatives);
            render_change(
                &visit,
                &state,
                &d,
                &date,
                &time,
                &errors,
                alts,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(Error::Invalid(found)) => {
            let limits = limits_for(&state, &d, loc);
            errors.explain_all(loc, &found, &limits);
            render_change(
                &visit,
                &state,
                &d,
                &date,
                &time,
                &errors,
                vec![],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(Error::Refused {
            code: ProblemCode::BookingCancelled,
            ..
        }) => Ok(visit.redirect("/manage/booking")),
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

fn reschedule_request(opened: &Opened, start: &str) -> Option<change::Reschedule> {
    let number = ReservationNumber::parse(&opened.number).ok()?;
    Some(change::Reschedule {
        number,
        email: Some(opened.email.clone()),
        start: start.to_string(),
        time_zone: None,
        override_lead_time: false,
    })
}

/// The new start the session holds, in the booking's zone.
fn pending(
    d: &BookingDetails,
    start: &str,
) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    let s = crate::domain::order::start(start, Some(d.booking.time_zone)).ok()?;
    Some((s, s + chrono::Duration::minutes(d.booking.duration_minutes)))
}

fn span(
    loc: crate::domain::locale::Locale,
    tz: chrono_tz::Tz,
    (s, e): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
) -> String {
    let w = views::when(s, e, tz, loc);
    format!("{}, {}–{} ({})", w.date, w.start, w.end, w.zone)
}

/// The directory can move this booking's meeting: it is on, and the customer scheduled
/// the meeting with their own host account.
fn can_move_meeting(state: &AppState, d: &BookingDetails) -> bool {
    state.directory.is_some()
        && d.booking.meeting.scheduled
        && d.booking.meeting.scheduled_by == crate::domain::order::ScheduledBy::Me
}

async fn render_update(
    visit: &Visit,
    state: &AppState,
    d: &BookingDetails,
    new: (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let tz = d.booking.time_zone;
    let mut errors = Errors::default();
    if let Some(e) = error {
        errors.add("meeting-moved", e);
    }
    visit.page_with_status(
        state,
        status,
        "manage_update",
        "title_manage_update",
        json!({
            "booking": views::booking(d, loc),
            "old": span(loc, tz, (d.booking.start, d.booking.end)),
            "new": span(loc, tz, new),
            "can_move": can_move_meeting(state, d),
            "errors": errors.summary(),
            "answer_error": errors.get("meeting-moved"),
        }),
    )
}

/// `GET /manage/update`: the new time is free; did you move the meeting on your site?
pub async fn update_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let (opened, d) = opened_or_find!(visit, state);
    let Some(new) = opened.new_start.as_deref().and_then(|s| pending(&d, s)) else {
        return Ok(visit.redirect("/manage/change"));
    };
    render_update(&visit, &state, &d, new, None, StatusCode::OK).await
}

/// `POST /manage/update`: move the booking, then (when asked and possible) the meeting.
pub async fn update_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let loc = visit.locale;
    let (opened, d) = opened_or_find!(visit, state);
    let Some(start) = opened.new_start.clone() else {
        return Ok(visit.redirect("/manage/change"));
    };
    let Some(new) = pending(&d, &start) else {
        return Ok(visit.redirect("/manage/change"));
    };
    if form.action() == "back" {
        return Ok(visit.redirect("/manage/change"));
    }
    let answer = form.get("meeting_moved").to_string();
    let move_for_me = answer == "move_for_me" && can_move_meeting(&state, &d);
    if !matches!(answer.as_str(), "yes" | "no") && !move_for_me {
        return render_update(
            &visit,
            &state,
            &d,
            new,
            Some(say(loc, "err_choose_answer", &[])),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let Some(request) = reschedule_request(&opened, &start) else {
        return Ok(visit.redirect("/manage"));
    };
    let run = state.clone();
    let moved = guarded(&req, &state, false, async move {
        run.run(move |svc| change::reschedule(svc, &request, &Actor::Customer))
            .await
    })
    .await;
    let done = match moved {
        Ok(done) => done,
        Err(Error::NoProducer { alternatives, .. }) => {
            // Taken between the question and the answer: choose again.
            let mut errors = Errors::default();
            errors.add("date", say(loc, "err_taken_meanwhile", &[]));
            let local = new.0.with_timezone(&d.booking.time_zone);
            let alts = alternatives_view(loc, &alternatives);
            return render_change(
                &visit,
                &state,
                &d,
                &local.format("%Y-%m-%d").to_string(),
                &local.format("%H:%M").to_string(),
                &errors,
                alts,
                StatusCode::CONFLICT,
            )
            .await;
        }
        Err(Error::Invalid(found)) => {
            let limits = limits_for(&state, &d, loc);
            let mut errors = Errors::default();
            errors.explain_all(loc, &found, &limits);
            let local = new.0.with_timezone(&d.booking.time_zone);
            return render_change(
                &visit,
                &state,
                &d,
                &local.format("%Y-%m-%d").to_string(),
                &local.format("%H:%M").to_string(),
                &errors,
                vec![],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(e) => return Err(visit.fail(&state)(e)),
    };
    let b = &done.details.booking;
    let note = match answer.as_str() {
        "yes" => say(loc, "meeting_note_moved", &[]),
        "no" => say(loc, "meeting_note_move_yourself", &[("site", &b.site)]),
        _ => move_meeting(&state, &done, loc).await,
    };
    if let Some(m) = visit.session.data.manage.as_mut() {
        m.new_start = None;
        m.previous = Some((
            span(
                loc,
                done.previous.time_zone,
                (done.previous.start, done.previous.end),
            ),
            span(loc, b.time_zone, (b.start, b.end)),
        ));
        m.meeting_note = Some(note);
    }
    visit.save(&state).await?;
    Ok(visit.redirect("/manage/changed"))
}

/// Ask the directory to move the booking's meeting from the old time to the new one.
async fn move_meeting(
    state: &AppState,
    done: &change::Rescheduled,
    loc: crate::domain::locale::Locale,
) -> String {
    let Some(directory) = &state.directory else {
        return say(
            loc,
            "meeting_note_move_yourself",
            &[("site", &done.details.booking.site)],
        );
    };
    let b = &done.details.booking;
    let host = b
        .meeting
        .host_email
        .clone()
        .unwrap_or_else(|| b.contact.email.clone());
    let result = match directory.find(&host, done.previous.start).await {
        Ok(Some(m)) => directory
            .reschedule(&m.id, b.start, b.end, b.time_zone)
            .await
            .map(|()| Some(m.title)),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    match result {
        Ok(Some(title)) => say(
            loc,
            "meeting_note_moved_for_you",
            &[("title", &title), ("site", &b.site)],
        ),
        Ok(None) => say(loc, "meeting_note_not_found", &[("site", &b.site)]),
        Err(e) => {
            tracing::warn!(error = %e, "the meeting directory could not move a meeting");
            say(loc, "meeting_note_failed", &[("site", &b.site)])
        }
    }
}

/// `GET /manage/changed`: old and new, side by side.
pub async fn changed_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let (opened, d) = opened_or_find!(visit, state);
    let Some((old, new)) = opened.previous.clone() else {
        return Ok(visit.redirect("/manage/booking"));
    };
    visit.page(
        &state,
        "manage_changed",
        "title_manage_changed",
        json!({
            "booking": views::booking(&d, visit.locale),
            "old": old,
            "new": new,
            "meeting_note": opened.meeting_note,
        }),
    )
}

/// `GET /manage/cancel`: what cancelling now would cost; Yes or No.
pub async fn cancel_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let (_, d) = opened_or_find!(visit, state);
    if d.booking.is_cancelled() {
        return Ok(visit.redirect("/manage/booking"));
    }
    let loc = visit.locale;
    let b = &d.booking;
    let now = state.services.now();
    let fee_now = applicable_rule(&b.cancellation_policy, b.start, now).map(|rule| {
        json!({
            "amount": loc.money(&fee(rule, &b.charges.total)),
            "percent": say(loc, "percent", &[("percent", &rule.fee_percent.to_string())]),
            "rule": crate::domain::catalogue::Catalogue::get().policy_text(rule, loc),
        })
    });
    let reason = FieldView::new(loc, "reason", "textarea", "", &Errors::default())
        .optional()
        .max(1000);
    visit.page(
        &state,
        "manage_cancel",
        "title_manage_cancel",
        json!({ "booking": views::booking(&d, loc), "fee": fee_now, "reason": reason }),
    )
}

/// `POST /manage/cancel`: Yes cancels; No goes back to the booking.
pub async fn cancel_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let (opened, _) = opened_or_find!(visit, state);
    if form.action() != "yes" {
        return Ok(visit.redirect("/manage/booking"));
    }
    let Ok(number) = ReservationNumber::parse(&opened.number) else {
        return Ok(visit.redirect("/manage"));
    };
    let reason = Some(form.get("reason").trim().to_string()).filter(|r| !r.is_empty());
    let reason = reason.map(|r| r.chars().take(1000).collect::<String>());
    let email = opened.email.clone();
    let run = state.clone();
    let result = guarded(&req, &state, false, async move {
        run.run(move |svc| {
            cancel::cancel(
                svc,
                &number,
                Some(&email),
                reason.as_deref(),
                &Actor::Customer,
            )
        })
        .await
    })
    .await;
    match result {
        Ok(_) => {
            if let Some(m) = visit.session.data.manage.as_mut() {
                m.cancelled = true;
            }
            visit.save(&state).await?;
            Ok(visit.redirect("/manage/cancelled"))
        }
        Err(Error::Refused {
            code: ProblemCode::BookingCancelled,
            ..
        }) => Ok(visit.redirect("/manage/booking")),
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

/// `GET /manage/cancelled`: the cancellation and its fee.
pub async fn cancelled_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let (_, d) = opened_or_find!(visit, state);
    if !d.booking.is_cancelled() {
        return Ok(visit.redirect("/manage/booking"));
    }
    visit.page(
        &state,
        "manage_cancelled",
        "title_manage_cancelled",
        json!({ "booking": views::booking(&d, visit.locale) }),
    )
}
