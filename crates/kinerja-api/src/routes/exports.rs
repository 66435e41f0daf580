//! Exports streamed in constant memory: batches read by key from one read-only snapshot and sent
//! as they are written, as CSV or NDJSON. The registry kinds come out in the columns of their
//! import files, so an export imports back unchanged.

use actix_web::{get, web, HttpResponse};
use kinerja_domain::RegistryAction;
use kinerja_store::{bulk, AsyncPgConnection, DbConn, StoreError};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::bulk::export_writer::ExportWriter;
use crate::bulk::file_kinds::{streamed, Chunks, ExportFormat, ImportKind, BATCH};
use crate::context::access::authorize;
use crate::context::caller::Caller;
use crate::http::error::responses::{Forbidden, Invalid, NotFound, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    agency_id: Uuid,
    /// The period, for performance results (and for them only).
    period_id: Option<Uuid>,
    /// `csv` (default, as the import takes it), `ndjson` or `xlsx`.
    #[param(inline)]
    format: Option<ExportFormat>,
}

/// What an export reads: an agency's registry records of one kind, or a period's annual ratings.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// Records of a kind in an agency, or for a kind of a period, in the period.
    Registry {
        kind: ImportKind,
        owner: Uuid,
    },
    Ratings {
        agency: Uuid,
        period: Uuid,
    },
}

const RATING_COLUMNS: &[&str] = &[
    "nip",
    "name",
    "unit_code",
    "result_rating",
    "behaviour_rating",
    "rated_predikat",
    "predikat",
    "rater_nip",
    "rated_at",
];

impl Source {
    fn columns(self) -> &'static [&'static str] {
        match self {
            Source::Registry { kind, .. } => kind.columns(),
            Source::Ratings { .. } => RATING_COLUMNS,
        }
    }

    async fn batch(self, tx: &mut AsyncPgConnection, after: Uuid) -> Result<Vec<bulk::ExportRow>, StoreError> {
        match self {
            Source::Registry { kind, owner } => bulk::export_batch(tx, kind.store(), owner, after, BATCH).await,
            Source::Ratings { agency, period } => bulk::ratings_batch(tx, agency, period, after, BATCH).await,
        }
    }
}

/// Sends the source's records batch by batch, from one snapshot.
async fn stream_records(
    mut conn: DbConn,
    source: Source,
    format: ExportFormat,
    sheet_name: String,
    chunks: Chunks,
) -> Result<(), StoreError> {
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |tx| {
            let Some(mut writer) = ExportWriter::start(format, &sheet_name, source.columns(), chunks).await? else {
                return Ok(());
            };
            let mut after = Uuid::nil();
            loop {
                let rows = source.batch(tx, after).await?;
                // Until an empty batch: a batch of some sources is cut by record, not by line.
                let Some(last) = rows.last().map(|r| r.id) else { break };
                let records: Vec<serde_json::Value> = rows.into_iter().map(|r| r.record).collect();
                if !writer.write(&records).await? {
                    return Ok(());
                }
                after = last;
            }
            writer.finish().await
        })
        .await
}

/// Export units, positions or employees as an import file.
///
/// An agency's units, positions or employees as an import file of the same kind (CSV with a
/// header row, or NDJSON), references by natural key, or as an Excel workbook; streamed in
/// bounded memory at any size.
/// Employees need the right to read the agency's people; units and positions its structure.
#[utoipa::path(
    tag = "imports",
    security(("bearer" = [])),
    params(("kind" = ImportKind, Path, description = "What to export"), ExportQuery),
    responses(
        (status = 200, description = "One record per line (CSV: a header row first), or a workbook",
         content((String = "text/csv"), (String = "application/x-ndjson"), (crate::bulk::export_writer::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        Unauthenticated, Forbidden, NotFound, Invalid,
    )
)]
#[get("/exports/{kind}")]
pub(super) async fn export_records(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<ImportKind>,
    query: Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let kind = path.into_inner();
    let needed = match kind {
        ImportKind::Employees | ImportKind::PerformanceResults | ImportKind::Realizations => RegistryAction::ReadPeople,
        ImportKind::Units | ImportKind::Positions | ImportKind::CompetencyRequirements => RegistryAction::ReadStructure,
    };
    let mut conn = state.read_conn(caller.reads_from).await?;
    let agency =
        kinerja_store::org_rows::get_agency(&mut conn, query.agency_id).await?.ok_or(ApiError::NotFound("agency"))?;
    authorize(&caller, needed, agency.id, "agency")?;
    let owner = match kind.period_param(query.period_id)? {
        Some(period) => {
            let period = kinerja_store::plan_rows::get_period(&mut conn, None, period).await?;
            period.filter(|p| p.agency_id == agency.id).ok_or(ApiError::NotFound("period"))?.id
        }
        None => agency.id,
    };
    let format = query.format.unwrap_or(ExportFormat::Csv);
    let name = format!("{}-{}", kind.as_str(), agency.code);
    let source = Source::Registry { kind, owner };
    let sheet = kind.as_str().to_owned();
    Ok(streamed(format, &name, move |chunks| async move { stream_records(conn, source, format, sheet, chunks).await }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatingsQuery {
    agency_id: Uuid,
    period_id: Uuid,
    /// `csv` (default), `ndjson` or `xlsx`.
    #[param(inline)]
    format: Option<ExportFormat>,
}

/// Export a period's annual ratings.
///
/// A period's annual ratings: per rated employee (NIP, name, unit when rated) the result and
/// behaviour ratings, the predikat the rater gave, the predikat in force after any calibration,
/// the rater's NIP and when; streamed in constant memory at any size.
#[utoipa::path(
    tag = "imports",
    security(("bearer" = [])),
    params(RatingsQuery),
    responses(
        (status = 200, description = "One rating per line (CSV: a header row first), or a workbook",
         content((String = "text/csv"), (String = "application/x-ndjson"), (crate::bulk::export_writer::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        Unauthenticated, Forbidden, NotFound, Invalid,
    )
)]
#[get("/exports/ratings")]
pub(super) async fn export_ratings(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<RatingsQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.read_conn(caller.reads_from).await?;
    let period = kinerja_store::plan_rows::get_period(&mut conn, None, query.period_id).await?;
    let period = period.filter(|p| p.agency_id == query.agency_id).ok_or(ApiError::NotFound("period"))?;
    authorize(&caller, RegistryAction::ReadPeople, period.agency_id, "period")?;
    let format = query.format.unwrap_or(ExportFormat::Csv);
    let source = Source::Ratings { agency: period.agency_id, period: period.id };
    let name = format!("ratings-{}", period.id);
    let sheet = "ratings".to_owned();
    Ok(streamed(format, &name, move |chunks| async move { stream_records(conn, source, format, sheet, chunks).await }))
}
