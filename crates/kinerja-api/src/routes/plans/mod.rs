//! Performance plans (SKP): creating, reading and moving a plan through its workflow, what it
//! holds, and the cascade of results (the rules in `services::plans`).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use crate::context::write::{created, with_etag};
use crate::services::plans::PlanView;

pub(super) mod cascade;
pub(super) mod contents;
pub(super) mod lifecycle;

fn respond(status: StatusCode, view: &PlanView) -> HttpResponse {
    with_etag(status, view.updated_at, view)
}

/// `201 Created` with the plan's `Location` and `ETag`.
fn respond_created(view: &PlanView) -> HttpResponse {
    created(format!("/api/v1/performance-plans/{}", view.id), view.updated_at, view)
}
