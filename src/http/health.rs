//! Liveness and readiness.

use actix_web::{web, HttpResponse};

use super::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "up"}))
}

/// Ready when the database answers within a second with the schema this build expects,
/// and (on SQLite) its file is still the one opened.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let check = web::block(move || db.ready()).await;
    let problem = match check {
        Ok(Ok(())) => {
            return HttpResponse::Ok()
                .json(serde_json::json!({"status": "ready", "database": "reachable"}))
        }
        Ok(Err(e)) => e.to_string(),
        Err(e) => format!("the readiness check failed: {e}"),
    };
    tracing::warn!(problem = %problem, "not ready");
    HttpResponse::ServiceUnavailable()
        .content_type("application/problem+json")
        .insert_header((actix_web::http::header::RETRY_AFTER, "5"))
        .json(serde_json::json!({
            "type": "urn:greenroom:problem:database_unreachable", "title": "Not ready", "status": 503,
            "detail": problem, "code": "database_unreachable", "errors": []
        }))
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
    let pool = state.db.pool.state();
    let body = state.metrics.render(
        &outbox,
        (
            pool.connections,
            pool.idle_connections,
            state.db.pool.max_size(),
        ),
        state.db.queries.load(std::sync::atomic::Ordering::Relaxed),
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}
