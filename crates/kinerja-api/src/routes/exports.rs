//! Exports streamed in constant memory: batches read by key from one read-only snapshot and sent
//! as they are written, as CSV or NDJSON. The registry kinds come out in the columns of their
//! import files, so an export imports back unchanged.

use std::future::Future;

use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use kinerja_domain::RegistryAction;
use kinerja_store::{bulk, DbConn, StoreError};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::responses::{Forbidden, Invalid, NotFound, Unauthenticated};
use crate::error::ApiError;
use crate::routes::authorize;
use crate::routes::imports::ImportKind;
use crate::AppState;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

/// Rows per query and per chunk sent: memory stays at one batch whatever the export's size.
pub const BATCH: i64 = 1000;

pub type Chunks = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// RFC 4180: quoted when it holds a comma, a quote or a line break.
pub fn csv_field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// A streamed download named `{name}.csv` or `{name}.ndjson`: `produce` sends chunks until it is
/// done or the client goes away; a failure mid-stream is logged and cuts the body short, so a
/// client never takes a partial file for a whole one.
pub fn streamed<F, Fut>(format: ExportFormat, name: &str, produce: F) -> HttpResponse
where
    F: FnOnce(Chunks) -> Fut + 'static,
    Fut: Future<Output = Result<(), StoreError>> + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    let label = name.to_owned();
    actix_web::rt::spawn(async move {
        let failed = sender.clone();
        if let Err(e) = produce(sender).await {
            tracing::error!(cause = %e, export = %label, "export failed mid-stream");
            let _ = failed.send(Err(std::io::Error::other("the export failed; try again"))).await;
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
    let (content_type, extension) = match format {
        ExportFormat::Ndjson => ("application/x-ndjson", "ndjson"),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.{extension}\"")))
        .streaming(body)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    agency_id: Uuid,
    /// `csv` (default, as the import takes it) or `ndjson`.
    format: Option<ExportFormat>,
}

/// Sends an agency's records of one kind, batch by batch, from one snapshot.
async fn stream_records(
    mut conn: DbConn,
    kind: ImportKind,
    agency: Uuid,
    format: ExportFormat,
    chunks: Chunks,
) -> Result<(), StoreError> {
    let columns = kind.columns();
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |tx| {
            if format == ExportFormat::Csv {
                let header = format!("{}\n", columns.join(","));
                if chunks.send(Ok(Bytes::from(header))).await.is_err() {
                    return Ok(());
                }
            }
            let mut after = Uuid::nil();
            loop {
                let rows = bulk::export_batch(tx, kind.store(), agency, after, BATCH).await?;
                let Some(last) = rows.last().map(|r| r.id) else { break };
                let full = rows.len() as i64 == BATCH;
                let mut out = String::with_capacity(rows.len() * 200);
                for row in rows {
                    match format {
                        ExportFormat::Csv => {
                            for (i, column) in columns.iter().enumerate() {
                                if i > 0 {
                                    out.push(',');
                                }
                                csv_field(&mut out, row.record.get(*column).and_then(|v| v.as_str()).unwrap_or(""));
                            }
                        }
                        ExportFormat::Ndjson => out.push_str(&row.record.to_string()),
                    }
                    out.push('\n');
                }
                if chunks.send(Ok(Bytes::from(out))).await.is_err() || !full {
                    break;
                }
                after = last;
            }
            Ok::<(), StoreError>(())
        })
        .await
}

/// An agency's units, positions or employees as an import file of the same kind (CSV with a
/// header row, or NDJSON), references by natural key; streamed in constant memory at any size.
/// Employees need the right to read the agency's people; units and positions its structure.
#[utoipa::path(
    tag = "imports",
    security(("bearer" = [])),
    params(("kind" = ImportKind, Path), ExportQuery),
    responses(
        (status = 200, description = "One record per line (CSV: a header row first)",
         content((String = "text/csv"), (Object = "application/x-ndjson"))),
        Unauthenticated, Forbidden, NotFound, Invalid,
    )
)]
#[get("/exports/{kind}")]
pub(super) async fn export(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<ImportKind>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let kind = path.into_inner();
    let needed = match kind {
        ImportKind::Employees => RegistryAction::ReadPeople,
        ImportKind::Units | ImportKind::Positions => RegistryAction::ReadStructure,
    };
    let mut conn = state.db.conn().await?;
    let agency =
        kinerja_store::org::get_agency(&mut conn, query.agency_id).await?.ok_or(ApiError::NotFound("agency"))?;
    authorize(&caller, needed, agency.id, "agency")?;
    let format = query.format.unwrap_or(ExportFormat::Csv);
    let name = format!("{}-{}", kind.as_str(), agency.code);
    Ok(streamed(
        format,
        &name,
        move |chunks| async move { stream_records(conn, kind, agency.id, format, chunks).await },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut out = String::new();
        csv_field(&mut out, "Dinas Pendidikan");
        out.push(',');
        csv_field(&mut out, "Kepala Seksi \"Kurikulum\", SD");
        assert_eq!(out, "Dinas Pendidikan,\"Kepala Seksi \"\"Kurikulum\"\", SD\"");
    }
}
