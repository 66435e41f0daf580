//! Kinerja's HTTP API, in wings from the bottom up (`docs/architecture.md` draws them):
//!
//! - [`http`]: the HTTP conventions every endpoint shares — problem errors, pagination, field
//!   checks, request ids and metrics;
//! - [`auth`]: access and refresh tokens, passwords, the sessions that still stand;
//! - [`state`]: what every handler shares, and where a read goes;
//! - [`context`]: who is calling, what they may reach, the audited write, idempotent retries;
//! - [`services`]: the use cases handlers call — accounts, plan contents, rating, appraisal,
//!   competency profiles;
//! - [`bulk`] (imports and exports), [`integration`] (webhooks and event payloads), [`admin`]
//!   (the operator's seeds);
//! - `routes`: the handlers, which speak HTTP only;
//! - [`app`]: everything assembled, with the OpenAPI document built from the same registration.

pub mod admin;
pub mod app;
pub mod auth;
pub mod bulk;
pub mod context;
pub mod http;
pub mod integration;
mod routes;
pub mod services;
pub mod state;

pub use app::openapi::{openapi, openapi_json};
pub use app::{app, JSON_LIMIT, PAYLOAD_LIMIT};
pub use http::error::{ApiError, ApiResult};
pub use state::AppState;
