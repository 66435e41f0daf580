//! Handlers of the reports (`services::reports`) and the national SKP export
//! (`bulk::national_export`).

use crate::bulk::file_kinds::streamed;
use crate::bulk::national_export::{self, NationalExport, NationalQuery, NationalRecord};
use crate::context::caller::Caller;
use crate::http::error::responses::{Forbidden, Invalid, NotFound, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::services::reports::{
    self, NationalReport, OversightQuery, ParticipationReport, PredikatReport, ReportQuery,
};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};

/// Report each unit's progress through the cycle.
///
/// How far each unit's employees are in the period's cycle: plans created, submitted,
/// approved, evaluated and rated per sub-period, and rated for the year.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(ReportQuery),
    responses((status = 200, description = "Participation per unit", body = ParticipationReport), Unauthenticated, Forbidden, NotFound, Invalid)
)]
#[get("/reports/participation")]
pub(super) async fn get_participation_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<ReportQuery>,
) -> Result<web::Json<ParticipationReport>, ApiError> {
    Ok(web::Json(reports::participation(&caller, &state, query.into_inner()).await?))
}

/// Report the annual predikat per unit.
///
/// The annual predikat in force per unit (where each employee was when rated) and for the
/// whole agency.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(ReportQuery),
    responses((status = 200, description = "Predikat per unit and agency", body = PredikatReport), Unauthenticated, Forbidden, NotFound, Invalid)
)]
#[get("/reports/predikat")]
pub(super) async fn get_predikat_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<ReportQuery>,
) -> Result<web::Json<PredikatReport>, ApiError> {
    Ok(web::Json(reports::predikat(&caller, &state, query.into_inner()).await?))
}

/// Export a period's records in the national SKP shape.
///
/// The agency's performance records for a period in the national system's shape, streamed:
/// per employee the annual record (the predikat in force) and, for periodic evaluations, one
/// per rated sub-period with its start and end month. NDJSON (default) or CSV; memory stays
/// constant at any size. Periods under the default rule set only (the national codes are its).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(NationalQuery),
    responses(
        (status = 200, description = "One record per line (CSV: a header row first), or a workbook",
         content((NationalRecord = "application/x-ndjson"), (String = "text/csv"), (crate::bulk::export_writer::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        Unauthenticated, Forbidden, NotFound, Invalid,
    )
)]
#[get("/exports/national-skp")]
pub(super) async fn export_national_skp(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<NationalQuery>,
) -> Result<HttpResponse, ApiError> {
    let export = national_export::national_export(&caller, &state, query.into_inner()).await?;
    let NationalExport { conn, period, format, kinds } = export;
    let period_id = period.id;
    Ok(streamed(format, &format!("national-skp-{period_id}"), move |chunks| async move {
        national_export::stream_national(conn, period, format, kinds, chunks).await
    }))
}

/// Report every agency's participation, predikat and curve compliance.
///
/// National oversight (national auditors and super admins): for every agency's periods that
/// start in `year`, participation, the predikat in force, and how many units break the
/// distribution curve of their organisation predikat.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(OversightQuery),
    responses((status = 200, description = "Per agency", body = NationalReport), Unauthenticated, Forbidden, Invalid)
)]
#[get("/reports/agencies")]
pub(super) async fn get_national_report(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<OversightQuery>,
) -> Result<web::Json<NationalReport>, ApiError> {
    Ok(web::Json(reports::national(&caller, &state, query.into_inner()).await?))
}
