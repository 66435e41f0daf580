//! The OpenAPI document: committed, served, complete.

use actix_web::http::Method;

use crate::helpers::TestApp;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

/// `openapi/openapi.json` must be what the code generates. Run with `UPDATE_OPENAPI=1` to
/// rewrite it after changing an endpoint, and commit the result.
#[test]
fn committed_spec_matches_the_code() {
    let generated = kinerja_api::openapi_json().unwrap();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test --test api openapi` and commit it"
    );
}

const ERRORS_DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md");

/// `docs/errors.md` is the catalogue as the code has it (rewritten with `UPDATE_OPENAPI=1`).
#[test]
fn committed_error_catalogue_matches_the_code() {
    let generated = kinerja_api::http::problem_code::errors_markdown();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(ERRORS_DOC, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(ERRORS_DOC).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/errors.md is out of date: run `UPDATE_OPENAPI=1 cargo test --test api openapi`"
    );
}

/// The spec's enum of problem codes is the catalogue, and the catalogue is what the code base
/// produces: every code in it is named somewhere outside the catalogue (the compiler sees to
/// the other way round, since a code is a `ProblemCode`).
#[actix_web::test]
async fn every_problem_code_is_in_the_spec_and_every_catalogued_code_is_produced() {
    use actix_web::ResponseError;
    use kinerja_api::http::problem_code::ProblemCode;
    let spec = spec();
    let listed: Vec<&str> = spec["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let catalogue: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, catalogue);

    fn sources(dir: &std::path::Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("problem_code.rs") {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut code = String::new();
    sources(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/kinerja-api/src"), &mut code);
    let used: std::collections::BTreeSet<String> = code
        .split("ProblemCode::")
        .skip(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_alphanumeric).collect::<String>())
        .filter(|name| name.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .map(|name| {
            name.chars().enumerate().fold(String::new(), |mut snake, (i, c)| {
                if c.is_ascii_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
                snake
            })
        })
        .collect();
    let never_produced: Vec<&&str> = catalogue.iter().filter(|c| !used.contains(**c)).collect();
    assert!(never_produced.is_empty(), "catalogued but never produced: {never_produced:?}");
    // A problem's `type` is its code's section.
    let problem = kinerja_api::ApiError::NotFound("user").error_response();
    let body = actix_web::body::to_bytes(problem.into_body()).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["type"], "https://github.com/kinerja/kinerja/blob/main/docs/errors.md#not_found");
    assert!(std::fs::read_to_string(ERRORS_DOC).unwrap().contains("\n## not_found\n"));
}

#[test]
fn spec_is_3_1_with_bearer_auth_and_problem_errors() {
    let spec: serde_json::Value = serde_json::from_str(&kinerja_api::openapi_json().unwrap()).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(spec["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(spec["components"]["schemas"]["Problem"].is_object());
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/clients",
        "/api/v1/clients/{client_id}",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    // Every protected operation names the bearer scheme.
    assert!(spec["paths"]["/api/v1/me"]["get"]["security"][0]["bearer"].is_array());
}

#[actix_web::test]
async fn served_spec_is_the_committed_bytes_and_docs_render() {
    let app = TestApp::new().await;
    let served = app.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.text, kinerja_api::openapi_json().unwrap());
    let docs = app.send(Method::GET, "/docs/", None, None).await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger-ui"), "{}", docs.text);
    let redirect = app.send(Method::GET, "/docs", None, None).await;
    assert_eq!(redirect.header("location").as_deref(), Some("/docs/"));
}

/// Every `$ref` names a schema the document registers: a generated client stops on one that
/// does not.
#[test]
fn every_reference_resolves() {
    let text = kinerja_api::openapi_json().unwrap();
    let spec: serde_json::Value = serde_json::from_str(&text).unwrap();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let prefix = "\"#/components/schemas/";
    let unresolved: std::collections::BTreeSet<&str> = text
        .match_indices(prefix)
        .filter_map(|(at, _)| text[at + prefix.len()..].split('"').next())
        .filter(|name| !schemas.contains_key(*name))
        .collect();
    assert!(unresolved.is_empty(), "unresolved references: {unresolved:?}");
}

/// Every operation says how it is authorised: the bearer token, or (`security: []`) none —
/// exactly the public ones of the API contract.
#[test]
fn every_operation_states_its_security() {
    let spec: serde_json::Value = serde_json::from_str(&kinerja_api::openapi_json().unwrap()).unwrap();
    let mut public = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let security = operation["security"].as_array().unwrap_or_else(|| panic!("{method} {path}: no security"));
            // Public: no requirement, or an empty one among others (the token endpoint's client
            // may authenticate in the body instead of with Basic).
            if security.is_empty() || security.iter().any(|s| s.as_object().is_some_and(|s| s.is_empty())) {
                public.push(format!("{method} {path}"));
            } else {
                assert!(security[0]["bearer"].is_array(), "{method} {path}: {security:?}");
            }
        }
    }
    // Integration clients: the OAuth2 client-credentials scheme with its scopes, per operation.
    let flow = &spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"];
    assert_eq!(flow["tokenUrl"], "/api/v1/auth/token");
    let scopes: Vec<&String> = flow["scopes"].as_object().unwrap().keys().collect();
    assert_eq!(scopes, ["events:read", "import", "read", "write"]);
    let needs = |method: &str, path: &str| spec["paths"][path][method]["security"][1]["oauth2"].clone();
    assert_eq!(needs("get", "/api/v1/employees"), serde_json::json!(["read"]));
    assert_eq!(needs("patch", "/api/v1/employees/{employee_id}"), serde_json::json!(["write"]));
    assert_eq!(needs("get", "/api/v1/events"), serde_json::json!(["events:read"]));
    assert_eq!(needs("post", "/api/v1/imports/{kind}"), serde_json::json!(["import"]));
    assert_eq!(needs("get", "/api/v1/users"), serde_json::Value::Null, "accounts are for people only");
    assert_eq!(spec["paths"]["/api/v1/auth/token"]["post"]["security"][1]["client_basic"], serde_json::json!([]));
    public.sort();
    assert_eq!(
        public,
        [
            "get /healthz",
            "get /metrics",
            "get /readyz",
            "post /api/v1/auth/login",
            "post /api/v1/auth/logout",
            "post /api/v1/auth/refresh",
            "post /api/v1/auth/token"
        ]
    );
}

/// Integrators generate types for what they receive: one `webhooks` entry per event type, its
/// body that type's schema with `data` typed, the signing headers described; the feed's
/// `EventView` is the union of the same schemas, told apart by `type`.
#[test]
fn every_event_type_is_a_typed_webhook() {
    let spec = spec();
    let webhooks = spec["webhooks"].as_object().expect("a webhooks section");
    let types: Vec<&str> = kinerja_domain::events::EventType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(webhooks.keys().map(String::as_str).collect::<Vec<_>>().len(), types.len());
    for event in &types {
        let post = &webhooks[*event]["post"];
        let body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
        let schema = spec.pointer(body.trim_start_matches('#')).unwrap();
        assert_eq!(schema["properties"]["type"]["const"], *event);
        assert!(schema["properties"]["data"]["$ref"].is_string(), "{event}: untyped data");
        let headers: Vec<&str> =
            post["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(headers, ["webhook-id", "webhook-timestamp", "webhook-signature"], "{event}");
        let mapped = &spec["components"]["schemas"]["EventView"]["discriminator"]["mapping"][*event];
        assert_eq!(mapped.as_str(), Some(body), "{event}");
    }
    let changes = &spec["components"]["schemas"]["AuditEventView"]["properties"]["changes"];
    assert_eq!(changes["anyOf"][0]["$ref"], "#/components/schemas/FieldChanges");
}

fn spec() -> serde_json::Value {
    serde_json::from_str(&kinerja_api::openapi_json().unwrap()).unwrap()
}

/// Every operation as `(label, operation)`, e.g. `("patch /api/v1/units/{unit_id}", …)`.
fn operations(spec: &serde_json::Value) -> Vec<(String, &serde_json::Value)> {
    let mut all = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((format!("{method} {path}"), operation));
        }
    }
    all
}

/// What a client generator needs to give every value a type: no object without properties or
/// typed additional properties, pages that reference their item, PascalCase schema names, a
/// meaningful `verb_noun` operationId each, a one-line summary, words for every parameter and
/// response header, and an example for every request body.
#[test]
fn the_document_is_typed_and_described_for_client_generators() {
    let spec = spec();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let mut untyped = Vec::new();
    fn walk(value: &serde_json::Value, at: String, untyped: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                let is_object = map.get("type").is_some_and(|t| {
                    t == "object" || t.as_array().is_some_and(|types| types.iter().any(|t| t == "object"))
                });
                let shaped = ["properties", "additionalProperties", "allOf", "oneOf", "anyOf", "$ref"]
                    .iter()
                    .any(|key| map.contains_key(*key));
                if is_object && !shaped {
                    untyped.push(at.clone());
                }
                for (key, child) in map {
                    walk(child, format!("{at}/{key}"), untyped);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, format!("{at}/{i}"), untyped);
                }
            }
            _ => {}
        }
    }
    walk(&spec, "#".into(), &mut untyped);
    assert!(untyped.is_empty(), "objects without a shape: {untyped:?}");

    for (name, schema) in schemas {
        assert!(
            name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric()),
            "schema {name} is not PascalCase"
        );
        if name.ends_with("Page") {
            assert!(schema["properties"]["items"]["items"]["$ref"].is_string(), "{name} copies its item");
        }
    }
    assert_eq!(schemas["EmployeePage"]["properties"]["items"]["items"]["$ref"], "#/components/schemas/EmployeeView");
    for field in ["roles", "scopes"] {
        assert_eq!(
            schemas["Me"]["properties"][field]["items"]["$ref"].as_str().map(|r| r.rsplit('/').next()),
            Some(Some(if field == "roles" { "Role" } else { "Scope" }))
        );
    }

    let mut ids = std::collections::BTreeSet::new();
    for (label, operation) in operations(&spec) {
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(
            id.contains('_') && id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "{label}: operationId {id:?} is not verb_noun"
        );
        assert!(ids.insert(id.to_owned()), "{label}: operationId {id} is used twice");
        let summary = operation["summary"].as_str().unwrap_or_default();
        assert!(!summary.is_empty() && !summary.contains('\n') && summary.len() <= 90, "{label}: summary {summary:?}");
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            assert!(
                parameter["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{label}: parameter {} has no description",
                parameter["name"]
            );
        }
        for (status, response) in operation["responses"].as_object().unwrap() {
            for (name, header) in response["headers"].as_object().into_iter().flatten() {
                let header = match header["$ref"].as_str() {
                    Some(shared) => spec.pointer(shared.trim_start_matches('#')).unwrap_or(&serde_json::Value::Null),
                    None => header,
                };
                assert!(header["description"].is_string(), "{label} {status}: header {name} has no description");
            }
        }
        if let Some(body) = operation.get("requestBody") {
            for (content_type, content) in body["content"].as_object().unwrap() {
                let named = content["schema"]["$ref"].as_str().and_then(|r| r.rsplit('/').next());
                let example = content.get("example").is_some()
                    || named
                        .is_some_and(|n| schemas[n].get("example").is_some() || schemas[n].get("examples").is_some());
                assert!(example, "{label}: the {content_type} body has no example");
            }
        }
    }
    assert!(spec["servers"].as_array().is_some_and(|servers| !servers.is_empty()));
}

/// A versioned resource answers with its `ETag` wherever it is returned, and every write that
/// can answer 412 takes `If-Match` (and the other way round).
#[test]
fn versioned_resources_carry_etag_and_their_writes_take_if_match() {
    let spec = spec();
    // A named resource (a list of them, like a position's standard, is versioned by its owner).
    let body_of = |response: &serde_json::Value| {
        response["content"]["application/json"]["schema"]["$ref"].as_str().map(str::to_owned)
    };
    // A versioned resource is one a read answers with its version.
    let mut versioned = std::collections::BTreeSet::new();
    for (_, operation) in operations(&spec).into_iter().filter(|(label, _)| label.starts_with("get ")) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            // A resource's version, not a list page's hash.
            let version = response["headers"]
                .get("ETag")
                .filter(|etag| !etag["description"].as_str().is_some_and(|d| d.starts_with("A hash of the answer")));
            if status.starts_with('2') && version.is_some() {
                versioned.extend(body_of(response));
            }
        }
    }
    assert!(versioned.len() >= 10, "{versioned:?}");
    for (label, operation) in operations(&spec) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            if status.starts_with('2') && body_of(response).is_some_and(|body| versioned.contains(&body)) {
                assert!(
                    response["headers"].get("ETag").is_some(),
                    "{label} {status}: a versioned resource without ETag"
                );
            }
        }
        let takes_if_match = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "If-Match" && p["in"] == "header");
        let may_be_stale = operation["responses"].get("412").is_some();
        assert_eq!(takes_if_match, may_be_stale, "{label}: If-Match and 412 go together");
        let writes_versioned = !label.starts_with("get ")
            && !label.starts_with("post ")
            && operation["responses"].as_object().unwrap().iter().any(|(status, response)| {
                status.starts_with('2') && body_of(response).is_some_and(|body| versioned.contains(&body))
            });
        if writes_versioned {
            assert!(takes_if_match, "{label}: a write of a versioned resource without If-Match");
        }
    }
}

/// Errors any request may meet are documented everywhere: 400 and 503 on every operation, 413
/// and 415 on those with a body, 401 on the credential checks worded for credentials, and the
/// import's 422 as its own schema.
#[test]
fn every_answer_a_client_can_get_is_documented() {
    let spec = spec();
    for (label, operation) in operations(&spec) {
        let responses = operation["responses"].as_object().unwrap();
        for status in ["400", "503"] {
            assert!(responses.contains_key(status), "{label}: no {status}");
        }
        if operation.get("requestBody").is_some() {
            for status in ["413", "415"] {
                assert!(responses.contains_key(status), "{label}: no {status}");
            }
        }
    }
    for path in ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/token"] {
        let unauthorised = &spec["paths"][path]["post"]["responses"]["401"]["description"];
        assert!(unauthorised.as_str().unwrap().contains("credentials are wrong"), "{path}: {unauthorised}");
    }
    let login = &spec["paths"]["/api/v1/auth/login"]["post"]["responses"];
    assert_eq!(login["429"]["headers"]["Retry-After"]["$ref"], "#/components/headers/RetryAfter");
    assert_eq!(spec["components"]["headers"]["RetryAfter"]["schema"]["type"], "integer");
    for status in ["401", "429"] {
        assert_eq!(login[status]["headers"]["RateLimit"]["$ref"], "#/components/headers/RateLimit", "{status}");
        assert_eq!(login[status]["headers"]["RateLimit-Policy"]["$ref"], "#/components/headers/RateLimitPolicy");
    }
    // Headers every client may rely on are declared where they are sent.
    for (label, operation) in operations(&spec) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            assert_eq!(
                response["headers"]["x-request-id"]["$ref"], "#/components/headers/RequestId",
                "{label} {status}"
            );
            if status == "503" {
                assert!(response["headers"]["Retry-After"].is_object(), "{label} 503 without Retry-After");
            }
        }
        if label.starts_with("get ") && operation["responses"]["200"]["content"]["application/json"].is_object() {
            assert!(operation["responses"]["304"].is_object(), "{label}: no 304");
            let names: Vec<&str> =
                operation["parameters"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
            assert!(names.contains(&"If-None-Match") && names.contains(&"Kinerja-Read-From"), "{label}: {names:?}");
        }
    }
    let create = &spec["paths"]["/api/v1/employees"]["post"]["responses"]["201"]["headers"];
    assert_eq!(create["Idempotent-Replayed"]["$ref"], "#/components/headers/IdempotentReplayed");
    let rejected = &spec["paths"]["/api/v1/imports/{kind}"]["post"]["responses"]["422"]["content"]
        ["application/problem+json"]["schema"]["$ref"];
    assert_eq!(rejected, "#/components/schemas/ImportProblem");
    let token = spec["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"].as_object().unwrap();
    assert_eq!(token.keys().collect::<Vec<_>>(), ["application/x-www-form-urlencoded"]);
}
