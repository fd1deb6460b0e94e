//! The OpenAPI 3.1 description of the API, served at `/api/v1/openapi.json`.
//!
//! Requests are read field by field (to report every problem at once), so there are no
//! request types to derive a schema from; the description is written here, beside the
//! routes, and kept honest by tests: every route in `ROUTES` is described and routed,
//! every described operation exists, and schemathesis checks real responses against it.

use serde_json::{json, Map, Value};

/// Every operation the API serves: (method, path as in the description).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/packages"),
    ("post", "/api/v1/availability"),
    ("post", "/api/v1/bookings"),
    ("get", "/api/v1/bookings"),
    ("post", "/api/v1/bookings/lookup"),
    ("get", "/api/v1/bookings/{reservation_number}"),
    ("post", "/api/v1/bookings/{reservation_number}/reschedule"),
    ("post", "/api/v1/bookings/{reservation_number}/cancel"),
    ("get", "/api/v1/schedule"),
    ("get", "/api/v1/outbox"),
    ("post", "/api/v1/privacy/erase"),
    ("get", "/api/v1/producers"),
    ("post", "/api/v1/producers"),
    ("get", "/api/v1/producers/{id}"),
    ("put", "/api/v1/producers/{id}"),
    ("delete", "/api/v1/producers/{id}"),
    ("post", "/api/v1/producers/{id}/time-off"),
    ("delete", "/api/v1/producers/{id}/time-off/{time_off_id}"),
];

/// The stable problem codes: (code, status, meaning).
pub const PROBLEM_CODES: &[(&str, u16, &str)] = &[
    (
        "validation_failed",
        422,
        "Several fields need fixing; see errors",
    ),
    ("required", 422, "A field is missing or empty"),
    ("invalid_type", 422, "A field has the wrong JSON type"),
    (
        "invalid_format",
        422,
        "A field's text is not in the expected form",
    ),
    ("too_long", 422, "A field is longer than allowed"),
    ("unknown_package", 422, "No package has this id"),
    ("invalid_time_zone", 422, "Not an IANA time zone name"),
    (
        "invalid_duration",
        422,
        "duration_minutes is not a multiple of 15 from 15 to 720",
    ),
    (
        "nonexistent_local_time",
        422,
        "The zone skips this local time (spring forward)",
    ),
    (
        "ambiguous_local_time",
        422,
        "The zone shows this local time twice (fall back): add an offset",
    ),
    ("start_in_past", 422, "The start is in the past"),
    (
        "beyond_horizon",
        422,
        "The start is further ahead than bookings open (the booking horizon)",
    ),
    (
        "lead_time",
        422,
        "The start is less than the package's lead time away",
    ),
    (
        "meeting_not_scheduled",
        422,
        "The package needs the meeting scheduled on the customer's site first",
    ),
    ("invalid_language", 422, "Not a BCP 47 language tag"),
    ("unsupported_locale", 422, "E-mails are written in en or fr"),
    (
        "unknown_extension",
        422,
        "The package cannot be ordered with this extension",
    ),
    (
        "automatic_extension",
        422,
        "This extension is added from the duration",
    ),
    ("duplicate_extension", 422, "An extension is listed twice"),
    ("invalid_quantity", 422, "A quantity is not from 1 to 20"),
    (
        "idempotency_key_reused",
        422,
        "The Idempotency-Key came before with another body",
    ),
    (
        "invalid_idempotency_key",
        422,
        "The Idempotency-Key header is empty or too long",
    ),
    (
        "not_changeable",
        422,
        "Only the date and time of a booking can change",
    ),
    ("invalid_weekday", 422, "Not a day of the week"),
    (
        "invalid_working_hours",
        422,
        "A span of working hours is empty",
    ),
    ("invalid_centre", 422, "Not meeting, training or event"),
    (
        "invalid_range",
        422,
        "A range's end is not after its start, or it is too long",
    ),
    ("invalid_status", 422, "Not one of the statuses listed"),
    ("invalid_number", 422, "A query number is out of range"),
    ("malformed_json", 400, "The body is not JSON"),
    ("malformed_body", 400, "The body could not be read"),
    (
        "request_timeout",
        408,
        "The request body did not arrive in time",
    ),
    ("bad_request", 400, "The request cannot be read"),
    ("unauthorized", 401, "No staff token, or an unknown one"),
    ("forbidden", 403, "The staff token's role may not do this"),
    (
        "booking_not_found",
        404,
        "No booking matches this reservation number and e-mail",
    ),
    ("not_found", 404, "No such resource"),
    (
        "method_not_allowed",
        405,
        "The path exists but not with this method; see Allow",
    ),
    (
        "no_producer_available",
        409,
        "Nobody is free then; see alternatives",
    ),
    ("booking_cancelled", 409, "The booking is cancelled"),
    (
        "producer_has_bookings",
        409,
        "The producer still has bookings to run",
    ),
    (
        "time_off_conflicts_with_bookings",
        409,
        "The time off covers bookings",
    ),
    (
        "busy_try_again",
        409,
        "Too many simultaneous changes; send the same request again",
    ),
    ("payload_too_large", 413, "The body is larger than 64 KiB"),
    (
        "unsupported_media_type",
        415,
        "Send JSON with Content-Type: application/json",
    ),
    (
        "request_header_fields_too_large",
        431,
        "The request's headers are too large",
    ),
    (
        "too_many_requests",
        429,
        "Too many failed attempts from this address; see Retry-After",
    ),
    (
        "too_many_orders",
        429,
        "Too many orders from this address or contact e-mail; see Retry-After",
    ),
    ("internal_error", 500, "A failure on the service's side"),
    (
        "service_unavailable",
        503,
        "The database cannot be used just now (unreachable, gone, read-only); see Retry-After",
    ),
    (
        "database_unreachable",
        503,
        "Readiness: the database cannot be reached",
    ),
];

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn string() -> Value {
    json!({"type": "string"})
}

/// A string that must not be empty.
fn text() -> Value {
    json!({"type": "string", "minLength": 1, "pattern": "\\S"})
}

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

fn instant() -> Value {
    json!({"type": "string", "format": "date-time", "description": "RFC 3339 with the offset of the booking's zone"})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": r(schema)}}})
}

fn ok(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": r(schema)}}})
}

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": r("Problem")}}})
}

/// An operation with its success answers and the refusals it documents; every other
/// status is a problem document too (`default`).
fn op(summary: &str, tag: &str, staff: bool, success: Value, refusals: &[(&str, &str)]) -> Value {
    let mut responses = match success {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for (status, why) in refusals {
        responses.insert(status.to_string(), problem(why));
    }
    responses.insert(
        "default".into(),
        problem("Any other refusal or failure, as a problem document"),
    );
    let mut op = json!({"summary": summary, "tags": [tag], "responses": responses});
    if staff {
        op["security"] = json!([{"bearerAuth": []}]);
    }
    op
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn path(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": string()})
}

fn package_id() -> Value {
    json!({"type": "string", "enum": ["meeting-premium", "training-premium", "event-standard", "event-premium"]})
}

fn start() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?$",
           "description": "A local time (2026-12-10T15:00) read in time_zone, or an RFC 3339 instant"})
}

fn zone() -> Value {
    json!({"type": "string", "pattern": "^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", "description": "An IANA zone such as Europe/Paris"})
}

fn duration() -> Value {
    json!({"type": "integer", "minimum": 15, "maximum": 720, "multipleOf": 15, "description": "Minutes"})
}

fn email() -> Value {
    json!({"type": "string", "format": "email"})
}

fn language() -> Value {
    json!({"type": "string", "pattern": "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", "description": "BCP 47, such as fr or pt-BR"})
}

fn number() -> Value {
    json!({"type": "string", "pattern": "^[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}$", "description": "As printed, such as 7KQ2M-9XH4D"})
}

fn schemas() -> Value {
    let money = object(
        &["amount_minor", "currency"],
        json!({"amount_minor": {"type": "integer"}, "currency": {"type": "string"}}),
    );
    let slot = object(
        &["start", "end", "time_zone"],
        json!({"start": instant(), "end": instant(), "time_zone": string(), "zone_abbreviation": string()}),
    );
    let rule = object(
        &["rule", "min_hours_before", "fee_percent", "description"],
        json!({"rule": string(), "min_hours_before": {"type": "integer"}, "fee_percent": {"type": "integer"}, "description": string()}),
    );
    let span = object(
        &["weekday", "start", "end"],
        json!({
            "weekday": {"type": "string", "enum": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
                        "description": "Also accepted: mon … sun, or ISO numbers 1 (Monday) to 7"},
            "start": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "HH:MM in the producer's zone"},
            "end": {"type": "string", "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", "description": "HH:MM; earlier than start crosses midnight; 24:00 is midnight"}
        }),
    );
    let pair =
        json!({"type": ["object", "null"], "properties": {"start": instant(), "end": instant()}});
    json!({
        "Money": money,
        "FieldError": object(&["field", "code", "message"], json!({"field": string(), "code": string(), "message": string()})),
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details. `code` is stable; `errors` lists field problems.",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {
                "type": string(), "title": string(), "status": {"type": "integer"}, "detail": string(),
                "code": {"type": "string", "description": PROBLEM_CODES.iter().map(|(c, s, m)| format!("`{c}` ({s}): {m}")).collect::<Vec<_>>().join("; ")},
                "errors": array(r("FieldError")), "request_id": string(),
                "alternatives": {"type": "array", "items": r("Slot"), "description": "With no_producer_available: start times that are bookable now"},
                "retry_after": {"type": "integer"}
            }
        },
        "Slot": slot,
        "PolicyRule": rule,
        "Package": object(
            &["id", "name", "centre", "description", "requires_scheduled_meeting", "lead_time_days", "included", "optional", "base_price", "extensions"],
            json!({
                "id": string(), "name": string(), "seed_name": string(),
                "centre": {"type": "string", "enum": ["meeting", "training", "event"]},
                "description": string(), "requires_scheduled_meeting": {"type": "boolean"},
                "lead_time_days": {"type": "integer"}, "included_event_minutes": {"type": "integer"},
                "production_minutes": nullable("integer"),
                "included": array(object(&["id", "description"], json!({"id": string(), "description": string()}))),
                "optional": array(object(&["service", "price"], json!({"service": string(), "description": string(), "price": r("Money"), "unit": string(), "billing": string()}))),
                "base_price": r("Money"),
                "extensions": array(object(&["id", "name", "price", "unit"], json!({"id": string(), "name": string(), "price": r("Money"), "unit": string(), "automatic": {"type": "boolean"}}))),
                "cancellation_policy": array(r("PolicyRule"))
            }),
        ),
        "AvailabilityRequest": object(&["package", "start", "time_zone", "duration_minutes"], json!({
            "package": package_id(),
            "start": start(),
            "time_zone": zone(),
            "duration_minutes": duration(),
            "language": {"type": "string", "description": "BCP 47, default en"},
            "override_lead_time": {"type": "boolean", "description": "Staff only"}
        })),
        "AvailabilityResponse": object(&["available", "start", "end", "time_zone", "alternatives"], json!({
            "available": {"type": "boolean"}, "package": string(), "start": instant(), "end": instant(), "time_zone": string(),
            "duration_minutes": {"type": "integer"}, "producer_starts_at": instant(), "language": string(),
            "language_pending_confirmation": nullable("boolean"), "alternatives": array(r("Slot"))
        })),
        "OrderRequest": object(&["contact", "company", "site", "package", "start", "time_zone", "duration_minutes", "event"], json!({
            "contact": object(&["first_name", "last_name", "phone", "email"], json!({
                "first_name": text(), "last_name": text(),
                "phone": {"type": "string", "pattern": "^\\+?[0-9][0-9 .()-]{5,30}$"}, "email": email(),
                "locale": {"type": "string", "enum": ["en", "fr"], "description": "The e-mails' language, en by default"}
            })),
            "company": text(),
            "site": {"type": "string", "pattern": "^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", "description": "The meeting site's host name, such as acme.webex.com"},
            "package": package_id(), "start": start(), "time_zone": zone(), "duration_minutes": duration(),
            "meeting": object(&["scheduled"], json!({"scheduled": {"type": "boolean"}, "host_id": text(), "host_email": email(), "meeting_number": text()})),
            "event": object(&["title"], json!({"title": text(), "details": text(), "comments": text(), "language": language()})),
            "extensions": array(object(&["id"], json!({"id": text(), "quantity": {"type": "integer", "minimum": 1, "maximum": 20}}))),
            "override_lead_time": {"type": "boolean", "description": "Staff only"}
        })),
        "Charges": object(&["lines", "total", "note"], json!({
            "lines": array(object(&["description", "amount"], json!({"description": string(), "amount": r("Money")}))),
            "total": r("Money"), "note": string()
        })),
        "HistoryEvent": object(&["at", "kind", "actor"], json!({
            "at": instant(), "kind": {"type": "string", "enum": ["created", "rescheduled", "producer_changed", "cancelled"]},
            "actor": {"type": "string", "description": "customer, or staff:<token id>"},
            "old": pair.clone(), "new": pair,
            "old_producer_id": nullable("string"), "new_producer_id": nullable("string"), "detail": {}
        })),
        "Booking": object(
            &["reservation_number", "status", "package", "start", "end", "time_zone", "duration_minutes", "charges", "cancellation_policy"],
            json!({
                "reservation_number": {"type": "string", "description": "XXXXX-XXXXX; case-insensitive on input"},
                "status": {"type": "string", "enum": ["confirmed", "cancelled"]},
                "package": string(), "package_name": nullable("string"),
                "start": instant(), "end": instant(), "time_zone": string(), "zone_abbreviation": string(),
                "duration_minutes": {"type": "integer"}, "producer_starts_at": instant(),
                "producer": {"type": ["object", "null"], "properties": {"name": string(), "email": string()}},
                "language": string(), "language_pending_confirmation": {"type": "boolean"},
                "charges": r("Charges"), "cancellation_policy": array(r("PolicyRule")),
                "contact": {"type": "object"}, "company": string(), "site": string(),
                "meeting": {"type": "object"}, "event": {"type": "object"}, "extensions": {"type": "array"},
                "created_at": instant(), "updated_at": instant(),
                "cancellation": {"type": "object"},
                "history": array(r("HistoryEvent"))
            }),
        ),
        "LookupRequest": object(&["reservation_number", "email"], json!({"reservation_number": number(), "email": email()})),
        "RescheduleRequest": object(&["start"], json!({
            "email": {"type": "string", "format": "email", "description": "The contact's e-mail (staff may leave it out)"},
            "start": start(), "time_zone": zone(), "override_lead_time": {"type": "boolean"}
        })),
        "RescheduleResponse": object(&["booking", "previous"], json!({
            "booking": r("Booking"),
            "previous": object(&["start", "end"], json!({"start": instant(), "end": instant(), "time_zone": string()}))
        })),
        "EraseRequest": object(&["email"], json!({"email": email()})),
        "Erased": object(&["bookings"], json!({"bookings": {"type": "integer", "minimum": 0, "description": "Bookings whose contact was erased"}})),
        "CancelRequest": object(&[], json!({"email": email(), "reason": text()})),
        "CancelResponse": object(&["booking", "cancellation_fee"], json!({
            "booking": r("Booking"),
            "cancellation_fee": object(&["amount", "policy_rule"], json!({
                "amount": r("Money"), "policy_rule": string(), "fee_percent": {"type": "integer"},
                "description": string(), "minutes_before_start": {"type": "integer"}
            }))
        })),
        "WorkingSpan": span,
        "ProducerInput": object(&["name", "email", "time_zone", "working_hours"], json!({
            "name": text(), "email": email(), "time_zone": zone(),
            "languages": {"type": "array", "minItems": 1, "items": language()},
            "centres": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": ["meeting", "training", "event"]}},
            "working_hours": array(r("WorkingSpan"))
        })),
        "TimeOff": object(&["id", "start", "end"], json!({"id": string(), "start": instant(), "end": instant(), "reason": nullable("string")})),
        "TimeOffInput": object(&["start", "end"], json!({"start": start(), "end": start(), "reason": text()})),
        "TimeOffCreated": object(&["producer_id", "time_off"], json!({"producer_id": string(), "time_off": r("TimeOff")})),
        "Producer": object(&["id", "name", "email", "time_zone", "languages", "centres", "working_hours"], json!({
            "id": string(), "name": string(), "email": string(), "time_zone": string(),
            "languages": array(string()), "centres": array(string()), "working_hours": array(r("WorkingSpan")),
            "time_off": array(r("TimeOff")), "created_at": instant(), "updated_at": instant()
        })),
        "Schedule": object(&["from", "to", "assignments"], json!({
            "from": instant(), "to": instant(),
            "assignments": array(object(&["reservation_number", "producer", "start", "end", "producer_window"], json!({
                "reservation_number": string(),
                "producer": object(&["id"], json!({"id": string(), "name": nullable("string")})),
                "package": string(), "start": instant(), "end": instant(), "time_zone": string(),
                "producer_window": object(&["start", "end"], json!({"start": instant(), "end": instant()})),
                "language_pending_confirmation": {"type": "boolean"}
            })))
        })),
        "BookingsPage": object(&["page", "per_page", "total", "items"], json!({
            "from": instant(), "to": instant(), "page": {"type": "integer"}, "per_page": {"type": "integer"},
            "total": {"type": "integer"}, "items": array(r("Booking"))
        })),
        "Outbox": object(&["counts", "items"], json!({
            "counts": object(&["pending", "sent", "failed"], json!({"pending": {"type": "integer"}, "sent": {"type": "integer"}, "failed": {"type": "integer"}})),
            "items": array(object(&["id", "kind", "recipient", "status", "attempts"], json!({
                "id": string(), "booking_id": nullable("string"), "kind": string(), "recipient": string(),
                "status": {"type": "string", "enum": ["pending", "sent", "failed"]}, "attempts": {"type": "integer"},
                "last_error": nullable("string"), "created_at": instant(), "next_attempt_at": instant(), "sent_at": nullable("string")
            })))
        })),
        "Status": object(&["status"], json!({"status": string(), "database": string()}))
    })
}

/// Optional properties may be sent as null, which means "not given": say so in every
/// object schema.
fn allow_null_when_optional(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for (name, schema) in props.iter_mut() {
                    allow_null_when_optional(schema);
                    if !required.contains(name) && schema.get("anyOf").is_none() {
                        *schema = json!({"anyOf": [schema.clone(), {"type": "null"}]});
                    }
                }
            }
            for (key, child) in map.iter_mut() {
                if key != "properties" {
                    allow_null_when_optional(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(allow_null_when_optional),
        _ => {}
    }
}

/// The whole description.
pub fn document() -> Value {
    let range = || {
        vec![
            query(
                "from",
                "A date (read as UTC midnight) or an RFC 3339 instant; default today",
                json!({"type": "string", "format": "date"}),
            ),
            query(
                "to",
                "Same; default 30 days after from; at most 366 days after it",
                json!({"type": "string", "format": "date"}),
            ),
        ]
    };
    let mut bookings_params = range();
    bookings_params.extend([
        query(
            "status",
            "confirmed or cancelled",
            json!({"type": "string", "enum": ["confirmed", "cancelled"]}),
        ),
        query("page", "From 1", json!({"type": "integer", "minimum": 1})),
        query(
            "per_page",
            "1 to 200, default 50",
            json!({"type": "integer", "minimum": 1, "maximum": 200}),
        ),
    ]);
    let mut schedule_params = range();
    schedule_params.push(query("producer", "A producer's id", string()));
    let number = json!({"name": "reservation_number", "in": "path", "required": true, "description": "As printed (7KQ2M-9XH4D); case and hyphens are ignored", "schema": number()});
    let producer_id = path("id", "The producer's id");
    let idem = json!({"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 255},
                      "description": "Retry safely: the same key with the same body returns the first answer"});
    let not_found = ("404", "No booking matches this number and e-mail");
    let mut all_schemas = schemas();
    allow_null_when_optional(&mut all_schemas);
    let staff = [
        ("401", "No or unknown staff token"),
        ("403", "The token's role may not do this"),
    ];
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Greenroom",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Book a human producer to run an online meeting, training session or event. Every refusal is an RFC 9457 problem document with a stable code."
        },
        "servers": [{"url": "/"}],
        "x-problem-codes": PROBLEM_CODES.iter().map(|(c, s, m)| json!({"code": c, "status": s, "meaning": m})).collect::<Vec<_>>(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "A staff token from `greenroom staff-token create`"}},
            "schemas": all_schemas
        },
        "paths": {
            "/healthz": {"get": op("The process is up", "operations", false, json!({"200": ok("Up", "Status")}), &[])},
            "/readyz": {"get": op("The database is reachable", "operations", false, json!({"200": ok("Ready", "Status")}), &[("503", "The database cannot be reached")])},
            "/metrics": {"get": op("Prometheus metrics", "operations", false, json!({"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": string()}}}}), &[])},
            "/api/v1/openapi.json": {"get": op("This description", "operations", false, json!({"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}), &[])},
            "/api/v1/packages": {"get": op("The four packages, their services, prices and policies", "catalogue", false,
                json!({"200": {"description": "The catalogue", "content": {"application/json": {"schema": array(r("Package"))}}}}), &[])},
            "/api/v1/availability": {"post": {
                "requestBody": body("AvailabilityRequest"),
                "summary": "Is a producer free then? If not, three bookable alternatives",
                "tags": ["ordering"],
                "responses": op("", "", false, json!({"200": ok("The answer", "AvailabilityResponse")}), &[("422", "A field is missing or wrong (including lead_time)")])["responses"].clone()
            }},
            "/api/v1/bookings": {
                "post": {
                    "summary": "Order a producer",
                    "tags": ["ordering"],
                    "parameters": [idem],
                    "requestBody": body("OrderRequest"),
                    "responses": op("", "", false, json!({"201": ok("Confirmed", "Booking")}), &[
                        ("409", "no_producer_available, with three alternatives"),
                        ("422", "Fields to fix, lead_time, meeting_not_scheduled, idempotency_key_reused…"),
                    ])["responses"].clone()
                },
                "get": with_params(op("Bookings starting in a range, by page", "staff", true, json!({"200": ok("A page", "BookingsPage")}), &staff), bookings_params)
            },
            "/api/v1/bookings/lookup": {"post": {
                "summary": "A booking by reservation number and contact e-mail, with its history",
                "tags": ["managing"],
                "requestBody": body("LookupRequest"),
                "responses": op("", "", false, json!({"200": ok("The booking", "Booking")}), &[not_found, ("429", "Too many failed attempts from this address")])["responses"].clone()
            }},
            "/api/v1/bookings/{reservation_number}": {"get": with_params(op("A booking with its history", "staff", true, json!({"200": ok("The booking", "Booking")}), &staff), vec![number.clone()])},
            "/api/v1/bookings/{reservation_number}/reschedule": {"post": with_params(json!({
                "summary": "Change the date and time (only)",
                "tags": ["managing"],
                "requestBody": body("RescheduleRequest"),
                "responses": op("", "", false, json!({"200": ok("Moved", "RescheduleResponse")}), &[
                    not_found, ("409", "no_producer_available (with alternatives) or booking_cancelled"),
                    ("422", "lead_time, not_changeable, or a field to fix"), ("429", "Too many failed attempts")
                ])["responses"].clone()
            }), vec![number.clone()])},
            "/api/v1/bookings/{reservation_number}/cancel": {"post": with_params(json!({
                "summary": "Cancel; the fee follows the booking's policy",
                "tags": ["managing"],
                "requestBody": body("CancelRequest"),
                "responses": op("", "", false, json!({"200": ok("Cancelled", "CancelResponse")}), &[
                    not_found, ("409", "booking_cancelled"), ("429", "Too many failed attempts")
                ])["responses"].clone()
            }), vec![number])},
            "/api/v1/privacy/erase": {"post": with_body(op("Erase a contact's personal data from every booking, message and stored answer", "staff", true, json!({"200": ok("Erased", "Erased")}), &[staff[0], ("403", "Needs an admin token"), ("422", "email is missing or not an address")]), "EraseRequest")},
            "/api/v1/schedule": {"get": with_params(op("Assignments in a range", "staff", true, json!({"200": ok("The schedule", "Schedule")}), &staff), schedule_params)},
            "/api/v1/outbox": {"get": with_params(op("E-mails and their delivery", "staff", true, json!({"200": ok("The outbox", "Outbox")}), &staff), vec![
                query("status", "pending, sent or failed", json!({"type": "string", "enum": ["pending", "sent", "failed"]})),
                query("limit", "1 to 1000, default 100", json!({"type": "integer", "minimum": 1, "maximum": 1000})),
            ])},
            "/api/v1/producers": {
                "get": op("The roster", "staff", true, json!({"200": {"description": "Producers", "content": {"application/json": {"schema": array(r("Producer"))}}}}), &staff),
                "post": with_body(op("Add a producer", "staff", true, json!({"201": ok("Added", "Producer")}), &staff), "ProducerInput")
            },
            "/api/v1/producers/{id}": {
                "get": with_params(op("A producer", "staff", true, json!({"200": ok("The producer", "Producer")}), &[staff[0], staff[1], ("404", "No such producer")]), vec![producer_id.clone()]),
                "put": with_params(with_body(op("Replace a producer's details and hours", "staff", true, json!({"200": ok("Updated", "Producer")}), &[staff[0], staff[1], ("404", "No such producer")]), "ProducerInput"), vec![producer_id.clone()]),
                "delete": with_params(op("Remove a producer from the roster", "staff", true, json!({"204": {"description": "Removed"}}), &[staff[0], staff[1], ("404", "No such producer"), ("409", "producer_has_bookings")]), vec![producer_id.clone()])
            },
            "/api/v1/producers/{id}/time-off": {"post": with_params(with_body(op("Add time off", "staff", true, json!({"201": ok("Added", "TimeOffCreated")}), &[staff[0], staff[1], ("404", "No such producer"), ("409", "time_off_conflicts_with_bookings")]), "TimeOffInput"), vec![producer_id.clone()])},
            "/api/v1/producers/{id}/time-off/{time_off_id}": {"delete": with_params(op("Remove time off", "staff", true, json!({"204": {"description": "Removed"}}), &[staff[0], staff[1], ("404", "No such time off")]), vec![producer_id, path("time_off_id", "The time off's id")])}
        }
    })
}

fn with_params(mut op: Value, params: Vec<Value>) -> Value {
    op["parameters"] = Value::Array(params);
    op
}

fn with_body(mut op: Value, schema: &str) -> Value {
    op["requestBody"] = body(schema);
    op
}

pub async fn serve() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(document())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_description_is_complete_and_consistent() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut described = vec![];
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                described.push((method.clone(), path.clone()));
                assert!(
                    op["responses"]["default"].is_object(),
                    "{method} {path}: no default response"
                );
                assert!(
                    op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{method} {path}: no summary"
                );
                // Every path parameter is declared.
                for segment in path.split('/').filter(|s| s.starts_with('{')) {
                    let name = segment.trim_matches(['{', '}']);
                    let declared = op["parameters"].as_array().is_some_and(|ps| {
                        ps.iter().any(|p| p["name"] == name && p["in"] == "path")
                    });
                    assert!(declared, "{method} {path}: parameter {name} not declared");
                }
            }
        }
        let mut routes: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        described.sort();
        routes.sort();
        assert_eq!(
            described, routes,
            "the description and the route list differ"
        );
        let mut all = vec![];
        refs(&doc, &mut all);
        for r in all {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "dangling {r}"
            );
        }
    }
}
