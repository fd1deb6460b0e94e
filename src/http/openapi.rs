//! The API's description, generated from the routes and their types (utoipa) once, then
//! served as it is: `GET /api/v1/openapi.json`, readable as a page at `/api/docs`.

use std::sync::OnceLock;

use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;
use utoipa_actix_web::AppExt;

use crate::domain::error::ProblemCode;

/// Request types: each refuses the fields it does not know (`unknown_field`).
const REQUEST_SCHEMAS: &[&str] = &[
    "AvailabilityRequest",
    "OrderRequest",
    "ContactRequest",
    "MeetingRequest",
    "EventRequest",
    "ExtensionRequest",
    "LookupRequest",
    "RescheduleRequest",
    "CancelRequest",
    "ProducerRequest",
    "WorkingSpanRequest",
    "TimeOffRequest",
    "EraseRequest",
    "ClosureRequest",
    "WebhookRequest",
    "FollowUpRequest",
    "NoShowRequest",
    "SessionTimeRequest",
    "SessionOrderRequest",
    "SessionRemoveRequest",
];

/// The description, built from the routes once.
pub fn document() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, mut api) = actix_web::App::new()
            .into_utoipa_app()
            .configure(super::routes)
            .split_for_parts();
        complete(&mut api);
        api
    })
}

/// The description as served, serialised once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        serde_json::to_string_pretty(document()).expect("the description serialises")
    })
}

/// What no route says by itself: the title, the security scheme, the problem codes, and
/// that request bodies refuse unknown fields.
fn complete(api: &mut OpenApi) {
    api.info.title = "Greenroom".into();
    api.info.version = env!("CARGO_PKG_VERSION").into();
    api.info.description = Some(
        "Book a human producer to run an online meeting, training session or event. Every refusal is an RFC 9457 problem document with a stable code (see x-problem-codes).".into(),
    );
    api.info.license = None;
    api.info.contact = None;
    api.servers = Some(vec![utoipa::openapi::Server::new("/")]);
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearerAuth",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A staff token from `greenroom staff-token create`"))
                .build(),
        ),
    );
    // The closed set of codes, from the enum.
    let codes: Vec<serde_json::Value> = ProblemCode::ALL
        .iter()
        .map(|c| serde_json::Value::from(c.as_str()))
        .collect();
    let code_schema = utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(codes))
        .description(Some("A stable problem code"))
        .build();
    components
        .schemas
        .insert("ProblemCode".into(), code_schema.into());
    for (name, schema) in super::schema::components() {
        components.schemas.entry(name.into()).or_insert(schema);
    }
    for (name, schema) in components.schemas.iter_mut() {
        if let utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(object)) = schema {
            if REQUEST_SCHEMAS.contains(&name.as_str()) {
                object.additional_properties = Some(Box::new(
                    utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
                ));
            }
            if name == "Problem" || name == "FieldProblem" {
                if let Some(utoipa::openapi::RefOr::T(_)) = object.properties.get("code") {
                    object.properties.insert(
                        "code".into(),
                        utoipa::openapi::Ref::from_schema_name("ProblemCode").into(),
                    );
                }
            }
        }
    }
    let problem = utoipa::openapi::ResponseBuilder::new()
        .description("Any other refusal or failure, as a problem document")
        .content(
            "application/problem+json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
                .build(),
        )
        .build();
    for item in api.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            op.responses
                .responses
                .entry("default".into())
                .or_insert_with(|| problem.clone().into());
            // Links' request bodies are written as JSON text in the routes' attributes.
            for response in op.responses.responses.values_mut() {
                if let utoipa::openapi::RefOr::T(response) = response {
                    for link in response.links.values_mut() {
                        if let utoipa::openapi::RefOr::T(link) = link {
                            if let Some(serde_json::Value::String(text)) = &link.request_body {
                                if let Ok(parsed) = serde_json::from_str(text) {
                                    link.request_body = Some(parsed);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let table: Vec<serde_json::Value> = ProblemCode::ALL
        .iter()
        .map(|c| serde_json::json!({"code": c.as_str(), "status": c.status(), "meaning": c.meaning()}))
        .collect();
    let extensions = api.extensions.get_or_insert_with(Default::default);
    extensions.insert("x-problem-codes".into(), serde_json::Value::Array(table));
}

/// The methods the description lists at a concrete path (upper case), for 405s.
pub fn methods_at(path: &str) -> Vec<String> {
    let paths = &document().paths.paths;
    let matches = |pattern: &str| {
        let (p, q): (Vec<&str>, Vec<&str>) =
            (pattern.split('/').collect(), path.split('/').collect());
        p.len() == q.len()
            && p.iter()
                .zip(&q)
                .all(|(a, b)| (a.starts_with('{') && !b.is_empty()) || a == b)
    };
    // A literal route (/api/v1/bookings/lookup) wins over a pattern that also matches it.
    let item = paths
        .get(path)
        .or_else(|| paths.iter().find(|(p, _)| matches(p)).map(|(_, i)| i));
    let Some(item) = item else { return vec![] };
    [
        ("GET", item.get.is_some()),
        ("PUT", item.put.is_some()),
        ("POST", item.post.is_some()),
        ("DELETE", item.delete.is_some()),
        ("PATCH", item.patch.is_some()),
    ]
    .into_iter()
    .filter(|(_, has)| *has)
    .map(|(m, _)| m.to_string())
    .collect()
}

/// This description (OpenAPI 3.1).
#[utoipa::path(
    operation_id = "openapi",
    tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1", body = Object))
)]
#[get("/openapi.json")]
pub async fn serve(req: actix_web::HttpRequest) -> HttpResponse {
    let mut answer = HttpResponse::Ok();
    answer
        .content_type("application/json")
        .insert_header((actix_web::http::header::VARY, "Accept-Encoding"));
    if accepts_gzip(&req) {
        return answer
            .insert_header((actix_web::http::header::CONTENT_ENCODING, "gzip"))
            .body(document_gzip());
    }
    answer.body(document_json())
}

/// Does the client take gzip (`Accept-Encoding: gzip`, not refused with `q=0`)?
fn accepts_gzip(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get_all(actix_web::http::header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            parts.next().is_some_and(|c| c.eq_ignore_ascii_case("gzip"))
                && parts.all(|p| {
                    p.strip_prefix("q=")
                        .is_none_or(|q| q.trim().parse::<f32>().is_ok_and(|q| q > 0.0))
                })
        })
}

/// The description gzipped, once: 136 kB of JSON travel as about a tenth of that.
fn document_gzip() -> &'static [u8] {
    static GZIP: OnceLock<Vec<u8>> = OnceLock::new();
    GZIP.get_or_init(|| {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(document_json().as_bytes())
            .expect("writing to memory cannot fail");
        gz.finish().expect("writing to memory cannot fail")
    })
}

/// The description as a page, rendered by Redoc (shipped in the binary).
#[get("/api/docs")]
pub async fn docs() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; base-uri 'none'; frame-ancestors 'none'",
        ))
        .body(DOCS_PAGE)
}

const DOCS_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Greenroom API</title></head>
<body>
<noscript><p>This page shows the API's description with a script. The description itself is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></noscript>
<redoc spec-url="/api/v1/openapi.json"></redoc>
<script type="module" src="/api/docs/redoc.standalone.js"></script>
</body>
</html>
"#;

/// Redoc's standalone bundle, fetched from the npm registry at build time.
#[get("/api/docs/redoc.standalone.js")]
pub async fn docs_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((
            actix_web::http::header::CACHE_CONTROL,
            "public, max-age=86400",
        ))
        .body(REDOC)
}

const REDOC: &str = include_str!(concat!(env!("OUT_DIR"), "/redoc.standalone.js"));
