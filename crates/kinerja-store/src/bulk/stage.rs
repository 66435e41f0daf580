//! Staging: each checked row of a file as a line of `COPY` into its temporary table.

use crate::error::StoreResult;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use kinerja_domain::civil_service::{EmploymentType, FunctionalLevel, PositionKind};
use kinerja_domain::rule_sets::Aspect;
use kinerja_domain::skp::{Perspective, ResultKind};
use std::io::Write;
use uuid::Uuid;

use super::{table_of, Kind};

/// One checked row of a file, ready for the staging table. `id` is used when the row creates a
/// record; `audit_id` names its audit event.
#[derive(Debug, Clone)]
pub enum StagedRow {
    Unit {
        line: i64,
        id: Uuid,
        audit_id: Uuid,
        agency_id: Uuid,
        code: String,
        name: String,
        parent_code: Option<String>,
    },
    Position(StagedPosition),
    Employee(StagedEmployee),
    Requirement(StagedRequirement),
    Result(StagedResult),
    Realization(StagedRealization),
}

/// One realisation. `id` is the realisation's should the row create it, `evaluation_id` the
/// evaluation's should the import start it; `evidence` is the JSON list the API takes.
#[derive(Debug, Clone)]
pub struct StagedRealization {
    pub line: i64,
    pub id: Uuid,
    pub evaluation_id: Uuid,
    pub agency_id: Uuid,
    pub plan_id: Uuid,
    pub period_label: String,
    pub result: String,
    pub indicator: String,
    pub value: Option<f64>,
    pub text: Option<String>,
    pub evidence: String,
}

/// One indicator of a work result. `id` is the result's id should the row create it; `plan_id`
/// is unset for an employee whose plan the import creates.
#[derive(Debug, Clone)]
pub struct StagedResult {
    pub line: i64,
    pub id: Uuid,
    pub agency_id: Uuid,
    pub employee_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub result_kind: ResultKind,
    pub result: String,
    pub parent_result: Option<String>,
    pub perspective: Option<Perspective>,
    pub indicator_id: Uuid,
    pub indicator: String,
    pub aspect: Aspect,
    pub target_value: Option<f64>,
    pub target_unit: Option<String>,
    pub target_text: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StagedRequirement {
    pub line: i64,
    pub audit_id: Uuid,
    pub agency_id: Uuid,
    pub position_code: String,
    pub competency_code: String,
    pub required_level: u8,
}

#[derive(Debug, Clone)]
pub struct StagedPosition {
    pub line: i64,
    pub id: Uuid,
    pub audit_id: Uuid,
    pub agency_id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: PositionKind,
    pub level: Option<FunctionalLevel>,
    pub unit_code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StagedEmployee {
    pub line: i64,
    pub id: Uuid,
    pub audit_id: Uuid,
    pub agency_id: Uuid,
    pub nip: String,
    pub name: String,
    pub employment_type: EmploymentType,
    pub grade: Option<String>,
    pub email: Option<String>,
    pub unit_code: Option<String>,
    pub position_code: Option<String>,
    pub supervisor_nip: Option<String>,
}

impl StagedRow {
    /// Appends the row in `COPY … (FORMAT text)`, columns in the staging table's order.
    pub fn write_copy_line(&self, out: &mut Vec<u8>) {
        use std::borrow::Cow;
        let text = |v: &Uuid| Some(Cow::Owned(v.to_string()));
        let (line, id, audit_id, agency_id, rest): (i64, Uuid, Uuid, Uuid, Vec<Option<Cow<str>>>) = match self {
            StagedRow::Unit { line, id, audit_id, agency_id, code, name, parent_code } => (
                *line,
                *id,
                *audit_id,
                *agency_id,
                vec![Some(code.into()), Some(name.into()), parent_code.as_deref().map(Cow::from)],
            ),
            StagedRow::Position(p) => (
                p.line,
                p.id,
                p.audit_id,
                p.agency_id,
                [
                    Some(p.code.as_str()),
                    Some(&p.name),
                    Some(p.kind.as_str()),
                    p.level.map(FunctionalLevel::as_str),
                    p.unit_code.as_deref(),
                ]
                .into_iter()
                .map(|v| v.map(Cow::from))
                .collect(),
            ),
            StagedRow::Employee(e) => (
                e.line,
                e.id,
                e.audit_id,
                e.agency_id,
                [
                    Some(e.nip.as_str()),
                    Some(&e.name),
                    Some(e.employment_type.as_str()),
                    e.grade.as_deref(),
                    e.email.as_deref(),
                    e.unit_code.as_deref(),
                    e.position_code.as_deref(),
                    e.supervisor_nip.as_deref(),
                ]
                .into_iter()
                .map(|v| v.map(Cow::from))
                .collect(),
            ),
            StagedRow::Requirement(r) => (
                r.line,
                Uuid::nil(),
                r.audit_id,
                r.agency_id,
                vec![
                    Some(r.position_code.as_str().into()),
                    Some(r.competency_code.as_str().into()),
                    Some(r.required_level.to_string().into()),
                ],
            ),
            // The merge names the audit events of results itself, after the plans it starts.
            StagedRow::Result(r) => (
                r.line,
                r.id,
                Uuid::nil(),
                r.agency_id,
                vec![
                    text(&r.employee_id),
                    r.plan_id.as_ref().and_then(text),
                    Some(r.result_kind.as_str().into()),
                    Some(r.result.as_str().into()),
                    r.parent_result.as_deref().map(Cow::from),
                    r.perspective.map(|p| Cow::from(p.as_str())),
                    text(&r.indicator_id),
                    Some(r.indicator.as_str().into()),
                    Some(r.aspect.as_str().into()),
                    r.target_value.map(|v| v.to_string().into()),
                    r.target_unit.as_deref().map(Cow::from),
                    r.target_text.as_deref().map(Cow::from),
                ],
            ),
            // As for results, the merge names the audit events itself.
            StagedRow::Realization(r) => (
                r.line,
                r.id,
                Uuid::nil(),
                r.agency_id,
                vec![
                    text(&r.plan_id),
                    text(&r.evaluation_id),
                    Some(r.period_label.as_str().into()),
                    Some(r.result.as_str().into()),
                    Some(r.indicator.as_str().into()),
                    r.value.map(|v| v.to_string().into()),
                    r.text.as_deref().map(Cow::from),
                    Some(r.evidence.as_str().into()),
                ],
            ),
        };
        let _ = write!(out, "{line}\t{id}\t{audit_id}\t{agency_id}");
        for value in rest {
            out.push(b'\t');
            copy_text(out, value.as_deref());
        }
        out.push(b'\n');
    }
}

/// A value in `COPY` text format: `\N` for NULL, backslash escapes for the separators.
fn copy_text(out: &mut Vec<u8>, value: Option<&str>) {
    let Some(value) = value else {
        out.extend_from_slice(b"\\N");
        return;
    };
    for b in value.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// Creates the kind's staging table for this transaction.
pub fn create_staging(conn: &mut PgConnection, kind: Kind) -> StoreResult<()> {
    let columns = match kind {
        Kind::Units => "code text NOT NULL, name text NOT NULL, parent_code text",
        Kind::Positions => "code text NOT NULL, name text NOT NULL, kind text NOT NULL, level text, unit_code text",
        Kind::Employees => {
            "nip text NOT NULL, name text NOT NULL, employment_type text NOT NULL, grade text, email text, \
             unit_code text, position_code text, supervisor_nip text"
        }
        Kind::Requirements => {
            "position_code text NOT NULL, competency_code text NOT NULL, required_level smallint NOT NULL"
        }
        Kind::Results => {
            "employee_id uuid NOT NULL, plan_id uuid, result_kind text NOT NULL, result text NOT NULL, parent_result text, perspective text, \
             indicator_id uuid NOT NULL, indicator text NOT NULL, aspect text NOT NULL, target_value float8, \
             target_unit text, target_text text"
        }
        Kind::Realizations => {
            "plan_id uuid NOT NULL, evaluation_id uuid NOT NULL, period_label text NOT NULL, result text NOT NULL, \
             indicator text NOT NULL, value float8, text text, evidence jsonb NOT NULL"
        }
    };
    diesel::sql_query(format!(
        "CREATE TEMP TABLE {} (line bigint NOT NULL, id uuid NOT NULL, audit_id uuid NOT NULL, \
         agency_id uuid NOT NULL, {columns}) ON COMMIT DROP",
        table_of(kind)
    ))
    .execute(conn)?;
    Ok(())
}

/// Streams rows into the staging table: `write` is called once and writes every row with
/// [`StagedRow::write_copy_line`]; an error from it aborts the `COPY`. Returns the rows copied.
pub fn copy_staged<E>(
    conn: &mut PgConnection,
    kind: Kind,
    write: &dyn Fn(&mut dyn Write) -> Result<(), E>,
) -> Result<usize, E>
where
    E: From<diesel::result::Error> + std::error::Error,
{
    use super::staging::*;
    let copied = match kind {
        Kind::Units => diesel::copy_from(stage_units::table).from_raw_data(stage_units::table, write).execute(conn)?,
        Kind::Positions => {
            diesel::copy_from(stage_positions::table).from_raw_data(stage_positions::table, write).execute(conn)?
        }
        Kind::Employees => {
            diesel::copy_from(stage_employees::table).from_raw_data(stage_employees::table, write).execute(conn)?
        }
        Kind::Requirements => diesel::copy_from(stage_requirements::table)
            .from_raw_data(stage_requirements::table, write)
            .execute(conn)?,
        Kind::Results => {
            diesel::copy_from(stage_results::table).from_raw_data(stage_results::table, write).execute(conn)?
        }
        Kind::Realizations => diesel::copy_from(stage_realizations::table)
            .from_raw_data(stage_realizations::table, write)
            .execute(conn)?,
    };
    // Temporary tables are never analysed automatically; the checks and the merge join on them.
    // The joins of a big file sort and hash more than the default work_mem, and JIT compiling
    // the merge costs more than it saves.
    diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(conn)?;
    diesel::sql_query("SET LOCAL jit = off").execute(conn)?;
    diesel::sql_query(format!("ANALYZE {}", table_of(kind))).execute(conn)?;
    Ok(copied)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_lines_escape_separators_and_mark_nulls() {
        let row = StagedRow::Unit {
            line: 7,
            id: Uuid::nil(),
            audit_id: Uuid::nil(),
            agency_id: Uuid::nil(),
            code: "A\tB".into(),
            name: "Bidang \\ Umum\n".into(),
            parent_code: None,
        };
        let mut out = Vec::new();
        row.write_copy_line(&mut out);
        let nil = Uuid::nil();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("7\t{nil}\t{nil}\t{nil}\tA\\tB\tBidang \\\\ Umum\\n\t\\N\n")
        );
    }
}
