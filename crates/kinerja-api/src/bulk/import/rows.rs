//! Rows of a file, CSV, NDJSON or a workbook, each checked with the single-record endpoints'
//! rules.

use crate::bulk::file_kinds::unneutralised;
use crate::bulk::file_kinds::ImportKind;
use crate::http::checks::{check_code_and_name, check_employee_fields, check_position_level, level_error};
use crate::http::error::FieldError;

use kinerja_domain::civil_service::{EmploymentType, FunctionalLevel, PositionKind};
use kinerja_store::bulk::{StagedEmployee, StagedPosition, StagedRequirement, StagedRow};

use std::io::BufRead;
use uuid::Uuid;

use super::{shortened, BodyReader, Failure, FileFormat, ImportScope, PlanContext, LISTED_ERRORS};

// ---- rows ----

/// One row of the file, its values in the order of [`ImportKind::columns`] (trimmed; empty is
/// absent).
pub(super) struct RawRow {
    pub(super) line: i64,
    pub(super) values: Result<Vec<Option<String>>, Vec<FieldError>>,
}

pub(super) enum Rows {
    Csv {
        reader: csv::Reader<BodyReader>,
        positions: Vec<Option<usize>>,
        width: usize,
    },
    Ndjson {
        reader: std::io::BufReader<BodyReader>,
        line: i64,
        buf: Vec<u8>,
    },
    /// A workbook is read whole (zipped, it has no row order on the wire): its rows, read.
    Xlsx {
        rows: std::vec::IntoIter<RawRow>,
        fingerprint: Option<Vec<u8>>,
    },
}

/// The largest workbook an import reads (it is read whole); larger files go as CSV.
pub(super) const WORKBOOK_LIMIT: u64 = 32 * 1024 * 1024;

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
                let positions = header_positions(kind, &names)?;
                Ok(Rows::Csv { reader, positions, width: names.len() })
            }
            FileFormat::Xlsx => {
                let (rows, fingerprint) = workbook_rows(kind, body)?;
                Ok(Rows::Xlsx { rows: rows.into_iter(), fingerprint })
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
            Rows::Xlsx { rows, .. } => Ok(rows.next()),
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

/// Where each of the kind's columns is in a header row; unknown columns or missing required ones
/// are refused at once (line 1), since no row could be read right. The missing ones come first,
/// and at most [`LISTED_ERRORS`] are listed (the last says how many more), each name shortened.
fn header_positions(kind: ImportKind, names: &[String]) -> Result<Vec<Option<usize>>, Failure> {
    let missing = kind
        .required()
        .iter()
        .filter(|r| !names.iter().any(|n| n == *r))
        .map(|r| FieldError::new(*r, "required", "the header row lacks this column"));
    let unknown = names
        .iter()
        .filter(|n| !kind.columns().contains(&n.as_str()))
        .map(|n| FieldError::new(shortened(n), "unknown_field", "not a column of this kind of file"));
    let mut errors: Vec<FieldError> = missing.chain(unknown).collect();
    if errors.is_empty() {
        return Ok(kind.columns().iter().map(|c| names.iter().position(|n| n == c)).collect());
    }
    if errors.len() > LISTED_ERRORS {
        let more = errors.len() - (LISTED_ERRORS - 1);
        errors.truncate(LISTED_ERRORS - 1);
        errors.push(FieldError::new("header", "too_many_errors", format!("{more} more columns are refused")));
    }
    Err(Failure::Header(errors))
}

/// The rows of a workbook's first sheet (line 1 its header row). Cells are read as a CSV
/// import reads text: a number as its digits (`3`, not `3.0`), a date-time as RFC 3339, a
/// quote-prefixed text as its text.
/// Also the body's fingerprint (for `Idempotency-Key`).
fn workbook_rows(kind: ImportKind, body: BodyReader) -> Result<(Vec<RawRow>, Option<Vec<u8>>), Failure> {
    use calamine::{Data, Reader};
    use std::io::Read;
    let mut bytes = Vec::new();
    let mut limited = body.take(WORKBOOK_LIMIT + 1);
    limited.read_to_end(&mut bytes).map_err(|e| Failure::Upload(e.to_string()))?;
    if bytes.len() as u64 > WORKBOOK_LIMIT {
        return Err(Failure::TooLarge(WORKBOOK_LIMIT));
    }
    let fingerprint = limited.into_inner().fingerprint;
    let unreadable = |e: String| Failure::Header(vec![FieldError::new("file", "malformed_xlsx", e)]);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| unreadable(e.to_string()))?;
    let sheet = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("the workbook has no sheet".into()))?
        .map_err(|e| unreadable(e.to_string()))?;
    // Rows are numbered as the spreadsheet shows them, from its first used row.
    let first_line = sheet.start().map_or(1, |(row, _)| i64::from(row) + 1);
    let mut lines = sheet.rows().zip(first_line..);
    let Some((header, _)) = lines.next() else {
        return Err(Failure::Header(vec![FieldError::new("header", "required", "the sheet is empty")]));
    };
    let mut names: Vec<String> = header.iter().map(|c| c.to_string().trim().to_ascii_lowercase()).collect();
    // A sheet's used range may run past its last titled column (a cell formatted, then cleared).
    while names.last().is_some_and(String::is_empty) {
        names.pop();
    }
    let positions = header_positions(kind, &names)?;
    let cell_text = |cell: &Data| -> Result<Option<String>, String> {
        Ok(match cell {
            Data::Empty => None,
            Data::String(text) => cleaned(text),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{f:.0}")),
            Data::Float(f) => Some(f.to_string()),
            Data::Int(i) => Some(i.to_string()),
            Data::Bool(b) => Some(b.to_string()),
            Data::DateTime(at) => at.as_datetime().map(|t| t.and_utc().to_rfc3339()),
            Data::DateTimeIso(text) | Data::DurationIso(text) => cleaned(text),
            Data::Error(e) => return Err(format!("the cell holds an error ({e:?})")),
        })
    };
    let mut rows = Vec::new();
    for (cells, line) in lines {
        if cells.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let mut errors = Vec::new();
        if cells.iter().skip(names.len()).any(|c| !matches!(c, Data::Empty)) {
            errors.push(FieldError::new(
                "row",
                "untitled_column",
                "a value stands in a column the header row does not name",
            ));
        }
        let values = positions
            .iter()
            .zip(kind.columns())
            .map(|(position, column)| {
                let cell = position.and_then(|i| cells.get(i)).unwrap_or(&Data::Empty);
                cell_text(cell).unwrap_or_else(|e| {
                    errors.push(FieldError::new(*column, "invalid_value", e));
                    None
                })
            })
            .collect();
        rows.push(RawRow { line, values: if errors.is_empty() { Ok(values) } else { Err(errors) } });
    }
    Ok((rows, fingerprint))
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
