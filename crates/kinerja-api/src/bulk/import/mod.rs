//! Bulk import by curl: a CSV (header row) or NDJSON file of registry records or plan contents,
//! keyed by natural keys (agency code, unit and position code, NIP, competency code). Every row
//! passes the same checks as the single-record endpoints; a file with any bad row is refused
//! whole with every error, and a good file is written in one transaction, so a re-run updates
//! instead of duplicating. The body is streamed into PostgreSQL `COPY` on a blocking thread with
//! a connection of its own, never held whole in memory.

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use kinerja_domain::RegistryAction;
use kinerja_store::bulk;
use kinerja_store::idempotency_rows::{self, Claim};
use kinerja_store::plan_rows::PeriodRow;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::bulk::file_kinds::ImportKind;
use crate::context::caller::Caller;
use crate::context::idempotency::ClaimedKey;
use crate::http::error::ProblemCode;
use crate::http::error::{ApiError, FieldError, Problem};
use crate::state::AppState;

use body::{BodyReader, Piece};
use context::PlanContext;
use job::{run, Failure, Job};
use rows::{stage_row, Rows};

mod body;
mod context;
mod job;
mod rows;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Csv,
    Ndjson,
    /// An Excel workbook: its first sheet, a header row and then one record per row.
    Xlsx,
}

/// A CSV or NDJSON file may be this large (some two million employee rows); a workbook, read
/// whole, [`rows::WORKBOOK_LIMIT`]. A declared `Content-Length` past it is refused before reading.
const FILE_LIMIT: u64 = 256 * 1024 * 1024;

/// An import's statements may each run a minute, and a second more per megabyte of the file (as
/// declared, else as large as it may be): a file that checks slower than that is stopped.
fn time_limit(declared_bytes: Option<u64>, format: FileFormat) -> std::time::Duration {
    let bytes = declared_bytes.unwrap_or(format.limit());
    std::time::Duration::from_secs(60 + bytes / (1024 * 1024))
}

impl FileFormat {
    fn limit(self) -> u64 {
        match self {
            FileFormat::Xlsx => rows::WORKBOOK_LIMIT,
            FileFormat::Csv | FileFormat::Ndjson => FILE_LIMIT,
        }
    }

    /// The file's format: the `format` the request names, else its `Content-Type` (a generated
    /// client sends every file with one content type, so the parameter has the last word).
    fn of(req: &HttpRequest, named: Option<FileFormat>) -> Result<Self, ApiError> {
        let expected = "text/csv, application/x-ndjson, an xlsx workbook, or application/octet-stream with `format`";
        let value = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let declared = match essence.as_str() {
            "text/csv" => Some(FileFormat::Csv),
            "application/x-ndjson" | "application/jsonl" => Some(FileFormat::Ndjson),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(FileFormat::Xlsx),
            "application/octet-stream" => None,
            _ => return Err(ApiError::UnsupportedMediaType { expected }),
        };
        match named.or(declared) {
            Some(format) => Ok(format),
            None => Err(ApiError::validation(
                "format",
                "required",
                "a file sent as application/octet-stream names its format: csv, ndjson or xlsx",
            )),
        }
    }
}

/// A file of records, sent as it is: CSV, NDJSON or a workbook.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct RecordFile(#[allow(dead_code)] Vec<u8>);

/// How a file is imported (the query of `POST /imports/{kind}`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportOptions {
    /// Check everything and report what would happen, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The period a file of performance results is for (required for that kind only).
    pub period_id: Option<Uuid>,
    /// The file's format, when the `Content-Type` does not say it (`application/octet-stream`)
    /// or says another (a generated client sends every file as one type); it has the last word.
    #[param(inline)]
    pub format: Option<FileFormat>,
}

/// One problem of one line (line 1 is a CSV file's header row).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportError {
    #[schema(example = 7)]
    line: i64,
    #[schema(example = "supervisor_nip")]
    field: String,
    #[schema(example = "not_found")]
    code: String,
    #[schema(example = "nothing with '196601011990031001' in the agency")]
    message: String,
}

/// An import that adds or removes this many records refreshes the tables' statistics.
const REFRESH_STATISTICS_AFTER: i64 = 1000;

/// At most this many errors are listed; `error_count` has them all.
const LISTED_ERRORS: usize = 1000;

/// A listed error's field and message are at most this many characters, so a cell or column
/// name of a megabyte cannot make the answer a gigabyte.
const LISTED_TEXT: usize = 200;

/// `text`, cut to [`LISTED_TEXT`] characters (marked with `…`) when longer.
fn shortened(text: &str) -> String {
    match text.char_indices().nth(LISTED_TEXT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// What an import did, or (with `dry_run`) would do.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    kind: ImportKind,
    dry_run: bool,
    /// Rows in the file.
    total: i64,
    /// Records created.
    inserted: i64,
    /// Existing records the file matched by natural key (a re-run of a file: all of them).
    updated: i64,
    /// Of `updated`, those whose fields differed and were changed (a re-run: none).
    changed: i64,
    /// Records removed because the file sets a whole and leaves them out (results of a plan).
    deleted: i64,
    /// Rows refused; any refusal means nothing was written.
    rejected: i64,
    /// All errors found; `errors` lists the first 1000, by line.
    error_count: i64,
    errors: Vec<ImportError>,
}

/// A refused file: a problem document (`code` `invalid_rows`) with the report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RejectedImport {
    #[serde(rename = "type")]
    type_: String,
    title: String,
    status: u16,
    detail: String,
    #[schema(example = "invalid_rows")]
    code: String,
    #[serde(flatten)]
    report: ImportReport,
}

/// What a refused import answers with 422: the rows' report ([`RejectedImport`]), or a plain
/// problem for a bad parameter or a reused `Idempotency-Key`.
pub struct ImportProblem;

impl utoipa::PartialSchema for ImportProblem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::AnyOfBuilder;
        use utoipa::openapi::Ref;
        AnyOfBuilder::new()
            .item(Ref::from_schema_name("RejectedImport"))
            .item(Ref::from_schema_name("Problem"))
            .description(Some("The rows' report (`invalid_rows`), or a problem for a bad parameter or a reused key"))
            .into()
    }
}

impl ToSchema for ImportProblem {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        use utoipa::PartialSchema;
        schemas.push((RejectedImport::name().into(), RejectedImport::schema()));
        schemas.push((Problem::name().into(), Problem::schema()));
        <RejectedImport as ToSchema>::schemas(schemas);
    }
}

/// The agencies the caller may import into, by code, and the one meant when a row names none.
#[derive(Debug, Clone)]
struct ImportScope {
    by_code: HashMap<String, Uuid>,
    default: Option<Uuid>,
}

impl ImportScope {
    fn agency(&self, code: Option<&str>) -> Result<Uuid, FieldError> {
        match code {
            Some(code) => self.by_code.get(code).copied().ok_or_else(|| {
                FieldError::new("agency_code", "not_found", "no agency with that code that you may import into")
            }),
            None => self
                .default
                .ok_or_else(|| FieldError::new("agency_code", "required", "name the agency: you belong to none")),
        }
    }
}

/// The agencies the caller may import into; none → 403. A file of a period goes to the period's
/// agency, which the caller must be allowed to import into.
async fn import_scope(
    state: &AppState,
    caller: &Caller,
    kind: ImportKind,
    period: Option<Uuid>,
) -> Result<(ImportScope, Option<PeriodRow>), ApiError> {
    let mut conn = state.db.conn().await?;
    if let Some(period) = kind.period_param(period)? {
        // Another agency's period is not revealed; one's own agency's is refused as such.
        let period = kinerja_store::plan_rows::get_period(&mut conn, None, period).await?;
        let visible = |p: &PeriodRow| caller.actor.may_on_registry(RegistryAction::ReadStructure, p.agency_id);
        let Some(period) = period.filter(visible) else {
            return Err(ApiError::validation("period_id", "not_found", "no such period"));
        };
        if !caller.actor.may_on_registry(RegistryAction::Import, period.agency_id) {
            return Err(ApiError::Forbidden("you may not import into the period's agency"));
        }
        let agency = kinerja_store::org_rows::get_agency(&mut conn, period.agency_id).await?;
        let by_code = agency.into_iter().map(|a| (a.code, a.id)).collect();
        return Ok((ImportScope { by_code, default: Some(period.agency_id) }, Some(period)));
    }
    let agencies = bulk::agency_codes(&mut conn).await?;
    let by_code: HashMap<String, Uuid> =
        agencies.into_iter().filter(|(_, id)| caller.actor.may_on_registry(RegistryAction::Import, *id)).collect();
    if by_code.is_empty() {
        return Err(ApiError::Forbidden("you may not import into any agency"));
    }
    let default = caller.agency_id().filter(|a| by_code.values().any(|id| id == a));
    Ok((ImportScope { by_code, default }, None))
}

/// A valid `Idempotency-Key`, if given.
fn answer(status: StatusCode, body: &serde_json::Value, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if status.is_client_error() {
        response.content_type("application/problem+json");
    } else {
        response.content_type("application/json");
    }
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(body.to_string())
}

/// The answer to a finished import: 200 with the report, or 422 `invalid_rows` with it.
fn finished(report: ImportReport) -> Result<(StatusCode, serde_json::Value), ApiError> {
    if report.error_count == 0 {
        return Ok((StatusCode::OK, serde_json::to_value(report).map_err(ApiError::internal)?));
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let rejected = RejectedImport {
        type_: ProblemCode::InvalidRows.type_uri(),
        title: "Unprocessable Entity".into(),
        status: status.as_u16(),
        detail: format!(
            "{} of {} rows break a rule ({} errors); nothing was written",
            report.rejected, report.total, report.error_count
        ),
        code: ProblemCode::InvalidRows.as_str().into(),
        report,
    };
    Ok((status, serde_json::to_value(rejected).map_err(ApiError::internal)?))
}

/// Imports the file of `kind` that `payload` streams: answered from the key's first answer when
/// the `Idempotency-Key` was seen, else staged, checked and merged (or only checked, `dry_run`)
/// on a blocking thread with a connection of its own while the body arrives.
pub async fn import_file(
    state: &AppState,
    caller: &Caller,
    kind: ImportKind,
    options: ImportOptions,
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ImportOptions { dry_run, period_id, format } = options;
    let format = FileFormat::of(req, format)?;
    let too_large = ApiError::PayloadTooLarge { limit: usize::try_from(format.limit()).unwrap_or(usize::MAX) };
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|bytes| bytes > format.limit()) {
        return Err(too_large);
    }
    let (scope, period) = import_scope(state, caller, kind, period_id).await?;
    let period_id = period.as_ref().map(|p| p.id);
    let actor = caller.audit_actor();
    let key = crate::context::idempotency::key_in(req.headers())?.zip(actor.id);
    let mut fingerprint = Sha256::new();
    fingerprint.update(format!("POST /imports/{} dry_run={dry_run} period={period_id:?} {format:?}\n", kind.as_str()));

    // The key is this import's before it runs: a concurrent twin is told it is in use, and a
    // later retry is answered from the first one's answer (or runs again if that one failed).
    let claimed = match &key {
        Some((key, actor_id)) => {
            let mut conn = state.db.conn().await?;
            match idempotency_rows::claim(&mut conn, *actor_id, key, &[]).await? {
                Claim::Claimed => Some(ClaimedKey::new(state.db.clone(), *actor_id, key.clone())),
                Claim::Taken(first) if first.status == 0 => {
                    return Err(ApiError::Conflict {
                        code: ProblemCode::IdempotencyKeyInUse,
                        detail: "the first import with this Idempotency-Key is still running; retry shortly".into(),
                    })
                }
                Claim::Taken(first) => {
                    let mut received: u64 = 0;
                    while let Some(chunk) = payload.next().await {
                        let chunk = chunk.map_err(|e| ApiError::BadRequest {
                            code: ProblemCode::UploadFailed,
                            detail: e.to_string(),
                        })?;
                        received += chunk.len() as u64;
                        if received > format.limit() {
                            return Err(too_large);
                        }
                        fingerprint.update(chunk);
                    }
                    if fingerprint.finalize().as_slice() != first.fingerprint.as_slice() {
                        return Err(ApiError::Unprocessable {
                            code: ProblemCode::IdempotencyKeyReused,
                            detail: "this Idempotency-Key was used for another request".into(),
                        });
                    }
                    let status = StatusCode::from_u16(first.status as u16).map_err(ApiError::internal)?;
                    return Ok(answer(status, &first.answer, true));
                }
            }
        }
        None => None,
    };

    let slot = state.db.bulk_slot().await?;
    let (pieces, received) = tokio::sync::mpsc::channel(8);
    let time_limit = time_limit(declared, format);
    let job = Job { url: state.db.url().to_owned(), time_limit, kind, format, dry_run, scope, actor, key, period };
    let worker = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        run(job, BodyReader { pieces: received, current: Bytes::new(), fingerprint: None })
    });
    // Feed the body to the worker as it arrives; stop early if the worker has stopped reading,
    // or when the body passes the limit (a chunked upload declares no length).
    let mut received: u64 = 0;
    let mut over_limit = false;
    loop {
        let piece = match payload.next().await {
            Some(Ok(chunk)) => {
                received += chunk.len() as u64;
                over_limit = received > format.limit();
                if over_limit {
                    Piece::Failed("the file is larger than the limit".into())
                } else {
                    fingerprint.update(&chunk);
                    Piece::Data(chunk)
                }
            }
            Some(Err(e)) => Piece::Failed(format!("the upload failed: {e}")),
            None => Piece::End(std::mem::take(&mut fingerprint).finalize().to_vec()),
        };
        let last = !matches!(piece, Piece::Data(_));
        if pieces.send(piece).await.is_err() || last {
            break;
        }
    }
    drop(pieces);
    let outcome = worker.await.map_err(ApiError::internal)?;
    if let Some(claimed) = claimed {
        claimed.free().await;
    }
    match outcome {
        _ if over_limit => Err(too_large),
        Ok((status, body)) => Ok(answer(status, &body, false)),
        Err(Failure::Header(errors)) => Err(ApiError::Validation(errors)),
        Err(Failure::PeriodClosed) => Err(ApiError::Conflict {
            code: ProblemCode::PeriodClosed,
            detail: "the file's period is closed; an agency admin may reopen it".into(),
        }),
        Err(Failure::Upload(cause)) => Err(ApiError::BadRequest { code: ProblemCode::UploadFailed, detail: cause }),
        Err(Failure::TooLarge(limit)) => {
            Err(ApiError::PayloadTooLarge { limit: usize::try_from(limit).unwrap_or(usize::MAX) })
        }
        Err(Failure::TimedOut) => Err(ApiError::TimedOut {
            code: ProblemCode::ImportTimedOut,
            detail: format!(
                "checking the file took longer than its {} s (a minute and a second per megabyte); nothing was \
                 written — try again when the server is less busy, or in smaller files",
                time_limit.as_secs()
            ),
        }),
        Err(Failure::Store(e)) => Err(e.into()),
        // `run` turns a roll-back into its report; none reaches here.
        Err(Failure::RolledBack(_)) => Err(ApiError::internal("an import's roll-back escaped its job")),
    }
}
