//! `POST /imports/{kind}`: the endpoint of bulk imports; the pipeline is `crate::bulk::import`.

use crate::bulk::file_kinds::ImportKind;
use crate::context::caller::Caller;
use crate::http::error::responses::{BadRequest, Forbidden, NotFound, Unauthenticated};
use crate::http::error::{ApiError, Problem};
use crate::http::extract::Query;
use crate::state::AppState;
use actix_web::{post, web, HttpRequest, HttpResponse};

use crate::bulk::import::{ImportOptions, ImportProblem, ImportReport};

/// Import a file of registry records or plan contents.
///
/// Import a file of registry records or of a period's plan contents. CSV with a header row
/// (`Content-Type: text/csv`), one JSON object per line (`application/x-ndjson`), or an Excel
/// workbook whose first sheet has a header row (xlsx, at most 32 MiB); columns per
/// kind: units `agency_code, code, name, parent_code`; positions `agency_code, code, name, kind,
/// level, unit_code`; employees `agency_code, nip, name, employment_type, grade, email,
/// unit_code, position_code, supervisor_nip`; competency-requirements `agency_code,
/// position_code, competency_code, required_level` (each position named gets exactly the file's
/// levels, as `PUT /positions/{id}/competency-requirements`). With `period_id`:
/// performance-results `nip, approach, result_kind, result, parent_result, perspective,
/// indicator, aspect, target_value, target_unit, target_text`, one indicator per line (each
/// employee named gets exactly the file's results, matched by description; a missing plan is
/// started as a draft; plans past draft are refused); realizations `nip, period_label, result,
/// indicator, value, text, evidence` (evidence: the API's JSON list) of approved plans, until
/// the evaluation is rated. Rows are keyed by natural key, so a re-run updates instead of
/// duplicating; references may point further down the same file. Any bad row → 422
/// `invalid_rows` listing every error and nothing written. `Idempotency-Key`: a retry replays the
/// first answer; the same key with another file is 422 `idempotency_key_reused`.
#[utoipa::path(
    tag = "imports",
    security(("bearer" = [])),
    params(
        ("kind" = ImportKind, Path, description = "What the file holds"),
        ImportOptions,
    ),
    request_body(
        content(
            (crate::bulk::import::RecordFile = "text/csv", example = "agency_code,code,name,parent_code\nPEMKAB-BATANGHARI,SETDA,Sekretariat Daerah,\nPEMKAB-BATANGHARI,DISDIK,Dinas Pendidikan,SETDA\n"),
            (crate::bulk::import::RecordFile = "application/x-ndjson", example = "{\"agency_code\":\"PEMKAB-BATANGHARI\",\"code\":\"SETDA\",\"name\":\"Sekretariat Daerah\"}\n{\"agency_code\":\"PEMKAB-BATANGHARI\",\"code\":\"DISDIK\",\"name\":\"Dinas Pendidikan\",\"parent_code\":\"SETDA\"}\n"),
            (crate::bulk::export_writer::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", example = "(an .xlsx workbook: its first sheet, the header row, then one record per row)"),
            (crate::bulk::import::RecordFile = "application/octet-stream", example = "(any of the three, its format named in `format`)"),
        ),
        description = "The file: a units file in these examples",
    ),
    responses(
        (status = 200, description = "Imported (or, with dry_run, checked)", body = ImportReport),
        (status = 413, description = "A workbook larger than 32 MiB (send CSV)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not CSV, NDJSON or a workbook", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rows that break a rule (`invalid_rows`, every error listed; nothing was written), a bad parameter, or an Idempotency-Key used for another file", body = ImportProblem, content_type = "application/problem+json"),
        BadRequest, Unauthenticated, Forbidden, NotFound,
    )
)]
#[post("/imports/{kind}")]
pub(super) async fn import_records(
    req: HttpRequest,
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<ImportKind>,
    query: Query<ImportOptions>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    crate::bulk::import::import_file(&state, &caller, path.into_inner(), query.into_inner(), &req, payload).await
}
