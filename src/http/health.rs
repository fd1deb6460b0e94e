//! Liveness, readiness and metrics.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::Problem;
use super::AppState;
use crate::domain::error::ProblemCode;

#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// `up` or `ready`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// The process is up.
#[utoipa::path(
    operation_id = "healthz",tag = "operations", responses((status = 200, description = "Up", body = Status)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"status":"up"}"#)
}

/// Ready: the database answers within a second with the schema this build expects, and
/// (on SQLite) its file is still the one opened.
#[utoipa::path(
    operation_id = "readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = 503, description = "database_unreachable: which, and why", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.services.db.clone();
    let check = web::block(move || db.ready()).await;
    let detail = match check {
        Ok(Ok(())) => {
            return HttpResponse::Ok().json(Status {
                status: "ready".into(),
                database: Some("reachable".into()),
            })
        }
        Ok(Err(e)) => e.to_string(),
        Err(e) => format!("the readiness check failed: {e}"),
    };
    tracing::warn!(problem = %detail, "not ready");
    Problem::new(ProblemCode::DatabaseUnreachable, 503, detail).response()
}

/// Prometheus metrics, in text format.
#[utoipa::path(
    operation_id = "metrics",
    tag = "operations",
    responses((status = 200, description = "OpenMetrics text format", body = String, content_type = "application/openmetrics-text"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let outbox = state
        .run(|svc| Ok(crate::db::models::outbox::counts(&mut *svc.db.read()?)?))
        .await
        .unwrap_or_default();
    let db = &state.services.db;
    let pool = db.pool.state();
    let body = state.metrics.render(
        &outbox,
        (pool.connections, pool.idle_connections, db.pool.max_size()),
        db.queries.load(std::sync::atomic::Ordering::Relaxed),
        db.roster.reads.load(std::sync::atomic::Ordering::Relaxed),
        db.roster
            .week_reads
            .load(std::sync::atomic::Ordering::Relaxed),
    );
    HttpResponse::Ok()
        .content_type(crate::metrics::CONTENT_TYPE)
        .body(body)
}
