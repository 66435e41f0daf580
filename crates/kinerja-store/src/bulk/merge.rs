//! The merge: one `INSERT … ON CONFLICT` per file, audited in the same statement, and the plans
//! an import of results starts.

use crate::coded::Coded;
use crate::error::{StoreError, StoreResult};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Uuid as SqlUuid};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::civil_service::PositionKind;
use kinerja_domain::deadlines::PeriodStatus;
use kinerja_domain::skp::Approach;
use kinerja_domain::workflow::PlanStatus;
use uuid::Uuid;

use super::{Kind, NAMED_INDICATORS_SQL, NAMED_INDICATOR_JOIN};

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
             ON CONFLICT (agency_id, id) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, updated_at = EXCLUDED.updated_at
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
             ON CONFLICT (agency_id, id) DO UPDATE SET unit_id = EXCLUDED.unit_id, name = EXCLUDED.name, kind = EXCLUDED.kind,
                 level = EXCLUDED.level, updated_at = EXCLUDED.updated_at
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
             ON CONFLICT (agency_id, id) DO UPDATE SET name = EXCLUDED.name, unit_id = EXCLUDED.unit_id,
                 position_id = EXCLUDED.position_id, supervisor_id = EXCLUDED.supervisor_id,
                 employment_type = EXCLUDED.employment_type, grade = EXCLUDED.grade, email = EXCLUDED.email,
                 updated_at = EXCLUDED.updated_at
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
/// the fields that differ, as [`crate::audit_rows::changes`] writes them for single records (a
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
    if kind == Kind::Employees {
        register_new_nips(conn)?;
    }
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

/// Claims the NIPs that no employee holds yet in the national register, for the employees the
/// merge is about to create (with the staged ids it gives them). A NIP taken meanwhile is a
/// duplicate, and the import writes nothing.
fn register_new_nips(conn: &mut PgConnection) -> StoreResult<()> {
    diesel::sql_query(
        "INSERT INTO employee_nips (nip, agency_id, employee_id)
         SELECT s.nip, s.agency_id, s.id FROM stage_employees s
         LEFT JOIN employee_nips n ON n.nip = s.nip WHERE n.nip IS NULL",
    )
    .execute(conn)?;
    Ok(())
}

/// One requirement as the API shows it (`RequirementView`), aggregated in code order: `level` is
/// the required level's column, joined to `competencies c`.
fn standard_json_sql(level: &str, from_default: &str) -> String {
    format!(
        "jsonb_agg(jsonb_build_object('competency_id', c.id, 'code', c.code, 'name', c.name,
                   'group', c.competency_group, 'required_level', {level}, 'from_default', {from_default})
                   ORDER BY c.code)"
    )
}

/// Sets each position the file names to exactly the file's required levels, leaving positions
/// whose own standard already equals the file's alone; one `replace` audit event per position
/// changed, with the standard in force before and after (as the single endpoint records it).
/// The standards before are grouped joins, not subqueries per position: Citus joins staged rows
/// with shards but does not correlate a subquery across them.
fn merge_requirements(conn: &mut PgConnection, actor: &BulkActor) -> StoreResult<Merged> {
    let old_own = standard_json_sql("r.required_level", "false");
    let old_default = standard_json_sql("d.required_level", "true");
    let new = standard_json_sql("src.required_level", "false");
    let standard = entity_of(Kind::Requirements);
    let sql = format!(
        "WITH chosen AS (
             SELECT DISTINCT ON (s.line) s.line, c.id AS competency_id
             FROM stage_requirements s
             JOIN competencies c ON c.code = s.competency_code AND (c.agency_id = s.agency_id OR c.agency_id IS NULL)
             ORDER BY s.line, c.agency_id NULLS LAST
         ), src AS (
             SELECT s.line, s.audit_id, s.agency_id, p.id AS position_id, p.kind AS position_kind, ch.competency_id,
                    s.required_level
             FROM stage_requirements s JOIN chosen ch ON ch.line = s.line
             JOIN positions p ON p.agency_id = s.agency_id AND p.code = s.position_code
         ), own AS (
             SELECT r.position_id, {old_own} AS old,
                    array_agg(r.competency_id::text || ':' || r.required_level ORDER BY r.competency_id) AS old_key
             FROM competency_requirements r JOIN competencies c ON c.id = r.competency_id
             WHERE (r.agency_id, r.position_id) IN (SELECT agency_id, position_id FROM src)
             GROUP BY r.agency_id, r.position_id
         ), defaults AS (
             SELECT d.position_kind, {old_default} AS old
             FROM competency_requirement_defaults d JOIN competencies c ON c.id = d.competency_id
             GROUP BY d.position_kind
         ), named AS (
             SELECT n.*, o.old_key, CASE WHEN o.old_key IS NULL THEN coalesce(d.old, '[]') ELSE o.old END AS old
             FROM (SELECT src.position_id, src.position_kind, src.agency_id,
                          (array_agg(src.audit_id ORDER BY src.line))[1] AS audit_id, {new} AS new,
                          array_agg(src.competency_id::text || ':' || src.required_level ORDER BY src.competency_id)
                              AS new_key
                   FROM src JOIN competencies c ON c.id = src.competency_id
                   GROUP BY src.position_id, src.position_kind, src.agency_id) n
             LEFT JOIN own o ON o.position_id = n.position_id
             LEFT JOIN defaults d ON d.position_kind = n.position_kind
         ), changed AS (
             SELECT * FROM named WHERE old_key IS DISTINCT FROM new_key
         ), up AS (
             INSERT INTO competency_requirements AS t (agency_id, position_id, competency_id, required_level, updated_at)
             SELECT src.agency_id, src.position_id, src.competency_id, src.required_level, now()
             FROM src JOIN changed ch ON ch.position_id = src.position_id
             ON CONFLICT (agency_id, position_id, competency_id) DO UPDATE
                 SET required_level = EXCLUDED.required_level, updated_at = EXCLUDED.updated_at
         ), gone AS (
             DELETE FROM competency_requirements r
             WHERE (r.agency_id, r.position_id) IN (SELECT agency_id, position_id FROM changed)
               AND (r.position_id, r.competency_id) NOT IN (SELECT position_id, competency_id FROM src)
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
///
/// Each removal spares what the file writes: on Citus the parts of one statement run one after
/// another, each seeing the rows the earlier ones wrote.
fn merge_results(conn: &mut PgConnection, actor: &BulkActor, period: Uuid) -> StoreResult<Merged> {
    diesel::sql_query(format!(
        "UPDATE stage_results s SET plan_id = p.id FROM performance_plans p
         WHERE s.plan_id IS NULL AND p.agency_id = s.agency_id AND p.employee_id = s.employee_id AND p.period_id = '{period}'
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
         ), plans AS (
             SELECT p.id, p.agency_id, rp.id AS rater_plan_id
             FROM performance_plans p
             LEFT JOIN performance_plans rp ON rp.agency_id = p.agency_id AND rp.employee_id = p.rater_id
                                           AND rp.period_id = p.period_id AND rp.superseded_by IS NULL
             WHERE (p.agency_id, p.id) IN (SELECT agency_id, plan_id FROM file)
         ), stored AS (
             SELECT DISTINCT ON (r.agency_id, r.plan_id, r.description) r.*
             FROM plan_results r
             WHERE (r.agency_id, r.plan_id) IN (SELECT agency_id, id FROM plans UNION SELECT agency_id, rater_plan_id FROM plans)
             ORDER BY r.agency_id, r.plan_id, r.description, r.id
         ), stored_lists AS (
             SELECT i.result_id, jsonb_agg({old_list} ORDER BY i.id) AS list
             FROM plan_indicators i
             WHERE (i.agency_id, i.plan_id) IN (SELECT agency_id, plan_id FROM file)
             GROUP BY i.agency_id, i.result_id
         ), matched AS (
             SELECT f.*, l.list AS new_list, r.id AS old_id, coalesce(r.id, f.new_id) AS id, r.kind AS old_kind,
                    r.parent_result_id AS old_parent, r.perspective AS old_perspective, sl.list AS old_list
             FROM file f
             JOIN listed l ON l.plan_id = f.plan_id AND l.result = f.description
             LEFT JOIN stored r ON r.plan_id = f.plan_id AND r.description = f.description
             LEFT JOIN stored_lists sl ON sl.result_id = r.id
         ), parented AS (
             SELECT m.*, coalesce(pf.id, pd.id) AS parent_result_id
             FROM matched m
             JOIN plans p ON p.id = m.plan_id
             LEFT JOIN matched pf ON pf.plan_id = p.rater_plan_id AND pf.description = m.parent_result
             LEFT JOIN stored pd ON pd.plan_id = p.rater_plan_id AND pd.description = m.parent_result
         ), resolved AS (
             SELECT *, old_id IS NULL OR old_list IS DISTINCT FROM new_list
                       OR (old_kind, old_parent, old_perspective) IS DISTINCT FROM (kind, parent_result_id, perspective)
                       AS differs
             FROM parented
         ), up AS (
             INSERT INTO plan_results AS t (id, agency_id, plan_id, kind, description, parent_result_id, perspective,
                                            created_at, updated_at)
             SELECT id, agency_id, plan_id, kind, description, parent_result_id, perspective, now(), now()
             FROM resolved WHERE differs
             ON CONFLICT (agency_id, id) DO UPDATE SET kind = EXCLUDED.kind, parent_result_id = EXCLUDED.parent_result_id,
                 perspective = EXCLUDED.perspective, updated_at = EXCLUDED.updated_at
         ), old_indicators AS (
             DELETE FROM plan_indicators i
             WHERE (i.agency_id, i.result_id) IN (SELECT agency_id, old_id FROM resolved WHERE differs AND old_id IS NOT NULL)
               AND i.id NOT IN (SELECT indicator_id FROM stage_results)
         ), new_indicators AS (
             INSERT INTO plan_indicators (id, agency_id, result_id, plan_id, description, aspect, target_value,
                                          target_unit, target_text)
             SELECT s.indicator_id, s.agency_id, r.id, s.plan_id, s.indicator, s.aspect, s.target_value, s.target_unit, s.target_text
             FROM stage_results s JOIN resolved r ON r.plan_id = s.plan_id AND r.description = s.result
             WHERE r.differs
         ), gone AS (
             DELETE FROM plan_results r
             WHERE (r.agency_id, r.plan_id) IN (SELECT agency_id, plan_id FROM file)
               AND r.id NOT IN (SELECT id FROM matched)
             RETURNING r.id, r.agency_id, r.plan_id, r.description
         ), touched AS (
             UPDATE performance_plans p SET updated_at = now()
             WHERE (p.agency_id, p.id) IN (SELECT agency_id, plan_id FROM resolved WHERE differs
                                           UNION SELECT agency_id, plan_id FROM gone)
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
             SELECT s.*, ind.id AS indicator_id FROM stage_realizations s JOIN ({NAMED_INDICATORS_SQL}) ind ON {NAMED_INDICATOR_JOIN}
         ), wanted AS (
             SELECT DISTINCT ON (plan_id, period_label) plan_id, period_label, agency_id, evaluation_id AS new_id
             FROM src ORDER BY plan_id, period_label, line
         ), evals AS (
             SELECT w.*, coalesce(ev.id, w.new_id) AS id, ev.id IS NULL AS creating
             FROM wanted w LEFT JOIN evaluations ev ON ev.agency_id = w.agency_id AND ev.plan_id = w.plan_id AND ev.period_label = w.period_label
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
             LEFT JOIN realizations r ON r.agency_id = e.agency_id AND r.evaluation_id = e.id AND r.indicator_id = src.indicator_id
         ), up AS (
             INSERT INTO realizations AS t (id, evaluation_id, indicator_id, value, text, evidence, agency_id)
             SELECT id, eval_id, indicator_id, value, text, evidence, agency_id FROM resolved WHERE differs
             ON CONFLICT (agency_id, evaluation_id, indicator_id) DO UPDATE
                 SET value = EXCLUDED.value, text = EXCLUDED.text, evidence = EXCLUDED.evidence
         ), touched AS (
             UPDATE evaluations ev SET updated_at = now()
             WHERE (ev.agency_id, ev.id) IN (SELECT agency_id, eval_id FROM resolved WHERE differs AND NOT creating)
         ), audit AS (
             INSERT INTO audit_events (id, actor_kind, actor_id, agency_id, entity, entity_id, action, changes,
                                       request_id)
             SELECT {UUID_V7_SQL}, $1, $2, e.agency_id, '{evaluation}', e.id, 'create',
                    jsonb_build_object('period_label', e.period_label, 'realizations', n.count), $3
             FROM evals e JOIN (SELECT eval_id, count(*) FROM resolved GROUP BY eval_id) n ON n.eval_id = e.id
             WHERE e.creating
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
    pub position_kind: Option<Coded<PositionKind>>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub plan_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub plan_status: Option<Coded<PlanStatus>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub plan_approach: Option<Coded<Approach>>,
}

/// Whether the period is still open, held (`FOR SHARE`) until the import's transaction ends so
/// that a close waits for the import.
pub fn period_is_open(conn: &mut PgConnection, agency: Uuid, period: Uuid) -> StoreResult<bool> {
    use crate::schema::periods;
    let status: Coded<PeriodStatus> = periods::table
        .find(period)
        .filter(periods::agency_id.eq(agency))
        .select(periods::status)
        .for_share()
        .first(conn)?;
    Ok(status.0 == PeriodStatus::Open)
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
         LEFT JOIN employees sup ON sup.agency_id = e.agency_id AND sup.id = e.supervisor_id
         LEFT JOIN positions pos ON pos.agency_id = e.agency_id AND pos.id = e.position_id
         LEFT JOIN performance_plans p ON p.agency_id = e.agency_id AND p.employee_id = e.id AND p.period_id = $2 AND p.superseded_by IS NULL
         WHERE e.agency_id = $1",
    )
    .bind::<SqlUuid, _>(agency)
    .bind::<SqlUuid, _>(period)
    .load(conn)?)
}

/// Inserts plans the import creates, with their expectations and audit events.
pub fn insert_plans(
    conn: &mut PgConnection,
    plans: &[crate::plan_rows::PlanRow],
    expectations: &[crate::plan_rows::ExpectationRow],
    events: Vec<crate::audit_rows::NewAuditEvent>,
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
pub fn record_event(conn: &mut PgConnection, event: crate::audit_rows::NewAuditEvent) -> StoreResult<()> {
    let outward = event.outward();
    diesel::insert_into(crate::schema::audit_events::table).values(event).execute(conn)?;
    if let Some(outward) = outward {
        crate::outbox_rows::emit_sync(conn, &outward)?;
    }
    Ok(())
}
