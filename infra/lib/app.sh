# shellcheck shell=bash
# utklar's own pipeline process (consumers, /health, /metrics, /status, and the simulator),
# managed like the services so that `up` is idempotent and `down` leaves nothing behind.

APP_DIR="$(cd "$INFRA_DIR/.." && pwd)"
APP_HTTP_PORT="${UTKLAR_HTTP_PORT:-18080}"

app_marker() { printf 'services/cli/main.ts run'; }
app_address() { printf 'http://127.0.0.1:%s/status' "$APP_HTTP_PORT"; }
app_fetch() { :; }

app_check_prereqs() {
  command -v node >/dev/null 2>&1 || die "app: node (20+) not found"
  [[ -d $APP_DIR/node_modules/tsx ]] || die "app: dependencies missing; run 'npm ci' in $APP_DIR"
}

app_check_ports() { require_free_port "$APP_HTTP_PORT" UTKLAR_HTTP_PORT app; }

# A local development secret (simulated patients only), made once and kept with the data:
# the pseudonym key and the query API's token signing secret.
app_dev_secret() {
  local f="$DATA_DIR/$1"
  if [[ ! -s $f ]]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f")
    warn "app: $2 not set; generated a development value in $f"
  fi
  cat "$f"
}

app_start() {
  local key=${UTKLAR_PSEUDONYM_KEY:-}
  [[ -n $key ]] || key=$(app_dev_secret pseudonym.key UTKLAR_PSEUDONYM_KEY)
  local secret=${UTKLAR_API_SECRET:-}
  [[ -n $secret ]] || secret=$(app_dev_secret api.secret UTKLAR_API_SECRET)
  local ch_url=${CLICKHOUSE_URL:-}
  [[ -z $ch_url && ${UTKLAR_CLICKHOUSE_SERVER:-} == 1 ]] && ch_url="http://127.0.0.1:$CLICKHOUSE_HTTP_PORT"
  local args=(run)
  [[ ${UTKLAR_SIMULATE:-1} == 1 ]] && args+=(--simulate
    --seed "${UTKLAR_SIM_SEED:-1}" --rate "${UTKLAR_SIM_RATE:-150}"
    --backfill-days "${UTKLAR_SIM_BACKFILL_DAYS:-365}" --speed "${UTKLAR_SIM_SPEED:-1}")
  cd "$APP_DIR" || die "app: cannot enter $APP_DIR"
  # The stack's own server reads users.d next to its users.xml: the regions' analytics users go
  # there (UTKLAR_ANALYTICS_REGIONS, docs/query-api.md).
  local users_dir=${UTKLAR_CLICKHOUSE_USERS_DIR:-}
  [[ -z $users_dir && $ch_url == "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT" ]] && users_dir="$RUN_DIR/clickhouse/users.d"
  UTKLAR_CLICKHOUSE_USERS_DIR=$users_dir \
  UTKLAR_PSEUDONYM_KEY=$key UTKLAR_API_SECRET=$secret CLICKHOUSE_URL=$ch_url CHDB_PATH="${CHDB_PATH:-$DATA_DIR/chdb}" \
    start_detached app node --require "$APP_DIR/services/kafka/kafkajs-aborted-filter.cjs" --import tsx "$APP_DIR/services/cli/main.ts" "${args[@]}"
}

app_ready() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APP_HTTP_PORT/health" 2>/dev/null) == 200 ]]
}
