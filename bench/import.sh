#!/usr/bin/env bash
# Bulk import speed: N employees (with unit, grade, email and a supervisor chain) imported in one
# `curl --data-binary` request, against two baselines in the same run and database: `psql \copy`
# of the same CSV into a plain table of text columns (no checks, keys, indexes or audit), and the
# honest floor, `\copy` of the same rows (ids resolved) into a table like `employees` with its
# indexes and foreign keys, plus their audit rows into a table like `audit_events`.
# Also: a re-run of the same file (every row matched, none changed), the server's peak memory
# (/usr/bin/time -v), and how other requests fare while the import runs.
#
#   bash bench/import.sh            # N = 100000
#   N=20000 bash bench/import.sh
#
# Needs: a Rust toolchain, PostgreSQL server binaries (as for `kinerja serve`), psql, curl, jq,
# bc and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-100000}"
PORT="${PORT:-18093}"
SERVER_LOG="warn,kinerja_api::import=info" # the import's phases, printed at the end
source bench/lib.sh
start "$DATA/time.txt"

bench_employees_csv
psql_bench -qc "CREATE TABLE bench_plain (agency_code text, nip text, name text, employment_type text, grade text,
                                          email text, unit_code text, supervisor_nip text)"
TOKEN=$(admin_token)

now() { date +%s.%N; }

t0=$(now)
psql_bench -c "\copy bench_plain FROM '$DATA/employees.csv' WITH (FORMAT csv, HEADER)"
t1=$(now)
copy_secs=$(echo "$t1 - $t0" | bc -l)

# The honest floor: the same rows, ids already resolved, \copy'd into a table made like
# `employees` (its indexes, unique NIP and checks) with the same four foreign keys, plus one audit
# row each into a table made like `audit_events` (its indexes), in one transaction. What the
# import does beyond that (reading and checking the file, resolving natural keys, the upsert)
# is its own cost.
psql_bench <<'SQL'
CREATE TABLE bench_floor (LIKE employees INCLUDING ALL);
ALTER TABLE bench_floor
  ADD FOREIGN KEY (agency_id) REFERENCES agencies (id),
  ADD FOREIGN KEY (unit_id) REFERENCES units (id),
  ADD FOREIGN KEY (position_id) REFERENCES positions (id),
  ADD FOREIGN KEY (supervisor_id) REFERENCES bench_floor (id);
CREATE TABLE bench_floor_audit (LIKE audit_events INCLUDING ALL);
CREATE FUNCTION bench_id(i int) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$ SELECT md5('bench' || i)::uuid $$;
SQL
psql_bench -c "\copy (
  SELECT bench_id(i) AS id, a.id AS agency_id, bench_nip(i) AS nip, 'Pegawai Bench ' || i AS name, u.id AS unit_id,
         NULL::uuid AS position_id,
         CASE WHEN i = 0 THEN NULL WHEN i % 100 = 0 THEN bench_id(0) ELSE bench_id(i / 100 * 100) END AS supervisor_id,
         'pns' AS employment_type, 'III/b' AS grade, 'pegawai' || i || '@bench.go.id' AS email, now() AS created_at,
         now() AS updated_at
  FROM generate_series(0, $N - 1) AS i, agencies a JOIN units u ON u.agency_id = a.id WHERE a.code = 'BENCH'
) TO '$DATA/floor.csv' WITH (FORMAT csv)"
psql_bench -c "\copy (
  SELECT gen_random_uuid() AS id, now() AS at, 'user' AS actor_kind, gen_random_uuid() AS actor_id, a.id AS agency_id,
         'employee' AS entity, bench_id(i) AS entity_id, 'create' AS action,
         jsonb_build_object('nip', bench_nip(i), 'name', 'Pegawai Bench ' || i, 'employment_type', 'pns', 'grade', 'III/b',
                            'email', 'pegawai' || i || '@bench.go.id', 'unit_id', a.id, 'supervisor_id', bench_id(0)) AS changes,
         'bench' AS request_id
  FROM generate_series(0, $N - 1) AS i, agencies a WHERE a.code = 'BENCH'
) TO '$DATA/floor-audit.csv' WITH (FORMAT csv)"
t0=$(now)
psql_bench <<SQL
BEGIN;
\copy bench_floor (id, agency_id, nip, name, unit_id, position_id, supervisor_id, employment_type, grade, email, created_at, updated_at) FROM '$DATA/floor.csv' WITH (FORMAT csv)
\copy bench_floor_audit (id, at, actor_kind, actor_id, agency_id, entity, entity_id, action, changes, request_id) FROM '$DATA/floor-audit.csv' WITH (FORMAT csv)
COMMIT;
SQL
t1=$(now)
floor_secs=$(echo "$t1 - $t0" | bc -l)

import_once() { # $1: output file → prints seconds
  local t0 t1
  t0=$(now)
  curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' \
    --data-binary @"$DATA/employees.csv" "http://127.0.0.1:$PORT/api/v1/imports/employees" -o "$1"
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}

# Other traffic during the import: one small read every 0.1 s, timed.
probe() {
  while [ ! -e "$DATA/done" ]; do
    curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" \
      "http://127.0.0.1:$PORT/api/v1/agencies?limit=1" >>"$DATA/probe.txt" || echo fail >>"$DATA/probe.txt"
    sleep 0.1
  done
}
probe &
PROBE=$!
import_secs=$(import_once "$DATA/first.json")
touch "$DATA/done"
wait "$PROBE"
rerun_secs=$(import_once "$DATA/rerun.json")

rows=$(jq .total "$DATA/first.json")
echo "first import: $(jq -c '{total, inserted, updated, changed, rejected}' "$DATA/first.json")"
echo "re-run:       $(jq -c '{total, inserted, updated, changed, rejected}' "$DATA/rerun.json")"
printf 'psql \\copy into a plain table: %8d rows %6.2f s %9.0f rows/s\n' "$rows" "$copy_secs" "$(echo "$rows / $copy_secs" | bc -l)"
printf 'floor: \\copy like employees:   %8d rows %6.2f s %9.0f rows/s  (indexes, foreign keys, audit rows)\n' "$rows" \
  "$floor_secs" "$(echo "$rows / $floor_secs" | bc -l)"
printf 'import by curl:                %8d rows %6.2f s %9.0f rows/s  ratio to \\copy %.2f, to the floor %.2f\n' "$rows" \
  "$import_secs" "$(echo "$rows / $import_secs" | bc -l)" "$(echo "$copy_secs / $import_secs" | bc -l)" \
  "$(echo "$floor_secs / $import_secs" | bc -l)"
printf 're-run (nothing changes):      %8d rows %6.2f s %9.0f rows/s  ratio to \\copy %.2f\n' "$rows" "$rerun_secs" \
  "$(echo "$rows / $rerun_secs" | bc -l)" "$(echo "$copy_secs / $rerun_secs" | bc -l)"
printf 'other requests during the import: %d answered, %d failed, slowest %.3f s\n' \
  "$(grep -vc fail "$DATA/probe.txt")" "$(grep -c fail "$DATA/probe.txt" || true)" \
  "$(grep -v fail "$DATA/probe.txt" | sort -g | tail -1)"
stop
printf 'server peak RSS: %d KiB; file size %d bytes\n' "$(grep 'Maximum resident set size' "$DATA/time.txt" | awk '{print $NF}')" \
  "$(stat -c %s "$DATA/employees.csv")"
echo "the import's phases (time since it started; the first import, then the re-run):"
grep -o 'import finished.*' "$DATA/server.log" | sed 's/\x1b\[[0-9;]*m//g; s/^/  /'
