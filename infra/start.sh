#!/usr/bin/env bash
# `npm start`: the local stack, then utklar's pipeline with the simulator, then where to look.
# Idempotent: whatever already runs is left as it is.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ -d $here/../node_modules ]] || (cd "$here/.." && npm ci)
bash "$here/stack.sh" up
bash "$here/stack.sh" up app
port=${UTKLAR_HTTP_PORT:-18080}
cat <<EOT

utklar is running.
  status   http://127.0.0.1:$port/status   (events in ClickHouse, episodes in Redis, simulator)
  health   http://127.0.0.1:$port/health
  metrics  http://127.0.0.1:$port/metrics
  logs     bash infra/stack.sh logs -f app     (and kafka, registry, redis, clickhouse)
  stop     npm stop
EOT
