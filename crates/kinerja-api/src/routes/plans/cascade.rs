//! The cascade of a plan's results: the supervisor's results they serve and those that serve them.

use crate::context::access::visible_plan;
use crate::context::caller::Caller;
use crate::http::error::responses::{NotFound, Unauthenticated};
use crate::http::error::ApiError;
use crate::state::AppState;
use actix_web::{get, web};
use kinerja_store::plan_rows::{self};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

// ---- cascade ----

#[derive(Debug, Serialize, ToSchema)]
pub struct CascadeNode {
    result_id: Uuid,
    plan_id: Uuid,
    employee_id: Uuid,
    #[schema(example = "Drs. Hendra Wijaya")]
    employee_name: String,
    description: String,
    parent_result_id: Option<Uuid>,
    /// Steps from this plan: 1 is the rating official's result (up) or a direct report's (down).
    depth: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cascade {
    plan_id: Uuid,
    /// The chain of results above this plan's, up to the root (the agency head's plan).
    up: Vec<CascadeNode>,
    /// Every result cascaded from this plan's, across people, at any depth.
    down: Vec<CascadeNode>,
}

fn node(r: plan_rows::CascadeRow) -> CascadeNode {
    CascadeNode {
        result_id: r.result_id,
        plan_id: r.plan_id,
        employee_id: r.employee_id,
        employee_name: r.employee_name,
        description: r.description,
        parent_result_id: r.parent_result_id,
        depth: r.depth,
    }
}

/// Read the cascade of work results around a plan.
///
/// The cascade around a plan: the results it intervenes, up to the root, and the results
/// cascaded from it below, across people (one recursive query each way).
#[utoipa::path(
    tag = "performance",
    security(("bearer" = [])),
    params(("plan_id" = Uuid, Path)),
    responses((status = 200, description = "The cascade", body = Cascade), Unauthenticated, NotFound)
)]
#[get("/performance-plans/{plan_id}/cascade")]
pub(crate) async fn get_cascade(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<web::Json<Cascade>, ApiError> {
    let plan = visible_plan(&state, &caller, path.into_inner()).await?;
    let mut conn = state.db.conn().await?;
    let mut up: Vec<CascadeNode> = plan_rows::cascade_up(&mut conn, &plan).await?.into_iter().map(node).collect();
    up.sort_by_key(|n| (n.depth, n.result_id));
    let down = plan_rows::cascade_down(&mut conn, &plan).await?.into_iter().map(node).collect();
    Ok(web::Json(Cascade { plan_id: plan.id, up, down }))
}
