#!/usr/bin/env bash
# Concurrent writes over HTTP against the release server on its embedded database (a probe of
# correctness, not of speed): ROUNDS times, 50 PATCHes of one employee sent at once with the
# same If-Match (expected: 1 × 200, 49 × 412), then 10 tries of a PATCH of `name` racing a
# PATCH of `email` without If-Match (expected: neither change lost).
#
#   bash bench/races.sh              # ROUNDS = 10
#   BIN=/path/to/other/kinerja bash bench/races.sh    # e.g. an older build, to compare
#
# Needs: a Rust toolchain, PostgreSQL server binaries (as for `kinerja serve`), curl, jq, xargs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-10}"
PORT="${PORT:-18095}"
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/kinerja
fi
DATA="$(mktemp -d /tmp/kinerja-races-XXXXXX)"
chmod 711 "$DATA"
PASSWORD="races-password-$RANDOM$RANDOM"
KINERJA_DATA_DIR="$DATA" KINERJA_BIND="127.0.0.1:$PORT" KINERJA_ADMIN_PASSWORD="$PASSWORD" RUST_LOG=warn \
  "$BIN" serve >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done

API="http://127.0.0.1:$PORT/api/v1"
json() { curl -s -H "Authorization: Bearer ${T:-}" -H 'Content-Type: application/json' "$@"; }
T=$(json -X POST "$API/auth/login" -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" | jq -r .access_token)
AGENCY=$(json -X POST "$API/agencies" -d '{"code":"RACE","name":"Pemerintah Race"}' | jq -r .id)
E=$(json -X POST "$API/employees" \
  -d "{\"nip\":\"199001012015031001\",\"name\":\"Budi\",\"agency_id\":\"$AGENCY\",\"employment_type\":\"pns\"}" | jq -r .id)

echo "50 PATCHes at once with one If-Match, per round (count status):"
for _ in $(seq 1 "$ROUNDS"); do
  TAG=$(curl -s -D - -o /dev/null "$API/employees/$E" -H "Authorization: Bearer $T" \
        | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
  seq 1 50 | xargs -P 50 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X PATCH "$API/employees/$E" \
      -H "Authorization: Bearer $T" -H 'Content-Type: application/json' -H "If-Match: $TAG" -d '{"name":"Budi {}"}' \
    | sort | uniq -c | tr '\n' ' '
  echo
done

lost=0
for i in $(seq 1 10); do
  json -o /dev/null -X PATCH "$API/employees/$E" -d "{\"name\":\"Nama $i\"}" & a=$!
  json -o /dev/null -X PATCH "$API/employees/$E" -d "{\"email\":\"b$i@race.go.id\"}" & b=$!
  wait $a $b
  now=$(json "$API/employees/$E" | jq -r '.name + " " + .email')
  [ "$now" = "Nama $i b$i@race.go.id" ] || lost=$((lost + 1))
done
echo "a name PATCH racing an email PATCH lost a field in $lost of 10 tries"
