//! Bulk files: the kinds of record files an agency imports and exports with their columns, and
//! downloads streamed in constant memory.

use std::borrow::Cow;
use std::future::Future;

use actix_web::web::Bytes;
use actix_web::HttpResponse;
use kinerja_store::{bulk, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::error::ApiError;

/// What a file holds. Its columns are the names in [`ImportKind::columns`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ImportKind {
    Units,
    Positions,
    Employees,
    /// Positions' competency standards: the file sets each position it names whole.
    CompetencyRequirements,
    /// A period's work results (RHK) and indicators, one indicator per line: the file sets the
    /// results of each employee it names whole, creating their draft plan if they have none.
    PerformanceResults,
    /// Realisations of approved plans in a sub-period of the period (`period_label`).
    Realizations,
}

impl ImportKind {
    /// The columns of a file, in the order exports write them. `agency_code` may be left out by
    /// callers who belong to an agency (their own is meant).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Units => &["agency_code", "code", "name", "parent_code"],
            ImportKind::Positions => &["agency_code", "code", "name", "kind", "level", "unit_code"],
            ImportKind::Employees => &[
                "agency_code",
                "nip",
                "name",
                "employment_type",
                "grade",
                "email",
                "unit_code",
                "position_code",
                "supervisor_nip",
            ],
            ImportKind::CompetencyRequirements => {
                &["agency_code", "position_code", "competency_code", "required_level"]
            }
            ImportKind::PerformanceResults => &[
                "nip",
                "approach",
                "result_kind",
                "result",
                "parent_result",
                "perspective",
                "indicator",
                "aspect",
                "target_value",
                "target_unit",
                "target_text",
            ],
            ImportKind::Realizations => &["nip", "period_label", "result", "indicator", "value", "text", "evidence"],
        }
    }

    pub fn required(self) -> &'static [&'static str] {
        match self {
            ImportKind::Units => &["code", "name"],
            ImportKind::Positions => &["code", "name", "kind"],
            ImportKind::Employees => &["nip", "name", "employment_type"],
            ImportKind::CompetencyRequirements => &["position_code", "competency_code", "required_level"],
            ImportKind::PerformanceResults => &["nip", "result_kind", "result", "indicator", "aspect"],
            ImportKind::Realizations => &["nip", "period_label", "result", "indicator"],
        }
    }

    pub fn store(self) -> bulk::Kind {
        match self {
            ImportKind::Units => bulk::Kind::Units,
            ImportKind::Positions => bulk::Kind::Positions,
            ImportKind::Employees => bulk::Kind::Employees,
            ImportKind::CompetencyRequirements => bulk::Kind::Requirements,
            ImportKind::PerformanceResults => bulk::Kind::Results,
            ImportKind::Realizations => bulk::Kind::Realizations,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Units => "units",
            ImportKind::Positions => "positions",
            ImportKind::Employees => "employees",
            ImportKind::CompetencyRequirements => "competency-requirements",
            ImportKind::PerformanceResults => "performance-results",
            ImportKind::Realizations => "realizations",
        }
    }

    /// Kinds whose files belong to one period (`period_id`), in its agency.
    pub fn of_a_period(self) -> bool {
        matches!(self, ImportKind::PerformanceResults | ImportKind::Realizations)
    }

    /// The `period_id` of an import or export: required for the kinds of a period, refused for
    /// the others.
    pub fn period_param(self, period: Option<Uuid>) -> Result<Option<Uuid>, ApiError> {
        match (self.of_a_period(), period) {
            (true, None) => Err(ApiError::validation("period_id", "required", "name the period the file is for")),
            (false, Some(_)) => Err(ApiError::validation("period_id", "not_used", "only files of a period take one")),
            (_, period) => Ok(period),
        }
    }

    /// The field a parent link of this kind is named by, and the code of a loop.
    pub fn loop_field(self) -> (&'static str, &'static str, &'static str) {
        match self {
            ImportKind::Units => ("parent_code", "unit_cycle", "the chain of parent units comes back to this unit"),
            _ => ("supervisor_nip", "supervisor_cycle", "the chain of supervisors comes back to this employee"),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Ndjson,
    Csv,
    /// An Excel workbook (`.xlsx`): typed cells, the header row frozen.
    Xlsx,
}

/// Rows per query and per chunk sent: memory stays at one batch whatever the export's size.
pub const BATCH: i64 = 1000;

pub type Chunks = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// What makes a spreadsheet take a cell for a formula (OWASP, "CSV injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a text starts a formula behind any number of leading quotes: `=x`, `'=x`, `''=x`.
pub(crate) fn starts_formula(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A text cell a spreadsheet opens as text: one more leading `'` when it would start a formula
/// (behind any quotes it already has). [`unneutralised`] takes it off again, so our own export
/// imports back unchanged.
pub fn neutralised(text: &str) -> Cow<'_, str> {
    if starts_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text [`neutralised`] was given: a leading `'` before a formula start comes off.
pub fn unneutralised(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if starts_formula(rest) => rest,
        _ => text,
    }
}

/// RFC 4180: quoted when it holds a comma, a quote or a line break; neutralised first (text
/// only: numbers are written as numbers and never pass here).
pub fn csv_field(out: &mut String, value: &str) {
    let value = neutralised(value);
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&value);
    }
}

/// A streamed download named `{name}.csv`, `.ndjson` or `.xlsx`: `produce` sends chunks until it is
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
        ExportFormat::Xlsx => ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.{extension}\"")))
        .streaming(body)
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

    #[test]
    fn formulas_open_as_text_and_come_back_unchanged() {
        for (text, safe) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+62 812", "'+62 812"),
            ("-", "'-"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("'=x", "''=x"),
            ("''=x", "'''=x"),
            ("Rina Marlina", "Rina Marlina"),
            ("'a", "'a"),
            ("", ""),
        ] {
            assert_eq!(neutralised(text), safe, "{text:?}");
            assert_eq!(unneutralised(&neutralised(text)), text, "{text:?} round trip");
        }
        let mut out = String::new();
        csv_field(&mut out, "=1+1, \"x\"");
        assert_eq!(out, "\"'=1+1, \"\"x\"\"\"");
    }
}
