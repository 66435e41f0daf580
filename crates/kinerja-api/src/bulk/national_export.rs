//! The national SKP export (docs/rules.md, "The national system's codes"): a period's records in
//! the national system's shape and codes, streamed as NDJSON, CSV or a workbook in constant
//! memory.

use kinerja_domain::rule_sets::{Predikat, Rating, RuleSet};
use kinerja_domain::workflow::Cadence;
use kinerja_store::appraisal_rows::{self, NationalRecordRow};
use kinerja_store::coded::Coded;
use kinerja_store::plan_rows::PeriodRow;
use kinerja_store::{DbConn, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::bulk::export_writer::ExportWriter;
use crate::bulk::file_kinds::{Chunks, ExportFormat, BATCH};
use crate::context::caller::Caller;
use crate::http::error::ApiError;
use crate::http::error::ProblemCode;
use crate::services::reports::readable_period;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecordKinds {
    All,
    Annual,
    Periodic,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NationalQuery {
    agency_id: Uuid,
    period_id: Uuid,
    /// `ndjson` (default), `csv` or `xlsx`.
    #[param(inline)]
    format: Option<ExportFormat>,
    /// `all` (default): the annual records, then the periodic ones.
    #[param(inline)]
    records: Option<RecordKinds>,
}

/// One performance record in the national system's shape: ratings 1 = di atas, 2 = sesuai,
/// 3 = di bawah; predikat (quadrant) 1 = sangat baik … 5 = sangat kurang.
#[derive(Debug, Serialize, ToSchema)]
pub struct NationalRecord {
    /// `annual` or `periodic`.
    record: &'static str,
    #[schema(example = "2026-Q1")]
    period_label: String,
    year: i32,
    start_month: u32,
    end_month: u32,
    nip: String,
    name: String,
    grade: Option<String>,
    position: Option<String>,
    unit: Option<String>,
    result_rating: Option<u8>,
    behaviour_rating: Option<u8>,
    predikat: Option<u8>,
    /// The predikat's code, for people reading the file.
    predikat_code: Option<Predikat>,
    rater_nip: Option<String>,
    rater_name: Option<String>,
    rater_grade: Option<String>,
    rater_position: Option<String>,
    rater_unit: Option<String>,
}

/// The national record's columns, in the order files write them.
const NATIONAL_COLUMNS: &[&str] = &[
    "record",
    "period_label",
    "year",
    "start_month",
    "end_month",
    "nip",
    "name",
    "grade",
    "position",
    "unit",
    "result_rating",
    "behaviour_rating",
    "predikat",
    "predikat_code",
    "rater_nip",
    "rater_name",
    "rater_grade",
    "rater_position",
    "rater_unit",
];

fn national_record(row: NationalRecordRow) -> NationalRecord {
    use chrono::Datelike;
    let annual = row.label == "annual";
    let (year, start_month, end_month) = if annual {
        (row.ends_on.year(), row.starts_on.month(), row.ends_on.month())
    } else {
        Cadence::months_of(&row.label).unwrap_or((row.ends_on.year(), 1, 12))
    };
    let rating = |code: Option<Coded<Rating>>| code.map(|r| r.0.national_code());
    NationalRecord {
        record: if annual { "annual" } else { "periodic" },
        period_label: if annual { year.to_string() } else { row.label },
        year,
        start_month,
        end_month,
        nip: row.nip,
        name: row.name,
        grade: row.grade,
        position: row.position,
        unit: row.unit,
        result_rating: rating(row.result_rating),
        behaviour_rating: rating(row.behaviour_rating),
        predikat: row.predikat.and_then(|p| p.0.national_code()),
        predikat_code: row.predikat.map(|p| p.0),
        rater_nip: row.rater_nip,
        rater_name: row.rater_name,
        rater_grade: row.rater_grade,
        rater_position: row.rater_position,
        rater_unit: row.rater_unit,
    }
}

/// What the national SKP export streams: the period (the agency's, rated by PermenPANRB 6/2022),
/// in which format, which records, and the connection it reads on.
pub struct NationalExport {
    pub conn: DbConn,
    pub period: PeriodRow,
    pub format: ExportFormat,
    pub kinds: RecordKinds,
}

/// Checks a national export's query and takes its connection before anything is answered, so
/// an unavailable database is a 503, not a cut stream.
pub async fn national_export(
    caller: &Caller,
    state: &AppState,
    query: NationalQuery,
) -> Result<NationalExport, ApiError> {
    let period = readable_period(state, caller, query.period_id).await?;
    if period.agency_id != query.agency_id {
        return Err(ApiError::NotFound("period"));
    }
    if Some(period.rule_set.0) != Some(RuleSet::PermenPanRb6_2022) {
        return Err(ApiError::Unprocessable {
            code: ProblemCode::NotExportable,
            detail: format!("the national codes are those of permenpanrb-6-2022; this period uses {}", period.rule_set),
        });
    }
    let format = query.format.unwrap_or(ExportFormat::Ndjson);
    let kinds = query.records.unwrap_or(RecordKinds::All);
    let conn = state.read_conn(caller.reads_from).await?;
    Ok(NationalExport { conn, period, format, kinds })
}

/// Reads the export batch by batch in one read-only snapshot and sends each as a chunk; stops
/// quietly when the client goes away.
pub async fn stream_national(
    mut conn: DbConn,
    period: PeriodRow,
    format: ExportFormat,
    kinds: RecordKinds,
    chunks: Chunks,
) -> Result<(), StoreError> {
    let (agency, period_id) = (period.agency_id, period.id);
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |tx| {
            let Some(mut writer) = ExportWriter::start(format, "national-skp", NATIONAL_COLUMNS, chunks).await? else {
                return Ok(());
            };
            for periodic in [false, true] {
                let wanted = match kinds {
                    RecordKinds::All => true,
                    RecordKinds::Annual => !periodic,
                    RecordKinds::Periodic => periodic,
                };
                if !wanted {
                    continue;
                }
                let mut after = Uuid::nil();
                loop {
                    let rows = if periodic {
                        appraisal_rows::national_periodic_batch(tx, agency, period_id, after, BATCH).await?
                    } else {
                        appraisal_rows::national_annual_batch(tx, agency, period_id, after, BATCH).await?
                    };
                    let Some(last) = rows.last().map(|r| r.id) else { break };
                    let full = rows.len() as i64 == BATCH;
                    let records: Vec<serde_json::Value> = rows
                        .into_iter()
                        .map(|row| serde_json::to_value(national_record(row)).unwrap_or_default())
                        .collect();
                    if !writer.write(&records).await? {
                        return Ok(());
                    }
                    if !full {
                        break;
                    }
                    after = last;
                }
            }
            writer.finish().await
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns name every field of the record, in its order: nothing is left out of a
    /// CSV or a workbook.
    #[test]
    fn the_columns_are_the_records_fields() {
        let record = NationalRecord {
            record: "annual",
            period_label: "2026".into(),
            year: 2026,
            start_month: 1,
            end_month: 12,
            nip: "199001012015031001".into(),
            name: "Budi".into(),
            grade: None,
            position: None,
            unit: None,
            result_rating: None,
            behaviour_rating: None,
            predikat: None,
            predikat_code: None,
            rater_nip: None,
            rater_name: None,
            rater_grade: None,
            rater_position: None,
            rater_unit: None,
        };
        let value = serde_json::to_value(&record).unwrap_or_default();
        let fields: Vec<&str> = value.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        let mut columns = NATIONAL_COLUMNS.to_vec();
        columns.sort_unstable();
        let mut sorted = fields.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, columns);
    }
}
