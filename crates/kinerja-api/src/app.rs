//! The application assembled: every route, the fallbacks, the request middleware (request ids,
//! the access log, metrics, read-your-writes, idempotency) and the OpenAPI document with its
//! Swagger UI.

pub mod document;
pub mod openapi;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Compress;
use actix_web::{web, App, HttpMessage, HttpRequest, HttpResponse};
use futures_util::FutureExt;
use tracing::Instrument;
use utoipa_actix_web::AppExt;

use crate::app::document::document;
use crate::context::idempotency::Idempotency;
use crate::http::error::{self, ApiError, WithHeaders};
use crate::http::observe::{RequestId, REQUEST_ID_HEADER};
use crate::http::{compression, conditional};
use crate::routes;
use crate::state::{AppState, Writer};

/// Largest JSON body accepted.
pub const JSON_LIMIT: usize = 1024 * 1024;
/// Largest raw body accepted (form posts; bulk imports set their own).
pub const PAYLOAD_LIMIT: usize = 1024 * 1024;

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
    let cors = state.clone();
    let deadline = state.request_deadline;
    app.app_data(state)
        .app_data(
            web::JsonConfig::default()
                .limit(JSON_LIMIT)
                .error_handler(|err, _| error::json_error(err, JSON_LIMIT).into()),
        )
        .app_data(web::PayloadConfig::new(PAYLOAD_LIMIT))
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
        .wrap(Idempotency)
        .wrap_fn(|req, srv| srv.call(req).map(|res| Ok(conditional::answer(res?.map_into_boxed_body()))))
        .wrap_fn(|req, srv| srv.call(req).map(|res| Ok(compression::mark_packed(res?))))
        .wrap(Compress::default())
        .wrap_fn(|req, srv| srv.call(req).map(|res| Ok(compression::unmark_packed(res?))))
        .wrap_fn(move |req, srv| {
            // Imports stream for as long as their file takes; their statements have their own limit.
            if req.path().starts_with("/api/v1/imports/") {
                return srv.call(req).map(|res| res.map(ServiceResponse::map_into_boxed_body)).boxed_local();
            }
            // The request cannot be kept aside for the answer (routing needs it whole), so a
            // stopped one is answered as an error, which actix renders with our problem document.
            let call = srv.call(req);
            async move {
                match actix_web::rt::time::timeout(deadline, call).await {
                    Ok(res) => res.map(ServiceResponse::map_into_boxed_body),
                    Err(_) => Err(timed_out(deadline).into()),
                }
            }
            .boxed_local()
        })
        .wrap_fn(|mut req, srv| {
            conditional::head_as_get(&mut req);
            let checked = crate::state::check_read_from(req.headers())
                .and_then(|()| document())
                .and_then(|d| d.check_query(req.method().as_str(), req.path(), req.query_string()));
            match checked {
                Ok(()) => srv.call(req).boxed_local(),
                Err(refused) => std::future::ready(Err(refused.into())).boxed_local(),
            }
        })
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
                let mut res = match call.await {
                    Ok(res) => res,
                    Err(e) => {
                        // Refused before routing or stopped at its deadline: counted, logged and
                        // answered with its request id like any answer.
                        let status = e.as_response_error().status_code().as_u16();
                        state.metrics.observe(&method, "unmatched", status, started.elapsed());
                        tracing::warn!(status, request_id = %request_id.0, "answered with an error");
                        let id = request_id.0.parse().into_iter().map(|v| (REQUEST_ID_HEADER, v)).collect();
                        return Err(WithHeaders::wrap(e, id));
                    }
                };
                let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
                let status = res.status().as_u16();
                let wrote = !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS") && res.status().is_success();
                if let Some(writer) = res.request().extensions().get::<Writer>().filter(|_| wrote) {
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
        .wrap_fn(move |req, srv| {
            let origins = &cors.cors_origins;
            let origin = req.headers().get(header::ORIGIN).cloned();
            if let Some(preflight) =
                origins.preflight(req.method(), req.headers(), document().ok().and_then(|d| d.methods_at(req.path())))
            {
                return std::future::ready(Ok(req.into_response(preflight).map_into_boxed_body())).boxed_local();
            }
            let headers = origins.answer_headers(origin.as_ref());
            srv.call(req)
                .map(move |res| match res {
                    Ok(mut res) => {
                        for (name, value) in headers {
                            if name == header::VARY {
                                res.headers_mut().append(name, value);
                            } else {
                                res.headers_mut().insert(name, value);
                            }
                        }
                        Ok(res)
                    }
                    Err(e) => Err(WithHeaders::wrap(e, headers)),
                })
                .boxed_local()
        })
}

/// The answer to a request stopped at its deadline (dropping it ends its statements' wait and
/// rolls back a transaction it had open).
fn timed_out(deadline: std::time::Duration) -> ApiError {
    ApiError::TimedOut {
        code: error::ProblemCode::RequestTimedOut,
        detail: format!(
            "the request took longer than {} s and was stopped; a write may or may not have been made — \
             read before trying again, or retry with the same Idempotency-Key",
            deadline.as_secs_f64()
        ),
    }
}

async fn serve_openapi() -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().content_type("application/json").body(document()?.json.clone()))
}

/// No route matched: `OPTIONS` says what the path allows (204 with `Allow`), another method
/// there is 405 with `Allow`, an unknown path 404.
async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    match document()?.methods_at(req.path()) {
        Some(methods) if req.method() == Method::OPTIONS => {
            Ok(HttpResponse::NoContent().insert_header((header::ALLOW, methods.join(", "))).finish())
        }
        Some(allow) => Err(ApiError::MethodNotAllowed { method: req.method().to_string(), allow }),
        None => Err(ApiError::RouteNotFound(req.path().to_owned())),
    }
}
