//! The handler of the talent 9-box (`services::development::talent_map`).

use crate::context::caller::Caller;
use crate::http::error::responses::{Forbidden, Invalid, NotFound, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::pagination::{Page, PageParams};
use crate::services::development::talent_map::{self, TalentMapQuery, TalentPlacement};
use crate::state::AppState;
use actix_web::{get, web};
use uuid::Uuid;

/// The talent map (9-box) of an agency for a period.
///
/// Each employee's 9-box for the period: performance from the latest annual predikat, potential
/// from an assessor's rating or else JPM; `talent_pool=true` keeps boxes 7–9. Pages are by
/// employee, so a filtered page may hold fewer items than `limit`.
#[utoipa::path(
    tag = "competencies",
    security(("bearer" = [])),
    params(("agency_id" = Uuid, Path), TalentMapQuery, PageParams),
    responses((status = 200, description = "A page of placements", body = Page<TalentPlacement>), Unauthenticated, Forbidden, NotFound, Invalid)
)]
#[get("/agencies/{agency_id}/talent-map")]
pub(crate) async fn get_talent_map(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<TalentMapQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<TalentPlacement>>, ApiError> {
    let view =
        talent_map::talent_map(&caller, &state, path.into_inner(), query.into_inner(), page.into_inner()).await?;
    Ok(web::Json(view))
}
