//! The order pages: the packages side by side, then the seed's four steps (the slot,
//! the meeting, the event, the confirmation). Each step's form posts back here, is
//! checked by the API's own request rules, and is kept in the session's draft.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::domain::catalogue::Catalogue;
use crate::domain::error::{Error, FieldError, ProblemCode};
use crate::domain::locale::Locale;
use crate::domain::order::{self as rules, SlotRequest};
use crate::domain::reservation_number::ReservationNumber;
use crate::email::format;
use crate::http::bookings::json::{AvailabilityRequest, OrderRequest};
use crate::http::bookings::place_order;
use crate::http::AppState;
use crate::workflow::availability as avail;
use crate::workflow::order::{Idempotency, Ordered};
use crate::workflow::{lookup, Actor};

use super::calendar;
use super::form::{explain, form_field, DateLimits, Errors, FieldView, Form};
use super::i18n::say;
use super::session::OrderDraft;
use super::views;
use super::{PageError, Visit};

/// Step 1's fields, by form name.
const SLOT_FIELDS: &[&str] = &[
    "contact.first_name",
    "contact.last_name",
    "contact.phone",
    "contact.email",
    "company",
    "site",
    "package",
    "date",
    "time",
    "time_zone",
    "duration_minutes",
    "language",
];
const MEETING_FIELDS: &[&str] = &["meeting.answer", "meeting.host_id", "meeting.host_email"];
const EVENT_FIELDS: &[&str] = &["event.title", "event.details", "event.comments"];

/// The zone the slot page starts with when the browser does not say (the script puts
/// the browser's own zone in its place).
const DEFAULT_ZONE: &str = "UTC";

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    visit.page(
        &state,
        "home",
        "title_home",
        json!({ "comparison": views::comparison(visit.locale) }),
    )
}

/// The draft with the defaults a new order starts from.
fn with_defaults(draft: &mut OrderDraft) {
    for (name, value) in [
        ("package", "meeting-premium"),
        ("duration_minutes", "60"),
        ("language", "en"),
        ("time_zone", DEFAULT_ZONE),
    ] {
        if draft.get(name).is_empty() {
            draft.set(name, value);
        }
    }
    if draft.key.is_empty() {
        draft.key = format!("web-{}", uuid::Uuid::new_v4());
    }
}

/// The earliest and latest dates the reader may choose, for messages.
fn date_limits(state: &AppState, draft: &OrderDraft, locale: Locale) -> DateLimits {
    let now = state.services.now();
    let tz: Tz = draft.get("time_zone").parse().unwrap_or(chrono_tz::UTC);
    let lead_days = rules::package(draft.get("package"))
        .map(|p| p.lead_time_days)
        .unwrap_or(14);
    let horizon_days = state.services.limits.horizon_days;
    DateLimits {
        lead_days,
        earliest: format::date(now + Duration::days(lead_days), tz, locale.as_str()),
        latest: format::date(now + Duration::days(horizon_days), tz, locale.as_str()),
        horizon_days,
    }
}

/// The order as the API takes it, from the draft: one set of rules for both.
fn order_body(draft: &OrderDraft, locale: Locale) -> Value {
    let text = |name: &str| draft.get(name).to_string();
    let optional = |name: &str| {
        let v = draft.get(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    };
    let meeting = match draft.get("meeting.answer") {
        "me" => json!({"scheduled": true, "scheduled_by": "me",
                       "host_id": optional("meeting.host_id"), "host_email": optional("meeting.host_email"),
                       "meeting_number": optional("meeting.number")}),
        "someone_else" => json!({"scheduled": true, "scheduled_by": "someone_else"}),
        _ => json!({"scheduled": false}),
    };
    let duration = draft
        .get("duration_minutes")
        .parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(text("duration_minutes")));
    let sessions: Vec<Value> = picked_sessions(draft)
        .into_iter()
        .map(|name| {
            let field = |f: &str| draft.get(&format!("session.{name}.{f}")).trim().to_string();
            let mut s =
                json!({"name": name, "start": format!("{}T{}", field("date"), field("time"))});
            if let Ok(m) = field("minutes").parse::<i64>() {
                s["minutes"] = m.into();
            }
            s
        })
        .collect();
    json!({
        "sessions": sessions,
        "contact": {
            "first_name": text("contact.first_name"),
            "last_name": text("contact.last_name"),
            "phone": text("contact.phone"),
            "email": text("contact.email"),
            "locale": locale.as_str(),
        },
        "company": text("company"),
        "site": text("site"),
        "package": text("package"),
        "start": format!("{}T{}", draft.get("date").trim(), draft.get("time").trim()),
        "time_zone": text("time_zone"),
        "duration_minutes": duration,
        "meeting": meeting,
        "event": {
            "title": text("event.title"),
            "details": optional("event.details"),
            "comments": optional("event.comments"),
            "language": text("language"),
        },
    })
}

/// The preparation sessions the draft's package includes (ordered extensions are taken
/// through the API), by name.
fn offered_sessions(draft: &OrderDraft) -> Vec<crate::domain::session::Entitlement> {
    crate::domain::catalogue::Catalogue::get()
        .package(draft.get("package"))
        .map(|p| crate::domain::session::entitlements(p, &[]))
        .unwrap_or_default()
}

/// The sessions whose date or time the customer filled in (in the order offered): they
/// go with the order; the others are picked later from the manage page.
fn picked_sessions(draft: &OrderDraft) -> Vec<String> {
    offered_sessions(draft)
        .into_iter()
        .map(|e| e.name)
        .filter(|name| {
            !draft.get(&format!("session.{name}.date")).trim().is_empty()
                || !draft.get(&format!("session.{name}.time")).trim().is_empty()
        })
        .collect()
}

/// The form fields of the sessions the draft's package includes.
fn session_fields(draft: &OrderDraft) -> Vec<String> {
    offered_sessions(draft)
        .iter()
        .flat_map(|e| ["date", "time", "minutes"].map(|f| format!("session.{}.{f}", e.name)))
        .collect()
}

/// The form field an order's session refusal belongs to (`sessions[1].start` is the
/// second picked session's date).
fn session_form_field(draft: &OrderDraft, api_field: &str) -> Option<String> {
    let rest = api_field.strip_prefix("sessions[")?;
    let (index, field) = rest.split_once("].")?;
    let name = picked_sessions(draft)
        .into_iter()
        .nth(index.parse().ok()?)?;
    let field = if field == "minutes" {
        "minutes"
    } else {
        "date"
    };
    Some(format!("session.{name}.{field}"))
}

/// A refusal of a session picked in step 3, in plain words.
fn session_explain(draft: &OrderDraft, loc: Locale, e: &FieldError, limits: &DateLimits) -> String {
    let starts = draft_slot(draft)
        .map(|s| {
            let window = crate::scheduling::producer_window(s.start, s.duration_minutes);
            format::time(window.start, s.time_zone)
        })
        .unwrap_or_default();
    super::preparation::session_refusal(loc, e, &starts).unwrap_or_else(|| explain(loc, e, limits))
}

/// The draft's problems among `fields`, in plain words. The date and the time are
/// asked for apart; the API sees them as one start.
fn problems(
    state: &AppState,
    draft: &OrderDraft,
    locale: Locale,
    fields: &[&str],
) -> (Errors, Option<rules::NewOrder>) {
    let mut errors = Errors::default();
    let limits = date_limits(state, draft, locale);
    if fields.contains(&"date") {
        errors.require(
            locale,
            &[("date", draft.get("date")), ("time", draft.get("time"))],
        );
    }
    let parsed = serde_json::from_value::<OrderRequest>(order_body(draft, locale))
        .map_err(|e| {
            vec![FieldError::new(
                "",
                ProblemCode::InvalidFormat,
                e.to_string(),
            )]
        })
        .and_then(OrderRequest::parse);
    match parsed {
        Ok(order) => (errors.in_order(fields), Some(order)),
        Err(found) => {
            for e in &found {
                let field = form_field(&e.field);
                if let Some(session) = session_form_field(draft, &e.field) {
                    // Sessions are picked in step 3, with the event.
                    if fields.contains(&"event.title") {
                        errors.add(&session, session_explain(draft, locale, e, &limits));
                    }
                } else if fields.contains(&field) {
                    errors.add(field, explain(locale, e, &limits));
                }
            }
            (errors.in_order(fields), None)
        }
    }
}

/// What the slot page says of the chosen time: free, or three others that are.
fn answer_view(locale: Locale, a: &avail::Availability) -> Value {
    let tz = a.slot.time_zone;
    let w = views::when(a.slot.start, a.slot.end(), tz, locale);
    let alternatives: Vec<Value> = a
        .alternatives
        .iter()
        .map(|s| {
            let w = views::when(s.start, s.end, tz, locale);
            let local = s.start.with_timezone(&tz);
            json!({
                "value": local.format("%Y-%m-%dT%H:%M").to_string(),
                "text": format!("{}, {}–{}", w.date, w.start, w.end),
            })
        })
        .collect();
    let when = format!("{}, {}–{} ({})", w.date, w.start, w.end, w.zone);
    json!({
        "free": a.free.is_some(),
        "text": if a.free.is_some() {
            say(locale, "answer_free", &[("when", &when)])
        } else if alternatives.is_empty() {
            say(locale, "answer_none_at_all", &[("when", &when)])
        } else {
            say(locale, "answer_busy", &[("when", &when)])
        },
        "language_pending": a.free.as_ref().is_some_and(|c| c.language_pending),
        "alternatives": alternatives,
    })
}

/// The slot the draft names, if its parts read.
fn draft_slot(draft: &OrderDraft) -> Option<SlotRequest> {
    let body = json!({
        "package": draft.get("package"),
        "start": format!("{}T{}", draft.get("date").trim(), draft.get("time").trim()),
        "time_zone": draft.get("time_zone"),
        "duration_minutes": draft.get("duration_minutes").parse::<i64>().ok()?,
        "language": draft.get("language"),
    });
    serde_json::from_value::<AvailabilityRequest>(body)
        .ok()?
        .parse()
        .ok()
}

/// The calendar's month: asked for, else the draft's date's, else the first bookable.
fn calendar_view(
    state: &AppState,
    draft: &OrderDraft,
    locale: Locale,
    month: Option<&str>,
    chosen: Option<NaiveDate>,
) -> impl std::future::Future<Output = Result<Option<calendar::CalendarView>, Error>> {
    let package = rules::package(draft.get("package")).ok();
    let tz: Option<Tz> = draft.get("time_zone").parse().ok();
    let duration = draft
        .get("duration_minutes")
        .parse::<i64>()
        .ok()
        .and_then(|d| rules::duration(d).ok());
    let language =
        crate::domain::text::language(draft.get("language")).unwrap_or_else(|_| "en".into());
    let now = state.services.now();
    let horizon = state.services.limits.horizon_days;
    let month = month
        .map(str::to_string)
        .or_else(|| chosen.map(|d| d.format("%Y-%m").to_string()))
        .or_else(|| {
            NaiveDate::parse_from_str(draft.get("date"), "%Y-%m-%d")
                .ok()
                .map(|d| d.format("%Y-%m").to_string())
        });
    let state = state.clone();
    async move {
        let (Some(package), Some(tz), Some(duration)) = (package, tz, duration) else {
            return Ok(None);
        };
        let earliest = (now + Duration::days(package.lead_time_days))
            .with_timezone(&tz)
            .date_naive();
        let latest = (now + Duration::days(horizon))
            .with_timezone(&tz)
            .date_naive();
        let month = month
            .filter(|m| calendar::month_range(m).is_some_and(|(f, l)| l >= earliest && f <= latest))
            .unwrap_or_else(|| earliest.format("%Y-%m").to_string());
        let Some((first, last)) = calendar::month_range(&month) else {
            return Ok(None);
        };
        let slot = SlotRequest {
            package,
            start: Utc::now(),
            time_zone: tz,
            duration_minutes: duration,
            language,
            override_lead_time: false,
        };
        let days = state
            .run(move |svc| avail::calendar(svc, &slot, first, last, false))
            .await?;
        Ok(Some(calendar::view(
            &days,
            locale,
            earliest,
            latest,
            chosen.filter(|c| c.year() == first.year() && c.month() == first.month()),
            tz.name(),
        )))
    }
}

/// Step 1 as a page: the fields, the answer for the chosen time, the calendar.
async fn render_slot(
    visit: &Visit,
    state: &AppState,
    errors: &Errors,
    month: Option<&str>,
    chosen: Option<NaiveDate>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let fail = visit.fail(state);
    let mut draft = visit.session.data.order.clone();
    with_defaults(&mut draft);
    let answer = match draft_slot(&draft) {
        Some(slot) => match state.run(move |svc| avail::check(svc, slot, false)).await {
            Ok(a) => Some(answer_view(loc, &a)),
            // A time too soon or too far: the field says why; no answer to show.
            Err(Error::Invalid(found)) => {
                let limits = date_limits(state, &draft, loc);
                let mut errors = errors.clone();
                errors.explain_all(loc, &found, &limits);
                return render_slot_with(
                    visit, state, &draft, &errors, None, month, chosen, status,
                )
                .await;
            }
            Err(e) => return Err(fail(e)),
        },
        None => None,
    };
    render_slot_with(visit, state, &draft, errors, answer, month, chosen, status).await
}

#[allow(clippy::too_many_arguments)]
async fn render_slot_with(
    visit: &Visit,
    state: &AppState,
    draft: &OrderDraft,
    errors: &Errors,
    answer: Option<Value>,
    month: Option<&str>,
    chosen: Option<NaiveDate>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let calendar = calendar_view(state, draft, loc, month, chosen)
        .await
        .map_err(visit.fail(state))?;
    let f =
        |name: &str, kind: &'static str| FieldView::new(loc, name, kind, draft.get(name), errors);
    let mut zone = f("time_zone", "text").max(64);
    zone.list = Some("zones");
    zone.data = (draft.get("time_zone") == DEFAULT_ZONE).then(|| "browser".to_string());
    let fields = json!({
        "first_name": f("contact.first_name", "text").autocomplete("given-name").max(100),
        "last_name": f("contact.last_name", "text").autocomplete("family-name").max(100),
        "phone": f("contact.phone", "tel").autocomplete("tel").max(40),
        "email": f("contact.email", "email").autocomplete("email").max(254),
        "company": f("company", "text").autocomplete("organization").max(200),
        "site": f("site", "text").max(253),
        "package": f("package", "select").choices(views::package_choices(loc)),
        "date": f("date", "date"),
        "time": f("time", "time"),
        "time_zone": zone,
        "duration": f("duration_minutes", "select").choices(views::duration_choices(loc)),
        "language": f("language", "select").choices(views::language_choices(loc)),
    });
    visit.page_with_status(
        state,
        status,
        "order_slot",
        "title_order_slot",
        json!({
            "step": 1,
            "fields": fields,
            "errors": errors.summary(),
            "answer": answer,
            "calendar": calendar,
            "zones": chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect::<Vec<_>>(),
        }),
    )
}

/// `GET /order`: step 1. `?package=` chooses the package (from the comparison),
/// `?month=` the calendar's month and `?day=` the day whose starts are listed.
pub async fn slot_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let mut visit = Visit::start(&req, &state).await?;
    let q = req.query_string();
    if let Some(p) =
        super::form::query_value(q, "package").filter(|p| Catalogue::get().package(p).is_some())
    {
        visit.session.data.order.set("package", p);
    }
    let month = super::form::query_value(q, "month");
    let day = super::form::query_value(q, "day")
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    render_slot(
        &visit,
        &state,
        &Errors::default(),
        month.as_deref(),
        day,
        actix_web::http::StatusCode::OK,
    )
    .await
}

/// Keep what the form holds of `fields` in the draft.
fn keep(draft: &mut OrderDraft, form: &Form, fields: &[&str]) {
    for name in fields {
        draft.set(name, form.get(name));
    }
}

/// `POST /order`: step 1's buttons. `next` checks every field and the time; the others
/// keep what was typed and show the page again: `check` (is the time free?),
/// `day:YYYY-MM-DD` (that day's starts), `month:YYYY-MM`, `pick:YYYY-MM-DDTHH:MM` (take
/// that start).
pub async fn slot_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let loc = visit.locale;
    {
        let draft = &mut visit.session.data.order;
        keep(draft, &form, SLOT_FIELDS);
        with_defaults(draft);
    }
    let action = form.action().to_string();
    let redirect = if let Some(day) = action.strip_prefix("day:") {
        Some(format!("/order?day={}#calendar", enc(day)))
    } else if let Some(month) = action.strip_prefix("month:") {
        Some(format!("/order?month={}#calendar", enc(month)))
    } else if let Some(start) = action.strip_prefix("pick:") {
        if let Some((date, time)) = start.split_once('T') {
            visit.session.data.order.set("date", date);
            visit.session.data.order.set("time", time);
        }
        Some("/order#answer".to_string())
    } else if action == "next" {
        None
    } else {
        Some("/order#answer".to_string())
    };
    visit.session.data.order.slot_done = false;
    visit.save(&state).await?;
    if let Some(to) = redirect {
        return Ok(visit.redirect(&to));
    }
    // Continue: every field of the step, then a producer free at that time.
    let draft = visit.session.data.order.clone();
    let (errors, _) = problems(&state, &draft, loc, SLOT_FIELDS);
    if !errors.is_empty() {
        return render_slot(
            &visit,
            &state,
            &errors,
            None,
            None,
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let Some(slot) = draft_slot(&draft) else {
        return render_slot(
            &visit,
            &state,
            &errors,
            None,
            None,
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let answer = state.run(move |svc| avail::check(svc, slot, false)).await;
    match answer {
        Ok(a) if a.free.is_some() => {
            visit.session.data.order.slot_done = true;
            visit.save(&state).await?;
            Ok(visit.redirect("/order/meeting"))
        }
        Ok(_) => {
            let mut errors = Errors::default();
            errors.add("date", say(loc, "err_no_producer", &[]));
            render_slot(
                &visit,
                &state,
                &errors,
                None,
                None,
                actix_web::http::StatusCode::CONFLICT,
            )
            .await
        }
        Err(Error::Invalid(_)) => {
            // The page explains the date again (too soon, too far, not a time there).
            render_slot(
                &visit,
                &state,
                &Errors::default(),
                None,
                None,
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The summary of the slot shown in steps 2 and 3.
fn slot_summary(draft: &OrderDraft, locale: Locale) -> Value {
    let Some(slot) = draft_slot(draft) else {
        return Value::Null;
    };
    let tz = slot.time_zone;
    let w = views::when(slot.start, slot.end(), tz, locale);
    json!({
        "package": format!("{} ({})", slot.package.name, slot.package.seed_name),
        "when": format!("{}, {}–{} ({})", w.date, w.start, w.end, w.zone),
        "duration": format::duration(slot.duration_minutes, locale.as_str()),
        "producer_starts": format::time(crate::scheduling::producer_window(slot.start, slot.duration_minutes).start, tz),
        "language": views::language_name(&slot.language, locale),
        "not_english": slot.language != "en",
        "charges": views::planned_charges(slot.package, slot.duration_minutes, locale),
        "requires_scheduled": slot.package.requires_scheduled_meeting,
    })
}

async fn render_meeting(
    visit: &Visit,
    state: &AppState,
    errors: &Errors,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let draft = &visit.session.data.order;
    let f =
        |name: &str, kind: &'static str| FieldView::new(loc, name, kind, draft.get(name), errors);
    let answer = draft.get("meeting.answer");
    let summary = slot_summary(draft, loc);
    let premium_ok = !summary["requires_scheduled"].as_bool().unwrap_or(true);
    visit.page_with_status(
        state,
        status,
        "order_meeting",
        "title_order_meeting",
        json!({
            "step": 2,
            "summary": summary,
            "errors": errors.summary(),
            "answer_error": errors.get("meeting.answer"),
            "me": answer == "me",
            "someone_else": answer == "someone_else",
            "not_yet": answer == "not_yet",
            "not_yet_allowed": premium_ok,
            "directory": state.directory.is_some(),
            "host_id": f("meeting.host_id", "text").optional().max(100),
            "host_email": f("meeting.host_email", "email").optional().autocomplete("email").max(254),
        }),
    )
}

/// `GET /order/meeting`: step 2, once step 1 is done.
pub async fn meeting_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    if !visit.session.data.order.slot_done {
        return Ok(visit.redirect("/order"));
    }
    render_meeting(
        &visit,
        &state,
        &Errors::default(),
        actix_web::http::StatusCode::OK,
    )
    .await
}

/// `POST /order/meeting`: the three answers. With my host ID, the meeting directory (when
/// configured) finds the meeting and fills in step 3.
pub async fn meeting_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let loc = visit.locale;
    if !visit.session.data.order.slot_done {
        return Ok(visit.redirect("/order"));
    }
    keep(&mut visit.session.data.order, &form, MEETING_FIELDS);
    visit.session.data.order.meeting_done = false;
    if form.action() == "back" {
        visit.save(&state).await?;
        return Ok(visit.redirect("/order"));
    }
    let draft = visit.session.data.order.clone();
    let mut errors = Errors::default();
    let answer = draft.get("meeting.answer");
    let package = rules::package(draft.get("package")).ok();
    match answer {
        "me" | "someone_else" => {}
        "not_yet" if package.is_some_and(|p| !p.requires_scheduled_meeting) => {}
        "not_yet" => errors.add("meeting.answer", say(loc, "err_not_scheduled", &[])),
        _ => errors.add("meeting.answer", say(loc, "err_choose_answer", &[])),
    }
    if errors.is_empty() {
        errors = problems(&state, &draft, loc, MEETING_FIELDS).0;
    }
    if answer == "me" {
        errors.require(loc, &[("meeting.host_id", draft.get("meeting.host_id"))]);
    }
    if !errors.is_empty() {
        visit.save(&state).await?;
        return render_meeting(
            &visit,
            &state,
            &errors,
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    visit.session.data.order.directory_note = None;
    if answer == "me" {
        if let (Some(directory), Some(slot)) = (&state.directory, draft_slot(&draft)) {
            let host = match draft.get("meeting.host_email").trim() {
                "" => draft.get("contact.email").trim().to_string(),
                h => h.to_string(),
            };
            let note = match directory.find(&host, slot.start).await {
                Ok(Some(m)) => {
                    let d = &mut visit.session.data.order;
                    d.set("event.title", m.title.chars().take(200).collect::<String>());
                    if let Some(agenda) = &m.agenda {
                        d.set(
                            "event.details",
                            agenda.chars().take(5000).collect::<String>(),
                        );
                    }
                    if let Some(n) = &m.number {
                        d.set("meeting.number", n.clone());
                    }
                    let w = views::when(m.start, m.end, slot.time_zone, loc);
                    say(
                        loc,
                        "directory_found",
                        &[
                            ("title", &m.title),
                            ("when", &format!("{}, {}", w.date, w.start)),
                        ],
                    )
                }
                Ok(None) => say(loc, "directory_not_found", &[("host", &host)]),
                Err(e) => {
                    tracing::warn!(error = %e, "the meeting directory failed");
                    say(loc, "directory_unavailable", &[])
                }
            };
            visit.session.data.order.directory_note = Some(note);
        }
    }
    visit.session.data.order.meeting_done = true;
    visit.save(&state).await?;
    Ok(visit.redirect("/order/event"))
}

async fn render_event(
    visit: &Visit,
    state: &AppState,
    errors: &Errors,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let draft = &visit.session.data.order;
    let f =
        |name: &str, kind: &'static str| FieldView::new(loc, name, kind, draft.get(name), errors);
    visit.page_with_status(
        state,
        status,
        "order_event",
        "title_order_event",
        json!({
            "step": 3,
            "summary": slot_summary(draft, loc),
            "errors": errors.summary(),
            "directory_note": draft.directory_note,
            "title": f("event.title", "text").max(200),
            "details": f("event.details", "textarea").optional().max(5000),
            "comments": f("event.comments", "textarea").optional().max(5000),
            "sessions": sessions_view(draft, loc, errors),
        }),
    )
}

/// Step 3's optional session pickers: each session the package includes, with its date
/// and time (and on Event Center Premium its length).
fn sessions_view(draft: &OrderDraft, loc: Locale, errors: &Errors) -> Vec<Value> {
    use crate::domain::session::{hours_text, MAX_MINUTES, MIN_MINUTES};
    let package = crate::domain::catalogue::Catalogue::get().package(draft.get("package"));
    let chosen_length = package.is_some_and(|p| p.production_minutes.is_some());
    offered_sessions(draft)
        .iter()
        .map(|e| {
            let f = |field: &str, kind: &'static str| {
                let name = format!("session.{}.{field}", e.name);
                let mut f = FieldView::new(loc, field, kind, draft.get(&name), &Errors::default())
                    .optional()
                    .keyed(&name, errors);
                f.name = name;
                f
            };
            let minutes = chosen_length.then(|| {
                let mut m = f("minutes", "select");
                if m.value.is_empty() {
                    m.value = e.minutes.to_string();
                }
                m.choices(
                    (MIN_MINUTES..=MAX_MINUTES)
                        .step_by(15)
                        .map(|m| (m.to_string(), hours_text(m)))
                        .collect(),
                )
            });
            json!({
                "name": e.name,
                "label": e.kind.label(loc.as_str()),
                "length": hours_text(e.minutes),
                "date": f("date", "date"),
                "time": f("time", "time"),
                "minutes": minutes,
            })
        })
        .collect()
}

/// `GET /order/event`: step 3, once step 2 is done.
pub async fn event_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    if !visit.session.data.order.meeting_done {
        return Ok(visit.redirect(if visit.session.data.order.slot_done {
            "/order/meeting"
        } else {
            "/order"
        }));
    }
    render_event(
        &visit,
        &state,
        &Errors::default(),
        actix_web::http::StatusCode::OK,
    )
    .await
}

/// What the pages keep of an order's stored answer: its number.
fn stored_answer(d: &crate::domain::booking::BookingDetails) -> String {
    json!({"reservation_number": d.booking.number.to_string()}).to_string()
}

/// `POST /order/event`: place the order (or go back). The draft's key makes a second
/// click or a reload book nothing more.
pub async fn event_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let loc = visit.locale;
    if !visit.session.data.order.meeting_done {
        return Ok(visit.redirect("/order"));
    }
    keep(&mut visit.session.data.order, &form, EVENT_FIELDS);
    let session_fields = session_fields(&visit.session.data.order);
    for name in &session_fields {
        visit.session.data.order.set(name, form.get(name));
    }
    visit.save(&state).await?;
    if form.action() == "back" {
        return Ok(visit.redirect("/order/meeting"));
    }
    let draft = visit.session.data.order.clone();
    let all: Vec<&str> = SLOT_FIELDS
        .iter()
        .chain(MEETING_FIELDS)
        .chain(EVENT_FIELDS)
        .copied()
        .collect();
    let (errors, order) = problems(&state, &draft, loc, &all);
    let Some(order) = order.filter(|_| errors.is_empty()) else {
        return render_event(
            &visit,
            &state,
            &errors,
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let body = order_body(&draft, loc).to_string();
    let idem = Idempotency {
        key: draft.key.clone(),
        request_hash: format!("{:x}", Sha256::digest(body.as_bytes())),
    };
    let email = order.contact.email.clone();
    let ip = state.client_ip(&req);
    match place_order(
        &state,
        ip,
        order,
        Actor::Customer,
        Some(idem),
        stored_answer,
    )
    .await
    {
        Ok(placed) => {
            let number = match placed {
                Ordered::Created(d) => d.booking.number.to_string(),
                Ordered::Replayed { body, .. } => serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|v| v["reservation_number"].as_str().map(String::from))
                    .unwrap_or_default(),
            };
            visit.session.data.placed = Some(super::session::Opened {
                number,
                email,
                ..Default::default()
            });
            visit.session.data.order = OrderDraft::default();
            visit.save(&state).await?;
            Ok(visit.redirect("/order/confirmation"))
        }
        Err(Error::NoProducer { .. }) => {
            // Someone took the last producer meanwhile: back to step 1 with the answer.
            visit.session.data.order.slot_done = false;
            visit.session.data.order.meeting_done = false;
            visit.save(&state).await?;
            let mut errors = Errors::default();
            errors.add("date", say(loc, "err_taken_meanwhile", &[]));
            render_slot(
                &visit,
                &state,
                &errors,
                None,
                None,
                actix_web::http::StatusCode::CONFLICT,
            )
            .await
        }
        Err(Error::Invalid(found)) => {
            let limits = date_limits(&state, &draft, loc);
            let mut errors = Errors::default();
            for e in &found {
                match session_form_field(&draft, &e.field) {
                    Some(field) => errors.add(&field, session_explain(&draft, loc, e, &limits)),
                    None => errors.add(form_field(&e.field), explain(loc, e, &limits)),
                }
            }
            render_event(
                &visit,
                &state,
                &errors,
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

/// `POST /order/cancel`: forget the order being filled in; nothing was booked.
pub async fn cancel_order(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut visit = Visit::start(&req, &state).await?;
    visit.form(&state, &body)?;
    visit.session.data.order = OrderDraft::default();
    visit.save(&state).await?;
    Ok(visit.redirect("/order/cancelled"))
}

pub async fn cancelled_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    visit.page(
        &state,
        "order_cancelled",
        "title_order_cancelled",
        json!({}),
    )
}

/// The booking this session just ordered.
async fn placed(
    visit: &Visit,
    state: &AppState,
) -> Result<Option<crate::domain::booking::BookingDetails>, PageError> {
    let Some(p) = visit.session.data.placed.clone() else {
        return Ok(None);
    };
    let Ok(number) = ReservationNumber::parse(&p.number) else {
        return Ok(None);
    };
    match state
        .run(move |svc| lookup::by_contact(svc, &number, &p.email))
        .await
    {
        Ok(d) => Ok(Some(d)),
        Err(e) if e.is_booking_not_found() => Ok(None),
        Err(e) => Err(visit.fail(state)(e)),
    }
}

/// `GET /order/confirmation`: step 4.
pub async fn done_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let Some(details) = placed(&visit, &state).await? else {
        return Ok(visit.redirect("/order"));
    };
    let view = views::booking(&details, visit.locale);
    let manage = format!("/manage?number={}", enc(&view.number));
    visit.page(
        &state,
        "order_done",
        "title_order_done",
        json!({ "step": 4, "booking": view, "manage_url": manage }),
    )
}

/// `GET /order/confirmation.ics`: the booking for the customer's calendar, the same
/// event as the confirmation e-mail's.
pub async fn done_calendar(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let Some(details) = placed(&visit, &state).await? else {
        return Ok(visit.redirect("/order"));
    };
    let ics = super::manage::ics_of(&state, &details).map_err(visit.fail(&state))?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"greenroom-{}.ics\"",
                details.booking.number
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(ics))
}
