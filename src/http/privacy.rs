//! `POST /api/v1/privacy/erase` (admin): erase a contact's personal data.

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::schema::*;

use super::extract::{require, JsonBody};
use super::json::{json_objects, Check, Field, Unknown};
use super::problem::Problem;
use super::AppState;
use crate::domain::error::Error;
use crate::domain::staff::{Actor, Role};
use crate::domain::text;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EraseRequest {
    /// The contact e-mail address used when ordering.
    #[schema(value_type = EmailAddress, required = true)]
    pub email: Field<String>,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Unknown,
}

json_objects!(EraseRequest);

#[derive(Debug, Serialize, ToSchema)]
pub struct Erased {
    /// Bookings whose contact was erased.
    pub bookings: usize,
}

/// Erase a contact's personal data from every booking, message and stored answer; the
/// bookings stay, for the schedule.
#[utoipa::path(
    operation_id = "erase_contact",
    tag = "staff",
    request_body = EraseRequest,
    responses(
        (status = 200, description = "Erased", body = Erased),
        (status = 401, description = "No staff token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Needs an admin token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "email is missing or not an address", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = []))
)]
#[post("/privacy/erase")]
pub async fn erase(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<EraseRequest>,
) -> Result<HttpResponse, Error> {
    let staff = require(&req, &state, Role::Admin).await?;
    let mut check = Check::default();
    check.unknown("", &body.0.unknown);
    let email = check.text_with(
        "email",
        body.0.email,
        Some("the contact e-mail address to erase"),
        254,
        |e| text::email(&e, "email").map(|()| e),
    );
    let email = check.finish(|| email).map_err(Error::Invalid)?;
    let bookings = state
        .run(move |svc| crate::workflow::privacy::erase_contact(svc, &email, &Actor::Staff(staff)))
        .await?;
    tracing::info!(bookings, "personal data erased on request");
    Ok(HttpResponse::Ok().json(Erased { bookings }))
}
