# shellcheck shell=bash
# A private Redis on its own port and data dir, so tests never touch the
# system Redis on 6379.

REDIS_DATA="$DATA_DIR/redis"

redis_marker() { printf 'redis-server'; }
redis_address() { printf 'redis://127.0.0.1:%s' "$REDIS_PORT"; }

redis_fetch() { :; }

redis_check_prereqs() {
  command -v redis-server >/dev/null 2>&1 \
    || die "redis: redis-server not found; run 'bash infra/install-deps.sh' or 'apt-get install redis-server'"
}

redis_check_ports() { require_free_port "$REDIS_PORT" UTKLAR_REDIS_PORT redis; }

redis_start() {
  mkdir -p "$REDIS_DATA"
  # Everything on the command line: no config file to drift from the Debian one.
  # daemonize no + logfile "" keeps it in our process group with output in our log.
  # Durability is the AOF (fsync every second; its rewrites start with an RDB preamble); the
  # periodic RDB snapshots kept beside it forked and rewrote the whole dataset every minute under
  # load (seen taking half a core during the benchmark) and added nothing to recovery.
  start_detached redis redis-server \
    --port "$REDIS_PORT" --bind 127.0.0.1 --protected-mode yes \
    --dir "$REDIS_DATA" \
    --daemonize no --logfile "" --pidfile "" \
    --appendonly yes --appendfsync everysec \
    --save "" \
    --maxmemory "${UTKLAR_REDIS_MAXMEMORY:-1gb}" --maxmemory-policy noeviction
}

redis_ready() {
  if command -v redis-cli >/dev/null 2>&1; then
    [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
  else
    # redis-tools may be absent; speak the inline protocol directly.
    local reply
    reply=$(exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3) 2>/dev/null
    [[ $reply == +PONG ]]
  fi
}
