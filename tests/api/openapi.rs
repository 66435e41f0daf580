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
            if security.is_empty() {
                public.push(format!("{method} {path}"));
            } else {
                assert!(security[0]["bearer"].is_array(), "{method} {path}: {security:?}");
            }
        }
    }
    public.sort();
    assert_eq!(
        public,
        [
            "get /healthz",
            "get /metrics",
            "get /readyz",
            "post /api/v1/auth/login",
            "post /api/v1/auth/refresh",
            "post /api/v1/auth/token"
        ]
    );
}
