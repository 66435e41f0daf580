#!/usr/bin/env bash
# The contract against a running server, as client teams meet it (check.sh runs this when
# KINERJA_CONTRACT_URL is set, with the clients it generated in $1):
#   the generated Python client uploads a CSV and an NDJSON file of units, and reads them back;
#   a portal page from an allowed origin logs in and lists employees through the generated
#   TypeScript client in headless Chromium (Debian's package, installed here when missing),
#   and the same page from another origin is refused by the browser.
# Needs KINERJA_CONTRACT_URL (e.g. http://127.0.0.1:18080), KINERJA_CONTRACT_PASSWORD (admin's)
# and a server started with KINERJA_CORS_ORIGINS=http://127.0.0.1:$KINERJA_CONTRACT_PAGE_PORT.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
url="$KINERJA_CONTRACT_URL"
password="$KINERJA_CONTRACT_PASSWORD"
allowed_port="${KINERJA_CONTRACT_PAGE_PORT:-18091}"
other_port=$((allowed_port + 1))
cache="${KINERJA_CONTRACT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kinerja-contract}"

echo "-- the generated Python client uploads a CSV and an NDJSON file"
KINERJA_URL="$url" KINERJA_PASSWORD="$password" PYTHONPATH="$work/py" "$cache/venv/bin/python" - <<'PY'
import os, uuid
from kinerja_client import Client, AuthenticatedClient
from kinerja_client.api.auth import log_in
from kinerja_client.api.organisation import create_agency, list_units
from kinerja_client.api.imports import import_records
from kinerja_client.models import CreateAgency, ImportKind, ImportRecordsFormat, ImportReport, LoginRequest
from kinerja_client.types import File

url = os.environ["KINERJA_URL"]
pair = log_in.sync(client=Client(base_url=url), body=LoginRequest(username="admin", password=os.environ["KINERJA_PASSWORD"]))
api = AuthenticatedClient(base_url=url, token=pair.access_token)
code = f"KAB-UJI-{uuid.uuid4().hex[:6].upper()}"
agency = create_agency.sync(client=api, body=CreateAgency(code=code, name="Pemerintah Kabupaten Uji"))
csv = f"agency_code,code,name,parent_code\n{code},SETDA,Sekretariat Daerah,\n{code},DISDIK,Dinas Pendidikan,SETDA\n"
report = import_records.sync(client=api, kind=ImportKind.UNITS, body=File(payload=csv.encode(), file_name="units.csv"))
assert isinstance(report, ImportReport) and report.inserted == 2, report
ndjson = f'{{"agency_code":"{code}","code":"BKPSDM","name":"Badan Kepegawaian","parent_code":"SETDA"}}\n'
report = import_records.sync(client=api, kind=ImportKind.UNITS, format_=ImportRecordsFormat.NDJSON,
                             body=File(payload=ndjson.encode(), file_name="units.ndjson"))
assert isinstance(report, ImportReport) and report.inserted == 1, report
units = list_units.sync(client=api, agency_id=agency.id)
assert sorted(u.code for u in units.items) == ["BKPSDM", "DISDIK", "SETDA"], units
employees = f"agency_code,nip,name,employment_type,unit_code\n{code},198503152010012003,Rina Wulandari,pns,DISDIK\n"
report = import_records.sync(client=api, kind=ImportKind.EMPLOYEES, body=File(payload=employees.encode()))
assert isinstance(report, ImportReport) and report.inserted == 1, report
print(f"uploaded CSV and NDJSON files into {code}; its units and employee read back")
PY

echo "-- a portal page in headless Chromium, from an allowed origin and from another"
if ! command -v chromium >/dev/null; then
  command -v apt-get >/dev/null || { echo "missing: chromium (Debian: apt-get install chromium)"; exit 1; }
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
site="$work/portal-site"
mkdir -p "$site" "$work/ts/portal"
cp "$here/portal/portal.ts" "$here/portal/tsconfig.json" "$work/ts/portal/"
(cd "$work/ts/portal" && "$cache/node/node_modules/.bin/tsc" -p tsconfig.json)
cp "$work/ts/portal/out/portal.js" "$here/portal/index.html" "$site/"
cp "$cache/node/node_modules/openapi-fetch/dist/index.mjs" "$site/openapi-fetch.mjs"
python3 -m http.server "$allowed_port" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
allowed_site=$!
python3 -m http.server "$other_port" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
other_site=$!
trap 'kill "$allowed_site" "$other_site" 2>/dev/null || true' EXIT
sleep 1
page() {
  local profile
  profile=$(mktemp -d)
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" --virtual-time-budget=20000 \
    --dump-dom "http://127.0.0.1:$1/index.html#api=$url&user=admin&password=$password" 2>/dev/null \
    | sed -n 's:.*<pre id="result">\(.*\)</pre>.*:\1:p'
  rm -rf "$profile"
}
allowed=$(page "$allowed_port")
echo "from http://127.0.0.1:$allowed_port (allowed): $allowed"
[[ "$allowed" == ok*"Rina Wulandari"* ]] || { echo "the allowed page could not list employees"; exit 1; }
other=$(page "$other_port")
echo "from http://127.0.0.1:$other_port (not allowed): $other"
[[ "$other" == refused* ]] || { echo "the page from another origin was not refused"; exit 1; }
