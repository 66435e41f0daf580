#!/usr/bin/env bash
# Bulk import speed: N employees (with unit, grade, email and a supervisor chain) imported in one
# `curl --data-binary` request, against `psql \copy` of the same CSV into a plain table of text
# columns in the same run and database (the floor: no checks, no keys, no indexes, no audit).
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
source bench/lib.sh
start "$DATA/time.txt"

psql_bench <<SQL
INSERT INTO agencies (id, code, name) VALUES (gen_random_uuid(), 'BENCH', 'Pemerintah Bench');
INSERT INTO units (id, agency_id, code, name) SELECT gen_random_uuid(), id, 'DINAS', 'Dinas Bench' FROM agencies WHERE code = 'BENCH';
CREATE TABLE bench_plain (agency_code text, nip text, name text, employment_type text, grade text, email text, unit_code text,
                          supervisor_nip text);
SQL

# N valid employees: NIP = birth date, appointment month, gender digit, sequence. Row 0 heads
# everyone; every 100th row leads the 99 rows after it, and leaders report to row 0. Leaders
# come after their staff in the file, so supervisors are resolved from further down.
psql_bench <<'SQL'
CREATE FUNCTION bench_nip(i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(date '1970-01-01' + (i / 999), 'YYYYMMDD') || '200501' || (1 + i % 2)::text
         || lpad((i % 999 + 1)::text, 3, '0')
$$;
SQL
psql_bench -c "\copy (
  SELECT 'BENCH' AS agency_code, bench_nip(i) AS nip, 'Pegawai Bench ' || i AS name, 'pns' AS employment_type,
         'III/b' AS grade, 'pegawai' || i || '@bench.go.id' AS email, 'DINAS' AS unit_code,
         CASE WHEN i = 0 THEN NULL WHEN i % 100 = 0 THEN bench_nip(0) ELSE bench_nip(i / 100 * 100) END AS supervisor_nip
  FROM generate_series(0, $N - 1) AS i
  ORDER BY (i % 100 = 0), i DESC
) TO '$DATA/employees.csv' WITH (FORMAT csv, HEADER)"

TOKEN=$(curl -fs "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" | jq -r .access_token)

now() { date +%s.%N; }

t0=$(now)
psql_bench -c "\copy bench_plain FROM '$DATA/employees.csv' WITH (FORMAT csv, HEADER)"
t1=$(now)
copy_secs=$(echo "$t1 - $t0" | bc -l)

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
printf 'import by curl:                %8d rows %6.2f s %9.0f rows/s  ratio to \\copy %.2f\n' "$rows" "$import_secs" \
  "$(echo "$rows / $import_secs" | bc -l)" "$(echo "$copy_secs / $import_secs" | bc -l)"
printf 're-run (nothing changes):      %8d rows %6.2f s %9.0f rows/s  ratio to \\copy %.2f\n' "$rows" "$rerun_secs" \
  "$(echo "$rows / $rerun_secs" | bc -l)" "$(echo "$copy_secs / $rerun_secs" | bc -l)"
printf 'other requests during the import: %d answered, %d failed, slowest %.3f s\n' \
  "$(grep -vc fail "$DATA/probe.txt")" "$(grep -c fail "$DATA/probe.txt" || true)" \
  "$(grep -v fail "$DATA/probe.txt" | sort -g | tail -1)"
stop
printf 'server peak RSS: %d KiB; file size %d bytes\n' "$(grep 'Maximum resident set size' "$DATA/time.txt" | awk '{print $NF}')" \
  "$(stat -c %s "$DATA/employees.csv")"
