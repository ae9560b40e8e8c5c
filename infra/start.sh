#!/usr/bin/env bash
# `npm start`: the local stack, then utklar's pipeline with the simulator, then where to look.
# Idempotent: whatever already runs is left as it is.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -d $here/../node_modules ]] || (cd "$here/.." && npm ci)
bash "$here/stack.sh" up
bash "$here/stack.sh" up app
port=${UTKLAR_HTTP_PORT:-18080}
data=${UTKLAR_INFRA_HOME:-$here}/.data
secret=${UTKLAR_API_SECRET:-$(cat "$data/api.secret" 2>/dev/null || true)}
mint() { (cd "$here/.." && UTKLAR_API_SECRET=$secret bin/utklar token --scope "$1" --subject npm-start 2>/dev/null) || true; }
token=$(mint region:18)
nation=$(mint nation)
missing='<set UTKLAR_API_SECRET and run bin/utklar token --scope …>'
# The browser address and the token come first: they are what a newcomer needs to begin.
cat <<EOT

utklar is running. Open  http://127.0.0.1:$port/  and sign in with a token:
  region:18 (Region Örebro län: Tavlan, Analys, Betalningsansvar; 12 h)
    ${token:-$missing}
  nation (Riket: the 21 län side by side; 12 h)
    ${nation:-$missing}
  More: bin/utklar token --scope region:NN|municipality:NNNN|unit:HOSPITAL/WARD|nation
        (with UTKLAR_API_SECRET=\$(cat infra/.data/api.secret))

  status   http://127.0.0.1:$port/status   (events in ClickHouse, episodes in Redis, simulator, backfill)
  health   http://127.0.0.1:$port/health
  metrics  http://127.0.0.1:$port/metrics
  API      http://127.0.0.1:$port/api/openapi.json   (docs/query-api.md)
           curl -H "authorization: Bearer \$TOKEN" http://127.0.0.1:$port/api/v1/waiting
  logs     bash infra/stack.sh logs -f app     (and kafka, registry, redis, clickhouse)
  stop     npm stop
EOT
# The simulated history (a year by default) is applied after the pipeline is up: say how far.
[[ ${UTKLAR_SIMULATE:-1} == 1 ]] && node "$here/watch-backfill.mjs" "$port" "${UTKLAR_START_WAIT_SECONDS:-900}"
exit 0
