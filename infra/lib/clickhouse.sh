# shellcheck shell=bash
# ClickHouse (Debian's 18.16 package) with a private config, data dir and ports.
# Only started when asked for, or with UTKLAR_CLICKHOUSE_SERVER=1.

CLICKHOUSE_DATA="$DATA_DIR/clickhouse"
CLICKHOUSE_CONF_DIR="$RUN_DIR/clickhouse"

clickhouse_marker() { printf 'clickhouse'; }
clickhouse_address() { printf 'http://127.0.0.1:%s (native 127.0.0.1:%s)' "$CLICKHOUSE_HTTP_PORT" "$CLICKHOUSE_TCP_PORT"; }

clickhouse_fetch() { :; }

clickhouse_bin() {
  command -v clickhouse-server 2>/dev/null || { [[ -x /usr/sbin/clickhouse-server ]] && printf /usr/sbin/clickhouse-server; }
}

clickhouse_check_prereqs() {
  [[ -n $(clickhouse_bin) ]] \
    || die "clickhouse: clickhouse-server not found; run 'bash infra/install-deps.sh' or 'apt-get install clickhouse-server'"
}

clickhouse_check_ports() {
  require_free_port "$CLICKHOUSE_HTTP_PORT" UTKLAR_CLICKHOUSE_HTTP_PORT clickhouse
  require_free_port "$CLICKHOUSE_TCP_PORT" UTKLAR_CLICKHOUSE_TCP_PORT clickhouse
}

clickhouse_start() {
  mkdir -p "$CLICKHOUSE_DATA"/{tmp,user_files,format_schemas} "$CLICKHOUSE_CONF_DIR"
  render_template "$INFRA_DIR/clickhouse/config.xml" "$CLICKHOUSE_CONF_DIR/config.xml" \
    "HTTP_PORT=$CLICKHOUSE_HTTP_PORT" "TCP_PORT=$CLICKHOUSE_TCP_PORT" \
    "DATA_DIR=$CLICKHOUSE_DATA" "LOG_DIR=$LOG_DIR" "CONF_DIR=$CLICKHOUSE_CONF_DIR"
  # ClickHouse resolves users_config relative to the main config and writes
  # preprocessed copies next to it, so both live in the generated dir.
  render_template "$INFRA_DIR/clickhouse/users.xml" "$CLICKHOUSE_CONF_DIR/users.xml" \
    "ANALYTICS_PASSWORD_SHA256=$(printf '%s' "${UTKLAR_CLICKHOUSE_ANALYTICS_PASSWORD:-analytics-local}" | sha256sum | cut -d' ' -f1)"
  (cd "$CLICKHOUSE_DATA" && start_detached clickhouse "$(clickhouse_bin)" \
    --config-file="$CLICKHOUSE_CONF_DIR/config.xml") || exit 1
}

clickhouse_ready() {
  [[ $(curl -s --max-time 2 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/ping" 2>/dev/null) == Ok.* ]]
}
