//! Bulk import by curl: a CSV (header row) or NDJSON file of registry records or plan contents,
//! keyed by natural keys (agency code, unit and position code, NIP, competency code). Every row
//! passes the same checks as the single-record endpoints; a file with any bad row is refused
//! whole with every error, and a good file is written in one transaction, so a re-run updates
//! instead of duplicating. The body is streamed into PostgreSQL `COPY` on a blocking thread with
//! a connection of its own, never held whole in memory.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read, Write};

use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::{nodes_on_cycles, EmploymentType, FunctionalLevel, PositionKind};
use kinerja_domain::rule_sets::Aspect;
use kinerja_domain::skp::{Approach, Perspective, ResultKind};
use kinerja_domain::workflow::Cadence;
use kinerja_domain::workflow::PlanStatus;
use kinerja_domain::RegistryAction;
use kinerja_store::audit::NewAuditEvent;
use kinerja_store::bulk::{
    self, BulkActor, LineProblem, StagedEmployee, StagedPosition, StagedRealization, StagedRequirement, StagedResult,
    StagedRow, SyncConnection, SyncPgConnection,
};
use kinerja_store::plans::{ExpectationRow, PeriodRow, PlanRow};
use kinerja_store::{idempotency, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::checks::{check_code_and_name, check_employee_fields, check_position_level, level_error, Evidence};
use crate::error::responses::{BadRequest, Forbidden, NotFound, Unauthenticated};
use crate::error::{ApiError, FieldError, Problem};
use crate::files::ImportKind;
use crate::plan_contents::{self, IndicatorInput, RealizationInput, ResultInput};
use crate::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Ndjson,
}

impl FileFormat {
    fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        let expected = "text/csv or application/x-ndjson";
        let value = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Ok(FileFormat::Csv),
            "application/x-ndjson" | "application/jsonl" => Ok(FileFormat::Ndjson),
            _ => Err(ApiError::UnsupportedMediaType { expected }),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check everything and report what would happen, writing nothing.
    #[serde(default)]
    dry_run: bool,
    /// The period a file of performance results is for (required for that kind only).
    period_id: Option<Uuid>,
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

/// What rows of performance results are checked against: the employees of the period's agency
/// with their current plan, and what the file has said so far of each employee's plan.
struct PlanContext {
    period: Uuid,
    agency: Uuid,
    /// The period's sub-period labels (`2026-Q1`, …), by its cadence.
    labels: Vec<String>,
    facts: HashMap<String, bulk::PlanFacts>,
    /// Each employee's plan approach in the file, and the line that first gave it.
    approaches: HashMap<Uuid, (Approach, i64)>,
}

impl PlanContext {
    fn load(conn: &mut SyncPgConnection, period: &PeriodRow) -> Result<Self, Failure> {
        let facts =
            bulk::plan_facts(conn, period.agency_id, period.id)?.into_iter().map(|f| (f.nip.clone(), f)).collect();
        let labels =
            Cadence::parse(&period.cadence).unwrap_or(Cadence::Annual).labels(period.starts_on, period.ends_on);
        Ok(PlanContext { period: period.id, agency: period.agency_id, labels, facts, approaches: HashMap::new() })
    }

    /// The employee a line names by NIP, or why none.
    fn employee<'a>(
        facts: &'a HashMap<String, bulk::PlanFacts>,
        value: &dyn Fn(&str) -> Option<String>,
    ) -> Result<&'a bulk::PlanFacts, Vec<FieldError>> {
        let nip = value("nip");
        nip.as_ref().and_then(|nip| facts.get(nip)).ok_or_else(|| match nip {
            Some(_) => vec![FieldError::new("nip", "not_found", "no employee with that NIP in the period's agency")],
            None => Vec::new(),
        })
    }

    /// One line of realisations: the single endpoint's checks ([`plan_contents::realization_errors`]),
    /// of the employee's current plan, which must be approved.
    fn stage_realization(
        &self,
        line: i64,
        value: &dyn Fn(&str) -> Option<String>,
    ) -> Result<StagedRow, Vec<FieldError>> {
        let facts = Self::employee(&self.facts, value)?;
        let mut errors = Vec::new();
        if !facts.plan_status.as_deref().and_then(PlanStatus::parse).is_some_and(PlanStatus::is_evaluated) {
            let status = facts.plan_status.as_deref().unwrap_or("not started");
            let message = format!("{}; the employee's plan is {status}", plan_contents::ONLY_APPROVED);
            errors.push(FieldError::new("nip", "invalid_transition", message));
        }
        if let Some(label) = value("period_label").filter(|l| !self.labels.contains(l)) {
            let message = format!("'{label}' is not one of {}", self.labels.join(", "));
            errors.push(FieldError::new("period_label", "invalid_period_label", message));
        }
        let number = value("value").map(|v| v.parse::<f64>());
        if matches!(number, Some(Err(_))) {
            errors.push(FieldError::new("value", "invalid_value", "must be a number"));
        }
        let evidence = match value("evidence").map(|e| serde_json::from_str::<Vec<Evidence>>(&e)) {
            None => Vec::new(),
            Some(Ok(list)) => list,
            Some(Err(e)) => {
                let message = format!("a JSON list of {{url, sha256, description}}: {e}");
                errors.push(FieldError::new("evidence", "invalid_value", message));
                Vec::new()
            }
        };
        let input = RealizationInput {
            indicator_id: Uuid::nil(),
            value: number.and_then(Result::ok),
            text: value("text"),
            evidence,
        };
        errors.extend(plan_contents::realization_errors("", &input));
        let (Some(plan_id), true) = (facts.plan_id, errors.is_empty()) else { return Err(errors) };
        Ok(StagedRow::Realization(StagedRealization {
            line,
            id: Uuid::now_v7(),
            evaluation_id: Uuid::now_v7(),
            agency_id: self.agency,
            plan_id,
            period_label: value("period_label").unwrap_or_default(),
            result: value("result").unwrap_or_default(),
            indicator: value("indicator").unwrap_or_default(),
            value: input.value,
            text: input.text,
            evidence: serde_json::to_string(&input.evidence).unwrap_or_else(|_| "[]".into()),
        }))
    }

    /// One line of a results file: the single-record endpoint's own checks of a result
    /// ([`plan_contents::result_errors`]), against the employee's plan or the one the import would start.
    fn stage(&mut self, line: i64, value: &dyn Fn(&str) -> Option<String>) -> Result<StagedRow, Vec<FieldError>> {
        let mut errors = Vec::new();
        let invalid = |field: &str, message: &str| FieldError::new(field, "invalid_value", message);
        let facts = Self::employee(&self.facts, value)?;
        let given = value("approach").map(|a| Approach::parse(&a));
        if given == Some(None) {
            errors.push(invalid("approach", "kuantitatif or kualitatif"));
        }
        let current = facts.plan_approach.as_deref().and_then(Approach::parse);
        if let Some(status) = facts.plan_status.as_deref() {
            if !PlanStatus::parse(status).is_some_and(PlanStatus::is_editable) {
                let message =
                    format!("the employee's plan is {status}; results are edited in a draft (start a new revision)");
                errors.push(FieldError::new("nip", "invalid_transition", message));
            }
        }
        if let (Some(current), Some(Some(given))) = (current, given) {
            if current != given {
                let message = format!("the employee's plan is {}", current.as_str());
                errors.push(FieldError::new("approach", "approach_mismatch", message));
            }
        }
        let approach = current.or(given.flatten()).unwrap_or(Approach::Kuantitatif);
        let (first, first_line) = *self.approaches.entry(facts.employee_id).or_insert((approach, line));
        if first != approach {
            let message = format!("the employee's plan is {} on line {first_line}", first.as_str());
            errors.push(FieldError::new("approach", "inconsistent_plan", message));
        }
        let kind = value("result_kind").map(|k| ResultKind::parse(&k));
        if kind == Some(None) {
            errors.push(invalid("result_kind", "utama or tambahan"));
        }
        let perspective = value("perspective").map(|p| Perspective::parse(&p));
        if perspective == Some(None) {
            errors.push(invalid("perspective", "penerima_layanan, proses_bisnis, penguatan_internal or anggaran"));
        }
        let aspect = value("aspect").map(|a| Aspect::parse(&a));
        if aspect == Some(None) {
            errors.push(invalid("aspect", "kuantitas, kualitas, waktu or biaya"));
        }
        let target_value = value("target_value").map(|v| v.parse::<f64>());
        if matches!(target_value, Some(Err(_))) {
            errors.push(invalid("target_value", "must be a number"));
        }
        let mut input = ResultInput {
            kind: kind.flatten().unwrap_or(ResultKind::Utama),
            description: value("result").unwrap_or_default(),
            parent_result_id: None,
            perspective: perspective.flatten(),
            indicators: vec![IndicatorInput {
                description: value("indicator").unwrap_or_default(),
                aspect: aspect.flatten().unwrap_or(Aspect::Kuantitas),
                target_value: target_value.and_then(Result::ok),
                target_unit: value("target_unit"),
                target_text: value("target_text"),
            }],
        };
        let jpt = facts.position_kind.as_deref().and_then(PositionKind::parse).is_some_and(PositionKind::is_jpt);
        for mut error in plan_contents::result_errors(approach == Approach::Kuantitatif, jpt, &input) {
            // The endpoint's fields, named as the file's columns.
            error.field = match error.field.as_str() {
                "description" => "result".into(),
                "indicators[0].description" => "indicator".into(),
                other => other.trim_start_matches("indicators[0].").into(),
            };
            errors.push(error);
        }
        let Some(indicator) = input.indicators.pop().filter(|_| errors.is_empty()) else { return Err(errors) };
        Ok(StagedRow::Result(StagedResult {
            line,
            id: Uuid::now_v7(),
            agency_id: self.agency,
            employee_id: facts.employee_id,
            plan_id: facts.plan_id,
            result_kind: input.kind.as_str().to_owned(),
            result: input.description.trim().to_owned(),
            parent_result: value("parent_result"),
            perspective: input.perspective.map(|p| p.as_str().to_owned()),
            indicator_id: Uuid::now_v7(),
            indicator: indicator.description.trim().to_owned(),
            aspect: indicator.aspect.as_str().to_owned(),
            target_value: indicator.target_value,
            target_unit: indicator.target_unit,
            target_text: indicator.target_text,
        }))
    }

    /// The draft plans the import starts for employees who have none in the period, rated by
    /// their supervisor as `POST /performance-plans` does.
    fn new_plans(&self, actor: &crate::audit::AuditActor) -> (Vec<PlanRow>, Vec<ExpectationRow>, Vec<NewAuditEvent>) {
        let mut plans_made = Vec::new();
        let mut expectations = Vec::new();
        let mut events = Vec::new();
        for facts in self.facts.values().filter(|f| f.plan_id.is_none()) {
            let Some((approach, _)) = self.approaches.get(&facts.employee_id) else { continue };
            let plan = plan_contents::draft_plan(
                self.agency,
                facts.employee_id,
                self.period,
                *approach,
                facts.supervisor_id,
                facts.supervisor_supervisor_id,
            );
            expectations.extend(plan_contents::default_expectations(plan.id));
            events.push(plan_contents::created_event(actor, &plan));
            plans_made.push(plan);
        }
        (plans_made, expectations, events)
    }
}

// ---- the body, from the request to the blocking thread ----

enum Piece {
    Data(Bytes),
    /// The whole body arrived; its fingerprint.
    End(Vec<u8>),
    Failed(String),
}

/// Reads the body as it arrives; an upload that breaks off is an error, never a short file.
struct BodyReader {
    pieces: tokio::sync::mpsc::Receiver<Piece>,
    current: Bytes,
    fingerprint: Option<Vec<u8>>,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if !self.current.is_empty() {
                let n = buf.len().min(self.current.len());
                buf[..n].copy_from_slice(&self.current.split_to(n));
                return Ok(n);
            }
            if self.fingerprint.is_some() {
                return Ok(0);
            }
            match self.pieces.blocking_recv() {
                Some(Piece::Data(bytes)) => self.current = bytes,
                Some(Piece::End(fingerprint)) => self.fingerprint = Some(fingerprint),
                Some(Piece::Failed(cause)) => return Err(std::io::Error::other(cause)),
                None => return Err(std::io::Error::other("the upload was interrupted")),
            }
        }
    }
}

// ---- rows ----

/// One row of the file, its values in the order of [`ImportKind::columns`] (trimmed; empty is
/// absent).
struct RawRow {
    line: i64,
    values: Result<Vec<Option<String>>, Vec<FieldError>>,
}

enum Rows {
    Csv { reader: csv::Reader<BodyReader>, positions: Vec<Option<usize>>, width: usize },
    Ndjson { reader: std::io::BufReader<BodyReader>, line: i64, buf: Vec<u8> },
}

fn cleaned(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Values that the database cannot hold are refused like any bad field.
fn check_text(columns: &[&str], values: &[Option<String>]) -> Vec<FieldError> {
    columns
        .iter()
        .zip(values)
        .filter(|(_, v)| v.as_deref().is_some_and(|v| v.contains('\0')))
        .map(|(c, _)| FieldError::new(*c, "invalid_text", "must not contain NUL characters"))
        .collect()
}

impl Rows {
    /// Opens the file; a CSV header naming unknown columns or missing required ones is refused
    /// at once (line 1), since no row could be read right.
    fn open(kind: ImportKind, format: FileFormat, body: BodyReader) -> Result<Rows, Failure> {
        match format {
            FileFormat::Ndjson => Ok(Rows::Ndjson { reader: std::io::BufReader::new(body), line: 0, buf: Vec::new() }),
            FileFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(body);
                let header = reader.headers().map_err(csv_failure)?.clone();
                let names: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
                let mut errors: Vec<FieldError> = names
                    .iter()
                    .filter(|n| !kind.columns().contains(&n.as_str()))
                    .map(|n| FieldError::new(n.clone(), "unknown_field", "not a column of this kind of file"))
                    .collect();
                errors.extend(
                    kind.required()
                        .iter()
                        .filter(|r| !names.iter().any(|n| n == *r))
                        .map(|r| FieldError::new(*r, "required", "the header row lacks this column")),
                );
                if !errors.is_empty() {
                    return Err(Failure::Header(errors));
                }
                let positions = kind.columns().iter().map(|c| names.iter().position(|n| n == c)).collect();
                Ok(Rows::Csv { reader, positions, width: names.len() })
            }
        }
    }

    fn next(&mut self, kind: ImportKind) -> Result<Option<RawRow>, Failure> {
        match self {
            Rows::Csv { reader, positions, width } => {
                let mut record = csv::StringRecord::new();
                match reader.read_record(&mut record) {
                    Ok(false) => Ok(None),
                    Ok(true) => {
                        let line = record.position().map_or(0, |p| p.line() as i64);
                        if record.len() != *width {
                            let message = format!("{} fields where the header has {width}", record.len());
                            return Ok(Some(RawRow {
                                line,
                                values: Err(vec![FieldError::new("row", "wrong_field_count", message)]),
                            }));
                        }
                        let values =
                            positions.iter().map(|p| p.and_then(|i| record.get(i)).and_then(cleaned)).collect();
                        Ok(Some(RawRow { line, values: Ok(values) }))
                    }
                    Err(e) => match e.kind() {
                        csv::ErrorKind::Utf8 { pos, .. } => Ok(Some(RawRow {
                            line: pos.as_ref().map_or(0, |p| p.line() as i64),
                            values: Err(vec![FieldError::new("row", "invalid_encoding", "the row is not valid UTF-8")]),
                        })),
                        _ => Err(csv_failure(e)),
                    },
                }
            }
            Rows::Ndjson { reader, line, buf } => loop {
                buf.clear();
                if reader.read_until(b'\n', buf).map_err(|e| Failure::Upload(e.to_string()))? == 0 {
                    return Ok(None);
                }
                *line += 1;
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Ok(Some(RawRow { line: *line, values: ndjson_values(kind, buf) }));
            },
        }
    }
}

fn csv_failure(e: csv::Error) -> Failure {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Failure::Upload(io.to_string()),
        other => Failure::Header(vec![FieldError::new("header", "malformed_csv", format!("{other:?}"))]),
    }
}

/// One NDJSON line: an object whose keys are the columns; strings, numbers or null.
fn ndjson_values(kind: ImportKind, line: &[u8]) -> Result<Vec<Option<String>>, Vec<FieldError>> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(line)
        .map_err(|e| vec![FieldError::new("row", "malformed_json", format!("not a JSON object: {e}"))])?;
    let mut errors: Vec<FieldError> = object
        .keys()
        .filter(|k| !kind.columns().contains(&k.as_str()))
        .map(|k| FieldError::new(k.clone(), "unknown_field", "not a column of this kind of file"))
        .collect();
    let mut values = Vec::with_capacity(kind.columns().len());
    for column in kind.columns() {
        values.push(match object.get(*column) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => cleaned(s),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            // Evidence is a list, as the API takes it.
            Some(list @ serde_json::Value::Array(_)) if *column == "evidence" => Some(list.to_string()),
            Some(_) => {
                errors.push(FieldError::new(*column, "invalid_value", "must be a string, a number or null"));
                None
            }
        });
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// The required fields a row leaves empty.
fn missing(kind: ImportKind, value: &dyn Fn(&str) -> Option<String>) -> Vec<FieldError> {
    kind.required()
        .iter()
        .filter(|r| value(r).is_none())
        .map(|r| FieldError::new(*r, "required", "this field is required"))
        .collect()
}

/// Checks one row with the single-record endpoints' rules and resolves its agency.
fn stage_row(
    kind: ImportKind,
    line: i64,
    values: &[Option<String>],
    scope: &ImportScope,
    plan_context: Option<&mut PlanContext>,
) -> Result<StagedRow, Vec<FieldError>> {
    let value = |column: &str| kind.columns().iter().position(|c| *c == column).and_then(|i| values[i].clone());
    let mut errors = check_text(kind.columns(), values);
    errors.extend(missing(kind, &value));
    let agency_id = scope.agency(value("agency_code").as_deref()).map_err(|e| errors.push(e)).ok();
    let (id, audit_id) = (Uuid::now_v7(), Uuid::now_v7());
    let row = match kind {
        ImportKind::Units => {
            errors.extend(check_code_and_name(value("code").as_deref(), value("name").as_deref()));
            errors.extend(check_code_and_name(value("parent_code").as_deref(), None).into_iter().map(|mut e| {
                e.field = "parent_code".into();
                e
            }));
            StagedRow::Unit {
                line,
                id,
                audit_id,
                agency_id: agency_id.unwrap_or_default(),
                code: value("code").unwrap_or_default(),
                name: value("name").unwrap_or_default(),
                parent_code: value("parent_code"),
            }
        }
        ImportKind::Positions => {
            errors.extend(check_code_and_name(value("code").as_deref(), value("name").as_deref()));
            let kind_code = value("kind").unwrap_or_default();
            // Unknown codes are reported; the kind-and-level rule is checked once both are known.
            let level = value("level").map(|code| FunctionalLevel::parse(&code));
            if level == Some(None) {
                errors.push(FieldError::new("level", "invalid_value", "not a functional level"));
            }
            match PositionKind::parse(&kind_code) {
                Some(kind) if level != Some(None) => errors.extend(check_position_level(kind, level.flatten())),
                None if !kind_code.is_empty() => {
                    errors.push(FieldError::new("kind", "invalid_value", "not a position kind"))
                }
                _ => {}
            }
            StagedRow::Position(StagedPosition {
                line,
                id,
                audit_id,
                agency_id: agency_id.unwrap_or_default(),
                code: value("code").unwrap_or_default(),
                name: value("name").unwrap_or_default(),
                kind: kind_code,
                level: value("level"),
                unit_code: value("unit_code"),
            })
        }
        ImportKind::Employees => {
            let nip = value("nip").unwrap_or_default();
            let name = value("name").unwrap_or_default();
            let employment_code = value("employment_type").unwrap_or_default();
            match EmploymentType::parse(&employment_code) {
                Some(employment) => errors.extend(check_employee_fields(
                    &nip,
                    employment,
                    value("grade").as_deref(),
                    &name,
                    value("email").as_deref(),
                )),
                None if !employment_code.is_empty() => {
                    errors.push(FieldError::new("employment_type", "invalid_value", "pns or pppk"))
                }
                None => {}
            }
            StagedRow::Employee(StagedEmployee {
                line,
                id,
                audit_id,
                agency_id: agency_id.unwrap_or_default(),
                nip,
                name,
                employment_type: employment_code,
                grade: value("grade"),
                email: value("email"),
                unit_code: value("unit_code"),
                position_code: value("position_code"),
                supervisor_nip: value("supervisor_nip"),
            })
        }
        ImportKind::CompetencyRequirements => {
            let level = value("required_level").map(|l| l.parse::<u8>().unwrap_or(0));
            if let Some(error) = level.and_then(|l| level_error("required_level", l)) {
                errors.push(error);
            }
            StagedRow::Requirement(StagedRequirement {
                line,
                audit_id,
                agency_id: agency_id.unwrap_or_default(),
                position_code: value("position_code").unwrap_or_default(),
                competency_code: value("competency_code").unwrap_or_default(),
                required_level: level.unwrap_or_default(),
            })
        }
        ImportKind::PerformanceResults | ImportKind::Realizations => {
            let Some(context) = plan_context else {
                return Err(vec![FieldError::new("period_id", "required", "name the period the file is for")]);
            };
            let staged = match kind {
                ImportKind::Realizations => context.stage_realization(line, &value),
                _ => context.stage(line, &value),
            };
            match staged {
                Ok(row) => row,
                Err(more) => {
                    errors.extend(more);
                    errors.dedup();
                    return Err(errors);
                }
            }
        }
    };
    if errors.is_empty() {
        Ok(row)
    } else {
        errors.dedup();
        Err(errors)
    }
}

// ---- the import job, on a blocking thread ----

/// Why an import stopped short of a report.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// The header row cannot be read (unknown or missing columns, broken CSV).
    #[error("the header row is not usable")]
    Header(Vec<FieldError>),
    #[error("{0}")]
    Upload(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Nothing wrong: the transaction is rolled back (a dry run or a refused file) with this report.
    #[error("rolled back")]
    RolledBack(Box<ImportReport>),
}

impl From<kinerja_store::DieselError> for Failure {
    fn from(e: kinerja_store::DieselError) -> Self {
        Failure::Store(e.into())
    }
}

/// Every error found, the first [`LISTED_ERRORS`] kept, and the lines refused.
#[derive(Default)]
struct Errors {
    listed: Vec<ImportError>,
    count: i64,
    lines: HashSet<i64>,
}

impl Errors {
    fn add(&mut self, line: i64, field: String, code: String, message: String) {
        self.count += 1;
        self.lines.insert(line);
        if self.listed.len() < LISTED_ERRORS {
            self.listed.push(ImportError { line, field, code, message });
        }
    }

    fn add_fields(&mut self, line: i64, errors: Vec<FieldError>) {
        for e in errors {
            self.add(line, e.field, e.code, e.message);
        }
    }

    fn report(mut self, kind: ImportKind, dry_run: bool, total: i64, merged: bulk::Merged) -> ImportReport {
        self.listed.sort_by(|a, b| (a.line, &a.field).cmp(&(b.line, &b.field)));
        ImportReport {
            kind,
            dry_run,
            total,
            inserted: merged.inserted,
            updated: merged.updated,
            changed: merged.changed,
            deleted: merged.deleted,
            rejected: self.lines.len() as i64,
            error_count: self.count,
            errors: self.listed,
        }
    }
}

struct Job {
    url: String,
    kind: ImportKind,
    format: FileFormat,
    dry_run: bool,
    scope: ImportScope,
    actor: crate::audit::AuditActor,
    /// The `Idempotency-Key` and its owner, to remember the answer under.
    key: Option<(String, Uuid)>,
    /// The period of a file that belongs to one.
    period: Option<PeriodRow>,
}

/// Stages the file, checks it whole, and merges it unless it is refused or a dry run; answers
/// with the report, remembered under the job's `Idempotency-Key`.
fn run(job: Job, body: BodyReader) -> Result<(StatusCode, serde_json::Value), Failure> {
    let mut conn = bulk::connect(&job.url)?;
    let rows = RefCell::new(Rows::open(job.kind, job.format, body)?);
    let errors = RefCell::new(Errors::default());
    let total = std::cell::Cell::new(0i64);
    let started = std::time::Instant::now();
    let mut phases: Vec<(&str, std::time::Duration)> = Vec::new();
    let mut phase = |name: &'static str| phases.push((name, started.elapsed()));
    let outcome = conn.transaction::<ImportReport, Failure, _>(|conn| {
        let store_kind = job.kind.store();
        let period = job.period.as_ref().map(|p| p.id);
        let plan_context = match &job.period {
            Some(period) if job.kind.of_a_period() => Some(RefCell::new(PlanContext::load(conn, period)?)),
            _ => None,
        };
        bulk::create_staging(conn, store_kind)?;
        // Why reading stopped, kept aside: the aborted COPY's own error would hide it.
        let stopped: RefCell<Option<String>> = RefCell::new(None);
        let copied = bulk::copy_staged(conn, store_kind, &|out: &mut dyn Write| -> Result<(), Failure> {
            let mut rows = rows.borrow_mut();
            let mut errors = errors.borrow_mut();
            let mut buf = Vec::with_capacity(64 * 1024);
            let mut stop = |failure: Failure| {
                *stopped.borrow_mut() = Some(failure.to_string());
                failure
            };
            while let Some(raw) = rows.next(job.kind).map_err(&mut stop)? {
                total.set(total.get() + 1);
                let mut context = plan_context.as_ref().map(RefCell::borrow_mut);
                let staged = raw
                    .values
                    .and_then(|values| stage_row(job.kind, raw.line, &values, &job.scope, context.as_deref_mut()));
                match staged {
                    Ok(row) => row.write_copy_line(&mut buf),
                    Err(field_errors) => errors.add_fields(raw.line, field_errors),
                }
                if buf.len() >= 60 * 1024 {
                    out.write_all(&buf).map_err(|e| stop(Failure::Upload(e.to_string())))?;
                    buf.clear();
                }
            }
            out.write_all(&buf).map_err(|e| stop(Failure::Upload(e.to_string())))
        });
        if let Some(cause) = stopped.take() {
            return Err(Failure::Upload(cause));
        }
        copied?;
        phase("staged");
        let mut errors = std::mem::take(&mut *errors.borrow_mut());
        for LineProblem { line, field, code, message } in bulk::check(conn, store_kind, period)? {
            errors.add(line, field, code, message);
        }
        phase("checked");
        bulk::lock_hierarchies(conn, store_kind)?;
        let links = bulk::parent_links(conn, store_kind)?;
        let parents: HashMap<&str, &str> = links.iter().map(|l| (l.node.as_str(), l.parent.as_str())).collect();
        let looped = nodes_on_cycles(&parents);
        let (field, code, message) = job.kind.loop_field();
        for link in links.iter().filter(|l| looped.contains(l.node.as_str())) {
            if let Some(line) = link.line {
                errors.add(line, field.into(), code.into(), message.into());
            }
        }
        phase("loops");
        if errors.count > 0 {
            return Err(Failure::RolledBack(Box::new(errors.report(
                job.kind,
                job.dry_run,
                total.get(),
                Default::default(),
            ))));
        }
        let bulk_actor =
            BulkActor { kind: job.actor.kind.as_str(), id: job.actor.id, request_id: job.actor.request_id.clone() };
        if let Some(context) = plan_context.as_ref().filter(|_| job.kind == ImportKind::PerformanceResults) {
            let (plans_made, expectations, events) = context.borrow().new_plans(&job.actor);
            bulk::insert_plans(conn, &plans_made, &expectations, events)?;
            phase("plans");
        }
        let merged = bulk::merge(conn, store_kind, &bulk_actor, period)?;
        phase("merged");
        let report = errors.report(job.kind, job.dry_run, total.get(), merged);
        if job.dry_run {
            return Err(Failure::RolledBack(Box::new(report)));
        }
        let summary = serde_json::json!({
            "kind": job.kind, "period_id": period, "total": report.total, "inserted": report.inserted,
            "updated": report.updated, "changed": report.changed, "deleted": report.deleted,
        });
        bulk::record_event(
            conn,
            job.actor.raw(AuditEntity::Import, None, job.kind.as_str(), job.scope.default, summary),
        )?;
        Ok(report)
    });
    phase("committed");
    tracing::info!(kind = job.kind.as_str(), rows = total.get(), phases = ?phases, "import finished");
    let report = match outcome {
        Ok(report) if report.inserted + report.deleted >= REFRESH_STATISTICS_AFTER => {
            bulk::refresh_statistics(&mut conn, job.kind.store())?;
            report
        }
        Ok(report) => report,
        Err(Failure::RolledBack(report)) => *report,
        Err(other) => return Err(other),
    };
    let (status, answer) = finished(report).map_err(|e| Failure::Upload(e.to_string()))?;
    if let Some((key, owner)) = &job.key {
        let fingerprint = rows.into_inner().fingerprint().unwrap_or_default();
        idempotency::remember(&mut conn, *owner, key, &fingerprint, status.as_u16() as i16, &answer)?;
    }
    Ok((status, answer))
}

impl Rows {
    fn fingerprint(self) -> Option<Vec<u8>> {
        match self {
            Rows::Csv { reader, .. } => reader.into_inner().fingerprint,
            Rows::Ndjson { reader, .. } => reader.into_inner().fingerprint,
        }
    }
}

// ---- the endpoint ----

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
        let period = kinerja_store::plans::get_period(&mut conn, period).await?;
        let visible = |p: &PeriodRow| caller.actor.may_on_registry(RegistryAction::ReadStructure, p.agency_id);
        let Some(period) = period.filter(visible) else {
            return Err(ApiError::validation("period_id", "not_found", "no such period"));
        };
        if !caller.actor.may_on_registry(RegistryAction::Import, period.agency_id) {
            return Err(ApiError::Forbidden("you may not import into the period's agency"));
        }
        let agency = kinerja_store::org::get_agency(&mut conn, period.agency_id).await?;
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
        type_: "about:blank".into(),
        title: "Unprocessable Entity".into(),
        status: status.as_u16(),
        detail: format!(
            "{} of {} rows break a rule ({} errors); nothing was written",
            report.rejected, report.total, report.error_count
        ),
        code: "invalid_rows".into(),
        report,
    };
    Ok((status, serde_json::to_value(rejected).map_err(ApiError::internal)?))
}

/// Import a file of registry records or plan contents.
///
/// Import a file of registry records or of a period's plan contents. CSV with a header row
/// (`Content-Type: text/csv`) or one JSON object per line (`application/x-ndjson`); columns per
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
        ImportQuery,
    ),
    request_body(
        content(
            (String = "text/csv", example = "agency_code,code,name,parent_code\nPEMKAB-BATANGHARI,SETDA,Sekretariat Daerah,\nPEMKAB-BATANGHARI,DISDIK,Dinas Pendidikan,SETDA\n"),
            (String = "application/x-ndjson", example = "{\"agency_code\":\"PEMKAB-BATANGHARI\",\"code\":\"SETDA\",\"name\":\"Sekretariat Daerah\"}\n{\"agency_code\":\"PEMKAB-BATANGHARI\",\"code\":\"DISDIK\",\"name\":\"Dinas Pendidikan\",\"parent_code\":\"SETDA\"}\n"),
        ),
        description = "The file: a units file in these examples",
    ),
    responses(
        (status = 200, description = "Imported (or, with dry_run, checked)", body = ImportReport),
        (status = 415, description = "Neither CSV nor NDJSON", body = Problem, content_type = "application/problem+json"),
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
    query: web::Query<ImportQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let kind = path.into_inner();
    let dry_run = query.dry_run;
    let format = FileFormat::of(&req)?;
    let (scope, period) = import_scope(&state, &caller, kind, query.period_id).await?;
    let period_id = period.as_ref().map(|p| p.id);
    let actor = caller.audit_actor();
    let key = crate::idempotency::key_in(req.headers())?.zip(actor.id);
    let mut fingerprint = Sha256::new();
    fingerprint.update(format!("POST /imports/{} dry_run={dry_run} period={period_id:?} {format:?}\n", kind.as_str()));

    if let Some((key, actor_id)) = &key {
        let mut conn = state.db.conn().await?;
        let remembered = idempotency::find(&mut conn, *actor_id, key).await?;
        drop(conn);
        if let Some(remembered) = remembered {
            while let Some(chunk) = payload.next().await {
                fingerprint
                    .update(chunk.map_err(|e| ApiError::BadRequest { code: "upload_failed", detail: e.to_string() })?);
            }
            if fingerprint.finalize().as_slice() != remembered.fingerprint.as_slice() {
                return Err(ApiError::Unprocessable {
                    code: "idempotency_key_reused",
                    detail: "this Idempotency-Key was used for another request".into(),
                });
            }
            let status = StatusCode::from_u16(remembered.status as u16).map_err(ApiError::internal)?;
            return Ok(answer(status, &remembered.answer, true));
        }
    }

    let slot = state.db.bulk_slot().await?;
    let (pieces, received) = tokio::sync::mpsc::channel(8);
    let job = Job { url: state.db.url().to_owned(), kind, format, dry_run, scope, actor, key, period };
    let worker = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        run(job, BodyReader { pieces: received, current: Bytes::new(), fingerprint: None })
    });
    // Feed the body to the worker as it arrives; stop early if the worker has stopped reading.
    loop {
        let piece = match payload.next().await {
            Some(Ok(chunk)) => {
                fingerprint.update(&chunk);
                Piece::Data(chunk)
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
    match worker.await.map_err(ApiError::internal)? {
        Ok((status, body)) => Ok(answer(status, &body, false)),
        Err(Failure::Header(errors)) => Err(ApiError::Validation(errors)),
        Err(Failure::Upload(cause)) => Err(ApiError::BadRequest { code: "upload_failed", detail: cause }),
        Err(Failure::Store(e)) => Err(e.into()),
        // `run` turns a roll-back into its report; none reaches here.
        Err(Failure::RolledBack(_)) => Err(ApiError::internal("an import's roll-back escaped its job")),
    }
}
