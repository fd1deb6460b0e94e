//! The roster in the back office: producers with their hours (several shifts a day,
//! crossing midnight), languages, centres and zone; their time off; and closures shared
//! by many producers. Input goes through the API's own request types, so the rules are
//! the same; their refusals are shown next to each field.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Weekday;
use serde_json::{json, Value};

use crate::domain::catalogue::Centre;
use crate::domain::error::{Error, FieldError, ProblemCode};
use crate::domain::producer::{format_clock, weekday_name, Producer, TimeOff};
use crate::domain::staff::{Role, Staff};
use crate::http::closures::ClosureRequest;
use crate::http::producers::{ProducerRequest, TimeOffRequest};
use crate::http::AppState;
use crate::workflow::roster::{self, Listed};

use super::form::{Errors, FieldView, Form};
use super::i18n::say;
use super::{PageError, Visit};

/// Blank rows the hours editor offers for new shifts.
const BLANK_SHIFTS: usize = 3;

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn centre_name(c: Centre) -> &'static str {
    c.as_str()
}

/// The API's refusals, keyed by the page's field names.
fn add_api_errors(errors: &mut Errors, found: &[FieldError]) {
    for e in found {
        let field = e
            .field
            .replace("working_hours[", "hours.")
            .replace("].", ".")
            .replace(['[', ']'], ".");
        let field = field.trim_end_matches('.').to_string();
        let field = match field.as_str() {
            "" | "name" => "producer.name".to_string(),
            "email" => "producer.email".to_string(),
            f if f.starts_with("languages") => "languages".to_string(),
            f if f.starts_with("centres") => "centres".to_string(),
            _ => field,
        };
        errors.add(&field, e.message.clone());
    }
}

/// What the producer form holds: as stored, or as typed.
struct Typed {
    name: String,
    email: String,
    time_zone: String,
    languages: String,
    centres: Vec<String>,
    /// (weekday, start, end) per row.
    shifts: Vec<(String, String, String)>,
}

impl Typed {
    fn of(p: &Producer) -> Typed {
        Typed {
            name: p.name.clone(),
            email: p.email.clone(),
            time_zone: p.time_zone.name().to_string(),
            languages: p.languages.join(", "),
            centres: p
                .centres
                .iter()
                .map(|c| centre_name(*c).to_string())
                .collect(),
            shifts: p
                .working_hours
                .iter()
                .map(|s| {
                    (
                        weekday_name(s.weekday).to_string(),
                        format_clock(s.start_min),
                        format_clock(s.end_min),
                    )
                })
                .collect(),
        }
    }

    fn blank() -> Typed {
        Typed {
            name: String::new(),
            email: String::new(),
            time_zone: "Europe/Paris".into(),
            languages: "en".into(),
            centres: Centre::ALL
                .iter()
                .map(|c| centre_name(*c).to_string())
                .collect(),
            shifts: Vec::new(),
        }
    }

    fn from_form(form: &Form) -> Typed {
        let rows = form.get("rows").parse::<usize>().unwrap_or(0).min(64);
        let shifts = (0..rows)
            .filter(|i| form.get(&format!("hours.{i}.remove")) != "yes")
            .map(|i| {
                let at = |k: &str| form.get(&format!("hours.{i}.{k}")).trim().to_string();
                (at("weekday"), at("start"), at("end"))
            })
            .collect();
        Typed {
            name: form.get("producer.name").trim().to_string(),
            email: form.get("producer.email").trim().to_string(),
            time_zone: form.get("time_zone").trim().to_string(),
            languages: form.get("languages").trim().to_string(),
            centres: Centre::ALL
                .iter()
                .map(|c| centre_name(*c))
                .filter(|c| form.get(&format!("centre.{c}")) == "yes")
                .map(String::from)
                .collect(),
            shifts,
        }
    }

    /// The API's request for what was typed (blank rows left out).
    fn request(&self) -> Value {
        let languages: Vec<&str> = self
            .languages
            .split([',', ' '])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        json!({
            "name": self.name,
            "email": self.email,
            "time_zone": self.time_zone,
            "languages": languages,
            "centres": self.centres,
            "working_hours": self.shifts.iter()
                .filter(|(d, s, e)| !(d.is_empty() && s.is_empty() && e.is_empty()))
                .map(|(d, s, e)| json!({"weekday": d, "start": s, "end": e}))
                .collect::<Vec<_>>(),
        })
    }
}

fn weekday_choices(loc: crate::domain::locale::Locale) -> Vec<(String, String)> {
    let names = crate::email::format::weekdays_long(loc.as_str());
    let mut out = vec![(String::new(), "—".to_string())];
    out.extend(WEEKDAYS.iter().map(|d| {
        (
            weekday_name(*d).to_string(),
            names[d.num_days_from_monday() as usize].to_string(),
        )
    }));
    out
}

#[allow(clippy::too_many_arguments)]
fn render_producer(
    visit: &Visit,
    state: &AppState,
    staff: &Staff,
    listed: Option<&Listed>,
    typed: &Typed,
    errors: &Errors,
    off_typed: (&str, &str, &str),
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let rows: Vec<Value> = typed
        .shifts
        .iter()
        .chain(std::iter::repeat_n(&(String::new(), String::new(), String::new()), BLANK_SHIFTS))
        .enumerate()
        .map(|(i, (d, s, e))| {
            let f = |k: &str| format!("hours.{i}.{k}");
            json!({
                "index": i,
                "weekday": FieldView::new(loc, &f("weekday"), "select", d, errors).choices(weekday_choices(loc)).label(&say(loc, "roster_day", &[])),
                "start": FieldView::new(loc, &f("start"), "time", s, errors).label(&say(loc, "roster_from", &[])).optional(),
                "end": FieldView::new(loc, &f("end"), "time", e, errors).label(&say(loc, "roster_to", &[])).optional(),
                "existing": !(d.is_empty() && s.is_empty() && e.is_empty()),
            })
        })
        .collect();
    let zone = listed
        .map(|l| l.producer.time_zone)
        .unwrap_or(chrono_tz::UTC);
    let time_off: Vec<Value> = listed
        .map(|l| l.time_off.as_slice())
        .unwrap_or(&[])
        .iter()
        .map(|t: &TimeOff| {
            json!({
                "id": t.id,
                "from": local(t.start, zone, loc),
                "to": local(t.end, zone, loc),
                "reason": t.reason,
            })
        })
        .collect();
    let mut tz = FieldView::new(loc, "time_zone", "text", &typed.time_zone, errors).max(64);
    tz.list = Some("zones");
    tz.hint = Some(say(loc, "roster_zone_hint", &[]));
    let mut languages = FieldView::new(loc, "languages", "text", &typed.languages, errors).max(200);
    languages.hint = Some(say(loc, "roster_languages_hint", &[]));
    let centres: Vec<Value> = Centre::ALL
        .iter()
        .map(|c| {
            json!({
                "value": centre_name(*c),
                "label": say(loc, &format!("centre_{}", centre_name(*c)), &[]),
                "checked": typed.centres.iter().any(|t| t == centre_name(*c)),
            })
        })
        .collect();
    let can_edit = staff.role == Role::Admin;
    visit.page_with_status(
        state,
        status,
        "staff_producer",
        "title_staff_producer",
        json!({
            "is_admin": can_edit,
            "is_scheduler": staff.role.allows(Role::Scheduler),
            "section": "roster",
            "can_edit": can_edit,
            "is_new": listed.is_none(),
            "id": listed.map(|l| l.producer.id.clone()),
            "heading": listed.map(|l| l.producer.name.clone()).unwrap_or_else(|| say(loc, "roster_new", &[])),
            "errors": errors.summary(),
            "name": FieldView::new(loc, "producer.name", "text", &typed.name, errors).max(200),
            "email": FieldView::new(loc, "producer.email", "email", &typed.email, errors).max(254),
            "row_count": typed.shifts.len() + BLANK_SHIFTS,
            "time_zone": tz,
            "zones": chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect::<Vec<_>>(),
            "languages": languages,
            "centres": centres,
            "centres_error": errors.get("centres"),
            "rows": rows,
            "hours_error": errors.get("working_hours"),
            "time_off": time_off,
            "zone_name": zone.name(),
            "off_start": FieldView::new(loc, "off.start", "datetime-local", off_typed.0, errors),
            "off_end": FieldView::new(loc, "off.end", "datetime-local", off_typed.1, errors),
            "off_reason": FieldView::new(loc, "off.reason", "text", off_typed.2, errors).optional().max(500),
        }),
    )
}

fn local(
    t: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
    loc: crate::domain::locale::Locale,
) -> String {
    format!(
        "{} {}",
        crate::email::format::date(t, tz, loc.as_str()),
        crate::email::format::time(t, tz)
    )
}

async fn listed(state: &AppState, visit: &Visit, id: &str) -> Result<Listed, PageError> {
    let id = uuid::Uuid::parse_str(id)
        .map_err(|_| visit.fail(state)(Error::not_found("that producer")))?
        .to_string();
    state
        .run(move |svc| roster::get(svc, &id))
        .await
        .map_err(visit.fail(state))
}

/// `GET /staff/roster`: the producers, their zones, languages, centres and hours.
pub async fn roster_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let loc = visit.locale;
    let all = state.run(roster::list).await.map_err(visit.fail(&state))?;
    let days = crate::email::format::weekdays_short(loc.as_str());
    let rows: Vec<Value> = all
        .iter()
        .map(|l| {
            let p = &l.producer;
            let hours: Vec<String> = p
                .working_hours
                .iter()
                .map(|s| {
                    format!(
                        "{} {}–{}",
                        days[s.weekday.num_days_from_monday() as usize],
                        format_clock(s.start_min),
                        format_clock(s.end_min)
                    )
                })
                .collect();
            json!({
                "href": format!("/staff/roster/{}", p.id),
                "name": p.name,
                "email": p.email,
                "zone": p.time_zone.name(),
                "languages": p.languages.iter().map(|l| crate::domain::locale::language_name(l, loc)).collect::<Vec<_>>().join(", "),
                "centres": p.centres.iter().map(|c| say(loc, &format!("centre_{}", centre_name(*c)), &[])).collect::<Vec<_>>().join(", "),
                "hours": hours.join(" · "),
                "time_off": l.time_off.len(),
            })
        })
        .collect();
    visit.page(
        &state,
        "staff_roster",
        "title_staff_roster",
        json!({
            "is_admin": staff.role == Role::Admin,
            "is_scheduler": staff.role.allows(Role::Scheduler),
            "section": "roster",
            "producers": rows,
        }),
    )
}

/// `GET /staff/roster/{id}` (or `new`): a producer's details, hours and time off.
pub async fn producer_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    if path.as_str() == "new" {
        if staff.role != Role::Admin {
            return Err(visit.fail(&state)(Error::forbidden("admin")));
        }
        return render_producer(
            &visit,
            &state,
            &staff,
            None,
            &Typed::blank(),
            &Errors::default(),
            ("", "", ""),
            StatusCode::OK,
        );
    }
    let l = listed(&state, &visit, &path).await?;
    render_producer(
        &visit,
        &state,
        &staff,
        Some(&l),
        &Typed::of(&l.producer),
        &Errors::default(),
        ("", "", ""),
        StatusCode::OK,
    )
}

/// `POST /staff/roster/{id}` (or `new`, admins): save the producer as typed.
pub async fn producer_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Admin);
    let existing = if path.as_str() == "new" {
        None
    } else {
        Some(listed(&state, &visit, &path).await?)
    };
    let typed = Typed::from_form(&form);
    let parsed = serde_json::from_value::<ProducerRequest>(typed.request())
        .map_err(|e| {
            vec![FieldError::new(
                "name",
                ProblemCode::InvalidFormat,
                e.to_string(),
            )]
        })
        .and_then(ProducerRequest::parse);
    let result = match parsed {
        Err(found) => Err(Error::Invalid(found)),
        Ok(input) => {
            let id = existing.as_ref().map(|l| l.producer.id.clone());
            state
                .run(move |svc| match id {
                    Some(id) => roster::replace(svc, &id, &input).map(|l| l.producer),
                    None => roster::create(svc, &input),
                })
                .await
        }
    };
    match result {
        Ok(p) => Ok(visit.redirect(&format!("/staff/roster/{}", p.id))),
        Err(Error::Invalid(found)) => {
            let mut errors = Errors::default();
            add_api_errors(&mut errors, &found);
            render_producer(
                &visit,
                &state,
                &staff,
                existing.as_ref(),
                &typed,
                &errors,
                ("", "", ""),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

/// `POST /staff/roster/{id}/time-off`: from and to, in the producer's zone.
pub async fn add_time_off(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let l = listed(&state, &visit, &path).await?;
    let (start, end, reason) = (
        form.get("off.start").trim().to_string(),
        form.get("off.end").trim().to_string(),
        form.get("off.reason").trim().to_string(),
    );
    let mut body = json!({"start": start, "end": end});
    if !reason.is_empty() {
        body["reason"] = json!(reason);
    }
    let id = l.producer.id.clone();
    let result = match serde_json::from_value::<TimeOffRequest>(body) {
        Err(e) => Err(Error::field(
            "start",
            ProblemCode::InvalidFormat,
            e.to_string(),
        )),
        Ok(request) => {
            state
                .run(move |svc| {
                    roster::add_time_off(svc, &id, |p| {
                        request.parse(p.time_zone).map_err(Error::Invalid)
                    })
                })
                .await
        }
    };
    let mut errors = Errors::default();
    match result {
        Ok(_) => return Ok(visit.redirect(&format!("/staff/roster/{}#time-off", l.producer.id))),
        Err(Error::Invalid(found)) => {
            for e in found {
                errors.add(&format!("off.{}", e.field), e.message);
            }
        }
        Err(Error::Refused {
            code: ProblemCode::TimeOffConflictsWithBookings,
            detail,
        }) => {
            errors.add("off.start", detail);
        }
        Err(e) => return Err(visit.fail(&state)(e)),
    }
    render_producer(
        &visit,
        &state,
        &staff,
        Some(&l),
        &Typed::of(&l.producer),
        &errors,
        (&start, &end, &reason),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// `POST /staff/roster/{id}/time-off/remove`.
pub async fn remove_time_off(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let l = listed(&state, &visit, &path).await?;
    let (id, off) = (l.producer.id.clone(), form.get("id").to_string());
    match state
        .run(move |svc| roster::remove_time_off(svc, &id, &off))
        .await
    {
        Ok(())
        | Err(Error::Refused {
            code: ProblemCode::NotFound,
            ..
        }) => Ok(visit.redirect(&format!("/staff/roster/{}#time-off", l.producer.id))),
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

fn render_closures(
    visit: &Visit,
    state: &AppState,
    staff: &Staff,
    closures: &[crate::domain::producer::Closure],
    errors: &Errors,
    typed: (&str, &str, &str, &str),
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let loc = visit.locale;
    let rows: Vec<Value> = closures
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.name,
                "first": crate::email::format::day(c.first_day, loc.as_str()),
                "last": (c.last_day != c.first_day).then(|| crate::email::format::day(c.last_day, loc.as_str())),
                "year": chrono::Datelike::year(&c.first_day),
                "who": if c.zones.is_empty() {
                    say(loc, "closure_everyone", &[])
                } else {
                    c.zones.iter().map(|z| z.name()).collect::<Vec<_>>().join(", ")
                },
            })
        })
        .collect();
    let mut zones = FieldView::new(loc, "zones", "text", typed.3, errors)
        .optional()
        .max(500);
    zones.hint = Some(say(loc, "closure_zones_hint", &[]));
    zones.list = Some("zones");
    visit.page_with_status(
        state,
        status,
        "staff_closures",
        "title_staff_closures",
        json!({
            "is_admin": staff.role == Role::Admin,
            "is_scheduler": staff.role.allows(Role::Scheduler),
            "section": "closures",
            "errors": errors.summary(),
            "closures": rows,
            "name": FieldView::new(loc, "closure.name", "text", typed.0, errors).max(100),
            "first_day": FieldView::new(loc, "first_day", "date", typed.1, errors),
            "last_day": FieldView::new(loc, "last_day", "date", typed.2, errors).optional(),
            "zone_field": zones,
            "zones": chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect::<Vec<_>>(),
        }),
    )
}

/// `GET /staff/closures`: days off shared by many producers.
pub async fn closures_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let all = state
        .run(roster::closures)
        .await
        .map_err(visit.fail(&state))?;
    render_closures(
        &visit,
        &state,
        &staff,
        &all,
        &Errors::default(),
        ("", "", "", ""),
        StatusCode::OK,
    )
}

/// `POST /staff/closures`: add one (refused, naming them, if it covers bookings).
pub async fn add_closure(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    let staff = staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let (name, first, last, zones) = (
        form.get("closure.name").trim().to_string(),
        form.get("first_day").trim().to_string(),
        form.get("last_day").trim().to_string(),
        form.get("zones").trim().to_string(),
    );
    let mut body = json!({"name": name, "first_day": first});
    if !last.is_empty() {
        body["last_day"] = json!(last);
    }
    let zone_list: Vec<&str> = zones
        .split([',', ' '])
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .collect();
    body["zones"] = json!(zone_list);
    let result = match serde_json::from_value::<ClosureRequest>(body)
        .map_err(|e| Error::field("closure.name", ProblemCode::InvalidFormat, e.to_string()))
        .and_then(|r| r.parse().map_err(Error::Invalid))
    {
        Err(e) => Err(e),
        Ok(closure) => {
            state
                .run(move |svc| roster::add_closure(svc, closure))
                .await
        }
    };
    let mut errors = Errors::default();
    match result {
        Ok(_) => return Ok(visit.redirect("/staff/closures")),
        Err(Error::Invalid(found)) => {
            for e in found {
                let field = match e.field.as_str() {
                    "name" => "closure.name".to_string(),
                    f if f.starts_with("zones") => "zones".to_string(),
                    f => f.to_string(),
                };
                errors.add(&field, e.message);
            }
        }
        Err(Error::Refused {
            code: ProblemCode::TimeOffConflictsWithBookings,
            detail,
        }) => {
            errors.add("first_day", detail);
        }
        Err(e) => return Err(visit.fail(&state)(e)),
    }
    let all = state
        .run(roster::closures)
        .await
        .map_err(visit.fail(&state))?;
    render_closures(
        &visit,
        &state,
        &staff,
        &all,
        &errors,
        (&name, &first, &last, &zones),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// `POST /staff/closures/remove`.
pub async fn remove_closure(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let visit = Visit::start(&req, &state).await?;
    let form = visit.form(&state, &body)?;
    staff_or_sign_in!(req, state, visit, Role::Scheduler);
    let id = form.get("id").to_string();
    match state.run(move |svc| roster::remove_closure(svc, &id)).await {
        Ok(())
        | Err(Error::Refused {
            code: ProblemCode::NotFound,
            ..
        }) => Ok(visit.redirect("/staff/closures")),
        Err(e) => Err(visit.fail(&state)(e)),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/roster", web::get().to(roster_page))
        .route("/staff/roster/{id}", web::get().to(producer_page))
        .route("/staff/roster/{id}", web::post().to(producer_form))
        .route("/staff/roster/{id}/time-off", web::post().to(add_time_off))
        .route(
            "/staff/roster/{id}/time-off/remove",
            web::post().to(remove_time_off),
        )
        .route("/staff/closures", web::get().to(closures_page))
        .route("/staff/closures", web::post().to(add_closure))
        .route("/staff/closures/remove", web::post().to(remove_closure));
}
