//! Writing exported records — JSON objects keyed by column — as CSV, NDJSON or an Excel workbook,
//! batch by batch, in bounded memory.
//!
//! A workbook is a real one: one sheet, the header row bold and frozen, numbers as numbers, times
//! as Excel date-times, everything else typed text. Its rows go to a temporary file as they are
//! written (the writer's constant-memory mode), and the finished file is zipped straight into
//! the response. A text that would start a formula is marked quote-prefixed (Excel's own "this is
//! text"), so it opens and stays text while its value is the one exported — nothing to take off
//! on the way back. CSV neutralises with a leading `'` ([`crate::bulk::file_kinds::neutralised`]).

use std::io::Write;

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use kinerja_store::StoreError;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::Value;

use crate::bulk::file_kinds::{csv_field, starts_formula, Chunks, ExportFormat};

/// An Excel workbook (`.xlsx`).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct XlsxFile(#[allow(dead_code)] Vec<u8>);

/// Columns holding a moment (RFC 3339 in CSV and NDJSON, a date-time cell in a workbook, UTC).
const DATE_TIME_COLUMNS: &[&str] = &["rated_at"];

/// The most rows a worksheet holds (Excel's limit), header included.
const SHEET_ROWS: u32 = 1_048_576;

pub struct ExportWriter {
    columns: &'static [&'static str],
    chunks: Chunks,
    sheet: Option<Box<Sheet>>,
    ndjson: bool,
}

struct Sheet {
    workbook: Workbook,
    next_row: u32,
    quoted: Format,
    date_time: Format,
}

fn xlsx_error(e: XlsxError) -> StoreError {
    StoreError::Other(format!("writing the workbook: {e}"))
}

impl ExportWriter {
    /// Starts the file (a CSV header line, a workbook's header row). `None`: the client left.
    pub async fn start(
        format: ExportFormat,
        sheet_name: &str,
        columns: &'static [&'static str],
        chunks: Chunks,
    ) -> Result<Option<ExportWriter>, StoreError> {
        let mut writer = ExportWriter { columns, chunks, sheet: None, ndjson: format == ExportFormat::Ndjson };
        match format {
            ExportFormat::Ndjson => {}
            ExportFormat::Csv => {
                let header = format!("{}\n", columns.join(","));
                if writer.chunks.send(Ok(Bytes::from(header))).await.is_err() {
                    return Ok(None);
                }
            }
            ExportFormat::Xlsx => writer.sheet = Some(Box::new(Sheet::new(sheet_name, columns).map_err(xlsx_error)?)),
        }
        Ok(Some(writer))
    }

    /// Writes a batch. `false`: the client left, stop.
    pub async fn write(&mut self, records: &[Value]) -> Result<bool, StoreError> {
        if let Some(sheet) = &mut self.sheet {
            for record in records {
                sheet.row(self.columns, record)?;
            }
            return Ok(!self.chunks.is_closed());
        }
        let mut out = String::with_capacity(records.len() * 200);
        for record in records {
            if self.ndjson {
                out.push_str(&record.to_string());
            } else {
                csv_line(&mut out, self.columns, record);
            }
            out.push('\n');
        }
        Ok(self.chunks.send(Ok(Bytes::from(out))).await.is_ok())
    }

    /// Ends the file: a workbook is zipped and sent now (on a blocking thread: it is CPU and
    /// file work), in chunks as it is written.
    pub async fn finish(self) -> Result<(), StoreError> {
        let Some(mut sheet) = self.sheet else { return Ok(()) };
        let chunks = self.chunks;
        tokio::task::spawn_blocking(move || {
            let mut body = ChunkWriter { chunks, pending: Vec::with_capacity(CHUNK) };
            sheet.workbook.save_to_writer(&mut body).map_err(xlsx_error)?;
            body.flush().map_err(|e| StoreError::Other(e.to_string()))
        })
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?
    }
}

impl Sheet {
    fn new(name: &str, columns: &[&str]) -> Result<Sheet, XlsxError> {
        let mut workbook = Workbook::new();
        let header = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        for (col, column) in (0u16..).zip(columns) {
            sheet.write_string_with_format(0, col, *column, &header)?;
            sheet.set_column_width(col, 18)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(Sheet {
            workbook,
            next_row: 1,
            quoted: Format::new().set_quote_prefix(),
            date_time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        })
    }

    fn row(&mut self, columns: &[&str], record: &Value) -> Result<(), StoreError> {
        if self.next_row >= SHEET_ROWS {
            return Err(StoreError::Other("more rows than a worksheet holds; export as csv".into()));
        }
        let row = self.next_row;
        let sheet = self.workbook.worksheet_from_index(0).map_err(xlsx_error)?;
        for (col, column) in (0u16..).zip(columns) {
            let written = match record.get(*column) {
                None | Some(Value::Null) => continue,
                Some(Value::Number(n)) => sheet.write_number(row, col, n.as_f64().unwrap_or_default()),
                Some(Value::Bool(b)) => sheet.write_boolean(row, col, *b),
                Some(Value::String(text)) if DATE_TIME_COLUMNS.contains(column) => {
                    match DateTime::parse_from_rfc3339(text) {
                        Ok(at) => sheet.write_datetime_with_format(
                            row,
                            col,
                            at.with_timezone(&Utc).naive_utc(),
                            &self.date_time,
                        ),
                        Err(_) => sheet.write_string(row, col, text),
                    }
                }
                Some(Value::String(text)) => write_text(sheet, row, col, text, &self.quoted),
                // A list (evidence) as the JSON the import takes back.
                Some(other) => write_text(sheet, row, col, &other.to_string(), &self.quoted),
            };
            written.map_err(xlsx_error)?;
        }
        self.next_row += 1;
        Ok(())
    }
}

fn write_text<'a>(
    sheet: &'a mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    text: &str,
    quoted: &Format,
) -> Result<&'a mut rust_xlsxwriter::Worksheet, XlsxError> {
    if starts_formula(text) {
        sheet.write_string_with_format(row, col, text, quoted)
    } else {
        sheet.write_string(row, col, text)
    }
}

/// One CSV line of a record (no line end): text neutralised and quoted as needed, numbers as
/// they are, a list (evidence) as its JSON, nothing for null.
fn csv_line(out: &mut String, columns: &[&str], record: &Value) {
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match record.get(*column) {
            Some(Value::String(text)) => csv_field(out, text),
            Some(Value::Number(number)) => out.push_str(&number.to_string()),
            Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
            Some(Value::Null) | None => {}
            Some(other) => csv_field(out, &other.to_string()),
        }
    }
}

const CHUNK: usize = 64 * 1024;

/// The response body as a blocking writer: bytes go out in 64 KiB chunks.
struct ChunkWriter {
    chunks: Chunks,
    pending: Vec<u8>,
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK)));
        self.chunks
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_csv_line_writes_each_kind_of_value() {
        let mut out = String::new();
        let record = json!({"name": "=HYPERLINK(\"x\")", "value": 12.5, "evidence": ["a"], "gone": null});
        csv_line(&mut out, &["name", "value", "evidence", "gone", "missing"], &record);
        assert_eq!(out, "\"'=HYPERLINK(\"\"x\"\")\",12.5,\"[\"\"a\"\"]\",,");
    }
}
