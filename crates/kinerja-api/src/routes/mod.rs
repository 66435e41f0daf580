//! Route registration: every handler is annotated for OpenAPI and registered here once.

mod auth;
mod clients;
mod ops;
mod users;

use actix_web::http::header;
use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::error::ApiError;

pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz).service(ops::readyz).service(ops::metrics).service(
        scope::scope("/api/v1")
            .service(auth::login)
            .service(auth::refresh)
            .service(auth::logout)
            .service(auth::client_token)
            .service(auth::me)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::get_user)
            .service(users::update_user)
            .service(clients::list_clients)
            .service(clients::create_client)
            .service(clients::delete_client),
    );
}

/// The ETag of a resource version, from its last change.
pub fn etag(updated_at: DateTime<Utc>) -> String {
    format!("\"{}\"", updated_at.timestamp_micros())
}

/// Refuses a write whose `If-Match` names another version (412). Without `If-Match` the write
/// goes ahead (last writer wins), as HTTP allows.
pub fn check_if_match(req: &HttpRequest, current: &str) -> Result<(), ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else { return Ok(()) };
    let value = value.to_str().map_err(|_| ApiError::PreconditionFailed)?;
    let matches = value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == current || tag.strip_prefix("W/") == Some(current));
    if matches {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}
