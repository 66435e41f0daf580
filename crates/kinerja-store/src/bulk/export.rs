//! Exports read by key in batches from one snapshot, in the columns of the import files.

use crate::error::StoreResult;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use uuid::Uuid;

use super::Kind;

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
             FROM units u JOIN agencies a ON a.id = u.agency_id LEFT JOIN units p ON p.agency_id = u.agency_id AND p.id = u.parent_id
             WHERE u.agency_id = $1 AND u.id > $2 ORDER BY u.id LIMIT $3"
        }
        Kind::Positions => {
            "SELECT p.id, jsonb_build_object('agency_code', a.code, 'code', p.code, 'name', p.name, 'kind', p.kind,
                    'level', p.level, 'unit_code', u.code) AS record
             FROM positions p JOIN agencies a ON a.id = p.agency_id LEFT JOIN units u ON u.agency_id = p.agency_id AND u.id = p.unit_id
             WHERE p.agency_id = $1 AND p.id > $2 ORDER BY p.id LIMIT $3"
        }
        Kind::Employees => {
            "SELECT e.id, jsonb_build_object('agency_code', a.code, 'nip', e.nip, 'name', e.name,
                    'employment_type', e.employment_type, 'grade', e.grade, 'email', e.email, 'unit_code', u.code,
                    'position_code', p.code, 'supervisor_nip', s.nip) AS record
             FROM employees e JOIN agencies a ON a.id = e.agency_id
             LEFT JOIN units u ON u.agency_id = e.agency_id AND u.id = e.unit_id
             LEFT JOIN positions p ON p.agency_id = e.agency_id AND p.id = e.position_id
             LEFT JOIN employees s ON s.agency_id = e.agency_id AND s.id = e.supervisor_id
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
               FROM (SELECT id, agency_id, employee_id, approach FROM performance_plans pp
                     WHERE pp.period_id = $1 AND pp.superseded_by IS NULL AND pp.id > $2
                       AND EXISTS (SELECT 1 FROM plan_results r WHERE r.agency_id = pp.agency_id AND r.plan_id = pp.id)
                     ORDER BY pp.id LIMIT $3 / 10) p
               JOIN employees e ON e.agency_id = p.agency_id AND e.id = p.employee_id
               JOIN plan_results r ON r.agency_id = p.agency_id AND r.plan_id = p.id
               JOIN plan_indicators i ON i.agency_id = p.agency_id AND i.plan_id = p.id AND i.result_id = r.id
               LEFT JOIN plan_results pr ON pr.agency_id = r.agency_id AND pr.id = r.parent_result_id
               ORDER BY p.id, r.id, i.id"
        }
        // A period's realisations, a batch of evaluations at a time; `$1` is the period.
        Kind::Realizations => {
            "SELECT ev.id, jsonb_build_object('nip', e.nip, 'period_label', ev.period_label, 'result', pr.description,
                    'indicator', i.description, 'value', r.value, 'text', r.text, 'evidence', r.evidence) AS record
             FROM (SELECT ev.id, ev.agency_id, ev.plan_id, ev.period_label FROM evaluations ev
                   JOIN performance_plans p ON p.agency_id = ev.agency_id AND p.id = ev.plan_id
                   WHERE p.period_id = $1 AND p.superseded_by IS NULL AND ev.id > $2
                     AND EXISTS (SELECT 1 FROM realizations r WHERE r.agency_id = ev.agency_id AND r.evaluation_id = ev.id)
                   ORDER BY ev.id LIMIT $3 / 10) ev
             JOIN performance_plans p ON p.agency_id = ev.agency_id AND p.id = ev.plan_id
             JOIN employees e ON e.agency_id = p.agency_id AND e.id = p.employee_id
             JOIN realizations r ON r.agency_id = ev.agency_id AND r.evaluation_id = ev.id
             JOIN plan_indicators i ON i.agency_id = r.agency_id AND i.id = r.indicator_id
             JOIN plan_results pr ON pr.agency_id = i.agency_id AND pr.id = i.result_id
             ORDER BY ev.id, pr.id, i.id"
        }
        Kind::Requirements => {
            "SELECT p.id, jsonb_build_object('agency_code', a.code, 'position_code', p.code,
                    'competency_code', c.code, 'required_level', r.required_level) AS record
             FROM (SELECT p.id, p.code, p.agency_id FROM positions p
                   WHERE p.agency_id = $1 AND p.id > $2
                     AND EXISTS (SELECT 1 FROM competency_requirements r WHERE r.agency_id = p.agency_id AND r.position_id = p.id)
                   ORDER BY p.id LIMIT $3 / 10) p
             JOIN agencies a ON a.id = p.agency_id
             JOIN competency_requirements r ON r.agency_id = p.agency_id AND r.position_id = p.id
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
               JOIN employees e ON e.agency_id = f.agency_id AND e.id = f.employee_id
               JOIN employees r ON r.agency_id = f.agency_id AND r.id = f.rated_by
               LEFT JOIN units u ON u.agency_id = f.agency_id AND u.id = f.unit_id
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
