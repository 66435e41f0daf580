# Shared by the benchmarks (sourced, with PORT set): builds the release binary, starts the
# embedded PostgreSQL kept up by a kinerja server that is not measured (on PORT + 1), and offers
# start/stop of the measured server on PORT (logging at SERVER_LOG, default warn), which reaches the database by DATABASE_URL so that
# /usr/bin/time sees kinerja alone, not PostgreSQL's processes (which would otherwise be its
# children). Everything lives in a temporary folder removed on exit.
# shellcheck shell=bash

DATA="$(mktemp -d /tmp/kinerja-bench-XXXXXX)"
chmod 755 "$DATA"
PASSWORD="bench-password-$RANDOM$RANDOM"
SECRET="bench-secret-$RANDOM$RANDOM$RANDOM$RANDOM-0123456789abcdef"
trap 'pkill -TERM -P "${SERVER:-0}" 2>/dev/null || true; kill -TERM "${HOLDER:-0}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DATA"' EXIT

cargo build --release --quiet
BIN=target/release/kinerja

wait_ready() { # $1: port
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$DATA"/*.log
  exit 1
}

for port in "$PORT" "$((PORT + 1))"; do
  if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    echo "port $port is taken; set PORT=" >&2
    exit 1
  fi
done

KINERJA_DATA_DIR="$DATA" KINERJA_BIND="127.0.0.1:$((PORT + 1))" KINERJA_ADMIN_PASSWORD="$PASSWORD" \
  KINERJA_JWT_SECRET="$SECRET" RUST_LOG=warn "$BIN" serve >"$DATA/db-holder.log" 2>&1 &
HOLDER=$!
wait_ready "$((PORT + 1))"
DB_URL="postgresql:///kinerja?host=$DATA/postgres&port=5432&user=kinerja"

start() { # $1: file for /usr/bin/time's report
  mkdir -p "$DATA/measured"
  DATABASE_URL="$DB_URL" KINERJA_DATA_DIR="$DATA/measured" KINERJA_BIND="127.0.0.1:$PORT" KINERJA_JWT_SECRET="$SECRET" \
    RUST_LOG="${SERVER_LOG:-warn}" /usr/bin/time -v -o "$1" "$BIN" serve >"$DATA/server.log" 2>&1 &
  SERVER=$!
  wait_ready "$PORT"
}

# SIGTERM to kinerja itself (the child of /usr/bin/time), which then reports and exits.
stop() {
  pkill -TERM -P "$SERVER" || true
  wait "$SERVER" || true
}

psql_bench() {
  psql -q -v ON_ERROR_STOP=1 "$DB_URL" "$@"
}

# The agency BENCH with its unit DINAS, and $N valid employees of it as an import file
# ($DATA/employees.csv). NIP = birth date, appointment month, gender digit, sequence
# (bench_nip(i)). Row 0 heads everyone; every 100th row leads the 99 rows after it, and leaders
# report to row 0. Leaders come after their staff in the file, so supervisors are resolved from
# further down.
bench_employees_csv() {
  psql_bench <<'SQL'
INSERT INTO agencies (id, code, name) VALUES (gen_random_uuid(), 'BENCH', 'Pemerintah Bench');
INSERT INTO units (id, agency_id, code, name) SELECT gen_random_uuid(), id, 'DINAS', 'Dinas Bench' FROM agencies WHERE code = 'BENCH';
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
}

# An access token of the bootstrap admin.
admin_token() {
  curl -fs "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" | jq -r .access_token
}


# wrk, the load generator of read.sh and tasks.sh: installed with apt-get when it is missing.
ensure_wrk() {
  if ! command -v wrk >/dev/null; then
    echo "wrk is missing; installing it with apt-get" >&2
    apt-get install -y -qq wrk >/dev/null || { echo "install wrk (apt-get install wrk) and run again" >&2; exit 1; }
  fi
}

# The baseline: pgbench -S (select-only) at $1 connections for $2 s on its own `pgbench -i -s 10`
# database of the same cluster; prints the tps.
pgbench_select_tps() {
  psql_bench -qc "CREATE DATABASE bench_pgbench"
  local url="${DB_URL/\/kinerja\?/\/bench_pgbench?}"
  pgbench -q -i -s 10 "$url" >/dev/null 2>&1
  pgbench -S -n -c "$1" -j 2 -T "$2" "$url" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
