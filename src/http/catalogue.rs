//! `GET /api/v1/packages`: the catalogue, serialised once (it never changes).

use std::sync::OnceLock;

use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::catalogue::{Catalogue, Package};
use crate::domain::money::Money;
use crate::domain::policy::PolicyRule;

/// A service a package includes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceJson {
    pub id: String,
    pub description: String,
}

/// A service a package offers at extra cost.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptionalJson {
    pub service: String,
    pub description: String,
    pub price: Money,
    pub unit: String,
    pub billing: String,
}

/// An extension of a package: ordered, or added from the duration (`automatic`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionJson {
    pub id: String,
    pub name: String,
    pub price: Money,
    pub unit: String,
    pub automatic: bool,
}

/// A package as the catalogue shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageJson {
    pub id: String,
    pub name: String,
    /// The package's name in the source documents.
    pub seed_name: String,
    /// meeting, training or event.
    pub centre: String,
    pub description: String,
    pub requires_scheduled_meeting: bool,
    pub lead_time_days: i64,
    pub included_event_minutes: i64,
    /// Production time included (Event Premium).
    pub production_minutes: Option<i64>,
    pub included: Vec<ServiceJson>,
    pub optional: Vec<OptionalJson>,
    pub base_price: Money,
    pub extensions: Vec<ExtensionJson>,
    pub cancellation_policy: Vec<PolicyRule>,
}

impl PackageJson {
    fn of(cat: &Catalogue, p: &Package) -> PackageJson {
        let service = |id: &String| ServiceJson {
            id: id.clone(),
            description: cat.services.get(id).cloned().unwrap_or_default(),
        };
        PackageJson {
            id: p.id.clone(),
            name: p.name.clone(),
            seed_name: p.seed_name.clone(),
            centre: p.centre.as_str().to_string(),
            description: p.description.clone(),
            requires_scheduled_meeting: p.requires_scheduled_meeting,
            lead_time_days: p.lead_time_days,
            included_event_minutes: p.included_minutes,
            production_minutes: p.production_minutes,
            included: p.included.iter().map(service).collect(),
            optional: p
                .optional
                .iter()
                .map(|id| {
                    let ext = &cat.extensions[id];
                    OptionalJson {
                        service: id.clone(),
                        description: cat.services.get(id).cloned().unwrap_or_default(),
                        price: cat.money(ext.price_minor),
                        unit: ext.unit.clone(),
                        billing: "hourly, 1h30 minimum".into(),
                    }
                })
                .collect(),
            base_price: cat.money(p.base_price_minor),
            extensions: p
                .extensions
                .iter()
                .map(|id| {
                    let ext = &cat.extensions[id];
                    ExtensionJson {
                        id: id.clone(),
                        name: ext.name.clone(),
                        price: cat.money(ext.price_minor),
                        unit: ext.unit.clone(),
                        automatic: ext.automatic,
                    }
                })
                .collect(),
            cancellation_policy: cat.policy(p).to_vec(),
        }
    }
}

/// The four packages, their services, prices and policies.
#[utoipa::path(
    operation_id = "list_packages",
    tag = "catalogue",
    responses((status = 200, description = "The catalogue", body = Vec<PackageJson>))
)]
#[get("/packages")]
pub async fn list() -> HttpResponse {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| {
        let cat = Catalogue::get();
        let all: Vec<PackageJson> = cat
            .packages
            .iter()
            .map(|p| PackageJson::of(cat, p))
            .collect();
        serde_json::to_string(&all).expect("the catalogue serialises")
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.as_str())
}
