//! The API's description: generated from the routes and types, complete, consistent,
//! and pinned by a snapshot so that every change to it shows in review.

use serde_json::Value;

use crate::helpers::spawn_app;

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(s)) = m.get("$ref") {
                out.push(s.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

fn document() -> Value {
    serde_json::from_str(greenroom::http::openapi::document_json()).unwrap()
}

#[test]
fn the_description_matches_its_snapshot() {
    insta::assert_json_snapshot!("openapi", document());
}

#[test]
fn the_description_is_complete_and_consistent() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                ids.insert(id.to_string()),
                "{method} {path}: operationId {id:?} twice or missing"
            );
            assert!(
                op["responses"]["default"].is_object(),
                "{method} {path}: no default response"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{method} {path}: no summary"
            );
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(['{', '}']);
                let declared = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
                assert!(declared, "{method} {path}: parameter {name} not declared");
            }
            // Links name operations that exist.
            for response in op["responses"].as_object().unwrap().values() {
                if let Some(links) = response["links"].as_object() {
                    for link in links.values() {
                        let target = link["operationId"].as_str().unwrap();
                        let exists = doc["paths"].as_object().unwrap().values().any(|i| {
                            i.as_object()
                                .unwrap()
                                .values()
                                .any(|o| o["operationId"] == target)
                        });
                        assert!(
                            exists,
                            "{method} {path}: link to unknown operation {target}"
                        );
                    }
                }
            }
        }
    }
    let mut all = vec![];
    refs(&doc, &mut all);
    for r in all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling {r}"
        );
    }
    // Every request body refuses the fields it does not know, as the API does.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if name.ends_with("Request") {
            assert_eq!(schema["additionalProperties"], false, "{name}");
        }
    }
    // Every problem code is listed, with its status.
    let listed: Vec<&str> = doc["x-problem-codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    for code in greenroom::domain::error::ProblemCode::ALL {
        assert!(listed.contains(&code.as_str()), "{code} not listed");
    }
    assert!(
        doc["components"]["schemas"]["ProblemCode"]["enum"]
            .as_array()
            .unwrap()
            .len()
            == listed.len()
    );
}

#[actix_web::test]
async fn the_reference_page_is_served_with_its_renderer_and_no_inline_script() {
    let app = spawn_app().await;
    let page = app.request("GET", "/api/docs", None, None, &[]).await;
    assert_eq!(page.status, 200);
    let html = page.body.as_str().unwrap();
    assert!(
        html.contains(r#"<redoc spec-url="/api/v1/openapi.json">"#),
        "{html}"
    );
    assert!(!html.contains("<script>"), "no inline script: {html}");
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    let script = app
        .request("GET", "/api/docs/redoc.standalone.js", None, None, &[])
        .await;
    assert_eq!(script.status, 200);
    let js = script.body.as_str().unwrap();
    assert!(
        js.contains("Redocly") && js.len() > 1_000_000,
        "the Redoc bundle was not built in ({} bytes)",
        js.len()
    );
}

/// The description is large and never changes: a client that takes gzip gets the copy
/// compressed once, which reads back to the same document; one that does not (or refuses
/// it with q=0) gets plain JSON.
#[actix_web::test]
async fn the_description_travels_gzipped_to_clients_that_take_it() {
    use std::io::Read;
    let app = spawn_app().await;
    let get = |encoding: Option<&'static str>| {
        let app = &app;
        async move {
            let mut req =
                awc::Client::default().get(format!("{}/api/v1/openapi.json", app.address));
            if let Some(e) = encoding {
                req = req.insert_header(("Accept-Encoding", e));
            }
            let mut res = req.send().await.unwrap();
            assert_eq!(res.status().as_u16(), 200);
            let coding = res
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string());
            let vary = res
                .headers()
                .get("vary")
                .map(|v| v.to_str().unwrap().to_string());
            let body = res.body().limit(10 * 1024 * 1024).await.unwrap().to_vec();
            (coding, vary, body)
        }
    };
    let (coding, vary, plain) = get(None).await;
    assert_eq!(coding, None);
    assert_eq!(vary.as_deref(), Some("Accept-Encoding"));
    assert_eq!(serde_json::from_slice::<Value>(&plain).unwrap(), document());

    let (coding, _, zipped) = get(Some("br;q=1.0, gzip;q=0.8, *;q=0.1")).await;
    assert_eq!(coding.as_deref(), Some("gzip"));
    assert!(
        zipped.len() * 5 < plain.len(),
        "{} vs {}",
        zipped.len(),
        plain.len()
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain);

    let (coding, _, _) = get(Some("gzip;q=0, identity")).await;
    assert_eq!(coding, None);
}
