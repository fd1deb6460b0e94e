//! Liveness and readiness.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

use super::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "up"}))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let check = state.db(|conn| Ok(conn.batch_execute("SELECT 1")?)).await;
    match check {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ready", "database": "reachable"})),
        Err(_) => HttpResponse::ServiceUnavailable()
            .content_type("application/problem+json")
            .json(serde_json::json!({
                "type": "urn:greenroom:problem:database_unreachable", "title": "Not ready", "status": 503,
                "detail": "the database cannot be reached", "code": "database_unreachable", "errors": []
            })),
    }
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    use crate::db::schema::outbox;
    use diesel::prelude::*;
    let outbox: Vec<(String, i64)> = state
        .db(|conn| {
            Ok(outbox::table
                .group_by(outbox::status)
                .select((outbox::status, diesel::dsl::count_star()))
                .load(conn)?)
        })
        .await
        .unwrap_or_default();
    let pool = state.pool.state();
    let body = state.metrics.render(
        &outbox,
        (
            pool.connections,
            pool.idle_connections,
            state.pool.max_size(),
        ),
        state.queries.load(std::sync::atomic::Ordering::Relaxed),
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}
