//! The pages: the customer's manage page (look up, change the date and time, cancel),
//! rendered with handlebars and driven by a small script over the public API.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use handlebars::Handlebars;
use serde::Deserialize;
use serde_json::json;

const MANAGE: &str = include_str!("../../web_assets/manage.html.hbs");
const MANAGE_JS: &str = include_str!("../../web_assets/manage.js");
const STYLE: &str = include_str!("../../web_assets/greenroom.css");

/// Pages may load only this site's own scripts and styles.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn pages() -> &'static Handlebars<'static> {
    static PAGES: OnceLock<Handlebars<'static>> = OnceLock::new();
    PAGES.get_or_init(|| {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_template_string("manage", MANAGE)
            .expect("the manage page template compiles (tested)");
        hb
    })
}

#[derive(Deserialize)]
pub struct ManageQuery {
    number: Option<String>,
}

/// `GET /manage?number=`: the page linked from every customer e-mail.
pub async fn manage(q: web::Query<ManageQuery>) -> HttpResponse {
    let number: String = q
        .number
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(20)
        .collect();
    let body = pages()
        .render("manage", &json!({"number": number}))
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the manage page does not render");
            "<!DOCTYPE html><title>Greenroom</title><p>This page is unavailable just now.</p>"
                .into()
        });
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .body(body)
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(MANAGE_JS)
}

pub async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(STYLE)
}

pub async fn home() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/manage"))
        .finish()
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/manage", web::get().to(manage))
        .route("/assets/manage.js", web::get().to(script))
        .route("/assets/greenroom.css", web::get().to(style));
}
