//! Kinerja's HTTP API: routes, authentication, problem errors, metrics and the OpenAPI
//! document built from the same registration as the routes.

pub mod access;
pub mod accounts;
pub mod audit_actor;
pub mod auth;
pub mod checks;
pub mod competency_seed;
pub mod demo;
pub mod error;
pub mod event_payload;
pub mod export_writer;
pub mod files;
pub mod idempotency;
pub mod import;
pub mod observe;
pub mod openapi;
pub mod pagination;
pub mod plan_contents;
pub mod profiles;
pub mod reads;
mod routes;
pub mod scoring;
pub mod webhooks;
pub mod write;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App, HttpMessage, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use kinerja_store::Db;
use tracing::Instrument;
use utoipa_actix_web::AppExt;

pub use error::{ApiError, ApiResult};
use observe::{Metrics, RequestId, REQUEST_ID_HEADER};
pub use openapi::{openapi, openapi_json};

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
    /// Callers whose reads go to the primary for a while after a write (crate::reads).
    pub recent_writers: reads::RecentWriters,
    /// Which receivers a webhook may name (`KINERJA_WEBHOOK_ALLOW_LOCAL`).
    pub webhook_targets: webhooks::Targets,
    openapi_json: String,
    route_table: Vec<(Vec<String>, Vec<String>)>,
}

impl AppState {
    pub fn new(db: Db, keys: auth::JwtKeys) -> Result<Self, ApiError> {
        let spec = openapi()?;
        let route_table = spec["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = openapi::METHODS
                    .iter()
                    .filter(|method| item.get(**method).is_some())
                    .map(|method| method.to_ascii_uppercase())
                    .collect();
                (segments, methods)
            })
            .collect();
        Ok(AppState {
            db,
            keys,
            sessions: auth::Sessions::default(),
            trusted_proxies: Vec::new(),
            metrics: Metrics::new().map_err(ApiError::internal)?,
            recent_writers: reads::RecentWriters::new(reads::READ_YOUR_WRITES_DEFAULT),
            webhook_targets: webhooks::Targets::default(),
            openapi_json: openapi::to_json(&spec)?,
            route_table,
        })
    }

    /// How long a caller's reads go to the primary after its write: the replica lag limit.
    pub fn with_read_your_writes_for(mut self, window: std::time::Duration) -> Self {
        self.recent_writers = reads::RecentWriters::new(window);
        self
    }

    /// Lets webhooks name these receivers.
    pub fn with_webhook_targets(mut self, targets: webhooks::Targets) -> Self {
        self.webhook_targets = targets;
        self
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
                let wrote = !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") && res.status().is_success();
                if let Some(writer) = res.request().extensions().get::<reads::Writer>().filter(|_| wrote) {
                    state.recent_writers.remember(writer.0);
                }
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
