#!/usr/bin/env bash
# The work inbox at agency scale: N (default 100,000) employees imported, every one with a plan
# in a running period (staff plans submitted to their leader, leaders' plans approved with a
# quarter's realisations waiting for the top official's rating), then
#   - the inbox statement's executed plan (EXPLAIN ANALYZE, BUFFERS) for a leader with 99 plans to
#     approve, and for the top official rating 1,000 leaders — the body of the work_inbox
#     function, read from its migration, so this is the query the server runs;
#   - GET /me/tasks for each of them with wrk (C connections), against pgbench -S in the same run.
#
#   bash bench/tasks.sh
#   N=20000 bash bench/tasks.sh
#
# Needs: a Rust toolchain, PostgreSQL server binaries, psql, pgbench, curl, jq, bc, python3, wrk
# (installed with apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-100000}"
C="${C:-16}"
RUN="${SECONDS_PER_RUN:-5}"
PORT="${PORT:-18097}"

source bench/lib.sh
ensure_wrk
start "$DATA/time.txt"

bench_employees_csv
TOKEN=$(admin_token)
AUTH="Authorization: Bearer $TOKEN"
API="http://127.0.0.1:$PORT/api/v1"
curl -fsS -H "$AUTH" -H 'Content-Type: text/csv' --data-binary @"$DATA/employees.csv" "$API/imports/employees" \
  | jq -c '{total, inserted, rejected}'
AGENCY=$(psql_bench -Atc "SELECT id FROM agencies WHERE code = 'BENCH'")
PERIOD=$(curl -fsS -X POST "$API/periods" -H "$AUTH" -H 'Content-Type: application/json' \
  -d "{\"agency_id\": \"$AGENCY\", \"name\": \"SKP 2026\", \"starts_on\": \"2026-01-01\", \"ends_on\": \"2026-12-31\", \"cadence\": \"quarterly\"}" \
  | jq -r .id)

# Every employee's plan: staff submitted to their leader, leaders approved by the top official
# with their first quarter recorded and not yet rated.
psql_bench <<SQL
INSERT INTO performance_plans (id, agency_id, employee_id, period_id, revision, approach, status, rater_id, rater_supervisor_id, annex)
SELECT gen_random_uuid(), e.agency_id, e.id, '$PERIOD', 1, 'kuantitatif',
       CASE WHEN e.supervisor_id IS NULL THEN 'draft'
            WHEN EXISTS (SELECT 1 FROM employees s WHERE s.supervisor_id = e.id) THEN 'approved'
            ELSE 'submitted' END,
       e.supervisor_id, sup.supervisor_id, '{}'
FROM employees e
LEFT JOIN employees sup ON sup.id = e.supervisor_id
WHERE e.agency_id = '$AGENCY';
INSERT INTO evaluations (id, plan_id, agency_id, period_label)
SELECT gen_random_uuid(), p.id, p.agency_id, '2026-Q1' FROM performance_plans p WHERE p.status = 'approved';
VACUUM ANALYZE;
SQL
psql_bench -Atc "SELECT status, count(*) FROM performance_plans GROUP BY status ORDER BY status" | tr '\n' ' '
echo

login_as() { # $1: username, $2: NIP index → an access token
  local employee
  employee=$(psql_bench -Atc "SELECT id FROM employees WHERE nip = bench_nip($2)")
  curl -fsS -X POST "$API/users" -H "$AUTH" -H 'Content-Type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"$PASSWORD\", \"roles\": [\"employee\"], \"agency_id\": \"$AGENCY\", \"employee_id\": \"$employee\"}" >/dev/null
  curl -fsS "$API/auth/login" -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" | jq -r .access_token
}
LEADER=$(login_as leader 100)
TOP=$(login_as top 0)

# The statement the server runs, from its source.
STATEMENT=$(python3 - <<'PY'
import re
source = open("migrations/2026-12-01-000013_work_inbox/up.sql").read()
print(re.search(r"RETURN QUERY\n(.*?);\nEND", source, re.S).group(1))
PY
)
explain() { # $1: label, $2: NIP index
  local me
  me=$(psql_bench -Atc "SELECT id FROM employees WHERE nip = bench_nip($2)")
  echo "---- $1: EXPLAIN (ANALYZE, BUFFERS) of the inbox statement"
  psql_bench <<SQL | grep -E 'Execution Time|Planning Time|Index|Seq Scan|Bitmap' | sed 's/^/    /'
PREPARE inbox(uuid[], uuid, date, uuid) AS $STATEMENT;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE inbox(ARRAY['$me']::uuid[], '$me', current_date, '$AGENCY');
SQL
}
explain "a leader with 99 plans to approve" 100
explain "the top official with $((N / 100)) leaders' realisations to rate" 0

tps=$(pgbench_select_tps "$C" "$RUN")
printf '\npgbench -S, %s connections: %.0f tps\n' "$C" "$tps"
for who in LEADER TOP; do
  token=${!who}
  tasks=$(curl -fsS "$API/me/tasks/summary" -H "Authorization: Bearer $token" | jq -c '{total, overdue}')
  out=$(wrk -t2 -c"$C" -d"${RUN}s" --latency -H "Authorization: Bearer $token" "$API/me/tasks")
  rps=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  printf 'GET /me/tasks as %-6s %s: %8.0f req/s (%.2f of pgbench -S), p99 %s\n' "$who" "$tasks" "$rps" "$(echo "$rps / $tps" | bc -l)" "$p99"
done
