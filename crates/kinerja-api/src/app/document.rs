//! The OpenAPI document as the running server uses it: served at `/openapi.json`, and read for
//! what each path accepts — the methods (405's `Allow`, preflight answers) and the query
//! parameters (an undeclared one is refused, like an unknown JSON field).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

use crate::app::openapi;
use crate::http::error::ApiError;

/// The document as served, and what each documented path accepts, built once per process.
pub struct Document {
    pub json: String,
    routes: Vec<Route>,
}

/// One documented path: its segments (`{name}` for a parameter), and per method the query
/// parameters it declares.
struct Route {
    segments: Vec<String>,
    methods: Vec<(String, BTreeSet<String>)>,
}

static DOCUMENT: OnceLock<Document> = OnceLock::new();

pub fn document() -> Result<&'static Document, ApiError> {
    if let Some(document) = DOCUMENT.get() {
        return Ok(document);
    }
    let spec = openapi::openapi()?;
    let routes = spec["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(path, item)| Route {
            segments: path.split('/').map(str::to_owned).collect(),
            methods: openapi::METHODS
                .iter()
                .filter_map(|method| Some((method.to_ascii_uppercase(), query_parameters(item.get(*method)?))))
                .collect(),
        })
        .collect();
    let json = openapi::to_json(&spec)?;
    Ok(DOCUMENT.get_or_init(|| Document { json, routes }))
}

fn query_parameters(operation: &Value) -> BTreeSet<String> {
    operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}

impl Document {
    fn route(&self, path: &str) -> Option<&Route> {
        let given: Vec<&str> = path.split('/').collect();
        self.routes.iter().find(|route| {
            route.segments.len() == given.len()
                && route.segments.iter().zip(&given).all(|(t, g)| t == g || (t.starts_with('{') && !g.is_empty()))
        })
    }

    /// The methods the API serves at `path` (`HEAD` wherever `GET` is), if a documented route
    /// matches it.
    pub fn methods_at(&self, path: &str) -> Option<Vec<String>> {
        let route = self.route(path)?;
        let mut methods: Vec<String> = route.methods.iter().map(|(method, _)| method.clone()).collect();
        if let Some(get) = methods.iter().position(|m| m == "GET") {
            methods.insert(get + 1, "HEAD".into());
        }
        Some(methods)
    }

    /// Refuses a query parameter the operation does not declare (422 `unknown_parameter`, each
    /// one named), so that a misspelt filter never answers as if it were absent. Paths and
    /// methods the document does not describe are left to routing.
    pub fn check_query(&self, method: &str, path: &str, query: &str) -> Result<(), ApiError> {
        let method = if method == "HEAD" { "GET" } else { method };
        let Some((_, declared)) = self.route(path).and_then(|r| r.methods.iter().find(|(m, _)| m == method)) else {
            return Ok(());
        };
        let mut unknown: Vec<String> = Vec::new();
        for (name, _) in form_pairs(query) {
            if !declared.contains(&name) && !unknown.contains(&name) {
                unknown.push(name);
            }
        }
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(ApiError::UnknownParameters(unknown))
        }
    }
}

/// The names and values of a query string (`+` and percent escapes decoded).
fn form_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}
