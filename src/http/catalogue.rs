//! `GET /api/v1/packages`.

use actix_web::HttpResponse;

use crate::domain::catalogue::Catalogue;

pub async fn list() -> HttpResponse {
    let cat = Catalogue::get();
    let packages: Vec<_> = cat.packages.iter().map(|p| cat.package_json(p)).collect();
    HttpResponse::Ok().json(packages)
}
