#!/usr/bin/env bash
# Imports under abuse: what a hostile or careless file costs the server. For N in SIZES, a dry
# run of N distinct valid employee rows (the baseline) and of N identical rows (every row a
# duplicate of every other), timed with curl, with the answer's size; then a header of 200,000
# unknown columns, and a `Content-Length` far over the limit with no body. Reported as the
# duplicate file's time and answer size against the valid file's of the same size.
#
#   bash bench/hostile-imports.sh                 # SIZES="2000 16000 220000"
#   SIZES="2000 16000" bash bench/hostile-imports.sh
#
# Needs: what bench/import.sh needs (psql, curl, jq, bc).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES="${SIZES:-2000 16000 220000}"
PORT="${PORT:-18095}"
N=1
source bench/lib.sh
start "$DATA/time.txt"
bench_employees_csv
TOKEN=$(admin_token)
URL="http://127.0.0.1:$PORT/api/v1/imports/employees"

# Prints "status seconds bytes" of a dry run of the file $1.
dry_run() {
  curl -s -o "$DATA/answer.json" -w '%{http_code} %{time_total} %{size_download}' --max-time 600 \
    "$URL?dry_run=true" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' --data-binary @"$1"
}

printf '%-8s %-26s %-26s %s\n' rows "valid: status s bytes" "identical: status s bytes" "time ratio"
for n in $SIZES; do
  head -1 "$DATA/employees.csv" >"$DATA/valid.csv"
  psql_bench -qAt -c "\copy (SELECT 'BENCH', bench_nip(i), 'Pegawai ' || i, 'pns', 'III/b', NULL, 'DINAS', NULL
                             FROM generate_series(1, $n) i) TO STDOUT WITH (FORMAT csv)" >>"$DATA/valid.csv"
  head -1 "$DATA/employees.csv" >"$DATA/same.csv"
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print "BENCH,199001012015011001,Pegawai Sama,pns,III/b,,DINAS," }' \
    >>"$DATA/same.csv"
  read -r vs vt vb <<<"$(dry_run "$DATA/valid.csv")"
  read -r ss st sb <<<"$(dry_run "$DATA/same.csv")"
  printf '%-8s %-26s %-26s %.2f\n' "$n" "$vs $vt $vb" "$ss $st $sb" "$(echo "$st / $vt" | bc -l)"
done

python3 -c "print(','.join(['nip','name','employment_type'] + ['x%d' % i for i in range(200000)]))" >"$DATA/wide.csv"
echo "199001012015011001,Pegawai,pns" >>"$DATA/wide.csv"
echo "200,000 unknown columns: $(dry_run "$DATA/wide.csv") (status s bytes)"

# A declared 500 MB body that never comes: refused at once, or held until the client gives up.
held=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 30 -X POST "$URL" \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' -H 'Content-Length: 524288000' \
  -H 'Expect:' --data-binary '' || true)
echo "Content-Length 524288000, no body: $held (status s)"
stop
