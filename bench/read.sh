#!/usr/bin/env bash
# Read speed against PostgreSQL's own pace: three reads at C connections, each as a ratio to
# `pgbench -S` (select-only, its own `pgbench -i -s 10` database in the same cluster) measured in
# the same run on the same machine.
#
#   GET /employees/{id}                   one employee
#   GET /performance-plans/{id}           a whole plan: 10 results × 3 indicators, expectations
#   GET /employees?agency_id=…&limit=50   the first page of an agency of N employees
#
#   bash bench/read.sh                    # N = 100000 employees, C = 64, 10 s per run
#   N=20000 SECONDS_PER_RUN=5 bash bench/read.sh
#   PROFILE=1 bash bench/read.sh          # also where the CPU goes during each read (perf): the split
#                                         # between server, PostgreSQL and wrk; the top functions of
#                                         # the server and of PostgreSQL
#
# The N employees are loaded through the import endpoint, the plan through the API. The load
# generator is wrk (`apt-get install wrk`; the script installs it with apt-get when it is missing
# and it may). Needs also: a Rust toolchain, PostgreSQL server binaries, psql, pgbench, curl, jq, bc.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-100000}"
C="${C:-64}"
RUN="${SECONDS_PER_RUN:-10}"
PORT="${PORT:-18095}"

source bench/lib.sh
ensure_wrk
start "$DATA/time.txt"

# ---- data: N employees by import, one agency, a plan of 10 results × 3 indicators ----
bench_employees_csv
TOKEN=$(admin_token)
AUTH="Authorization: Bearer $TOKEN"
API="http://127.0.0.1:$PORT/api/v1"
post() { # $1: path, $2: JSON body → the answer
  curl -fsS -X POST "$API$1" -H "$AUTH" -H 'Content-Type: application/json' -d "$2"
}

curl -fsS -H "$AUTH" -H 'Content-Type: text/csv' --data-binary @"$DATA/employees.csv" "$API/imports/employees" \
  | jq -c '{total, inserted, rejected}'

AGENCY=$(psql_bench -Atc "SELECT id FROM agencies WHERE code = 'BENCH'")
EMPLOYEE=$(psql_bench -Atc "SELECT id FROM employees WHERE nip = bench_nip(1)")
PERIOD=$(post /periods "{\"agency_id\": \"$AGENCY\", \"name\": \"SKP 2026\", \"starts_on\": \"2026-01-01\",
  \"ends_on\": \"2026-12-31\", \"cadence\": \"quarterly\"}" | jq -r .id)
PLAN=$(post /performance-plans "{\"employee_id\": \"$EMPLOYEE\", \"period_id\": \"$PERIOD\", \"approach\": \"kuantitatif\"}" | jq -r .id)
for r in $(seq 1 10); do
  post "/performance-plans/$PLAN/results" "{\"kind\": \"utama\", \"description\": \"Hasil kerja $r\",
    \"indicators\": [
      {\"description\": \"Dokumen $r selesai\", \"aspect\": \"kuantitas\", \"target_value\": 12, \"target_unit\": \"dokumen\"},
      {\"description\": \"Dokumen $r tanpa revisi\", \"aspect\": \"kualitas\", \"target_value\": 90, \"target_unit\": \"persen\"},
      {\"description\": \"Dokumen $r tepat waktu\", \"aspect\": \"waktu\", \"target_value\": 12, \"target_unit\": \"bulan\"}]}" >/dev/null
done
results=$(curl -fsS "$API/performance-plans/$PLAN" -H "$AUTH" | jq -c '[(.results | length), ([.results[].indicators | length] | add)]')
echo "plan $PLAN: [results, indicators] = $results"
psql_bench -qc "VACUUM ANALYZE"

# ---- the baseline: pgbench -S in its own database of the same cluster ----
tps=$(pgbench_select_tps "$C" "$RUN")
printf 'pgbench -S, %s connections: %.0f tps\n\n' "$C" "$tps"

# ---- the reads ----
measure() { # $1: label, $2: path
  local out rps p99
  curl -fsS -o /dev/null "$API$2" -H "$AUTH" # answers 200 before it is measured
  local perf_pid=""
  if [ -n "${PROFILE:-}" ]; then
    perf record -a -g -o "$DATA/profile.data" -- sleep "$((RUN - 1))" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  out=$(wrk -t2 -c"$C" -d"${RUN}s" --latency -H "$AUTH" "$API$2")
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid"
    perf report -i "$DATA/profile.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep '%' | head -4 >"$DATA/profile.txt" || true
    perf report -i "$DATA/profile.data" --no-children --comm 'actix-rt|system' --sort dso,sym --stdio -g none 2>/dev/null \
      | grep '%' | head -25 >>"$DATA/profile.txt" || true
    echo "  PostgreSQL:" >>"$DATA/profile.txt"
    perf report -i "$DATA/profile.data" --no-children --comm postgres --sort dso,sym --stdio -g none 2>/dev/null \
      | grep '%' | head -15 >>"$DATA/profile.txt" || true
  fi
  if echo "$out" | grep -q 'Non-2xx'; then
    echo "$out" >&2
    echo "$1: some answers were not 2xx" >&2
    exit 1
  fi
  rps=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  printf '| %-40s | %8.0f | %5.2f | %8s |\n' "$1" "$rps" "$(echo "$rps / $tps" | bc -l)" "$p99"
  if [ -n "$perf_pid" ]; then
    sed 's/^/    /' "$DATA/profile.txt" >&2
  fi
}

printf '| %-40s | %8s | %5s | %8s |\n' "read ($C connections, ${RUN} s)" "req/s" "ratio" "p99"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..42})" "----------" "-------" "----------"
measure "GET /employees/{id}" "/employees/$EMPLOYEE"
measure "GET /performance-plans/{id} (10x3)" "/performance-plans/$PLAN"
measure "GET /employees?agency_id=X&limit=50" "/employees?agency_id=$AGENCY&limit=50"
