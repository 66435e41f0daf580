//! Checks of a staged file as a set: duplicates within the file, references by natural key, and
//! the links that must not form a loop.

use crate::error::StoreResult;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use uuid::Uuid;

use super::{table_of, Kind, NAMED_INDICATORS_SQL, NAMED_INDICATOR_JOIN};

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

/// Rows that appear twice in the file under one natural key. The first names the next line and
/// how many more there are, every later one names the first: one pass, and a short message
/// however many copies a file holds.
fn duplicates_sql(table: &str, key: &str, partition: &str, label: &str) -> String {
    format!(
        "SELECT line, '{key}' AS field, 'duplicate_in_file' AS code,
                '{label} ' || {key} || ' is also on line '
                || CASE WHEN rank = 1 THEN next::text || CASE WHEN n > 2 THEN ' and ' || (n - 2)::text || ' more' ELSE '' END
                        ELSE first::text END AS message
         FROM (SELECT line, {key}, row_number() OVER w AS rank, first_value(line) OVER w AS first,
                      lead(line) OVER w AS next, count(*) OVER (PARTITION BY {partition}) AS n
               FROM {table} WINDOW w AS (PARTITION BY {partition} ORDER BY line)) d
         WHERE n > 1"
    )
}

/// A code that names nothing in the row's agency (nor, with `in_file`, in the file). Anti-joins,
/// not `NOT EXISTS`: Citus joins a staged (local) table with a distributed one, but does not
/// correlate a subquery across them.
fn unknown_reference_sql(table: &str, field: &str, target: &str, target_key: &str, in_file: Option<&str>) -> String {
    let (join_file, not_in_file) = in_file
        .map(|key| {
            (
                format!(
                    "LEFT JOIN (SELECT DISTINCT agency_id, {key} FROM {table}) f \
                     ON f.agency_id = s.agency_id AND f.{key} = s.{field}"
                ),
                "AND f.agency_id IS NULL",
            )
        })
        .unwrap_or_default();
    format!(
        "SELECT s.line, '{field}' AS field, 'not_found' AS code,
                'nothing with ' || quote_literal(s.{field}) || ' in the agency' AS message
         FROM {table} s
         LEFT JOIN {target} t ON t.agency_id = s.agency_id AND t.{target_key} = s.{field}
         {join_file}
         WHERE s.{field} IS NOT NULL AND t.agency_id IS NULL {not_in_file}"
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
             FROM stage_employees s JOIN employee_nips n ON n.nip = s.nip
             WHERE n.agency_id <> s.agency_id"
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
        // The lines of one result agree on what the result is. (Column by column: Citus cannot
        // pass a row value between nodes.)
        "SELECT line, 'result' AS field, 'inconsistent_result' AS code,
                'the result''s kind, parent result or perspective differ from line ' || first AS message
         FROM (SELECT line, result_kind, parent_result, perspective, first_value(line) OVER w AS first,
                      first_value(result_kind) OVER w AS first_kind, first_value(parent_result) OVER w AS first_parent,
                      first_value(perspective) OVER w AS first_perspective
               FROM stage_results WINDOW w AS (PARTITION BY employee_id, result ORDER BY line)) s
         WHERE (result_kind, parent_result, perspective) IS DISTINCT FROM (first_kind, first_parent, first_perspective)"
            .to_owned(),
        // A parent is a result of the rating official's plan for the period: as the file sets it
        // when the file names the official, else as stored. (Joins, not a subquery per line; the
        // plan joins the employee by agency, not the staged row, so that Citus joins them on a shard.)
        format!(
            "SELECT s.line, 'parent_result' AS field, 'invalid_parent_result' AS code, '{message}' AS message
             FROM stage_results s
             JOIN employees e ON e.agency_id = s.agency_id AND e.id = s.employee_id
             LEFT JOIN performance_plans p ON p.agency_id = e.agency_id AND p.id = s.plan_id
             CROSS JOIN LATERAL (SELECT CASE WHEN s.plan_id IS NULL THEN e.supervisor_id ELSE p.rater_id END AS id) rater
             LEFT JOIN (SELECT DISTINCT employee_id FROM stage_results) in_file ON in_file.employee_id = rater.id
             LEFT JOIN (SELECT DISTINCT employee_id, result FROM stage_results) filed
                    ON filed.employee_id = rater.id AND filed.result = s.parent_result
             LEFT JOIN (SELECT DISTINCT rp.employee_id, r.description
                        FROM performance_plans rp JOIN plan_results r ON r.agency_id = rp.agency_id AND r.plan_id = rp.id
                        WHERE rp.agency_id IN (SELECT agency_id FROM stage_results) AND rp.period_id = '{period}'
                          AND rp.superseded_by IS NULL) stored
                    ON in_file.employee_id IS NULL AND stored.employee_id = rater.id AND stored.description = s.parent_result
             WHERE s.parent_result IS NOT NULL
               AND CASE WHEN in_file.employee_id IS NOT NULL THEN filed.employee_id IS NULL ELSE stored.employee_id IS NULL END",
            message = INVALID_PARENT_RESULT.replace('\'', "''")
        ),
        // A result the file leaves out is removed, unless results of plans the file does not set
        // are cascaded from it (as DELETE of a result refuses).
        "SELECT min(s.line) AS line, 'result' AS field, 'result_has_cascades' AS code,
                'result ' || quote_literal(r.description)
                || ' is left out of the file, but results in other plans are cascaded from it' AS message
         FROM stage_results s JOIN plan_results r ON r.agency_id = s.agency_id AND r.plan_id = s.plan_id
         LEFT JOIN (SELECT DISTINCT plan_id, result FROM stage_results) f ON f.plan_id = r.plan_id AND f.result = r.description
         JOIN plan_results c ON c.agency_id = r.agency_id AND c.parent_result_id = r.id
         LEFT JOIN (SELECT DISTINCT plan_id FROM stage_results) g ON g.plan_id = c.plan_id
         WHERE f.plan_id IS NULL AND g.plan_id IS NULL
         GROUP BY r.id, r.description"
            .to_owned(),
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
             FROM employees e JOIN employees sup ON sup.agency_id = e.agency_id AND sup.id = e.supervisor_id
             LEFT JOIN stage_employees s ON s.nip = e.nip
             WHERE e.agency_id IN (SELECT DISTINCT agency_id FROM stage_employees) AND s.nip IS NULL"
        }
        Kind::Units => {
            "SELECT s.line, s.agency_id || '/' || s.code AS node, s.agency_id || '/' || s.parent_code AS parent
             FROM stage_units s WHERE s.parent_code IS NOT NULL
             UNION ALL
             SELECT NULL, u.agency_id || '/' || u.code, p.agency_id || '/' || p.code
             FROM units u JOIN units p ON p.agency_id = u.agency_id AND p.id = u.parent_id
             LEFT JOIN stage_units s ON s.agency_id = u.agency_id AND s.code = u.code
             WHERE u.agency_id IN (SELECT DISTINCT agency_id FROM stage_units) AND s.code IS NULL"
        }
    };
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Takes the same per-agency lock as a single supervisor or parent change
/// ([`crate::org_rows::lock_hierarchy`]), for every agency in the file, in a fixed order.
pub fn lock_hierarchies(conn: &mut PgConnection, kind: Kind) -> StoreResult<()> {
    diesel::sql_query(format!(
        "SELECT pg_advisory_xact_lock(hashtextextended(agency_id::text, 0))
         FROM (SELECT DISTINCT agency_id FROM {} ORDER BY agency_id) a",
        table_of(kind)
    ))
    .execute(conn)?;
    Ok(())
}

/// The checks of a file of realisations that need the whole file or the database.
fn realizations_checks() -> Vec<String> {
    vec![
        duplicates_sql("stage_realizations", "indicator", "plan_id, period_label, result, indicator", "indicator"),
        format!(
            "SELECT s.line, 'indicator' AS field, 'not_found' AS code,
                    'no indicator ' || quote_literal(s.indicator) || ' of a result ' || quote_literal(s.result)
                    || ' in the employee''s plan' AS message
             FROM stage_realizations s LEFT JOIN ({NAMED_INDICATORS_SQL}) ind ON {NAMED_INDICATOR_JOIN}
             WHERE ind.id IS NULL"
        ),
        // A rated evaluation's realisations stand as rated: a file may repeat them, not change them.
        format!(
            "SELECT s.line, 'period_label' AS field, 'already_rated' AS code,
                    'the evaluation of ' || s.period_label || ' is rated; its realisations no longer change' AS message
             FROM stage_realizations s
             JOIN evaluations ev ON ev.agency_id = s.agency_id AND ev.plan_id = s.plan_id AND ev.period_label = s.period_label AND ev.rated_at IS NOT NULL
             JOIN ({NAMED_INDICATORS_SQL}) ind ON {NAMED_INDICATOR_JOIN}
             LEFT JOIN realizations r ON r.agency_id = ev.agency_id AND r.evaluation_id = ev.id AND r.indicator_id = ind.id
             WHERE r.id IS NULL OR (r.value, r.text, r.evidence) IS DISTINCT FROM (s.value, s.text, s.evidence)"
        ),
    ]
}
