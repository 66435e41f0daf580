#!/usr/bin/env bash
# Checks openapi/openapi.json with the independent tools client teams use, each pinned here
# (package-lock.json, requirements.txt) and installed from npm and PyPI into a cache folder:
#   openapi-spec-validator            the document is valid OpenAPI 3.1
#   @redocly/cli lint (recommended)   no errors
#   openapi-typescript + tsc --strict usage.ts (login, a page walk, a rating's explanation,
#                                     a PATCH with If-Match, a webhook receiver, the event feed)
#                                     compiles against the generated types, none an empty record
#   openapi-python-client             generates a package whose every module imports
# and, when KINERJA_CONTRACT_URL names a running server, live.sh: the generated Python client
# uploads files, and a portal page calls the API from a browser (CORS) through the TypeScript one.
# Needs node/npm (20 or later) and python3 with venv. KINERJA_CONTRACT_CACHE moves the cache.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
spec="$here/../openapi.json"
cache="${KINERJA_CONTRACT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kinerja-contract}"
for tool in node npm python3; do
  command -v "$tool" >/dev/null || {
    echo "missing: $tool (Debian: apt-get install nodejs npm python3-venv; or https://nodejs.org)"; exit 1; }
done
mkdir -p "$cache/node"

# The npm tools, reinstalled only when the lock file changes.
if ! cmp -s "$here/package-lock.json" "$cache/node/package-lock.json"; then
  cp "$here/package.json" "$here/package-lock.json" "$cache/node/"
  (cd "$cache/node" && npm ci --no-audit --no-fund --loglevel=error)
fi
# The Python tools, likewise.
if ! cmp -s "$here/requirements.txt" "$cache/requirements.txt"; then
  rm -rf "$cache/venv"
  python3 -m venv "$cache/venv"
  "$cache/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$cache/requirements.txt"
fi
bin="$cache/node/node_modules/.bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "-- openapi-spec-validator"
"$cache/venv/bin/openapi-spec-validator" "$spec"

echo "-- redocly lint (recommended rules)"
(cd "$here" && NO_UPDATE_NOTIFIER=1 REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$bin/redocly" lint "$spec" --config "$here/redocly.yaml" --format=summary 2>&1 | grep -v '^\s*[║╔╚]' )

echo "-- openapi-typescript, then tsc --strict on usage.ts"
mkdir -p "$work/ts/generated" "$work/ts/node_modules"
cp "$here/usage.ts" "$here/tsconfig.json" "$work/ts/"
ln -s "$cache/node/node_modules/openapi-fetch" "$work/ts/node_modules/openapi-fetch"
"$bin/openapi-typescript" "$spec" -o "$work/ts/generated/schema.d.ts" --silent
# Nothing generated as an empty record but openapi-typescript's own `$defs` (webhooks included).
if grep -n 'Record<string, never>' "$work/ts/generated/schema.d.ts" | grep -v 'export type \$defs'; then
  echo "the generated types above are empty records"; exit 1
fi
(cd "$work/ts" && "$bin/tsc" -p tsconfig.json)
echo "typed client compiles"

echo "-- openapi-python-client, then import every generated module"
"$cache/venv/bin/openapi-python-client" generate --path "$spec" --config "$here/python-client.yaml" \
  --output-path "$work/py/kinerja_client" --meta none --fail-on-warning
PYTHONPATH="$work/py" "$cache/venv/bin/python" - <<'PY'
import importlib, pkgutil
import kinerja_client
names = [m.name for m in pkgutil.walk_packages(kinerja_client.__path__, "kinerja_client.")]
for name in names:
    importlib.import_module(name)
print(f"{len(names)} modules import")
PY

if [ -n "${KINERJA_CONTRACT_URL:-}" ]; then
  bash "$here/live.sh" "$work"
fi
