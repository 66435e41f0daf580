-- The work inbox names the caller's agency ($4) in every branch, join and lookup: one agency's
-- rows sit on one shard of a cluster (docs/scaling.md), and on one node the filter costs nothing
-- beside the indexes keyed by person.
CREATE OR REPLACE FUNCTION work_inbox(uuid[], uuid, date, uuid)
RETURNS TABLE (kind text, official_id uuid, subject_id uuid, plan_id uuid, period_id uuid, employee_id uuid,
               employee_name text, period_label text, filed_at timestamptz, recorded text[])
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
RETURN QUERY
SELECT 'approve_plan'::text, p.rater_id, p.id, p.id, p.period_id, p.employee_id,
       (SELECT e.name FROM employees e WHERE e.agency_id = $4 AND e.id = p.employee_id), NULL::text, NULL::timestamptz, NULL::text[]
FROM performance_plans p
JOIN periods d ON d.agency_id = p.agency_id AND d.id = p.period_id AND d.status = 'open'
WHERE p.agency_id = $4 AND p.rater_id = ANY($1) AND p.status = 'submitted' AND p.superseded_by IS NULL
UNION ALL
SELECT CASE WHEN p.return_reason IS NULL THEN 'submit_plan' ELSE 'revise_returned_plan' END, $2, p.id, p.id,
       p.period_id, p.employee_id, (SELECT e.name FROM employees e WHERE e.agency_id = $4 AND e.id = $2), NULL, NULL, NULL
FROM performance_plans p
JOIN periods d ON d.agency_id = p.agency_id AND d.id = p.period_id AND d.status = 'open'
WHERE p.agency_id = $4 AND p.employee_id = $2 AND p.status = 'draft' AND p.superseded_by IS NULL
UNION ALL
SELECT 'submit_plan', $2, d.id, NULL, d.id, $2, (SELECT e.name FROM employees e WHERE e.agency_id = $4 AND e.id = $2), NULL, NULL, NULL
FROM periods d
WHERE d.agency_id = $4 AND d.status = 'open' AND d.starts_on <= $3 AND d.ends_on >= $3
  AND NOT EXISTS (SELECT 1 FROM performance_plans p
                  WHERE p.agency_id = $4 AND p.employee_id = $2 AND p.period_id = d.id AND p.superseded_by IS NULL)
UNION ALL
SELECT 'record_realisations', $2, p.id, p.id, p.period_id, p.employee_id,
       (SELECT e.name FROM employees e WHERE e.agency_id = $4 AND e.id = $2), NULL, NULL,
       ARRAY(SELECT ev.period_label FROM evaluations ev WHERE ev.agency_id = $4 AND ev.plan_id = p.id)
FROM performance_plans p
JOIN periods d ON d.agency_id = p.agency_id AND d.id = p.period_id AND d.status = 'open'
WHERE p.agency_id = $4 AND p.employee_id = $2 AND p.status = 'approved' AND p.superseded_by IS NULL
UNION ALL
SELECT 'rate_evaluation', p.rater_id, ev.id, p.id, p.period_id, p.employee_id,
       (SELECT e.name FROM employees e WHERE e.agency_id = $4 AND e.id = p.employee_id), ev.period_label, NULL, NULL
FROM performance_plans p
JOIN evaluations ev ON ev.agency_id = p.agency_id AND ev.plan_id = p.id AND ev.rated_at IS NULL
JOIN periods d ON d.agency_id = p.agency_id AND d.id = p.period_id AND d.status = 'open'
WHERE p.agency_id = $4 AND p.rater_id = ANY($1) AND p.status = 'approved' AND p.superseded_by IS NULL
UNION ALL
SELECT 'give_final_rating', p.rater_id, p.id, p.id, p.period_id, p.employee_id,
       (SELECT e.name FROM employees e WHERE e.agency_id = $4 AND e.id = p.employee_id), NULL, NULL, NULL
FROM performance_plans p
JOIN periods d ON d.agency_id = p.agency_id AND d.id = p.period_id AND d.status = 'open'
WHERE p.agency_id = $4 AND p.rater_id = ANY($1) AND p.status = 'approved' AND p.superseded_by IS NULL
UNION ALL
SELECT 'decide_objection', p.rater_supervisor_id, o.id, p.id, p.period_id, p.employee_id,
       (SELECT e.name FROM employees e WHERE e.agency_id = $4 AND e.id = p.employee_id), NULL, o.filed_at, NULL
FROM performance_plans p
JOIN objections o ON o.agency_id = p.agency_id AND o.plan_id = p.id AND o.status = 'open'
WHERE p.agency_id = $4 AND p.rater_supervisor_id = ANY($1) AND p.status = 'rated' AND p.superseded_by IS NULL
UNION ALL
SELECT 'give_assessment', $2, s.id, NULL, s.period_id, e.id, e.name, NULL, NULL, NULL
FROM employees e
JOIN competency_assessments s ON s.agency_id = e.agency_id AND s.employee_id = e.id AND s.source = 'self'
JOIN periods d ON d.agency_id = s.agency_id AND d.id = s.period_id AND d.status = 'open' AND d.ends_on >= $3
WHERE e.agency_id = $4 AND e.supervisor_id = $2
  AND NOT EXISTS (SELECT 1 FROM competency_assessments x
                  WHERE x.agency_id = e.agency_id AND x.employee_id = e.id AND x.period_id = s.period_id AND x.source = 'supervisor');
END
$$;
