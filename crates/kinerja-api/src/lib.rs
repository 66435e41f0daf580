//! Kinerja's HTTP API: routes, authentication, problem errors, metrics and the OpenAPI
//! document built from the same registration as the routes.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod competency_seed;
pub mod demo;
pub mod error;
pub mod idempotency;
pub mod observe;
pub mod pagination;
mod routes;
pub mod scoring;
pub mod write;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App, HttpMessage, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use kinerja_store::Db;
use tracing::Instrument;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

pub use error::{ApiError, ApiResult};
use observe::{Metrics, RequestId, REQUEST_ID_HEADER};

/// Largest JSON body accepted.
pub const JSON_LIMIT: usize = 1024 * 1024;
/// Largest raw body accepted (form posts; bulk imports set their own).
pub const PAYLOAD_LIMIT: usize = 1024 * 1024;

/// What every handler shares.
pub struct AppState {
    pub db: Db,
    pub keys: auth::JwtKeys,
    /// Whether access tokens still stand (revocation within [`auth::SESSION_TTL`]).
    pub sessions: auth::Sessions,
    /// Proxies whose `X-Forwarded-For` names the client (`KINERJA_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub metrics: Metrics,
    openapi_json: String,
    route_table: Vec<(Vec<String>, Vec<String>)>,
}

impl AppState {
    pub fn new(db: Db, keys: auth::JwtKeys) -> Result<Self, ApiError> {
        let spec = openapi();
        let route_table = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = methods_of(item);
                (segments, methods)
            })
            .collect();
        Ok(AppState {
            db,
            keys,
            sessions: auth::Sessions::default(),
            trusted_proxies: Vec::new(),
            metrics: Metrics::new().map_err(ApiError::internal)?,
            openapi_json: openapi_json_of(&spec)?,
            route_table,
        })
    }

    /// Trusts `X-Forwarded-For` from these proxies only.
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
    /// address in `X-Forwarded-For` that is not one (what a client writes there itself is never
    /// believed, since only a trusted proxy's appending counts).
    pub fn client_address(&self, req: &HttpRequest) -> Option<std::net::IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or("");
        let hops: Vec<std::net::IpAddr> = forwarded.split(',').filter_map(|hop| hop.trim().parse().ok()).collect();
        Some(hops.into_iter().rev().find(|hop| !self.trusted_proxies.contains(hop)).unwrap_or(peer))
    }

    /// The methods the API serves at `path`, if a documented route matches it.
    fn methods_at(&self, path: &str) -> Option<&[String]> {
        let given: Vec<&str> = path.split('/').collect();
        self.route_table
            .iter()
            .find(|(template, _)| {
                template.len() == given.len()
                    && template.iter().zip(&given).all(|(t, g)| t == g || (t.starts_with('{') && !g.is_empty()))
            })
            .map(|(_, methods)| methods.as_slice())
    }
}

fn methods_of(item: &utoipa::openapi::PathItem) -> Vec<String> {
    let ops = [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("PATCH", &item.patch),
    ];
    ops.iter().filter(|(_, op)| op.is_some()).map(|(m, _)| (*m).to_owned()).collect()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kinerja",
        description = "Competency-based performance appraisal of Indonesian civil servants (ASN): \
                       performance plans (SKP), evaluation and predikat, calibration, objections, \
                       competencies and development. Errors are RFC 9457 problem documents with a \
                       stable `code`.",
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

/// The OpenAPI document of the API, collected from the registered handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut spec) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(routes::register).split_for_parts();
    document_transport_problems(&mut spec);
    spec
}

/// The `Idempotency-Key` header of a creating `POST`, and the 409 of a retry too early.
fn document_idempotency_key(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::Required;
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    if parameters.iter().any(|p| matches!(p, utoipa::openapi::RefOr::T(p) if p.name == idempotency::HEADER)) {
        return;
    }
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(200))
        .pattern(Some("^[!-~]+$"));
    parameters.push(utoipa::openapi::RefOr::T(
        ParameterBuilder::new()
            .name(idempotency::HEADER)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Makes a retry safe: the first answer is kept for a day and replayed to a retry with the same key \
                 and request (`Idempotent-Replayed: true`); the same key with another request is 422 \
                 `idempotency_key_reused`, a retry while the first runs 409 `idempotency_key_in_use`.",
            ))
            .schema(Some(schema))
            .build(),
    ));
}

/// Every operation may answer 400 (a malformed query string or body); every one that takes a
/// body, 413 (too large) and 415 (wrong content type) too: the extractors answer them before
/// the handler runs, so they are documented here once for all.
fn document_transport_problems(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                )
                .build(),
        )
    };
    for (path, item) in spec.paths.paths.iter_mut() {
        if let Some(operation) = item.post.as_mut().filter(|_| idempotency::applies_to(path)) {
            document_idempotency_key(operation);
            operation.responses.responses.entry("409".into()).or_insert_with(|| {
                problem("A conflict with the current state, or a retry while the first request with its Idempotency-Key runs")
            });
            operation
                .responses
                .responses
                .entry("422".into())
                .or_insert_with(|| problem("A rule is broken, or the Idempotency-Key was used for another request"));
        }
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            // An operation that names no scheme is public: say so (`security: []`).
            operation.security.get_or_insert_with(Vec::new);
            let with_body = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            responses
                .entry("400".into())
                .or_insert_with(|| problem("Malformed request: a query string or body that does not parse"));
            if with_body {
                responses.entry("413".into()).or_insert_with(|| problem("The body is larger than the limit"));
                responses
                    .entry("415".into())
                    .or_insert_with(|| problem("The body is not of a content type this operation takes"));
            }
        }
    }
}

fn openapi_json_of(spec: &utoipa::openapi::OpenApi) -> Result<String, ApiError> {
    let mut json = serde_json::to_string_pretty(spec).map_err(ApiError::internal)?;
    json.push('\n');
    Ok(json)
}

/// The OpenAPI document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> Result<String, ApiError> {
    openapi_json_of(&openapi())
}

/// The whole application: routes, error handlers, docs, request ids, logging and metrics.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, _) = App::new().into_utoipa_app().configure(routes::register).split_for_parts();
    let observer = state.clone();
    app.app_data(state)
        .app_data(
            web::JsonConfig::default()
                .limit(JSON_LIMIT)
                .error_handler(|err, _| error::json_error(err, JSON_LIMIT).into()),
        )
        .app_data(web::PayloadConfig::new(PAYLOAD_LIMIT))
        .app_data(web::QueryConfig::default().error_handler(|err, _| error::query_error(err).into()))
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound("resource").into()))
        .route("/openapi.json", web::get().to(serve_openapi))
        .route(
            "/docs",
            web::get()
                .to(|| async { HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish() }),
        )
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                .config(utoipa_swagger_ui::Config::new(["/openapi.json"]).persist_authorization(true)),
        )
        .default_service(web::to(no_route))
        .wrap(idempotency::Idempotency)
        .wrap_fn(move |req, srv| {
            let request_id = RequestId::from_header(req.headers().get(REQUEST_ID_HEADER));
            let span =
                tracing::info_span!("request", request_id = %request_id.0, method = %req.method(), path = %req.path());
            let method = req.method().to_string();
            req.extensions_mut().insert(request_id.clone());
            let started = Instant::now();
            let state = observer.clone();
            let call = span.in_scope(|| srv.call(req));
            async move {
                let mut res = call.await?;
                let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
                let status = res.status().as_u16();
                let elapsed = started.elapsed();
                state.metrics.observe(&method, &route, status, elapsed);
                if let Ok(value) = request_id.0.parse() {
                    res.headers_mut().insert(REQUEST_ID_HEADER, value);
                }
                tracing::info!(status, route = %route, latency_ms = elapsed.as_secs_f64() * 1000.0, "answered");
                Ok(res)
            }
            .instrument(span)
            .boxed_local()
        })
}

async fn serve_openapi(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(state.openapi_json.clone())
}

/// No route matched: 405 with `Allow` when the path exists with other methods, else 404.
async fn no_route(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Err(match state.methods_at(req.path()) {
        Some(methods) => ApiError::MethodNotAllowed { method: req.method().to_string(), allow: methods.to_vec() },
        None => ApiError::RouteNotFound(req.path().to_owned()),
    })
}
