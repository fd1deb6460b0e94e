//! Staff routes for the roster: producers, their hours and time off.

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::http::schema::*;

use super::extract::{require, uuid_in_path, JsonBody};
use super::json::{json_objects, path, Check, Field, JsonKind, Kind, Unknown};
use super::problem::Problem;
use super::AppState;
use crate::domain::error::{Error, FieldError, ProblemCode};
use crate::domain::local_time::format_in;
use crate::domain::order;
use crate::domain::producer::{
    self as rules, Producer, ProducerInput, TimeOff, TimeOffInput, WorkingSpan,
};
use crate::domain::staff::Role;
use crate::domain::text::{self, Lines};
use crate::workflow::roster;

/// A day of the week: `monday` (or `mon`), or 1 (Monday) to 7 (Sunday).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct WeekdayValue(Value);

impl JsonKind for WeekdayValue {
    const KIND: Kind = Kind::Any;
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct WorkingSpanRequest {
    #[schema(value_type = WeekdayName, required = true)]
    pub weekday: Field<WeekdayValue>,
    /// `HH:MM` in the producer's zone.
    #[schema(value_type = ClockTime, required = true)]
    pub start: Field<String>,
    /// `HH:MM`; earlier than `start` crosses midnight; `24:00` is midnight.
    #[schema(value_type = ClockEnd, required = true)]
    pub end: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ProducerRequest {
    #[schema(value_type = Line200, required = true)]
    pub name: Field<String>,
    #[schema(value_type = EmailAddress, required = true)]
    pub email: Field<String>,
    /// The producer's own IANA zone: their hours are read in it.
    #[schema(value_type = TimeZoneName, required = true)]
    pub time_zone: Field<String>,
    /// BCP 47 tags; `["en"]` when absent.
    #[schema(value_type = Option<Vec<LanguageTag>>, min_items = 1)]
    pub languages: Field<Vec<Field<String>>>,
    /// meeting, training, event; all three when absent.
    #[schema(value_type = Option<Vec<CentreName>>, min_items = 1)]
    pub centres: Field<Vec<Field<String>>>,
    #[schema(value_type = Vec<WorkingSpanRequest>, required = true)]
    pub working_hours: Field<Vec<Field<WorkingSpanRequest>>>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TimeOffRequest {
    /// A local time in the producer's zone such as `2027-01-10T09:00`, or an instant.
    #[schema(value_type = StartTime, required = true)]
    pub start: Field<String>,
    #[schema(value_type = StartTime, required = true)]
    pub end: Field<String>,
    #[schema(value_type = Option<Lines500>)]
    pub reason: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

json_objects!(WorkingSpanRequest, ProducerRequest, TimeOffRequest);

impl ProducerRequest {
    pub fn parse(self) -> Result<ProducerInput, Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let name = check.text(
            "name",
            self.name,
            Some("the producer's name"),
            200,
            Lines::One,
        );
        let email = check.text_with(
            "email",
            self.email,
            Some("the producer's e-mail address"),
            254,
            |e| text::email(&e, "email").map(|()| e),
        );
        let tz = check.text_with(
            "time_zone",
            self.time_zone,
            Some("an IANA time zone such as Europe/Paris"),
            64,
            |z| order::zone(&z),
        );

        let mut languages = Vec::new();
        match check.value("languages", self.languages, None) {
            None => languages.push("en".to_string()),
            Some(items) if items.is_empty() => check.problem(
                "languages",
                ProblemCode::Required,
                "list at least one language the producer works in, such as [\"en\"]",
            ),
            Some(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let at = format!("languages[{i}]");
                    if let Some(tag) = check.value(&at, item, Some("a language tag")) {
                        match text::primary_language(&tag) {
                            Some(l) if !languages.contains(&l) => languages.push(l),
                            Some(_) => {}
                            None => check.problem(
                                at,
                                ProblemCode::InvalidLanguage,
                                "each language must be a BCP 47 tag such as en, fr or ja",
                            ),
                        }
                    }
                }
            }
        }

        let mut centres = Vec::new();
        match check.value("centres", self.centres, None) {
            None => centres.extend(crate::domain::catalogue::Centre::ALL),
            Some(items) if items.is_empty() => check.problem(
                "centres",
                ProblemCode::Required,
                "list at least one centre: meeting, training or event",
            ),
            Some(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    let at = format!("centres[{i}]");
                    if let Some(c) = check
                        .value(&at, item, Some("a centre"))
                        .and_then(|n| check.check(&at, rules::centre(&n)))
                    {
                        if !centres.contains(&c) {
                            centres.push(c);
                        }
                    }
                }
            }
        }

        let mut hours: Vec<WorkingSpan> = Vec::new();
        if let Some(items) = check.value("working_hours", self.working_hours, Some("send an array"))
        {
            for (i, item) in items.into_iter().enumerate() {
                let at = format!("working_hours[{i}]");
                let Some(span) = check.value(&at, item, Some("an object")) else {
                    continue;
                };
                check.unknown(&at, &span.unknown);
                let weekday = check
                    .value(
                        &path(&at, "weekday"),
                        span.weekday,
                        Some("a day such as monday"),
                    )
                    .and_then(|w| check.check(&path(&at, "weekday"), rules::weekday(&w.0)));
                let start = check.text_with(
                    &path(&at, "start"),
                    span.start,
                    Some("a time such as 09:00"),
                    5,
                    |s| rules::clock(&s, false),
                );
                let end = check.text_with(
                    &path(&at, "end"),
                    span.end,
                    Some("a time such as 17:30"),
                    5,
                    |s| rules::clock(&s, true),
                );
                if let (Some(weekday), Some(start), Some(end)) = (weekday, start, end) {
                    if let Some(span) =
                        check.check(&path(&at, "end"), rules::span(weekday, start, end))
                    {
                        hours.push(span);
                    }
                }
            }
        }
        check.finish(|| {
            Some(ProducerInput {
                name: name?,
                email: email?,
                time_zone: tz?,
                languages,
                centres,
                working_hours: hours,
            })
        })
    }
}

impl TimeOffRequest {
    /// Time off, read in the producer's zone when given as local times.
    pub fn parse(self, zone: chrono_tz::Tz) -> Result<TimeOffInput, Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let hint =
            "a local time in the producer's zone such as 2027-01-10T09:00, or an RFC 3339 instant";
        let start = check.text_with("start", self.start, Some(hint), 64, |s| {
            order::start(&s, Some(zone))
        });
        let end = check.text_with("end", self.end, Some(hint), 64, |s| {
            order::start(&s, Some(zone))
        });
        let reason = check.text("reason", self.reason, None, 500, Lines::Many);
        if let (Some(s), Some(e)) = (start, end) {
            if let Err((field, (code, message))) = rules::time_off_range(s, e) {
                check.problem(field, code, message);
            }
        }
        check.finish(|| {
            Some(TimeOffInput {
                start: start?,
                end: end?,
                reason,
            })
        })
    }
}

/// One period a producer does not work, in their zone.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimeOffJson {
    pub id: String,
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
    pub reason: Option<String>,
}

impl TimeOffJson {
    fn of(t: &TimeOff, zone: chrono_tz::Tz) -> TimeOffJson {
        TimeOffJson {
            id: t.id.clone(),
            start: format_in(t.start, zone),
            end: format_in(t.end, zone),
            reason: t.reason.clone(),
        }
    }
}

/// A weekly span of work as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkingSpanJson {
    pub weekday: String,
    pub start: String,
    pub end: String,
}

/// A producer on the roster.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProducerJson {
    pub id: String,
    pub name: String,
    pub email: String,
    pub time_zone: String,
    pub languages: Vec<String>,
    pub centres: Vec<String>,
    pub working_hours: Vec<WorkingSpanJson>,
    pub time_off: Vec<TimeOffJson>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl ProducerJson {
    fn of(p: &Producer, time_off: &[TimeOff]) -> ProducerJson {
        ProducerJson {
            id: p.id.clone(),
            name: p.name.clone(),
            email: p.email.clone(),
            time_zone: p.time_zone.name().to_string(),
            languages: p.languages.clone(),
            centres: p.centres.iter().map(|c| c.as_str().to_string()).collect(),
            working_hours: p
                .working_hours
                .iter()
                .map(|s| WorkingSpanJson {
                    weekday: rules::weekday_name(s.weekday).to_string(),
                    start: rules::format_clock(s.start_min),
                    end: rules::format_clock(s.end_min),
                })
                .collect(),
            time_off: time_off
                .iter()
                .map(|t| TimeOffJson::of(t, p.time_zone))
                .collect(),
            created_at: format_in(p.created_at, chrono_tz::UTC),
            updated_at: format_in(p.updated_at, chrono_tz::UTC),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimeOffCreated {
    pub producer_id: String,
    pub time_off: TimeOffJson,
}

fn producer_id(raw: &str) -> Result<String, Error> {
    uuid_in_path(raw, "that producer")
}

/// The roster.
#[utoipa::path(
    operation_id = "list_producers",
    tag = "staff",
    responses(
        (status = 200, description = "Producers, by name", body = Vec<ProducerJson>),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/producers")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let all = state.run(roster::list).await?;
    Ok(HttpResponse::Ok().json(
        all.iter()
            .map(|l| ProducerJson::of(&l.producer, &l.time_off))
            .collect::<Vec<_>>(),
    ))
}

/// Add a producer.
#[utoipa::path(
    operation_id = "add_producer",
    tag = "staff",
    request_body = ProducerRequest,
    responses(
        (status = 201, description = "Added", body = ProducerJson,
            links(("add_time_off" = (operation_id = "add_time_off", description = "Add time off for this producer",
                parameters(("id" = "$response.body#/id")))))),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Needs an admin token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[post("/producers")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<ProducerRequest>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Admin).await?;
    let input = body.0.parse().map_err(Error::Invalid)?;
    let created = state.run(move |svc| roster::create(svc, &input)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/producers/{}", created.id)))
        .json(ProducerJson::of(&created, &[])))
}

/// A producer.
#[utoipa::path(
    operation_id = "show_producer",
    tag = "staff",
    params(("id" = String, Path, description = "The producer's id")),
    responses(
        (status = 200, description = "The producer", body = ProducerJson),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such producer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/producers/{id}")]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let id = producer_id(&path)?;
    let found = state.run(move |svc| roster::get(svc, &id)).await?;
    Ok(HttpResponse::Ok().json(ProducerJson::of(&found.producer, &found.time_off)))
}

/// Replace a producer's details and hours.
#[utoipa::path(
    operation_id = "replace_producer",
    tag = "staff",
    params(("id" = String, Path, description = "The producer's id")),
    request_body = ProducerRequest,
    responses(
        (status = 200, description = "Updated", body = ProducerJson),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Needs an admin token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such producer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[put("/producers/{id}")]
pub async fn replace(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<ProducerRequest>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Admin).await?;
    let id = producer_id(&path)?;
    let input = body.0.parse().map_err(Error::Invalid)?;
    let updated = state
        .run(move |svc| roster::replace(svc, &id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(ProducerJson::of(&updated.producer, &updated.time_off)))
}

/// Remove a producer from the roster (refused while they have bookings to run).
#[utoipa::path(
    operation_id = "remove_producer",
    tag = "staff",
    params(("id" = String, Path, description = "The producer's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Needs an admin token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such producer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "producer_has_bookings", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[delete("/producers/{id}")]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Admin).await?;
    let id = producer_id(&path)?;
    state.run(move |svc| roster::remove(svc, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add time off (refused when it covers a booking of the producer).
#[utoipa::path(
    operation_id = "add_time_off",
    tag = "staff",
    params(("id" = String, Path, description = "The producer's id")),
    request_body = TimeOffRequest,
    responses(
        (status = 201, description = "Added", body = TimeOffCreated,
            links(("remove_time_off" = (operation_id = "remove_time_off", description = "Remove this time off",
                parameters(("id" = "$response.body#/producer_id"), ("time_off_id" = "$response.body#/time_off/id")))))),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such producer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "time_off_conflicts_with_bookings", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[post("/producers/{id}/time-off")]
pub async fn add_time_off(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<TimeOffRequest>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let id = producer_id(&path)?;
    let request = body.0;
    let (producer, off) = state
        .run(move |svc| {
            roster::add_time_off(svc, &id, |p| {
                request.parse(p.time_zone).map_err(Error::Invalid)
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(TimeOffCreated {
        producer_id: producer.id.clone(),
        time_off: TimeOffJson::of(&off, producer.time_zone),
    }))
}

/// Remove time off.
#[utoipa::path(
    operation_id = "remove_time_off",
    tag = "staff",
    params(
        ("id" = String, Path, description = "The producer's id"),
        ("time_off_id" = String, Path, description = "The time off's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such time off", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[delete("/producers/{id}/time-off/{time_off_id}")]
pub async fn delete_time_off(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let (id, off) = path.into_inner();
    let id = producer_id(&id)?;
    let off = uuid_in_path(&off, "that time off")?;
    state
        .run(move |svc| roster::remove_time_off(svc, &id, &off))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
