//! The OpenAPI document: collected from the handlers' annotations, then finished here with what
//! every operation shares — the problems any request may meet, the retry key of creating POSTs,
//! the words for shared parameters and headers, and the names client generators see — so that
//! each of those is said once.

mod events;

use actix_web::App;
use serde_json::{json, Map, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::context::idempotency;
use crate::http::error::{ApiError, ProblemCode};
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kinerja",
        description = "Competency-based performance appraisal of Indonesian civil servants (ASN): \
                       performance plans (SKP), evaluation and predikat, calibration, objections, \
                       competencies and development. Errors are RFC 9457 problem documents with a \
                       stable `code`. A server with read replicas answers lists, reports and \
                       exports from them; a caller's own writes are read back from the primary for \
                       a few seconds, and the request header `Kinerja-Read-From: primary` asks for \
                       the primary at any time.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    servers(
        (url = "/", description = "The server that serves this document (paths begin with /api/v1)"),
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "auth", description = "Login, token refresh and the client-credentials grant"),
        (name = "users", description = "User accounts and their roles"),
        (name = "clients", description = "Integration clients of an agency"),
        (name = "organisation", description = "Agencies, units, positions and employees"),
        (name = "audit", description = "The append-only audit trail"),
        (name = "rules", description = "Rule sets, the annual rating, the distribution curve, calibration and objections"),
        (name = "performance", description = "Periods, performance plans (SKP) and their evaluation"),
        (name = "imports", description = "Bulk import and export by curl: CSV or NDJSON keyed by natural keys, all or nothing, re-runnable"),
        (name = "reports", description = "Participation and predikat reports; the national SKP export"),
        (name = "competencies", description = "Competency dictionary and standards, 360° assessments, profiles with gaps and JPM, development plans, training needs and the talent 9-box"),
        (name = "integration", description = "What changed: the event feed for integrators that pull, and signed webhooks for those that listen"),
    )
)]
struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The OpenAPI document of the API, as served at `/openapi.json` and committed in
/// `openapi/openapi.json`.
pub fn openapi() -> Result<Value, ApiError> {
    let (_, collected) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(routes::register).split_for_parts();
    let mut doc = serde_json::to_value(&collected).map_err(ApiError::internal)?;
    name_generic_schemas(&mut doc);
    document_problem_codes(&mut doc);
    events::document_events(&mut doc);
    document_shared_headers(&mut doc);
    document_oauth2_scheme(&mut doc);
    for (path, method, operation) in operations(&mut doc) {
        document_client_scopes(&path, &method, operation);
        document_shared_problems(&path, &method, operation);
        document_conditional_reads(&method, operation);
        declare_headers(&path, &method, operation);
        describe_parameters(operation);
        describe_headers(operation);
    }
    Ok(doc)
}

/// The document as pretty JSON with a final newline.
pub fn openapi_json() -> Result<String, ApiError> {
    to_json(&openapi()?)
}

pub(crate) fn to_json(doc: &Value) -> Result<String, ApiError> {
    let mut json = serde_json::to_string_pretty(doc).map_err(ApiError::internal)?;
    json.push('\n');
    Ok(json)
}

pub(crate) const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every operation with its path and (lower-case) method.
fn operations(doc: &mut Value) -> Vec<(String, String, &mut Map<String, Value>)> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return Vec::new() };
    paths
        .iter_mut()
        .flat_map(|(path, item)| {
            item.as_object_mut().into_iter().flat_map(move |item| {
                item.iter_mut().filter(|(method, _)| METHODS.contains(&method.as_str())).filter_map(
                    move |(method, operation)| Some((path.clone(), method.clone(), operation.as_object_mut()?)),
                )
            })
        })
        .collect()
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": schema_ref("Problem") } }
    })
}

/// Generic schemas get the names a client generator should see: `Page<EmployeeView>` becomes
/// `EmployeePage`, whose `items` reference `EmployeeView` (utoipa copies the item inline, so a
/// list and a get would give two classes), and the per-predikat tallies say what they hold.
fn name_generic_schemas(doc: &mut Value) {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    let mut renames: Vec<(String, String)> = Vec::new();
    let pages: Vec<String> = schemas.keys().filter(|name| name.starts_with("Page_")).cloned().collect();
    for generated in pages {
        let item = generated.trim_start_matches("Page_").to_owned();
        let Some(mut page) = schemas.remove(&generated) else { continue };
        if let Some(items) = page.pointer_mut("/properties/items/items") {
            let inline = std::mem::replace(items, schema_ref(&item));
            schemas.entry(item.clone()).or_insert(inline);
        }
        let name = format!("{}Page", item.strip_suffix("View").unwrap_or(&item));
        schemas.insert(name.clone(), page);
        renames.push((generated, name));
    }
    for (generated, name) in [("PerPredikat_u32", "PredikatCounts"), ("PerPredikat_f64", "PredikatShares")] {
        if let Some(schema) = schemas.remove(generated) {
            schemas.insert(name.to_owned(), schema);
            renames.push((generated.to_owned(), name.to_owned()));
        }
    }
    let renames: Vec<(String, String)> = renames
        .into_iter()
        .map(|(from, to)| (format!("#/components/schemas/{from}"), format!("#/components/schemas/{to}")))
        .collect();
    rewrite_refs(doc, &renames);
}

fn rewrite_refs(value: &mut Value, renames: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(target) if key == "$ref" => {
                        if let Some((_, to)) = renames.iter().find(|(from, _)| from == target) {
                            *target = to.clone();
                        }
                    }
                    _ => rewrite_refs(child, renames),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|child| rewrite_refs(child, renames)),
        _ => {}
    }
}

/// What each scope of an integration client lets it do (the client-credentials grant).
const SCOPES: &[(&str, &str)] = &[
    ("read", "Read the agency's registry, plans, ratings, reports and exports"),
    ("write", "Change the agency's registry and appraisal records"),
    ("import", "Bulk imports by CSV, NDJSON or workbook"),
    ("events:read", "The agency's event feed"),
];

/// Integration clients as OAuth2 has them: the client-credentials flow at `/api/v1/auth/token`
/// with its scopes, and HTTP Basic for the client's own authentication there.
fn document_oauth2_scheme(doc: &mut Value) {
    let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) else { return };
    let schemes = components.entry("securitySchemes").or_insert_with(|| json!({}));
    let scopes: Map<String, Value> = SCOPES.iter().map(|(s, d)| ((*s).to_owned(), json!(d))).collect();
    schemes["oauth2"] = json!({
        "type": "oauth2",
        "description": "An integration client's access token (OAuth2 client credentials, RFC 6749 §4.4); \
                        sent as `Authorization: Bearer` like a user's",
        "flows": { "clientCredentials": { "tokenUrl": "/api/v1/auth/token", "scopes": scopes } }
    });
    schemes["client_basic"] = json!({
        "type": "http",
        "scheme": "basic",
        "description": "An integration client's `client_id` and `client_secret`, at the token endpoint only \
                        (RFC 6749 §2.3.1)"
    });
}

/// Paths only people (users) call: accounts, clients, webhooks, a user's own tasks.
const PEOPLE_ONLY: [&str; 5] =
    ["/api/v1/users", "/api/v1/clients", "/api/v1/webhooks", "/api/v1/me/tasks", "/api/v1/auth/"];

/// The scope an integration client's token needs for an operation a user's token also calls.
fn document_client_scopes(path: &str, method: &str, operation: &mut Map<String, Value>) {
    let bearer = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|requirement| requirement.get("bearer").is_some()));
    if !bearer || PEOPLE_ONLY.iter().any(|prefix| path.starts_with(prefix)) {
        return;
    }
    let scope: Vec<&str> = if path.starts_with("/api/v1/events") {
        vec!["events:read"]
    } else if path.starts_with("/api/v1/imports/") {
        vec!["import"]
    } else if path == "/api/v1/me" {
        vec![]
    } else if method == "get" {
        vec!["read"]
    } else {
        vec!["write"]
    };
    if let Some(security) = operation.get_mut("security").and_then(Value::as_array_mut) {
        security.push(json!({ "oauth2": scope }));
    }
}

/// `Problem.code` is one of the catalogue's codes, and `type` the URI of its section in
/// `docs/errors.md`.
fn document_problem_codes(doc: &mut Value) {
    let Some(problem) = doc.pointer_mut("/components/schemas/Problem/properties") else { return };
    let codes: Vec<&str> = ProblemCode::ALL.iter().map(|code| code.as_str()).collect();
    problem["code"]["enum"] = json!(codes);
    problem["code"]["description"] =
        json!("Stable machine code; every code and what it means: docs/errors.md (the URI in `type`).");
    problem["type"]["format"] = json!("uri");
    problem["type"]["description"] = json!("Where the code is explained: its section of docs/errors.md.");
    problem["type"]["example"] = json!(ProblemCode::NotFound.type_uri());
}

/// Answers the transport and the platform give before or around any handler: 400 (a body that
/// does not parse), 422 (an undeclared query parameter, a value of the wrong kind), 413 and 415 (too large, wrong content type) for operations
/// with a body, 503 (the database unavailable or a statement past its time), and on creating
/// POSTs the `Idempotency-Key` with its 409 and 422. An operation that names no security scheme
/// is public: it says so with `security: []`.
fn document_shared_problems(path: &str, method: &str, operation: &mut Map<String, Value>) {
    let keyed = method == "post" && idempotency::takes_key(path);
    if keyed {
        document_idempotency_key(operation);
    }
    operation.entry("security").or_insert_with(|| json!([]));
    let with_body = operation.contains_key("requestBody");
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    let mut shared = vec![
        ("400", "Malformed request: a body that is not valid JSON or could not be read"),
        (
            "422",
            "What was sent does not fit: a query parameter the operation does not take (`unknown_parameter`), \
             or a value of the wrong kind; `errors[]` names each",
        ),
        ("503", "The database is unavailable or the request ran past its time; retry later"),
    ];
    if with_body {
        shared.push(("413", "The body is larger than the limit"));
        shared.push(("415", "The body is not of a content type this operation takes"));
    }
    if keyed {
        shared.push((
            "409",
            "A conflict with the current state, or a retry while the first request with its Idempotency-Key runs",
        ));
        shared.push(("422", "A rule is broken, or the Idempotency-Key was used for another request"));
    }
    for (status, description) in shared {
        responses.entry(status).or_insert_with(|| problem(description));
    }
}

/// The response headers many operations send, described once under `components/headers`.
const SHARED_HEADERS: &[(&str, &str, &str)] = &[
    ("RequestId", "The request's id: the caller's `x-request-id` when it sent a sensible one, else a new one; every log line of the request carries it", "string"),
    ("RetryAfter", "Seconds to wait before trying again", "integer"),
    ("IdempotentReplayed", "`true` when this is the kept answer to an earlier request with the same `Idempotency-Key`", "boolean"),
    ("RateLimitPolicy", "The limit on failed logins (IETF draft RateLimit fields): `\"failed-logins\";q=5;w=900` — 5 free failures per account and address in 900 s", "string"),
    ("RateLimit", "Where the caller stands: `\"failed-logins\";r=<failures left>;t=<seconds until the count starts again>`", "string"),
];

fn document_shared_headers(doc: &mut Value) {
    let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) else { return };
    let headers = components.entry("headers").or_insert_with(|| json!({}));
    for (name, description, kind) in SHARED_HEADERS {
        headers[*name] = json!({ "description": description, "schema": { "type": kind } });
    }
}

fn header_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/headers/{name}") })
}

/// The headers an answer carries, on every response they come with: `x-request-id` on all,
/// `Retry-After` on 503 and 429, `Idempotent-Replayed` on the success of a keyed `POST`, the
/// rate-limit fields on the login's answers; and on reads the request header
/// `Kinerja-Read-From`.
fn declare_headers(path: &str, method: &str, operation: &mut Map<String, Value>) {
    let keyed = method == "post" && idempotency::takes_key(path);
    let login = path == "/api/v1/auth/login";
    if method == "get" {
        push_parameter(
            operation,
            json!({
                "name": crate::state::READ_FROM_HEADER_NAME,
                "in": "header",
                "required": false,
                "description": "`primary` reads from the primary database even when read replicas serve lists, reports \
                                and exports (a client that spreads one user over several servers sends it after a write)",
                "schema": { "type": "string", "enum": ["primary"] }
            }),
        );
    }
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else { continue };
        let headers = response.entry("headers").or_insert_with(|| json!({}));
        let Some(headers) = headers.as_object_mut() else { continue };
        headers.insert("x-request-id".into(), header_ref("RequestId"));
        if status == "503" || status == "429" {
            headers.insert("Retry-After".into(), header_ref("RetryAfter"));
        }
        if keyed && status.starts_with('2') {
            headers.insert("Idempotent-Replayed".into(), header_ref("IdempotentReplayed"));
        }
        if login && matches!(status.as_str(), "200" | "401" | "429") {
            headers.insert("RateLimit-Policy".into(), header_ref("RateLimitPolicy"));
            if status != "200" {
                headers.insert("RateLimit".into(), header_ref("RateLimit"));
            }
        }
    }
}

/// A successful JSON read answers 304 to an `If-None-Match` naming its `ETag` (a resource's
/// version, or a hash of a list page), which every such read sends.
fn document_conditional_reads(method: &str, operation: &mut Map<String, Value>) {
    let json_ok = operation.get("responses").and_then(|r| r.pointer("/200/content/application~1json")).is_some();
    if method != "get" || !json_ok {
        return;
    }
    if let Some(ok) = operation.get_mut("responses").and_then(|r| r.get_mut("200")) {
        let headers = ok.as_object_mut().map(|ok| ok.entry("headers").or_insert_with(|| json!({})));
        if let Some(headers) = headers.and_then(Value::as_object_mut) {
            headers.entry("ETag").or_insert_with(|| {
                json!({ "description": "A hash of the answer: send it back in `If-None-Match`", "schema": { "type": "string" } })
            });
        }
    }
    push_parameter(
        operation,
        json!({
            "name": "If-None-Match",
            "in": "header",
            "required": false,
            "description": "The `ETag` of the answer you hold: 304 with no body when it is still current",
            "schema": { "type": "string" }
        }),
    );
    if let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) {
        responses.entry("304").or_insert_with(|| {
            json!({
                "description": "Not modified: the answer you hold (its `ETag` in `If-None-Match`) is current",
                "headers": { "ETag": { "description": "The current version", "schema": { "type": "string" } } }
            })
        });
    }
}

fn push_parameter(operation: &mut Map<String, Value>, parameter: Value) {
    let parameters = operation.entry("parameters").or_insert_with(|| json!([]));
    let Some(parameters) = parameters.as_array_mut() else { return };
    if !parameters.iter().any(|p| p["name"] == parameter["name"] && p["in"] == parameter["in"]) {
        parameters.push(parameter);
    }
}

/// The `Idempotency-Key` header of a creating `POST`.
fn document_idempotency_key(operation: &mut Map<String, Value>) {
    let parameters = operation.entry("parameters").or_insert_with(|| json!([]));
    let Some(parameters) = parameters.as_array_mut() else { return };
    if parameters.iter().any(|p| p["name"] == idempotency::HEADER) {
        return;
    }
    parameters.push(json!({
        "name": idempotency::HEADER,
        "in": "header",
        "required": false,
        "description": "Makes a retry safe: the first answer is kept for a day and replayed to a retry with the \
                        same key and request (`Idempotent-Replayed: true`); the same key with another request \
                        is 422 `idempotency_key_reused`, a retry while the first runs 409 `idempotency_key_in_use`.",
        "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$" },
        "example": "3f0c9a52-7a43-4c8e-9d0b-2f7c1e5a8b61"
    }));
}

/// What a parameter of each shared name means, said once: path identifiers and the filters that
/// lists share. A handler that says more about its own parameter keeps its words.
const PARAMETERS: &[(&str, &str)] = &[
    ("activity_id", "development activity"),
    ("agency_id", "agency (instansi)"),
    ("assessment_id", "competency assessment"),
    ("client_id", "integration client"),
    ("competency_id", "competency"),
    ("employee_id", "employee"),
    ("evaluation_id", "evaluation"),
    ("feedback_id", "feedback"),
    ("objection_id", "objection (keberatan)"),
    ("acting_official_id", "delegation to an acting official (Plt/Plh)"),
    ("period_id", "appraisal period"),
    ("plan_id", "performance plan (SKP)"),
    ("position_id", "position (jabatan)"),
    ("result_id", "work result (RHK)"),
    ("unit_id", "unit (unit kerja)"),
    ("user_id", "user account"),
    ("webhook_id", "webhook endpoint"),
    ("delivery_id", "webhook delivery"),
    ("actor_id", "user or client who acted"),
    ("entity_id", "record the event is about"),
    ("rater_id", "rating official (pejabat penilai)"),
    ("supervisor_id", "direct supervisor"),
];

fn describe_parameters(operation: &mut Map<String, Value>) {
    let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) else { return };
    for parameter in parameters.iter_mut().filter_map(Value::as_object_mut) {
        if parameter.get("description").is_some_and(|d| d.as_str().is_some_and(|d| !d.is_empty())) {
            continue;
        }
        let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default();
        let required = parameter.get("required").and_then(Value::as_bool).unwrap_or(false);
        let place = parameter.get("in").and_then(Value::as_str).unwrap_or_default();
        let Some((_, noun)) = PARAMETERS.iter().find(|(known, _)| *known == name) else { continue };
        let description = match (place, required) {
            ("path", _) => format!("The {noun}'s id"),
            (_, true) => format!("The {noun} (its id)"),
            (_, false) => format!("Only those of this {noun} (its id)"),
        };
        parameter.insert("description".into(), Value::String(description));
    }
}

/// What the response headers the API sets mean.
const HEADERS: &[(&str, &str)] = &[
    ("ETag", "The version of the resource; send it back in `If-Match` to change it"),
    ("Location", "Where the created resource is read"),
    ("Retry-After", "Seconds to wait before trying again"),
    ("Content-Disposition", "A file name for the download"),
];

fn describe_headers(operation: &mut Map<String, Value>) {
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    for response in responses.values_mut() {
        let Some(headers) = response.get_mut("headers").and_then(Value::as_object_mut) else { continue };
        for (name, header) in headers.iter_mut() {
            let Some(header) = header.as_object_mut() else { continue };
            if header.get("description").is_some() {
                continue;
            }
            if let Some((_, words)) = HEADERS.iter().find(|(known, _)| known.eq_ignore_ascii_case(name)) {
                header.insert("description".into(), Value::String((*words).to_owned()));
            }
        }
    }
}
