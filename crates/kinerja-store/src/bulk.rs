//! Bulk imports: rows are streamed by `COPY` into a temporary staging table, checked as a set
//! (duplicates in the file, references by natural key), then merged with one `INSERT … ON
//! CONFLICT` per file and audited in the same statement. Everything runs in one transaction on a
//! synchronous connection of its own (Diesel's `COPY` is synchronous), off the request pool.

use std::io::Write;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Uuid as SqlUuid};
use kinerja_domain::audit::AuditEntity;
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};

pub use diesel::result::Error as BulkDieselError;
pub use diesel::Connection as SyncConnection;
pub use diesel::PgConnection as SyncPgConnection;

/// A connection of its own for one import. Its staging table stays in memory up to a size that
/// holds files of a few hundred thousand rows.
pub fn connect(database_url: &str) -> StoreResult<PgConnection> {
    let mut conn = crate::migrations::connect(database_url)?;
    diesel::sql_query("SET temp_buffers = '256MB'").execute(&mut conn)?;
    Ok(conn)
}

/// What a file holds, by its natural key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Keyed by agency and unit code; `parent_code` may name a unit further down the file.
    Units,
    /// Keyed by agency and position code.
    Positions,
    /// Keyed by NIP; `supervisor_nip` may name an employee further down the file.
    Employees,
    /// Keyed by agency, position code and competency code; the file sets each named position's
    /// standard whole, as `PUT /positions/{id}/competency-requirements` does.
    Requirements,
    /// A period's plans' work results (RHK) and indicators, one indicator per line: the file sets
    /// the results of each employee it names whole, matching results by description.
    Results,
    /// Realisations of approved plans' indicators in a sub-period (`period_label`), keyed by
    /// NIP, label, result and indicator; evaluations are started as needed.
    Realizations,
}

mod staging {
    diesel::table! {
        stage_units (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            code -> Text,
            name -> Text,
            parent_code -> Nullable<Text>,
        }
    }
    diesel::table! {
        stage_positions (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            code -> Text,
            name -> Text,
            kind -> Text,
            level -> Nullable<Text>,
            unit_code -> Nullable<Text>,
        }
    }
    diesel::table! {
        stage_employees (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            nip -> Text,
            name -> Text,
            employment_type -> Text,
            grade -> Nullable<Text>,
            email -> Nullable<Text>,
            unit_code -> Nullable<Text>,
            position_code -> Nullable<Text>,
            supervisor_nip -> Nullable<Text>,
        }
    }
    diesel::table! {
        stage_requirements (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            position_code -> Text,
            competency_code -> Text,
            required_level -> Text,
        }
    }
    diesel::table! {
        stage_results (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            employee_id -> Text,
            plan_id -> Nullable<Text>,
            result_kind -> Text,
            result -> Text,
            parent_result -> Nullable<Text>,
            perspective -> Nullable<Text>,
            indicator_id -> Text,
            indicator -> Text,
            aspect -> Text,
            target_value -> Nullable<Text>,
            target_unit -> Nullable<Text>,
            target_text -> Nullable<Text>,
        }
    }
    diesel::table! {
        stage_realizations (line) {
            line -> BigInt,
            id -> Uuid,
            audit_id -> Uuid,
            agency_id -> Uuid,
            plan_id -> Text,
            evaluation_id -> Text,
            period_label -> Text,
            result -> Text,
            indicator -> Text,
            value -> Nullable<Text>,
            text -> Nullable<Text>,
            evidence -> Text,
        }
    }
}

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
    pub result_kind: String,
    pub result: String,
    pub parent_result: Option<String>,
    pub perspective: Option<String>,
    pub indicator_id: Uuid,
    pub indicator: String,
    pub aspect: String,
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
    pub kind: String,
    pub level: Option<String>,
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
    pub employment_type: String,
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
                [Some(p.code.as_str()), Some(&p.name), Some(&p.kind), p.level.as_deref(), p.unit_code.as_deref()]
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
                    Some(&e.employment_type),
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
                    r.perspective.as_deref().map(Cow::from),
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

fn table_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Units => "stage_units",
        Kind::Positions => "stage_positions",
        Kind::Employees => "stage_employees",
        Kind::Requirements => "stage_requirements",
        Kind::Results => "stage_results",
        Kind::Realizations => "stage_realizations",
    }
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
    use staging::*;
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

/// One problem with one line of the file.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct LineProblem {
    #[diesel(sql_type = BigInt)]
    pub line: i64,
    #[diesel(sql_type = Text)]
    pub field: String,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub message: String,
}

/// Rows that appear twice in the file under one natural key: each names the other lines.
fn duplicates_sql(table: &str, key: &str, partition: &str, label: &str) -> String {
    format!(
        "SELECT line, '{key}' AS field, 'duplicate_in_file' AS code,
                '{label} ' || {key} || ' is also on line ' || array_to_string(array_remove(lines, line), ', ') AS message
         FROM (SELECT line, {key}, array_agg(line) OVER w AS lines, count(*) OVER w AS n
               FROM {table} WINDOW w AS (PARTITION BY {partition})) d
         WHERE n > 1"
    )
}

/// A code that names nothing in the row's agency (nor, with `in_file`, in the file).
fn unknown_reference_sql(table: &str, field: &str, target: &str, target_key: &str, in_file: Option<&str>) -> String {
    let in_file = in_file
        .map(|key| {
            format!("AND NOT EXISTS (SELECT 1 FROM {table} f WHERE f.agency_id = s.agency_id AND f.{key} = s.{field})")
        })
        .unwrap_or_default();
    format!(
        "SELECT line, '{field}' AS field, 'not_found' AS code,
                'nothing with ' || quote_literal(s.{field}) || ' in the agency' AS message
         FROM {table} s
         WHERE s.{field} IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.agency_id = s.agency_id AND t.{target_key} = s.{field})
           {in_file}"
    )
}

/// The checks that need the whole file or the database: duplicates within the file and
/// references by natural key (a unit's parent, a position's unit, an employee's unit, position
/// and supervisor — each may also be defined elsewhere in the same file).
pub fn check(conn: &mut PgConnection, kind: Kind, period: Option<Uuid>) -> StoreResult<Vec<LineProblem>> {
    let checks = match kind {
        Kind::Results => results_checks(period.unwrap_or_default()),
        Kind::Realizations => realizations_checks(),
        Kind::Units => vec![
            duplicates_sql("stage_units", "code", "agency_id, code", "unit code"),
            unknown_reference_sql("stage_units", "parent_code", "units", "code", Some("code")),
        ],
        Kind::Positions => vec![
            duplicates_sql("stage_positions", "code", "agency_id, code", "position code"),
            unknown_reference_sql("stage_positions", "unit_code", "units", "code", None),
        ],
        Kind::Employees => vec![
            duplicates_sql("stage_employees", "nip", "nip", "NIP"),
            unknown_reference_sql("stage_employees", "unit_code", "units", "code", None),
            unknown_reference_sql("stage_employees", "position_code", "positions", "code", None),
            unknown_reference_sql("stage_employees", "supervisor_nip", "employees", "nip", Some("nip")),
            // The NIP is the national key: it may belong to one agency only.
            "SELECT s.line, 'nip' AS field, 'duplicate_nip' AS code,
                    'an employee with that NIP is registered in another agency' AS message
             FROM stage_employees s JOIN employees e ON e.nip = s.nip
             WHERE e.agency_id <> s.agency_id"
                .to_owned(),
        ],
        Kind::Requirements => vec![
            duplicates_sql(
                "stage_requirements",
                "competency_code",
                "agency_id, position_code, competency_code",
                "competency",
            ),
            unknown_reference_sql("stage_requirements", "position_code", "positions", "code", None),
            "SELECT s.line, 'competency_code' AS field, 'not_found' AS code,
                    'no competency ' || quote_literal(s.competency_code)
                    || ' in the national dictionary or this agency''s' AS message
             FROM stage_requirements s
             WHERE NOT EXISTS (SELECT 1 FROM competencies c WHERE c.code = s.competency_code
                               AND (c.agency_id = s.agency_id OR c.agency_id IS NULL))"
                .to_owned(),
            format!(
                "SELECT line, 'position_code' AS field, 'too_many' AS code,
                        'at most {max} competencies in a standard; the file gives ' || n || ' for ' || position_code
                 FROM (SELECT line, position_code, count(*) OVER (PARTITION BY agency_id, position_code) AS n
                       FROM stage_requirements) s
                 WHERE n > {max}",
                max = kinerja_domain::competency::MAX_STANDARD_SIZE
            ),
        ],
    };
    let sql = checks.join(" UNION ALL ");
    Ok(diesel::sql_query(format!("SELECT * FROM ({sql}) p ORDER BY line, field")).load(conn)?)
}

/// The checks of a file of work results that need the whole file or the database. The per-row
/// rules (texts, targets by approach, perspective, the plan being a draft) ran on each row.
fn results_checks(period: Uuid) -> Vec<String> {
    use kinerja_domain::limits::{MAX_INDICATORS_PER_RESULT, MAX_RESULTS_PER_PLAN};
    vec![
        duplicates_sql("stage_results", "indicator", "employee_id, result, indicator", "indicator"),
        // The limits of a plan, as the single endpoints keep them: the line that goes past one.
        format!(
            "SELECT line, 'indicator' AS field, 'too_many' AS code,
                    'at most {MAX_INDICATORS_PER_RESULT} indicators per result' AS message
             FROM (SELECT line, row_number() OVER (PARTITION BY employee_id, result ORDER BY line) AS n
                   FROM stage_results) s
             WHERE n > {MAX_INDICATORS_PER_RESULT}"
        ),
        format!(
            "SELECT first_line AS line, 'result' AS field, 'too_many' AS code,
                    'a plan holds at most {MAX_RESULTS_PER_PLAN} results' AS message
             FROM (SELECT min(line) AS first_line,
                          row_number() OVER (PARTITION BY employee_id ORDER BY min(line)) AS n
                   FROM stage_results GROUP BY employee_id, result) r
             WHERE n > {MAX_RESULTS_PER_PLAN}"
        ),
        // The lines of one result agree on what the result is.
        "SELECT line, 'result' AS field, 'inconsistent_result' AS code,
                'the result''s kind, parent result or perspective differ from line ' || first AS message
         FROM (SELECT line, (result_kind, parent_result, perspective) AS attrs,
                      first_value(line) OVER w AS first,
                      first_value((result_kind, parent_result, perspective)) OVER w AS first_attrs
               FROM stage_results WINDOW w AS (PARTITION BY employee_id, result ORDER BY line)) s
         WHERE attrs IS DISTINCT FROM first_attrs"
            .to_owned(),
        // A parent is a result of the rating official's plan for the period: as the file sets it
        // when the file names the official, else as stored. (Joins, not a subquery per line.)
        format!(
            "SELECT s.line, 'parent_result' AS field, 'invalid_parent_result' AS code, '{message}' AS message
             FROM stage_results s
             JOIN employees e ON e.id = s.employee_id
             LEFT JOIN performance_plans p ON p.id = s.plan_id
             CROSS JOIN LATERAL (SELECT CASE WHEN s.plan_id IS NULL THEN e.supervisor_id ELSE p.rater_id END AS id) rater
             LEFT JOIN (SELECT DISTINCT employee_id FROM stage_results) in_file ON in_file.employee_id = rater.id
             LEFT JOIN (SELECT DISTINCT employee_id, result FROM stage_results) filed
                    ON filed.employee_id = rater.id AND filed.result = s.parent_result
             LEFT JOIN LATERAL (SELECT 1 AS found FROM performance_plans rp JOIN plan_results r ON r.plan_id = rp.id
                                WHERE rp.employee_id = rater.id AND rp.period_id = '{period}'
                                  AND rp.superseded_by IS NULL AND r.description = s.parent_result LIMIT 1) stored
                    ON in_file.employee_id IS NULL
             WHERE s.parent_result IS NOT NULL
               AND CASE WHEN in_file.employee_id IS NOT NULL THEN filed.employee_id IS NULL ELSE stored.found IS NULL END",
            message = INVALID_PARENT_RESULT.replace('\'', "''")
        ),
        // A result the file leaves out is removed, unless results of plans the file does not set
        // are cascaded from it (as DELETE of a result refuses).
        "SELECT min(s.line) AS line, 'result' AS field, 'result_has_cascades' AS code,
                'result ' || quote_literal(r.description)
                || ' is left out of the file, but results in other plans are cascaded from it' AS message
         FROM stage_results s JOIN plan_results r ON r.plan_id = s.plan_id
         WHERE NOT EXISTS (SELECT 1 FROM stage_results f WHERE f.plan_id = r.plan_id AND f.result = r.description)
           AND EXISTS (SELECT 1 FROM plan_results c WHERE c.parent_result_id = r.id
                       AND NOT EXISTS (SELECT 1 FROM stage_results g WHERE g.plan_id = c.plan_id))
         GROUP BY r.id, r.description"
            .to_owned(),
    ]
}

/// The indicator a staged realisation `s` names: by its result's and its own description in the
/// row's plan (the first, should a plan repeat a description).
const NAMED_INDICATOR_SQL: &str = "SELECT i.id FROM plan_results r JOIN plan_indicators i ON i.result_id = r.id
     WHERE r.plan_id = s.plan_id AND i.plan_id = s.plan_id AND r.description = s.result
       AND i.description = s.indicator
     ORDER BY r.id, i.id LIMIT 1";

/// The checks of a file of realisations that need the whole file or the database.
fn realizations_checks() -> Vec<String> {
    vec![
        duplicates_sql("stage_realizations", "indicator", "plan_id, period_label, result, indicator", "indicator"),
        format!(
            "SELECT s.line, 'indicator' AS field, 'not_found' AS code,
                    'no indicator ' || quote_literal(s.indicator) || ' of a result ' || quote_literal(s.result)
                    || ' in the employee''s plan' AS message
             FROM stage_realizations s WHERE NOT EXISTS ({NAMED_INDICATOR_SQL})"
        ),
        // A rated evaluation's realisations stand as rated: a file may repeat them, not change them.
        format!(
            "SELECT s.line, 'period_label' AS field, 'already_rated' AS code,
                    'the evaluation of ' || s.period_label || ' is rated; its realisations no longer change' AS message
             FROM stage_realizations s
             JOIN evaluations ev ON ev.plan_id = s.plan_id AND ev.period_label = s.period_label AND ev.rated_at IS NOT NULL
             CROSS JOIN LATERAL ({NAMED_INDICATOR_SQL}) ind
             WHERE NOT EXISTS (SELECT 1 FROM realizations r WHERE r.evaluation_id = ev.id AND r.indicator_id = ind.id
                               AND (r.value, r.text, r.evidence) IS NOT DISTINCT FROM (s.value, s.text, s.evidence))"
        ),
    ]
}

/// The message of a parent result that is not the rating official's.
pub const INVALID_PARENT_RESULT: &str = "must be a result in the rating official's plan for the same period";

/// One parent link after the import (an employee's supervisor, a unit's parent), for the loop
/// check; `line` is set for links the file gives, unset for links already stored.
#[derive(Debug, Clone, QueryableByName)]
pub struct ParentLink {
    #[diesel(sql_type = Nullable<BigInt>)]
    pub line: Option<i64>,
    #[diesel(sql_type = Text)]
    pub node: String,
    #[diesel(sql_type = Text)]
    pub parent: String,
}

/// Every parent link of the agencies in the file as it would be after the import: the file's
/// links, and the stored ones of records the file does not mention. Empty for positions.
pub fn parent_links(conn: &mut PgConnection, kind: Kind) -> StoreResult<Vec<ParentLink>> {
    let sql = match kind {
        Kind::Positions | Kind::Requirements | Kind::Results | Kind::Realizations => return Ok(Vec::new()),
        Kind::Employees => {
            "SELECT s.line, s.nip AS node, s.supervisor_nip AS parent
             FROM stage_employees s WHERE s.supervisor_nip IS NOT NULL
             UNION ALL
             SELECT NULL, e.nip, sup.nip
             FROM employees e JOIN employees sup ON sup.id = e.supervisor_id
             WHERE e.agency_id IN (SELECT DISTINCT agency_id FROM stage_employees)
               AND NOT EXISTS (SELECT 1 FROM stage_employees s WHERE s.nip = e.nip)"
        }
        Kind::Units => {
            "SELECT s.line, s.agency_id || '/' || s.code AS node, s.agency_id || '/' || s.parent_code AS parent
             FROM stage_units s WHERE s.parent_code IS NOT NULL
             UNION ALL
             SELECT NULL, u.agency_id || '/' || u.code, p.agency_id || '/' || p.code
             FROM units u JOIN units p ON p.id = u.parent_id
             WHERE u.agency_id IN (SELECT DISTINCT agency_id FROM stage_units)
               AND NOT EXISTS (SELECT 1 FROM stage_units s WHERE s.agency_id = u.agency_id AND s.code = u.code)"
        }
    };
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Takes the same per-agency lock as a single supervisor or parent change
/// ([`crate::org::lock_hierarchy`]), for every agency in the file, in a fixed order.
pub fn lock_hierarchies(conn: &mut PgConnection, kind: Kind) -> StoreResult<()> {
    diesel::sql_query(format!(
        "SELECT pg_advisory_xact_lock(hashtextextended(agency_id::text, 0))
         FROM (SELECT DISTINCT agency_id FROM {} ORDER BY agency_id) a",
        table_of(kind)
    ))
    .execute(conn)?;
    Ok(())
}

/// What a merge did: records created, records the file matched by natural key, and of those the
/// ones that differed and were changed (a re-run of the same file changes none).
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct Merged {
    #[diesel(sql_type = BigInt)]
    pub inserted: i64,
    #[diesel(sql_type = BigInt)]
    pub updated: i64,
    #[diesel(sql_type = BigInt)]
    pub changed: i64,
    /// Records the file's sets no longer hold (results left out of a plan).
    #[diesel(sql_type = BigInt)]
    pub deleted: i64,
}

/// Who the audit events name.
#[derive(Debug, Clone)]
pub struct BulkActor {
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub request_id: Option<String>,
}

/// Each record kind's `resolved` rows (the file's rows with ids resolved by natural key, and the
/// record before and after as JSON objects with the fields named last) and its upsert from them.
/// `None` for standards, which are sets rather than records ([`merge_requirements`]).
fn merge_sql(kind: Kind) -> Option<(&'static str, &'static str, &'static [&'static str])> {
    Some(match kind {
        Kind::Requirements | Kind::Results | Kind::Realizations => return None,
        Kind::Units => (
            "src AS (
                SELECT s.line, s.audit_id, coalesce(u.id, s.id) AS id, s.agency_id, s.code, s.name, s.parent_code,
                       CASE WHEN u.id IS NOT NULL THEN jsonb_build_object('id', u.id, 'agency_id', u.agency_id,
                            'parent_id', u.parent_id, 'code', u.code, 'name', u.name) END AS old
                FROM stage_units s LEFT JOIN units u ON u.agency_id = s.agency_id AND u.code = s.code
            ), resolved AS (
                SELECT src.*, coalesce(pf.id, pd.id) AS parent_id,
                       jsonb_build_object('id', src.id, 'agency_id', src.agency_id, 'parent_id', coalesce(pf.id, pd.id),
                            'code', src.code, 'name', src.name) AS new
                FROM src
                LEFT JOIN src pf ON pf.agency_id = src.agency_id AND pf.code = src.parent_code
                LEFT JOIN units pd ON pd.agency_id = src.agency_id AND pd.code = src.parent_code
            )",
            "INSERT INTO units AS t (id, agency_id, parent_id, code, name, created_at, updated_at)
             SELECT id, agency_id, parent_id, code, name, now(), now() FROM resolved WHERE old IS DISTINCT FROM new
             ON CONFLICT (id) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, updated_at = now()
             WHERE (t.parent_id, t.name) IS DISTINCT FROM (EXCLUDED.parent_id, EXCLUDED.name)",
            &["id", "agency_id", "parent_id", "code", "name"],
        ),
        Kind::Positions => (
            "src AS (
                SELECT s.line, s.audit_id, coalesce(p.id, s.id) AS id, s.agency_id, s.code, s.name, s.kind, s.level,
                       CASE WHEN p.id IS NOT NULL THEN jsonb_build_object('id', p.id, 'agency_id', p.agency_id,
                            'unit_id', p.unit_id, 'code', p.code, 'name', p.name, 'kind', p.kind, 'level', p.level) END AS old,
                       u.id AS unit_id
                FROM stage_positions s
                LEFT JOIN positions p ON p.agency_id = s.agency_id AND p.code = s.code
                LEFT JOIN units u ON u.agency_id = s.agency_id AND u.code = s.unit_code
            ), resolved AS (
                SELECT src.*, jsonb_build_object('id', id, 'agency_id', agency_id, 'unit_id', unit_id, 'code', code,
                            'name', name, 'kind', kind, 'level', level) AS new
                FROM src
            )",
            "INSERT INTO positions AS t (id, agency_id, unit_id, code, name, kind, level, created_at, updated_at)
             SELECT id, agency_id, unit_id, code, name, kind, level, now(), now()
             FROM resolved WHERE old IS DISTINCT FROM new
             ON CONFLICT (id) DO UPDATE SET unit_id = EXCLUDED.unit_id, name = EXCLUDED.name, kind = EXCLUDED.kind,
                 level = EXCLUDED.level, updated_at = now()
             WHERE (t.unit_id, t.name, t.kind, t.level) IS DISTINCT FROM
                   (EXCLUDED.unit_id, EXCLUDED.name, EXCLUDED.kind, EXCLUDED.level)",
            &["id", "agency_id", "unit_id", "code", "name", "kind", "level"],
        ),
        Kind::Employees => (
            "src AS (
                SELECT s.line, s.audit_id, coalesce(e.id, s.id) AS id, s.agency_id, s.nip, s.name, s.employment_type,
                       s.grade, s.email, s.supervisor_nip, u.id AS unit_id, p.id AS position_id,
                       CASE WHEN e.id IS NOT NULL THEN jsonb_build_object('id', e.id, 'nip', e.nip, 'name', e.name,
                            'agency_id', e.agency_id, 'unit_id', e.unit_id, 'position_id', e.position_id,
                            'supervisor_id', e.supervisor_id, 'employment_type', e.employment_type, 'grade', e.grade,
                            'email', e.email) END AS old
                FROM stage_employees s
                LEFT JOIN employees e ON e.nip = s.nip
                LEFT JOIN units u ON u.agency_id = s.agency_id AND u.code = s.unit_code
                LEFT JOIN positions p ON p.agency_id = s.agency_id AND p.code = s.position_code
            ), resolved AS (
                SELECT src.*, coalesce(sf.id, sd.id) AS supervisor_id,
                       jsonb_build_object('id', src.id, 'nip', src.nip, 'name', src.name, 'agency_id', src.agency_id,
                            'unit_id', src.unit_id, 'position_id', src.position_id,
                            'supervisor_id', coalesce(sf.id, sd.id), 'employment_type', src.employment_type,
                            'grade', src.grade, 'email', src.email) AS new
                FROM src
                LEFT JOIN src sf ON sf.nip = src.supervisor_nip
                LEFT JOIN employees sd ON sd.nip = src.supervisor_nip
            )",
            "INSERT INTO employees AS t (id, agency_id, nip, name, unit_id, position_id, supervisor_id,
                                          employment_type, grade, email, created_at, updated_at)
             SELECT id, agency_id, nip, name, unit_id, position_id, supervisor_id, employment_type, grade, email,
                    now(), now()
             FROM resolved WHERE old IS DISTINCT FROM new
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, unit_id = EXCLUDED.unit_id,
                 position_id = EXCLUDED.position_id, supervisor_id = EXCLUDED.supervisor_id,
                 employment_type = EXCLUDED.employment_type, grade = EXCLUDED.grade, email = EXCLUDED.email,
                 updated_at = now()
             WHERE (t.name, t.unit_id, t.position_id, t.supervisor_id, t.employment_type, t.grade, t.email)
                   IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.unit_id, EXCLUDED.position_id, EXCLUDED.supervisor_id,
                                     EXCLUDED.employment_type, EXCLUDED.grade, EXCLUDED.email)",
            &[
                "id",
                "nip",
                "name",
                "agency_id",
                "unit_id",
                "position_id",
                "supervisor_id",
                "employment_type",
                "grade",
                "email",
            ],
        ),
    })
}

/// The audit entity of a kind's records, as the single-record endpoints name it.
pub fn entity_of(kind: Kind) -> &'static str {
    let entity = match kind {
        Kind::Units => AuditEntity::Unit,
        Kind::Positions => AuditEntity::Position,
        Kind::Employees => AuditEntity::Employee,
        Kind::Requirements => AuditEntity::CompetencyStandard,
        Kind::Results => AuditEntity::Plan,
        Kind::Realizations => AuditEntity::Evaluation,
    };
    entity.as_str()
}

/// The audit `changes` of `r.old` → `r.new` over `fields`: `{field: {"old": …, "new": …}}` for
/// the fields that differ, as [`crate::audit::changes`] writes them for single records (a
/// creation diffs against null). Spelled out per field: an aggregate per row costs seconds.
fn changes_sql(fields: &[&str]) -> String {
    let per_field: Vec<String> = fields
        .iter()
        .map(|f| {
            let (old, new) = (format!("coalesce(r.old -> '{f}', 'null')"), format!("coalesce(r.new -> '{f}', 'null')"));
            format!(
                "CASE WHEN {old} IS DISTINCT FROM {new} \
                 THEN jsonb_build_object('{f}', jsonb_build_object('old', {old}, 'new', {new})) ELSE '{{}}' END"
            )
        })
        .collect();
    format!("('{{}}'::jsonb || {})", per_field.join(" || "))
}

/// Writes the staged file: one set-based upsert by natural key (rows equal to what is stored are
/// left alone) and one audit event per record created or changed, in one statement.
pub fn merge(conn: &mut PgConnection, kind: Kind, actor: &BulkActor, period: Option<Uuid>) -> StoreResult<Merged> {
    let Some((resolved, upsert, fields)) = merge_sql(kind) else {
        return match kind {
            Kind::Results => merge_results(conn, actor, period.unwrap_or_default()),
            Kind::Realizations => merge_realizations(conn, actor),
            _ => merge_requirements(conn, actor),
        };
    };
    let changes = changes_sql(fields);
    let entity = entity_of(kind);
    let sql = format!(
        "WITH {resolved},
         up AS ({upsert} RETURNING t.id, (t.xmax = 0) AS inserted),
         audit AS (
             INSERT INTO audit_events (id, actor_kind, actor_id, agency_id, entity, entity_id, action, changes, request_id)
             SELECT r.audit_id, $1, $2, r.agency_id, '{entity}', r.id, CASE WHEN up.inserted THEN 'create' ELSE 'update' END,
                    {changes}, $3
             FROM up JOIN resolved r ON r.id = up.id
         )
         SELECT (SELECT count(*) FROM up WHERE inserted) AS inserted,
                (SELECT count(*) FROM resolved WHERE old IS NOT NULL) AS updated,
                (SELECT count(*) FROM up WHERE NOT inserted) AS changed, 0::bigint AS deleted"
    );
    run_merge(conn, &sql, actor)
}

/// A standard as the API shows it (`RequirementView`), ordered by code: `rows` is a set of
/// `(competency_id, required_level)` joined to `competencies c`.
fn standard_view_sql(rows: &str, from_default: &str) -> String {
    format!(
        "SELECT coalesce(jsonb_agg(jsonb_build_object('competency_id', c.id, 'code', c.code, 'name', c.name,
                    'group', c.competency_group, 'required_level', x.required_level, 'from_default', {from_default})
                    ORDER BY c.code), '[]')
         FROM ({rows}) x JOIN competencies c ON c.id = x.competency_id"
    )
}

/// Sets each position the file names to exactly the file's required levels, leaving positions
/// whose own standard already equals the file's alone; one `replace` audit event per position
/// changed, with the standard in force before and after (as the single endpoint records it).
fn merge_requirements(conn: &mut PgConnection, actor: &BulkActor) -> StoreResult<Merged> {
    let old_own = standard_view_sql(
        "SELECT competency_id, required_level FROM competency_requirements WHERE position_id = n.position_id",
        "false",
    );
    let old_default = standard_view_sql(
        "SELECT d.competency_id, d.required_level FROM competency_requirement_defaults d
         WHERE d.position_kind = n.position_kind",
        "true",
    );
    let new =
        standard_view_sql("SELECT competency_id, required_level FROM src WHERE position_id = n.position_id", "false");
    let standard = entity_of(Kind::Requirements);
    let sql = format!(
        "WITH src AS (
             SELECT s.line, s.audit_id, s.agency_id, p.id AS position_id, p.kind AS position_kind, c.id AS competency_id,
                    s.required_level
             FROM stage_requirements s
             JOIN positions p ON p.agency_id = s.agency_id AND p.code = s.position_code
             CROSS JOIN LATERAL (SELECT id FROM competencies c WHERE c.code = s.competency_code
                                 AND (c.agency_id = s.agency_id OR c.agency_id IS NULL)
                                 ORDER BY c.agency_id NULLS LAST LIMIT 1) c
         ), named AS (
             SELECT position_id, position_kind, agency_id, (array_agg(audit_id ORDER BY line))[1] AS audit_id,
                    array_agg(competency_id::text || ':' || required_level ORDER BY competency_id) AS new_key,
                    (SELECT array_agg(r.competency_id::text || ':' || r.required_level ORDER BY r.competency_id)
                     FROM competency_requirements r WHERE r.position_id = src.position_id) AS old_key
             FROM src GROUP BY position_id, position_kind, agency_id
         ), changed AS (
             SELECT n.*, CASE WHEN n.old_key IS NULL THEN ({old_default}) ELSE ({old_own}) END AS old, ({new}) AS new
             FROM named n WHERE n.old_key IS DISTINCT FROM n.new_key
         ), up AS (
             INSERT INTO competency_requirements AS t (position_id, competency_id, required_level, updated_at)
             SELECT src.position_id, src.competency_id, src.required_level, now()
             FROM src JOIN changed ch ON ch.position_id = src.position_id
             ON CONFLICT (position_id, competency_id) DO UPDATE
                 SET required_level = EXCLUDED.required_level, updated_at = EXCLUDED.updated_at
         ), gone AS (
             DELETE FROM competency_requirements r USING changed ch
             WHERE r.position_id = ch.position_id
               AND NOT EXISTS (SELECT 1 FROM src WHERE src.position_id = r.position_id
                               AND src.competency_id = r.competency_id)
         ), audit AS (
             INSERT INTO audit_events (id, actor_kind, actor_id, agency_id, entity, entity_id, action, changes, request_id)
             SELECT audit_id, $1, $2, agency_id, '{standard}', position_id, 'replace',
                    jsonb_build_object('requirements', jsonb_build_object('old', old, 'new', new)), $3
             FROM changed
         )
         SELECT (SELECT count(*) FROM named WHERE old_key IS NULL) AS inserted,
                (SELECT count(*) FROM named WHERE old_key IS NOT NULL) AS updated,
                (SELECT count(*) FROM changed WHERE old_key IS NOT NULL) AS changed, 0::bigint AS deleted"
    );
    run_merge(conn, &sql, actor)
}

/// A time-ordered (version 7) UUID made in SQL, for audit events of records the file does not
/// name (PostgreSQL 15 has no `uuidv7()`): the millisecond clock, then random bits.
const UUID_V7_SQL: &str = "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing
     substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
     52, 1), 53, 1), 'hex')::uuid";

/// Sets each named plan's results to the file's: a result is matched by description within its
/// plan (keeping its id, so results cascaded from it stay linked), written only if its kind,
/// parent, perspective or indicators differ (its indicators then replaced, as PATCH does), and
/// results the file leaves out are removed. Audited per result as the single endpoints do
/// (`add_result`, `update_result`, `delete_result` on the plan), and each plan changed gets a new
/// ETag. Plans the import creates are already inserted ([`insert_plans`]). The events' ids are
/// made here from the clock, as removed results have no staged row to carry one.
fn merge_results(conn: &mut PgConnection, actor: &BulkActor, period: Uuid) -> StoreResult<Merged> {
    diesel::sql_query(format!(
        "UPDATE stage_results s SET plan_id = p.id FROM performance_plans p
         WHERE s.plan_id IS NULL AND p.employee_id = s.employee_id AND p.period_id = '{period}'
           AND p.superseded_by IS NULL"
    ))
    .execute(conn)?;
    let indicator_json = |i: &str| {
        format!(
            "jsonb_build_object('description', {i}.description, 'aspect', {i}.aspect, 'target_value', {i}.target_value,
                                'target_unit', {i}.target_unit, 'target_text', {i}.target_text)"
        )
    };
    let (old_list, new_list) = (indicator_json("i"), indicator_json("x"));
    let plan = entity_of(Kind::Results);
    let sql = format!(
        "WITH file AS (
             SELECT DISTINCT ON (s.plan_id, s.result) s.plan_id, s.agency_id, s.result AS description,
                    s.result_kind AS kind, s.parent_result, s.perspective, s.id AS new_id
             FROM stage_results s ORDER BY s.plan_id, s.result, s.line
         ), listed AS (
             SELECT plan_id, result, jsonb_agg({new_list} ORDER BY line) AS list
             FROM (SELECT *, indicator AS description FROM stage_results) x GROUP BY plan_id, result
         ), matched AS (
             SELECT f.*, l.list AS new_list, r.id AS old_id, coalesce(r.id, f.new_id) AS id, r.kind AS old_kind,
                    r.parent_result_id AS old_parent, r.perspective AS old_perspective,
                    (SELECT jsonb_agg({old_list} ORDER BY i.id) FROM plan_indicators i
                     WHERE i.plan_id = r.plan_id AND i.result_id = r.id) AS old_list
             FROM file f
             JOIN listed l ON l.plan_id = f.plan_id AND l.result = f.description
             LEFT JOIN LATERAL (SELECT * FROM plan_results r WHERE r.plan_id = f.plan_id AND r.description = f.description
                                ORDER BY r.id LIMIT 1) r ON true
         ), parented AS (
             SELECT m.*, coalesce(pf.id, pd.id) AS parent_result_id
             FROM matched m
             JOIN performance_plans p ON p.id = m.plan_id
             LEFT JOIN performance_plans rp ON rp.employee_id = p.rater_id AND rp.period_id = p.period_id
                                           AND rp.superseded_by IS NULL
             LEFT JOIN matched pf ON pf.plan_id = rp.id AND pf.description = m.parent_result
             LEFT JOIN LATERAL (SELECT id FROM plan_results r WHERE r.plan_id = rp.id AND r.description = m.parent_result
                                ORDER BY r.id LIMIT 1) pd ON true
         ), resolved AS (
             SELECT *, old_id IS NULL OR old_list IS DISTINCT FROM new_list
                       OR (old_kind, old_parent, old_perspective) IS DISTINCT FROM (kind, parent_result_id, perspective)
                       AS differs
             FROM parented
         ), up AS (
             INSERT INTO plan_results AS t (id, plan_id, kind, description, parent_result_id, perspective, created_at,
                                            updated_at)
             SELECT id, plan_id, kind, description, parent_result_id, perspective, now(), now()
             FROM resolved WHERE differs
             ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, parent_result_id = EXCLUDED.parent_result_id,
                 perspective = EXCLUDED.perspective, updated_at = now()
         ), old_indicators AS (
             DELETE FROM plan_indicators i USING resolved r
             WHERE i.plan_id = r.plan_id AND i.result_id = r.old_id AND r.differs
         ), new_indicators AS (
             INSERT INTO plan_indicators (id, result_id, plan_id, description, aspect, target_value, target_unit,
                                          target_text)
             SELECT s.indicator_id, r.id, s.plan_id, s.indicator, s.aspect, s.target_value, s.target_unit, s.target_text
             FROM stage_results s JOIN resolved r ON r.plan_id = s.plan_id AND r.description = s.result
             WHERE r.differs
         ), gone AS (
             DELETE FROM plan_results r
             WHERE r.plan_id IN (SELECT plan_id FROM file) AND NOT EXISTS (SELECT 1 FROM matched m WHERE m.old_id = r.id)
             RETURNING r.id, r.plan_id, r.description
         ), touched AS (
             UPDATE performance_plans p SET updated_at = now()
             WHERE p.id IN (SELECT plan_id FROM resolved WHERE differs UNION SELECT plan_id FROM gone)
             RETURNING p.id, p.agency_id
         ), audit AS (
             INSERT INTO audit_events (id, actor_kind, actor_id, agency_id, entity, entity_id, action, changes,
                                       request_id)
             SELECT {UUID_V7_SQL}, $1, $2, agency_id, '{plan}', plan_id,
                    CASE WHEN old_id IS NULL THEN 'add_result' ELSE 'update_result' END,
                    jsonb_build_object('result_id', id, 'description', CASE WHEN old_id IS NULL THEN to_jsonb(description)
                        ELSE jsonb_build_object('old', description, 'new', description) END), $3
             FROM resolved WHERE differs
             UNION ALL
             SELECT {UUID_V7_SQL}, $1, $2, t.agency_id, 'plan', g.plan_id, 'delete_result',
                    jsonb_build_object('result_id', g.id, 'description', g.description), $3
             FROM gone g JOIN touched t ON t.id = g.plan_id
         )
         SELECT (SELECT count(*) FROM resolved WHERE old_id IS NULL) AS inserted,
                (SELECT count(*) FROM resolved WHERE old_id IS NOT NULL) AS updated,
                (SELECT count(*) FROM resolved WHERE old_id IS NOT NULL AND differs) AS changed,
                (SELECT count(*) FROM gone) AS deleted"
    );
    run_merge(conn, &sql, actor)
}

/// Writes realisations by (evaluation, indicator), starting the evaluations of sub-periods the
/// employee has none of yet, and changing only realisations that differ. Audited per evaluation:
/// `create` as the single endpoint records it, or `update_realizations` with the realisations
/// before and after.
fn merge_realizations(conn: &mut PgConnection, actor: &BulkActor) -> StoreResult<Merged> {
    let evaluation = entity_of(Kind::Realizations);
    let sql = format!(
        "WITH src AS (
             SELECT s.*, ind.id AS indicator_id FROM stage_realizations s CROSS JOIN LATERAL ({NAMED_INDICATOR_SQL}) ind
         ), wanted AS (
             SELECT DISTINCT ON (plan_id, period_label) plan_id, period_label, agency_id, evaluation_id AS new_id
             FROM src ORDER BY plan_id, period_label, line
         ), evals AS (
             SELECT w.*, coalesce(ev.id, w.new_id) AS id, ev.id IS NULL AS creating
             FROM wanted w LEFT JOIN evaluations ev ON ev.plan_id = w.plan_id AND ev.period_label = w.period_label
         ), new_evals AS (
             INSERT INTO evaluations (id, plan_id, agency_id, period_label, created_at, updated_at)
             SELECT id, plan_id, agency_id, period_label, now(), now() FROM evals WHERE creating
         ), resolved AS (
             SELECT src.*, e.id AS eval_id, e.creating, r.id AS old_id,
                    jsonb_build_object('indicator_id', r.indicator_id, 'value', r.value, 'text', r.text,
                                       'evidence', r.evidence) AS old,
                    jsonb_build_object('indicator_id', src.indicator_id, 'value', src.value, 'text', src.text,
                                       'evidence', src.evidence) AS new,
                    r.id IS NULL OR (r.value, r.text, r.evidence) IS DISTINCT FROM (src.value, src.text, src.evidence)
                        AS differs
             FROM src
             JOIN evals e ON e.plan_id = src.plan_id AND e.period_label = src.period_label
             LEFT JOIN realizations r ON r.evaluation_id = e.id AND r.indicator_id = src.indicator_id
         ), up AS (
             INSERT INTO realizations AS t (id, evaluation_id, indicator_id, value, text, evidence)
             SELECT id, eval_id, indicator_id, value, text, evidence FROM resolved WHERE differs
             ON CONFLICT (evaluation_id, indicator_id) DO UPDATE
                 SET value = EXCLUDED.value, text = EXCLUDED.text, evidence = EXCLUDED.evidence
         ), touched AS (
             UPDATE evaluations ev SET updated_at = now()
             WHERE ev.id IN (SELECT eval_id FROM resolved WHERE differs AND NOT creating)
         ), audit AS (
             INSERT INTO audit_events (id, actor_kind, actor_id, agency_id, entity, entity_id, action, changes,
                                       request_id)
             SELECT {UUID_V7_SQL}, $1, $2, e.agency_id, '{evaluation}', e.id, 'create',
                    jsonb_build_object('period_label', e.period_label,
                                       'realizations', (SELECT count(*) FROM resolved r WHERE r.eval_id = e.id)), $3
             FROM evals e WHERE e.creating
             UNION ALL
             SELECT {UUID_V7_SQL}, $1, $2, agency_id, 'evaluation', eval_id, 'update_realizations',
                    jsonb_build_object('realizations', jsonb_build_object(
                        'old', jsonb_agg(CASE WHEN old_id IS NULL THEN NULL ELSE old END ORDER BY line),
                        'new', jsonb_agg(new ORDER BY line))), $3
             FROM resolved WHERE differs AND NOT creating GROUP BY eval_id, agency_id
         )
         SELECT (SELECT count(*) FROM resolved WHERE old_id IS NULL) AS inserted,
                (SELECT count(*) FROM resolved WHERE old_id IS NOT NULL) AS updated,
                (SELECT count(*) FROM resolved WHERE old_id IS NOT NULL AND differs) AS changed,
                0::bigint AS deleted"
    );
    run_merge(conn, &sql, actor)
}

/// What a file of work results needs to know of each employee of the period's agency: who they
/// are, whom their plan would be rated by, whether they are JPT, and their current plan if any.
#[derive(Debug, Clone, QueryableByName)]
pub struct PlanFacts {
    #[diesel(sql_type = Text)]
    pub nip: String,
    #[diesel(sql_type = SqlUuid)]
    pub employee_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub supervisor_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub supervisor_supervisor_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub position_kind: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub plan_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub plan_status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub plan_approach: Option<String>,
}

pub fn plan_facts(conn: &mut PgConnection, agency: Uuid, period: Uuid) -> StoreResult<Vec<PlanFacts>> {
    // The period's current plans are held (FOR SHARE) until the import's transaction ends: a
    // submit or an edit through the API, which locks its plan FOR UPDATE, waits, so the import
    // never writes into a plan that left draft after it was read here.
    diesel::sql_query(
        "SELECT 1 FROM performance_plans
         WHERE agency_id = $1 AND period_id = $2 AND superseded_by IS NULL FOR SHARE",
    )
    .bind::<SqlUuid, _>(agency)
    .bind::<SqlUuid, _>(period)
    .execute(conn)?;
    Ok(diesel::sql_query(
        "SELECT e.nip, e.id AS employee_id, e.supervisor_id, sup.supervisor_id AS supervisor_supervisor_id,
                pos.kind AS position_kind, p.id AS plan_id, p.status AS plan_status, p.approach AS plan_approach
         FROM employees e
         LEFT JOIN employees sup ON sup.id = e.supervisor_id
         LEFT JOIN positions pos ON pos.id = e.position_id
         LEFT JOIN performance_plans p ON p.employee_id = e.id AND p.period_id = $2 AND p.superseded_by IS NULL
         WHERE e.agency_id = $1",
    )
    .bind::<SqlUuid, _>(agency)
    .bind::<SqlUuid, _>(period)
    .load(conn)?)
}

/// Inserts plans the import creates, with their expectations and audit events.
pub fn insert_plans(
    conn: &mut PgConnection,
    plans: &[crate::plans::PlanRow],
    expectations: &[crate::plans::ExpectationRow],
    events: Vec<crate::audit::NewAuditEvent>,
) -> StoreResult<()> {
    use crate::schema::{audit_events, behaviour_expectations, performance_plans};
    // By `COPY`: thousands of plans in one round trip each, not statements of bound rows.
    diesel::copy_from(performance_plans::table).from_insertable(plans).execute(conn)?;
    diesel::copy_from(behaviour_expectations::table).from_insertable(expectations).execute(conn)?;
    diesel::copy_from(audit_events::table).from_insertable(&events).execute(conn)?;
    if !plans.is_empty() {
        // The merge joins the new plans right away; planning on the old statistics would not.
        diesel::sql_query("ANALYZE performance_plans").execute(conn)?;
    }
    Ok(())
}

/// After a big import, statistics of the tables it wrote: the next import (or query) of them
/// comes before autovacuum would notice, and plans on the old row counts badly (a nested loop
/// over thousands of rows where a hash join takes milliseconds).
pub fn refresh_statistics(conn: &mut PgConnection, kind: Kind) -> StoreResult<()> {
    let tables = match kind {
        Kind::Units => "units",
        Kind::Positions => "positions",
        Kind::Employees => "employees",
        Kind::Requirements => "competency_requirements",
        Kind::Results => "performance_plans, plan_results, plan_indicators",
        Kind::Realizations => "evaluations, realizations",
    };
    diesel::sql_query(format!("ANALYZE {tables}")).execute(conn)?;
    Ok(())
}

/// Runs a merge statement: its audit rows name the actor by `$1` (kind), `$2` (id) and `$3`
/// (the request), and it answers one row of [`Merged`].
fn run_merge(conn: &mut PgConnection, sql: &str, actor: &BulkActor) -> StoreResult<Merged> {
    diesel::sql_query(sql)
        .bind::<Text, _>(actor.kind)
        .bind::<Nullable<SqlUuid>, _>(actor.id)
        .bind::<Nullable<Text>, _>(actor.request_id.as_deref())
        .get_result(conn)
        .map_err(StoreError::from)
}

/// Records one audit event (the import as a whole) on the import's connection.
pub fn record_event(conn: &mut PgConnection, event: crate::audit::NewAuditEvent) -> StoreResult<()> {
    diesel::insert_into(crate::schema::audit_events::table).values(event).execute(conn)?;
    Ok(())
}

/// `(code, id)` of every agency, to resolve `agency_code` columns.
pub async fn agency_codes(conn: &mut diesel_async::AsyncPgConnection) -> StoreResult<Vec<(String, Uuid)>> {
    use crate::schema::agencies;
    Ok(diesel_async::RunQueryDsl::load(agencies::table.select((agencies::code, agencies::id)), conn).await?)
}

/// One record of an export, with the columns of an import file of its kind.
#[derive(Debug, Clone, QueryableByName)]
pub struct ExportRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub record: serde_json::Value,
}

/// The next `limit` records of an agency (for results: of a period) after `after` (by id), as an
/// import file names them: references by natural key, so what is exported imports back unchanged.
pub async fn export_batch(
    conn: &mut diesel_async::AsyncPgConnection,
    kind: Kind,
    owner: Uuid,
    after: Uuid,
    limit: i64,
) -> StoreResult<Vec<ExportRow>> {
    let sql = match kind {
        Kind::Units => {
            "SELECT u.id, jsonb_build_object('agency_code', a.code, 'code', u.code, 'name', u.name,
                    'parent_code', p.code) AS record
             FROM units u JOIN agencies a ON a.id = u.agency_id LEFT JOIN units p ON p.id = u.parent_id
             WHERE u.agency_id = $1 AND u.id > $2 ORDER BY u.id LIMIT $3"
        }
        Kind::Positions => {
            "SELECT p.id, jsonb_build_object('agency_code', a.code, 'code', p.code, 'name', p.name, 'kind', p.kind,
                    'level', p.level, 'unit_code', u.code) AS record
             FROM positions p JOIN agencies a ON a.id = p.agency_id LEFT JOIN units u ON u.id = p.unit_id
             WHERE p.agency_id = $1 AND p.id > $2 ORDER BY p.id LIMIT $3"
        }
        Kind::Employees => {
            "SELECT e.id, jsonb_build_object('agency_code', a.code, 'nip', e.nip, 'name', e.name,
                    'employment_type', e.employment_type, 'grade', e.grade, 'email', e.email, 'unit_code', u.code,
                    'position_code', p.code, 'supervisor_nip', s.nip) AS record
             FROM employees e JOIN agencies a ON a.id = e.agency_id
             LEFT JOIN units u ON u.id = e.unit_id
             LEFT JOIN positions p ON p.id = e.position_id
             LEFT JOIN employees s ON s.id = e.supervisor_id
             WHERE e.agency_id = $1 AND e.id > $2 ORDER BY e.id LIMIT $3"
        }
        // Positions' own standards (not their kind's defaults, which an import would make their
        // own), a batch of positions at a time: each has at most MAX_STANDARD_SIZE lines.
        // The work results of a period's current plans, one indicator per line, a batch of plans
        // at a time; `$1` is the period.
        Kind::Results => {
            "SELECT p.id, jsonb_build_object('nip', e.nip, 'approach', p.approach, 'result_kind', r.kind,
                      'result', r.description, 'parent_result', pr.description, 'perspective', r.perspective,
                      'indicator', i.description, 'aspect', i.aspect, 'target_value', i.target_value,
                      'target_unit', i.target_unit, 'target_text', i.target_text) AS record
               FROM (SELECT id, employee_id, approach FROM performance_plans pp
                     WHERE pp.period_id = $1 AND pp.superseded_by IS NULL AND pp.id > $2
                       AND EXISTS (SELECT 1 FROM plan_results r WHERE r.plan_id = pp.id)
                     ORDER BY pp.id LIMIT $3 / 10) p
               JOIN employees e ON e.id = p.employee_id
               JOIN plan_results r ON r.plan_id = p.id
               JOIN plan_indicators i ON i.plan_id = p.id AND i.result_id = r.id
               LEFT JOIN plan_results pr ON pr.id = r.parent_result_id
               ORDER BY p.id, r.id, i.id"
        }
        // A period's realisations, a batch of evaluations at a time; `$1` is the period.
        Kind::Realizations => {
            "SELECT ev.id, jsonb_build_object('nip', e.nip, 'period_label', ev.period_label, 'result', pr.description,
                    'indicator', i.description, 'value', r.value, 'text', r.text, 'evidence', r.evidence) AS record
             FROM (SELECT ev.id, ev.plan_id, ev.period_label FROM evaluations ev
                   JOIN performance_plans p ON p.id = ev.plan_id
                   WHERE p.period_id = $1 AND p.superseded_by IS NULL AND ev.id > $2
                     AND EXISTS (SELECT 1 FROM realizations r WHERE r.evaluation_id = ev.id)
                   ORDER BY ev.id LIMIT $3 / 10) ev
             JOIN performance_plans p ON p.id = ev.plan_id
             JOIN employees e ON e.id = p.employee_id
             JOIN realizations r ON r.evaluation_id = ev.id
             JOIN plan_indicators i ON i.id = r.indicator_id
             JOIN plan_results pr ON pr.id = i.result_id
             ORDER BY ev.id, pr.id, i.id"
        }
        Kind::Requirements => {
            "SELECT p.id, jsonb_build_object('agency_code', a.code, 'position_code', p.code,
                    'competency_code', c.code, 'required_level', r.required_level) AS record
             FROM (SELECT p.id, p.code, p.agency_id FROM positions p
                   WHERE p.agency_id = $1 AND p.id > $2
                     AND EXISTS (SELECT 1 FROM competency_requirements r WHERE r.position_id = p.id)
                   ORDER BY p.id LIMIT $3 / 10) p
             JOIN agencies a ON a.id = p.agency_id
             JOIN competency_requirements r ON r.position_id = p.id
             JOIN competencies c ON c.id = r.competency_id
             ORDER BY p.id, c.code"
        }
    };
    Ok(diesel_async::RunQueryDsl::load(
        diesel::sql_query(sql).bind::<SqlUuid, _>(owner).bind::<SqlUuid, _>(after).bind::<BigInt, _>(limit),
        conn,
    )
    .await?)
}

/// The next `limit` annual ratings of an agency's period after plan `after`: who, where, the two
/// ratings, the predikat given and the one in force (after calibration), and the rater by NIP.
pub async fn ratings_batch(
    conn: &mut diesel_async::AsyncPgConnection,
    agency: Uuid,
    period: Uuid,
    after: Uuid,
    limit: i64,
) -> StoreResult<Vec<ExportRow>> {
    let sql = "SELECT f.plan_id AS id, jsonb_build_object('nip', e.nip, 'name', e.name, 'unit_code', u.code,
                      'result_rating', f.result_rating, 'behaviour_rating', f.behaviour_rating,
                      'rated_predikat', f.rated_predikat, 'predikat', f.predikat, 'rater_nip', r.nip,
                      'rated_at', to_char(f.rated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) AS record
               FROM final_ratings f
               JOIN employees e ON e.id = f.employee_id
               JOIN employees r ON r.id = f.rated_by
               LEFT JOIN units u ON u.id = f.unit_id
               WHERE f.agency_id = $1 AND f.period_id = $2 AND f.plan_id > $3
               ORDER BY f.plan_id LIMIT $4";
    Ok(diesel_async::RunQueryDsl::load(
        diesel::sql_query(sql)
            .bind::<SqlUuid, _>(agency)
            .bind::<SqlUuid, _>(period)
            .bind::<SqlUuid, _>(after)
            .bind::<BigInt, _>(limit),
        conn,
    )
    .await?)
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
