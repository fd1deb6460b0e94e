//! Admin routes for webhooks: register an endpoint for booking events (its signing
//! secret shown once), list and remove endpoints, and see each delivery with its
//! attempts.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{require, uuid_in_path, JsonBody};
use super::json::{json_objects, Check, Field, Unknown};
use super::problem::Problem;
use super::query::query_number;
use super::AppState;
use crate::db::from_db;
use crate::db::models::webhooks::{AttemptRow, DeliveryRow};
use crate::domain::error::{Error, FieldError, ProblemCode};
use crate::domain::local_time::format_in;
use crate::domain::staff::Role;
use crate::domain::webhook::{endpoint_url, Endpoint, EventType, MAX_URL};
use crate::http::schema::{WebhookEvent, WebhookUrl};
use crate::workflow::{webhooks as work, Actor};

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct WebhookRequest {
    /// Where deliveries are POSTed.
    #[schema(value_type = WebhookUrl, required = true)]
    pub url: Field<String>,
    /// The events to send there (at least one).
    #[schema(value_type = Vec<WebhookEvent>, required = true, min_items = 1)]
    pub events: Field<Vec<Field<String>>>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

json_objects!(WebhookRequest);

impl WebhookRequest {
    pub fn parse(self) -> Result<(String, Vec<EventType>), Vec<FieldError>> {
        let mut check = Check::default();
        check.unknown("", &self.unknown);
        let url = check.text_with(
            "url",
            self.url,
            Some("the address to POST events to, such as https://example.com/greenroom/events"),
            MAX_URL,
            |s| endpoint_url(&s),
        );
        let mut events = Vec::new();
        let wanted = format!("a list of events among {}", EventType::names());
        if let Some(items) = check.value("events", self.events, Some(&wanted)) {
            if items.is_empty() {
                check.problem(
                    "events",
                    ProblemCode::Required,
                    format!("events must not be empty: {wanted}"),
                );
            }
            for (i, item) in items.into_iter().enumerate() {
                let at = format!("events[{i}]");
                let event = check.text_with(&at, item, Some("an event"), 64, |name| {
                    EventType::parse(&name).ok_or_else(|| {
                        (
                            ProblemCode::UnknownEvent,
                            format!(
                                "'{name}' is not an event; use one of {}",
                                EventType::names()
                            ),
                        )
                    })
                });
                events.extend(event);
            }
        }
        check.finish(|| Some((url?, events)))
    }
}

/// An endpoint as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookJson {
    pub id: String,
    pub url: String,
    #[schema(value_type = Vec<WebhookEvent>)]
    pub events: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Who registered it.
    pub created_by: String,
}

impl WebhookJson {
    fn of(e: &Endpoint) -> WebhookJson {
        WebhookJson {
            id: e.id.clone(),
            url: e.url.clone(),
            events: e.events.iter().map(|e| e.as_str().to_string()).collect(),
            created_at: format_in(e.created_at, chrono_tz::UTC),
            created_by: e.created_by.clone(),
        }
    }
}

/// An endpoint just registered, with its signing secret: shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookJson {
    #[serde(flatten)]
    pub webhook: WebhookJson,
    /// `whsec_` and the base64 of 32 random bytes: verify deliveries with it (any
    /// Standard Webhooks library takes it as it is). Not shown again.
    pub secret: String,
}

/// One attempt at a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptJson {
    /// 1 for the first.
    pub attempt: i32,
    #[schema(format = DateTime)]
    pub at: String,
    /// What the receiver answered; absent when it could not be reached.
    pub status_code: Option<i32>,
    /// Why it did not count as delivered.
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// One event's delivery to the endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryJson {
    /// Sent as `webhook-id`, the same on every attempt.
    pub id: String,
    #[schema(value_type = WebhookEvent)]
    #[serde(rename = "type")]
    pub event_type: String,
    /// The booking's internal id (the body holds its reservation number).
    pub booking_id: String,
    /// pending (to be tried, or tried again at `next_attempt_at`), delivered, or failed
    /// (after the last attempt, or withdrawn).
    pub status: String,
    pub attempts: i32,
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
    /// The body sent, as sent.
    pub body: String,
    pub attempt_log: Vec<AttemptJson>,
}

fn utc(t: chrono::NaiveDateTime) -> String {
    format_in(from_db(t), chrono_tz::UTC)
}

impl DeliveryJson {
    fn of((d, attempts): (DeliveryRow, Vec<AttemptRow>)) -> DeliveryJson {
        DeliveryJson {
            next_attempt_at: (d.status == "pending").then(|| utc(d.next_attempt_at)),
            created_at: utc(d.created_at),
            delivered_at: d.delivered_at.map(utc),
            id: d.id,
            event_type: d.event_type,
            booking_id: d.booking_id,
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status,
            last_error: d.last_error,
            body: d.body,
            attempt_log: attempts
                .into_iter()
                .map(|a| AttemptJson {
                    attempt: a.attempt,
                    at: utc(a.at),
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

/// Register an endpoint for booking events.
#[utoipa::path(
    operation_id = "add_webhook",
    tag = "staff",
    request_body = WebhookRequest,
    responses(
        (status = 201, description = "Registered; the secret is shown only here", body = CreatedWebhookJson,
            links(
                ("remove_webhook" = (operation_id = "remove_webhook", description = "Remove this endpoint",
                    parameters(("id" = "$response.body#/id")))),
                ("webhook_deliveries" = (operation_id = "webhook_deliveries", description = "See its deliveries",
                    parameters(("id" = "$response.body#/id")))),
            )),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins manage webhooks", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields to fix", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[post("/webhooks")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<WebhookRequest>,
) -> Result<HttpResponse, Error> {
    let staff = require(&req, &state, Role::Admin).await?;
    let (url, events) = body.0.parse().map_err(Error::Invalid)?;
    let actor = Actor::Staff(staff);
    let done = state
        .run(move |svc| work::register(svc, url, events, &actor))
        .await?;
    Ok(HttpResponse::Created().json(CreatedWebhookJson {
        webhook: WebhookJson::of(&done.endpoint),
        secret: done.secret,
    }))
}

/// Every endpoint, oldest first (without secrets).
#[utoipa::path(
    operation_id = "list_webhooks",
    tag = "staff",
    responses(
        (status = 200, description = "The endpoints", body = Vec<WebhookJson>),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins manage webhooks", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/webhooks")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Admin).await?;
    let all = state.run(work::list).await?;
    Ok(HttpResponse::Ok().json(all.iter().map(WebhookJson::of).collect::<Vec<_>>()))
}

/// Remove an endpoint: nothing more is sent to it.
#[utoipa::path(
    operation_id = "remove_webhook",
    tag = "staff",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins manage webhooks", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[delete("/webhooks/{id}")]
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Admin).await?;
    let id = uuid_in_path(&path, "that webhook")?;
    state.run(move |svc| work::remove(svc, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// 1 to 500, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

/// An endpoint's deliveries, newest first, each with every attempt and what the
/// receiver answered.
#[utoipa::path(
    operation_id = "webhook_deliveries",
    tag = "staff",
    params(("id" = String, Path, description = "The endpoint's id"), DeliveriesQuery),
    responses(
        (status = 200, description = "The deliveries", body = Vec<DeliveryJson>),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins manage webhooks", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter to fix", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Admin).await?;
    let id = uuid_in_path(&path, "that webhook")?;
    let mut check = Check::default();
    let limit = query_number(&mut check, "limit", q.limit.as_deref(), 50, 500);
    check.finish(|| Some(())).map_err(Error::Invalid)?;
    let found = state
        .run(move |svc| work::deliveries(svc, &id, limit))
        .await?;
    Ok(HttpResponse::Ok().json(found.into_iter().map(DeliveryJson::of).collect::<Vec<_>>()))
}
