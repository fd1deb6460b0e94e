//! Staff routes for closures: days off shared by many producers (a region's public
//! holiday, a company day off), which availability respects.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::schema::*;

use super::extract::{require, uuid_in_path, JsonBody};
use super::json::{json_objects, Check, Field, Unknown};
use super::problem::Problem;
use super::AppState;
use crate::domain::error::{Error, FieldError, ProblemCode};
use crate::domain::order;
use crate::domain::producer::{Closure, MAX_CLOSURE_DAYS};
use crate::domain::staff::Role;
use crate::domain::text::Lines;
use crate::workflow::roster;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ClosureRequest {
    /// What the day is, such as "Labour Day (France)".
    #[schema(value_type = Line100, required = true)]
    pub name: Field<String>,
    /// The first day closed, read in each producer's own zone.
    #[schema(value_type = CalendarDate, required = true)]
    pub first_day: Field<String>,
    /// The last day closed (included); the first day when absent.
    #[schema(value_type = Option<CalendarDate>)]
    pub last_day: Field<String>,
    /// The zones whose producers it closes (a region's holiday); everyone when absent
    /// or empty.
    #[schema(value_type = Option<Vec<TimeZoneName>>)]
    pub zones: Field<Vec<Field<String>>>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

json_objects!(ClosureRequest);

fn day(s: &str) -> Result<NaiveDate, (ProblemCode, String)> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2999).contains(&d.year()))
        .ok_or_else(|| {
            (
                ProblemCode::InvalidFormat,
                format!("'{s}' is not a date such as 2027-05-01 (years 2000 to 2999)"),
            )
        })
}

impl ClosureRequest {
    pub fn parse(self) -> Result<Closure, Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let name = check.text(
            "name",
            self.name,
            Some("what the day is, such as Labour Day (France)"),
            100,
            Lines::One,
        );
        let first = check.text_with(
            "first_day",
            self.first_day,
            Some("the first day closed, such as 2027-05-01"),
            10,
            |s| day(&s),
        );
        // Given, it must be a date: an empty string is not one.
        let last = match self.last_day {
            Field::Given(s) if s.trim().is_empty() => {
                check.problem(
                    "last_day",
                    ProblemCode::InvalidFormat,
                    "last_day must be a date such as 2027-05-02, or left out for one day",
                );
                None
            }
            other => check.text_with("last_day", other, None, 10, |s| day(&s)),
        };
        if let (Some(f), Some(l)) = (first, last) {
            if l < f {
                check.problem(
                    "last_day",
                    ProblemCode::InvalidRange,
                    "last_day must be the first day or after it",
                );
            } else if (l - f).num_days() >= MAX_CLOSURE_DAYS {
                check.problem(
                    "last_day",
                    ProblemCode::InvalidRange,
                    "a closure is at most a year; add several",
                );
            }
        }
        let mut zones = Vec::new();
        if let Some(items) = check.value("zones", self.zones, None) {
            for (i, item) in items.into_iter().enumerate() {
                let at = format!("zones[{i}]");
                if let Some(z) =
                    check.text_with(&at, item, Some("a time zone"), 64, |z| order::zone(&z))
                {
                    if !zones.contains(&z) {
                        zones.push(z);
                    }
                }
            }
        }
        check.finish(|| {
            let first_day = first?;
            Some(Closure {
                id: uuid::Uuid::new_v4().to_string(),
                name: name?,
                first_day,
                last_day: last.unwrap_or(first_day),
                zones,
            })
        })
    }
}

/// A closure as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureJson {
    pub id: String,
    pub name: String,
    #[schema(format = Date)]
    pub first_day: String,
    #[schema(format = Date)]
    pub last_day: String,
    /// Empty: everyone.
    pub zones: Vec<String>,
}

impl ClosureJson {
    pub fn of(c: &Closure) -> ClosureJson {
        ClosureJson {
            id: c.id.clone(),
            name: c.name.clone(),
            first_day: c.first_day.format("%Y-%m-%d").to_string(),
            last_day: c.last_day.format("%Y-%m-%d").to_string(),
            zones: c.zones.iter().map(|z| z.name().to_string()).collect(),
        }
    }
}

/// Every closure, earliest first.
#[utoipa::path(
    operation_id = "list_closures",
    tag = "staff",
    responses(
        (status = 200, description = "The closures", body = Vec<ClosureJson>),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/closures")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let all = state.run(roster::closures).await?;
    Ok(HttpResponse::Ok().json(all.iter().map(ClosureJson::of).collect::<Vec<_>>()))
}

/// Close days for everyone, or for the producers of some zones.
#[utoipa::path(
    operation_id = "add_closure",
    tag = "staff",
    request_body = ClosureRequest,
    responses(
        (status = 201, description = "Added", body = ClosureJson,
            links(("remove_closure" = (operation_id = "remove_closure", description = "Remove this closure",
                parameters(("id" = "$response.body#/id")))))),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "time_off_conflicts_with_bookings", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[post("/closures")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<ClosureRequest>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let closure = body.0.parse().map_err(Error::Invalid)?;
    let added = state
        .run(move |svc| roster::add_closure(svc, closure))
        .await?;
    Ok(HttpResponse::Created().json(ClosureJson::of(&added)))
}

/// Remove a closure.
#[utoipa::path(
    operation_id = "remove_closure",
    tag = "staff",
    params(("id" = String, Path, description = "The closure's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such closure", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[delete("/closures/{id}")]
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let id = uuid_in_path(&path, "that closure")?;
    state
        .run(move |svc| roster::remove_closure(svc, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
