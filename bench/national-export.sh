#!/usr/bin/env bash
# The national SKP export streams in constant memory: the server's peak RSS while exporting
# N rated plans, against a baseline export of 1,000 from the same build, data and machine —
# as NDJSON, CSV and an Excel workbook (rows kept in a temporary file, zipped into the response).
# The measured server runs under /usr/bin/time -v against a database kept up by another one.
#
#   bash bench/national-export.sh            # N = 100000
#   N=20000 bash bench/national-export.sh
#
# Needs: a Rust toolchain, PostgreSQL server binaries (as for `kinerja serve`), psql, curl,
# jq and GNU time (/usr/bin/time). Prints one line per run and the ratio of peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-100000}"
BASELINE=1000
PORT="${PORT:-18091}"
source bench/lib.sh

# Two agencies, each with one unit, one rating official and `count` rated plans.
seed() { # $1: agency code, $2: count, $3: birth year of its people (keeps NIPs apart)
  psql_bench <<SQL
WITH agency AS (
  INSERT INTO agencies (id, code, name) VALUES (gen_random_uuid(), '$1', 'Bench $1') RETURNING id
), unit AS (
  INSERT INTO units (id, agency_id, code, name) SELECT gen_random_uuid(), id, 'U-$1', 'Dinas Bench $1' FROM agency RETURNING id, agency_id
), period AS (
  INSERT INTO periods (id, agency_id, name, starts_on, ends_on, cadence, rule_set)
  SELECT gen_random_uuid(), agency_id, 'SKP 2026', '2026-01-01', '2026-12-31', 'annual', 'permenpanrb-6-2022' FROM unit RETURNING id, agency_id
), rater AS (
  INSERT INTO employees (id, agency_id, nip, name, employment_type, unit_id, grade)
  SELECT gen_random_uuid(), unit.agency_id, '$3' || '0101199803' || '1001', 'Kepala $1', 'pns', unit.id, 'IV/a'
  FROM unit RETURNING id, agency_id, unit_id
), people AS (
  INSERT INTO employees (id, agency_id, nip, name, employment_type, unit_id, supervisor_id, grade)
  SELECT gen_random_uuid(), rater.agency_id,
         to_char(date '$3-01-01' + (i / 999), 'YYYYMMDD') || '2005' || '0' || (1 + i % 2) || lpad((i % 999 + 1)::text, 3, '0'),
         'Pegawai ' || i, 'pns', rater.unit_id, rater.id, 'III/b'
  FROM rater, generate_series(1, $2) AS i RETURNING id, agency_id, unit_id, supervisor_id
), plans AS (
  INSERT INTO performance_plans (id, agency_id, employee_id, period_id, approach, status, rater_id)
  SELECT gen_random_uuid(), people.agency_id, people.id, period.id, 'kuantitatif', 'rated', people.supervisor_id
  FROM people, period RETURNING id, agency_id, employee_id, period_id, rater_id
)
INSERT INTO final_ratings (plan_id, agency_id, period_id, employee_id, unit_id, result_rating, behaviour_rating,
                           rated_predikat, predikat, explanation, rated_by, rated_at)
SELECT plans.id, plans.agency_id, plans.period_id, plans.employee_id, people.unit_id,
       'sesuai_ekspektasi', 'sesuai_ekspektasi', 'baik', 'baik', '{}', plans.rater_id, now()
FROM plans JOIN people ON people.id = plans.employee_id;
SQL
}

token() {
  curl -fs "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" | jq -r .access_token
}

export_once() { # $1: agency code, $2: format → prints "lines bytes seconds"
  local ids agency period t0 t1
  ids=$(psql_bench -At -c "SELECT a.id || ' ' || p.id FROM agencies a JOIN periods p ON p.agency_id = a.id WHERE a.code = '$1'")
  agency=${ids% *}
  period=${ids#* }
  t0=$(date +%s.%N)
  curl -fs -H "Authorization: Bearer $(token)" \
    "http://127.0.0.1:$PORT/api/v1/exports/national-skp?agency_id=$agency&period_id=$period&format=$2" -o "$DATA/out"
  t1=$(date +%s.%N)
  local lines
  if [ "$2" = xlsx ]; then # rows of the sheet, header included, as a line count would have it
    lines=$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("xl/worksheets/sheet1.xml").count(b"<row "))' "$DATA/out")
  else
    lines=$(wc -l <"$DATA/out")
  fi
  echo "$lines $(stat -c %s "$DATA/out") $(echo "$t1 - $t0" | bc -l)"
}

peak_kib() { grep 'Maximum resident set size' "$1" | awk '{print $NF}'; }

seed BENCH-SMALL "$BASELINE" 1960
seed BENCH-LARGE "$N" 1970
psql_bench -c "VACUUM ANALYZE"

for format in ndjson csv xlsx; do
  start "$DATA/time-small.txt"
  read -r small_lines small_bytes small_secs <<<"$(export_once BENCH-SMALL "$format")"
  stop
  start "$DATA/time-large.txt"
  read -r large_lines large_bytes large_secs <<<"$(export_once BENCH-LARGE "$format")"
  stop
  small_kib=$(peak_kib "$DATA/time-small.txt")
  large_kib=$(peak_kib "$DATA/time-large.txt")
  printf '%-6s baseline: %7d lines %10d bytes %6.2f s  peak RSS %7d KiB\n' "$format" "$small_lines" "$small_bytes" "$small_secs" "$small_kib"
  printf '%-6s large:    %7d lines %10d bytes %6.2f s  peak RSS %7d KiB  (%.0f lines/s)\n' "$format" "$large_lines" \
    "$large_bytes" "$large_secs" "$large_kib" "$(echo "$large_lines / $large_secs" | bc -l)"
  printf '%-6s peak RSS ratio large/baseline: %.2f for %dx the records\n' "$format" "$(echo "$large_kib / $small_kib" | bc -l)" \
    "$((N / BASELINE))"
done
