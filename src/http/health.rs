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
