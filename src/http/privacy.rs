//! `POST /api/v1/privacy/erase` (admin): erase a contact's personal data.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{require, AppState, JsonBody};
use crate::booking::Actor;
use crate::db::tokens::Role;
use crate::domain::input::{Errors, Fields};
use crate::error::ApiError;

pub async fn erase(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let staff = require(&req, &state, Role::Admin).await?;
    let mut errors = Errors::default();
    let root = Fields::root(&body.0, &mut errors);
    let email = root.email(
        "email",
        &mut errors,
        true,
        "the contact e-mail address to erase",
    );
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.0));
    }
    let email = email.expect("checked");
    let now = state.clock.now();
    let actor = Actor::Staff(staff);
    let erased = state
        .db_write(move |conn| crate::privacy::erase_contact(conn, &email, &actor, now))
        .await?;
    let dir = state.outbox_dir.clone();
    let files = erased.files;
    web::block(move || crate::privacy::delete_files(&dir, &files)).await?;
    tracing::info!(
        bookings = erased.bookings,
        "personal data erased on request"
    );
    Ok(HttpResponse::Ok().json(json!({"bookings": erased.bookings})))
}
