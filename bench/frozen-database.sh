#!/usr/bin/env bash
# A database that stops answering: every PostgreSQL process of the cluster is stopped (SIGSTOP)
# for FREEZE seconds while 6 requests are in flight (reads and a write), then continued. Reports
# each request's status and time, against the same requests on a database that answers, in the
# same run. With the server's deadline (KINERJA_REQUEST_TIMEOUT, 8 s by default) none is held
# past it.
#
#   bash bench/frozen-database.sh            # FREEZE=12
#
# Needs: what bench/import.sh needs (psql, curl, jq, bc).
set -euo pipefail
cd "$(dirname "$0")/.."

FREEZE="${FREEZE:-12}"
PORT="${PORT:-18097}"
N=1000
source bench/lib.sh
start "$DATA/time.txt"
bench_employees_csv
TOKEN=$(admin_token)
API="http://127.0.0.1:$PORT/api/v1"
curl -fs "$API/imports/employees" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' \
  --data-binary @"$DATA/employees.csv" >/dev/null
AGENCY=$(psql_bench -qAt -c "SELECT id FROM agencies WHERE code = 'BENCH'")
EMPLOYEE=$(psql_bench -qAt -c "SELECT id FROM employees LIMIT 1")

# Six requests at once; prints "what status seconds" for each.
six() {
  local i pids=""
  for i in 1 2 3; do
    curl -s -o /dev/null -w "list %{http_code} %{time_total}\n" --max-time 60 \
      "$API/employees?agency_id=$AGENCY&limit=50" -H "Authorization: Bearer $TOKEN" &
    pids+=" $!"
    curl -s -o /dev/null -w "patch %{http_code} %{time_total}\n" --max-time 60 -X PATCH \
      "$API/employees/$EMPLOYEE" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "{\"name\": \"Pegawai Beku $i\"}" &
    pids+=" $!"
  done
  # shellcheck disable=SC2086
  wait $pids
}

echo "-- database answering"
six | sort
# The cluster's processes: those working in its data folder.
cluster=$(for p in /proc/[0-9]*; do
  if [ "$(readlink "$p/cwd" 2>/dev/null)" = "$DATA/postgres" ]; then basename "$p"; fi
done | tr '\n' ' ')
echo "-- database frozen for $FREEZE s (SIGSTOP of $(echo "$cluster" | wc -w) processes)"
# shellcheck disable=SC2086
kill -STOP $cluster
(sleep "$FREEZE"; kill -CONT $cluster) &
thaw=$!
six | sort
wait "$thaw"
echo "-- after"
six | sort
stop
