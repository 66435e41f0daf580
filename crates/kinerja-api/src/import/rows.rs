//! Rows of a file, CSV or NDJSON, each checked with the single-record endpoints' rules.

use crate::checks::{check_code_and_name, check_employee_fields, check_position_level, level_error};
use crate::error::FieldError;
use crate::files::unneutralised;
use crate::files::ImportKind;

use kinerja_domain::civil_service::{EmploymentType, FunctionalLevel, PositionKind};
use kinerja_store::bulk::{StagedEmployee, StagedPosition, StagedRequirement, StagedRow};

use std::io::BufRead;
use uuid::Uuid;

use super::{BodyReader, Failure, FileFormat, ImportScope, PlanContext};

// ---- rows ----

/// One row of the file, its values in the order of [`ImportKind::columns`] (trimmed; empty is
/// absent).
pub(super) struct RawRow {
    pub(super) line: i64,
    pub(super) values: Result<Vec<Option<String>>, Vec<FieldError>>,
}

pub(super) enum Rows {
    Csv { reader: csv::Reader<BodyReader>, positions: Vec<Option<usize>>, width: usize },
    Ndjson { reader: std::io::BufReader<BodyReader>, line: i64, buf: Vec<u8> },
}

pub(super) fn cleaned(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Values that the database cannot hold are refused like any bad field.
pub(super) fn check_text(columns: &[&str], values: &[Option<String>]) -> Vec<FieldError> {
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
    pub(super) fn open(kind: ImportKind, format: FileFormat, body: BodyReader) -> Result<Rows, Failure> {
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

    pub(super) fn next(&mut self, kind: ImportKind) -> Result<Option<RawRow>, Failure> {
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
                            // A cell our CSV export neutralised for spreadsheets comes back as it was.
                            positions
                                .iter()
                                .map(|p| p.and_then(|i| record.get(i)).map(unneutralised).and_then(cleaned))
                                .collect();
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

pub(super) fn csv_failure(e: csv::Error) -> Failure {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Failure::Upload(io.to_string()),
        other => Failure::Header(vec![FieldError::new("header", "malformed_csv", format!("{other:?}"))]),
    }
}

/// One NDJSON line: an object whose keys are the columns; strings, numbers or null.
pub(super) fn ndjson_values(kind: ImportKind, line: &[u8]) -> Result<Vec<Option<String>>, Vec<FieldError>> {
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
pub(super) fn missing(kind: ImportKind, value: &dyn Fn(&str) -> Option<String>) -> Vec<FieldError> {
    kind.required()
        .iter()
        .filter(|r| value(r).is_none())
        .map(|r| FieldError::new(*r, "required", "this field is required"))
        .collect()
}

/// Checks one row with the single-record endpoints' rules and resolves its agency.
pub(super) fn stage_row(
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
            // A missing or unknown kind or level is already among the errors.
            let Some(kind) = PositionKind::parse(&kind_code) else { return Err(errors) };
            let Some(level) = level.map_or(Some(None), |parsed| parsed.map(Some)) else { return Err(errors) };
            StagedRow::Position(StagedPosition {
                line,
                id,
                audit_id,
                agency_id: agency_id.unwrap_or_default(),
                code: value("code").unwrap_or_default(),
                name: value("name").unwrap_or_default(),
                kind,
                level,
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
            // A missing or unknown employment type is already among the errors.
            let Some(employment_type) = EmploymentType::parse(&employment_code) else { return Err(errors) };
            StagedRow::Employee(StagedEmployee {
                line,
                id,
                audit_id,
                agency_id: agency_id.unwrap_or_default(),
                nip,
                name,
                employment_type,
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
