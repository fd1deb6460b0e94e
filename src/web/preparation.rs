//! The manage page's preparation sessions: each session the booking includes, with a
//! form to pick or change its time (and on Event Center Premium its length), or take it
//! off the schedule. When the producer is taken then, their next free times are offered.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::domain::booking::BookingDetails;
use crate::domain::error::{Error, FieldError, ProblemCode};
use crate::domain::locale::Locale;
use crate::domain::reservation_number::ReservationNumber;
use crate::domain::session::{hours_text, MAX_MINUTES, MIN_MINUTES};
use crate::http::bookings::guarded;
use crate::http::AppState;
use crate::workflow::sessions::{self as work, SessionRequest};
use crate::workflow::Actor;

use super::form::{explain, Errors, FieldView};
use super::i18n::say;
use super::manage::{alternatives_view, limits_for, opened};
use super::views;
use super::{PageError, Visit};

/// What was typed into one session's form, kept when it is shown again.
struct Asked {
    name: String,
    date: String,
    time: String,
    minutes: String,
}

#[allow(clippy::too_many_arguments)]
fn render(
    visit: &Visit,
    state: &AppState,
    d: &BookingDetails,
    asked: Option<&Asked>,
    errors: &Errors,
    alternatives: Vec<Value>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let booking = views::booking(d, loc);
    let chosen_length = d
        .booking
        .package()
        .is_some_and(|p| p.production_minutes.is_some());
    let field = |session: &str, name: &str, kind: &'static str, value: &str| {
        FieldView::new(loc, name, kind, value, &Errors::default())
            .keyed(&format!("{session}-{name}"), errors)
    };
    let sessions: Vec<Value> = booking
        .sessions
        .iter()
        .map(|s| {
            let mine = asked.filter(|a| a.name == s.name);
            let date = mine.map_or(s.date.as_str(), |a| a.date.as_str());
            let time = mine.map_or(s.time.as_str(), |a| a.time.as_str());
            let minutes = mine
                .map(|a| a.minutes.clone())
                .unwrap_or_else(|| s.minutes.to_string());
            let choices = (MIN_MINUTES..=MAX_MINUTES)
                .step_by(15)
                .map(|m| (m.to_string(), hours_text(m)))
                .collect();
            json!({
                "name": s.name,
                "label": s.label,
                "length": s.length,
                "when": s.when,
                "date": field(&s.name, "date", "date", date),
                "time": field(&s.name, "time", "time", time),
                "minutes": chosen_length.then(|| field(&s.name, "minutes", "select", &minutes).choices(choices)),
                "alternatives": if mine.is_some() { alternatives.clone() } else { vec![] },
            })
        })
        .collect();
    visit.page_with_status(
        state,
        status,
        "manage_sessions",
        "title_manage_sessions",
        json!({
            "booking": booking,
            "sessions": sessions,
            "errors": errors.summary(),
            "zone": d.booking.time_zone.name(),
            "notice": notice,
        }),
    )
}

/// `GET /manage/sessions`.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let Some((_, d)) = opened(&visit, &state).await? else {
        return Ok(visit.redirect("/manage"));
    };
    let notice = match super::form::query_value(req.query_string(), "done").as_deref() {
        Some("saved") => Some(say(visit.locale, "sessions_saved", &[])),
        Some("removed") => Some(say(visit.locale, "sessions_removed", &[])),
        _ => None,
    };
    render(
        &visit,
        &state,
        &d,
        None,
        &Errors::default(),
        vec![],
        notice,
        StatusCode::OK,
    )
}

/// A refusal of a session's time or length in the reader's words; none for a refusal
/// that is not about sessions. `starts` is when the producer starts preparing the event.
pub(super) fn session_refusal(loc: Locale, e: &FieldError, starts: &str) -> Option<String> {
    Some(match e.code {
        ProblemCode::SessionNotice => say(loc, "err_session_notice", &[]),
        ProblemCode::SessionTime => say(loc, "err_session_time", &[("starts", starts)]),
        ProblemCode::ProductionTimeExceeded => say(loc, "err_production_time", &[]),
        ProblemCode::InvalidSessionLength => say(loc, "err_session_length", &[]),
        _ => return None,
    })
}

/// A refusal of a session's field, in the reader's words, under the field it is about.
fn explain_session(
    visit: &Visit,
    state: &AppState,
    d: &BookingDetails,
    name: &str,
    found: &[FieldError],
    errors: &mut Errors,
) {
    let loc = visit.locale;
    let starts = views::booking(d, loc).producer_starts;
    for e in found {
        let field = if e.field == "minutes" {
            "minutes"
        } else {
            "date"
        };
        let message = session_refusal(loc, e, &starts)
            .unwrap_or_else(|| explain(loc, e, &limits_for(state, d, loc)));
        errors.add(&format!("{name}-{field}"), message);
    }
}

/// `POST /manage/sessions`: schedule, move (a time typed or an alternative picked) or
/// take off the schedule one session.
pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let loc = visit.locale;
    let Some((opened, d)) = opened(&visit, &state).await? else {
        return Ok(visit.redirect("/manage"));
    };
    let Ok(number) = ReservationNumber::parse(&opened.number) else {
        return Ok(visit.redirect("/manage"));
    };
    let mut asked = Asked {
        name: form.get("session").trim().to_string(),
        date: form.get("date").trim().to_string(),
        time: form.get("time").trim().to_string(),
        minutes: form.get("minutes").trim().to_string(),
    };
    if let Some((date, time)) = form
        .action()
        .strip_prefix("pick:")
        .and_then(|p| p.split_once('T'))
    {
        (asked.date, asked.time) = (date.to_string(), time.to_string());
    }
    let run = state.clone();
    let email = opened.email.clone();
    let name = asked.name.clone();
    if form.action() == "remove" {
        let done = guarded(&req, &state, false, async move {
            run.run(move |svc| {
                work::unschedule(svc, &number, Some(&email), &name, &Actor::Customer)
            })
            .await
        })
        .await;
        return match done {
            Ok(_) => Ok(visit.redirect("/manage/sessions?done=removed")),
            Err(Error::Refused { .. }) | Err(Error::Invalid(_)) => {
                Ok(visit.redirect("/manage/booking"))
            }
            Err(e) => Err(visit.fail(&state)(e)),
        };
    }
    let mut errors = Errors::default();
    for (field, value) in [("date", &asked.date), ("time", &asked.time)] {
        if value.is_empty() {
            errors.add(
                &format!("{}-{field}", asked.name),
                super::form::required(loc, field),
            );
        }
    }
    if !errors.is_empty() {
        return render(
            &visit,
            &state,
            &d,
            Some(&asked),
            &errors,
            vec![],
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let request = SessionRequest {
        number,
        email: Some(email),
        name,
        start: format!("{}T{}", asked.date, asked.time),
        time_zone: None,
        minutes: asked.minutes.parse().ok(),
        producer_id: None,
    };
    let done = guarded(&req, &state, false, async move {
        run.run(move |svc| work::schedule(svc, &request, &Actor::Customer))
            .await
    })
    .await;
    let (status, alternatives) = match done {
        Ok(_) => return Ok(visit.redirect("/manage/sessions?done=saved")),
        Err(Error::NoProducer { alternatives, .. }) => {
            errors.add(
                &format!("{}-date", asked.name),
                say(loc, "err_producer_busy_session", &[]),
            );
            (StatusCode::CONFLICT, alternatives_view(loc, &alternatives))
        }
        Err(Error::Invalid(found)) => {
            explain_session(&visit, &state, &d, &asked.name, &found, &mut errors);
            (StatusCode::UNPROCESSABLE_ENTITY, vec![])
        }
        Err(Error::Refused { .. }) => return Ok(visit.redirect("/manage/booking")),
        Err(e) => return Err(visit.fail(&state)(e)),
    };
    render(
        &visit,
        &state,
        &d,
        Some(&asked),
        &errors,
        alternatives,
        None,
        status,
    )
}
