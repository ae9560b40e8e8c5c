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
token=$(cd "$here/.." && UTKLAR_API_SECRET=$secret bin/utklar token --scope region:18 --subject npm-start 2>/dev/null || true)
cat <<EOT

utklar is running.
  status   http://127.0.0.1:$port/status   (events in ClickHouse, episodes in Redis, simulator)
  health   http://127.0.0.1:$port/health
  metrics  http://127.0.0.1:$port/metrics
  board    http://127.0.0.1:$port/board?region=18
  API      http://127.0.0.1:$port/api/openapi.json   (docs/query-api.md)
           curl -H "authorization: Bearer \$TOKEN" http://127.0.0.1:$port/api/v1/waiting
           TOKEN (region:18, 12 h) = ${token:-<set UTKLAR_API_SECRET and run bin/utklar token --scope region:18>}
  logs     bash infra/stack.sh logs -f app     (and kafka, registry, redis, clickhouse)
  stop     npm stop
EOT
