//! Staff views: the schedule of assignments, bookings by page, and the outbox.

use actix_web::{delete, get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{require, uuid_in_path};
use super::json::Check;
use super::problem::Problem;
use super::query::{query_number, range};
use super::AppState;
use crate::db::from_db;
use crate::domain::error::{Error, ProblemCode};
use crate::domain::local_time::format_in;
use crate::domain::staff::Role;
use crate::workflow::staff as work;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScheduleQuery {
    /// A date (UTC midnight) or an RFC 3339 instant; today when absent.
    pub from: Option<String>,
    /// A date or an instant; 30 days after `from` when absent (at most 366 days).
    pub to: Option<String>,
    /// One producer's id.
    pub producer: Option<String>,
}

/// A producer as the schedule names them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleProducer {
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WindowJson {
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
}

/// One confirmed assignment: the customer's times and the producer's window.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assignment {
    pub reservation_number: String,
    pub producer: ScheduleProducer,
    pub package: String,
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
    pub time_zone: String,
    /// From 30 minutes before the start to the end, in UTC.
    pub producer_window: WindowJson,
    pub language_pending_confirmation: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleJson {
    #[schema(format = DateTime)]
    pub from: String,
    #[schema(format = DateTime)]
    pub to: String,
    pub assignments: Vec<Assignment>,
    /// Preparation sessions (scheduling calls, consultations, rehearsals) overlapping
    /// the range: the producer's time too.
    pub sessions: Vec<SessionAssignment>,
}

/// A preparation session on the schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionAssignment {
    pub reservation_number: String,
    pub producer: ScheduleProducer,
    /// Its name in the booking (`rehearsal-2`).
    pub session: String,
    pub kind: Option<crate::domain::session::SessionKind>,
    /// In UTC.
    pub window: WindowJson,
}

/// Confirmed assignments whose producer window overlaps a range.
#[utoipa::path(
    operation_id = "schedule",
    tag = "staff",
    params(ScheduleQuery),
    responses(
        (status = 200, description = "The schedule", body = ScheduleJson),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter to fix", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/schedule")]
pub async fn schedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<ScheduleQuery>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let mut check = Check::default();
    let (from, to) = range(
        &mut check,
        q.from.as_deref(),
        q.to.as_deref(),
        state.services.now(),
    );
    let producer = match q
        .producer
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        Some(p) => match uuid_in_path(p, "that producer") {
            Ok(id) => Some(id),
            Err(_) => {
                check.problem(
                    "producer",
                    ProblemCode::InvalidFormat,
                    "producer must be a producer's id, as GET /api/v1/producers lists them",
                );
                None
            }
        },
    };
    check.finish(|| Some(())).map_err(Error::Invalid)?;
    let found = state
        .run(move |svc| work::schedule(svc, from, to, producer.as_deref()))
        .await?;
    let names = &found.names;
    let producer_ref = |id: &str| ScheduleProducer {
        id: id.to_string(),
        name: names.get(id).map(|p| p.name.clone()),
    };
    let sessions = found
        .sessions
        .iter()
        .map(|(s, b)| SessionAssignment {
            reservation_number: b.number.to_string(),
            producer: producer_ref(&s.producer_id),
            session: s.name.clone(),
            kind: crate::domain::session::SessionKind::of_name(&s.name),
            window: WindowJson {
                start: format_in(s.start, chrono_tz::UTC),
                end: format_in(s.end, chrono_tz::UTC),
            },
        })
        .collect();
    let assignments = found
        .bookings
        .iter()
        .map(|b| Assignment {
            reservation_number: b.number.to_string(),
            producer: producer_ref(&b.producer_id),
            package: b.package_id.clone(),
            start: format_in(b.start, b.time_zone),
            end: format_in(b.end, b.time_zone),
            time_zone: b.time_zone.name().to_string(),
            producer_window: WindowJson {
                start: format_in(b.window_start, chrono_tz::UTC),
                end: format_in(b.window_end, chrono_tz::UTC),
            },
            language_pending_confirmation: b.language_pending,
        })
        .collect();
    Ok(HttpResponse::Ok().json(ScheduleJson {
        from: format_in(from, chrono_tz::UTC),
        to: format_in(to, chrono_tz::UTC),
        assignments,
        sessions,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// pending, sent or failed.
    #[param(pattern = "^(pending|sent|failed)$")]
    pub status: Option<String>,
    /// 1 to 1000, default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

/// One e-mail and how its delivery went.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxItem {
    pub id: String,
    pub booking_id: Option<String>,
    pub kind: String,
    pub recipient: String,
    /// pending, sent or failed.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub next_attempt_at: String,
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxJson {
    pub counts: OutboxCounts,
    pub items: Vec<OutboxItem>,
}

/// E-mails and their delivery, newest first.
#[utoipa::path(
    operation_id = "outbox",
    tag = "staff",
    params(OutboxQuery),
    responses(
        (status = 200, description = "The outbox", body = OutboxJson),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter to fix", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/outbox")]
pub async fn outbox(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<OutboxQuery>,
) -> Result<HttpResponse, Error> {
    require(&req, &state, Role::Scheduler).await?;
    let mut check = Check::default();
    let status = q.status.as_deref().map(|s| s.trim().to_ascii_lowercase());
    if let Some(s) = &status {
        if !["pending", "sent", "failed"].contains(&s.as_str()) {
            check.problem(
                "status",
                ProblemCode::InvalidStatus,
                "status must be pending, sent or failed",
            );
        }
    }
    let limit = query_number(&mut check, "limit", q.limit.as_deref(), 100, 1000);
    check.finish(|| Some(())).map_err(Error::Invalid)?;
    let work::OutboxView {
        counts,
        latest: rows,
    } = state
        .run(move |svc| work::outbox(svc, status.as_deref(), limit))
        .await?;
    let count = |s: &str| counts.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    let utc = |t| format_in(from_db(t), chrono_tz::UTC);
    Ok(HttpResponse::Ok().json(OutboxJson {
        counts: OutboxCounts {
            pending: count("pending"),
            sent: count("sent"),
            failed: count("failed"),
        },
        items: rows
            .into_iter()
            .map(|r| OutboxItem {
                created_at: utc(r.created_at),
                next_attempt_at: utc(r.next_attempt_at),
                sent_at: r.sent_at.map(utc),
                id: r.id,
                booking_id: r.booking_id,
                kind: r.kind,
                recipient: r.recipient,
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error,
            })
            .collect(),
    }))
}

/// A staff token as listed: never the token itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenJson {
    pub id: String,
    pub role: String,
    pub label: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    /// The member it belongs to; none for tokens made before staff were people.
    pub owner: Option<TokenOwner>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOwner {
    pub id: String,
    pub name: String,
}

impl From<&crate::db::models::staff_tokens::TokenInfo> for TokenJson {
    fn from(t: &crate::db::models::staff_tokens::TokenInfo) -> TokenJson {
        TokenJson {
            id: t.id.clone(),
            role: t.role.as_str().to_string(),
            label: t.label.clone(),
            created_at: t.created_at.to_rfc3339(),
            revoked_at: t.revoked_at.map(|r| r.to_rfc3339()),
            owner: t.owner.as_ref().map(|(id, name)| TokenOwner {
                id: id.clone(),
                name: name.clone(),
            }),
        }
    }
}

/// Staff tokens: every one for an admin; one's own for anyone else.
#[utoipa::path(
    operation_id = "list_tokens",
    tag = "staff",
    responses(
        (status = 200, description = "Tokens, newest first", body = [TokenJson]),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[get("/staff/tokens")]
pub async fn tokens(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let staff = require(&req, &state, Role::Scheduler).await?;
    let owner = match (staff.role, &staff.member) {
        (Role::Admin, _) => None,
        (_, Some(m)) => Some(m.id.clone()),
        (_, None) => return Ok(HttpResponse::Ok().json(Vec::<TokenJson>::new())),
    };
    let found = state
        .run(move |svc| crate::workflow::accounts::tokens(svc, owner.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(found.iter().map(TokenJson::from).collect::<Vec<_>>()))
}

/// Revoke a token: it stops working at once.
#[utoipa::path(
    operation_id = "revoke_token",
    tag = "staff",
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live token (of yours)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[delete("/staff/tokens/{id}")]
pub async fn revoke_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let staff = require(&req, &state, Role::Scheduler).await?;
    let id = uuid_in_path(&path, "this token")?;
    state
        .run(move |svc| crate::workflow::accounts::revoke_token(svc, &id, &staff))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
