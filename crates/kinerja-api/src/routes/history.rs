//! The handler of an employee's career history (`services::history`).

use crate::context::caller::Caller;
use crate::http::error::responses::{NotFound, Unauthenticated};
use crate::http::error::ApiError;
use crate::services::history::{self, EmployeeHistory};
use crate::state::AppState;
use actix_web::{get, web};
use uuid::Uuid;

/// Read an employee's history.
///
/// Per period the employee was rated or assessed in, oldest first: the position, unit and grade
/// when the annual rating was issued, the predikat as rated, calibrated, decided on objection
/// and in force; the JPM and its categories against the competency standard as it was at the
/// latest assessment; and the 9-box. It stays as it was when the employee moves or a standard
/// changes. Readable by whoever may read the employee.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("employee_id" = Uuid, Path)),
    responses((status = 200, description = "The history", body = EmployeeHistory), Unauthenticated, NotFound)
)]
#[get("/employees/{employee_id}/history")]
pub(super) async fn get_employee_history(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<web::Json<EmployeeHistory>, ApiError> {
    Ok(web::Json(history::employee_history(&caller, &state, path.into_inner()).await?))
}
