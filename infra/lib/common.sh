# shellcheck shell=bash
# Shared paths, settings and helpers for infra/stack.sh. Sourced, never executed.

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA_HOME="${UTKLAR_INFRA_HOME:-$INFRA_DIR}"
CACHE_DIR="$INFRA_HOME/.cache"
DATA_DIR="$INFRA_HOME/.data"
LOG_DIR="$INFRA_HOME/.logs"
RUN_DIR="$INFRA_HOME/.run"

KAFKA_VERSION=3.9.1
KAFKA_PORT="${UTKLAR_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${UTKLAR_KAFKA_CONTROLLER_PORT:-19093}"
REGISTRY_PORT="${UTKLAR_REGISTRY_PORT:-18081}"
REGISTRY_MANAGEMENT_PORT="${UTKLAR_REGISTRY_MANAGEMENT_PORT:-18082}"
REDIS_PORT="${UTKLAR_REDIS_PORT:-16379}"
CLICKHOUSE_HTTP_PORT="${UTKLAR_CLICKHOUSE_HTTP_PORT:-18123}"
CLICKHOUSE_TCP_PORT="${UTKLAR_CLICKHOUSE_TCP_PORT:-19000}"

# app first: on 'down' the pipeline stops before the services it uses.
ALL_SERVICES=(app kafka registry redis clickhouse)

info() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

ensure_dirs() { mkdir -p "$CACHE_DIR" "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"; }

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
log_file() { printf '%s/%s.log' "$LOG_DIR" "$1"; }

# Prints the pid of a running service, or fails. The command line must still
# contain the service's marker so a recycled pid is not mistaken for ours.
svc_pid() {
  local svc=$1 f pid
  f=$(pid_file "$svc")
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/cmdline ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$("${svc}_marker")" || return 1
  fi
  printf '%s' "$pid"
}

# True when something accepts TCP connections on 127.0.0.1:<port>.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when any process listens on <port> on any address (the service may
# bind 127.0.0.1 while a foreign process holds 0.0.0.0 or ::).
port_taken() {
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]
  else
    port_open "$port"
  fi
}

# Fails with a hint when a port we need is held by a process we did not start.
require_free_port() {
  local port=$1 var=$2 svc=$3
  if port_taken "$port"; then
    die "$svc: port $port is already in use by another process; stop it or pick another port with $var=<port>"
  fi
}

# Major Java version of a java binary ("17", "25"), empty if unusable.
java_major() {
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1)
  [[ $v == 1.* ]] && v=${v#1.}
  printf '%s' "${v%%.*}"
}

# Prints a java binary of at least the given major version, preferring the
# explicit override, then JAVA_HOME, then PATH, then the newest JDK in /usr/lib/jvm.
find_java() {
  local min=$1 override=${2:-} c m best="" bestm=0
  local candidates=()
  [[ -n $override ]] && candidates+=("$override")
  [[ -n ${JAVA_HOME:-} ]] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for c in "${candidates[@]}"; do
    [[ -x $c ]] || continue
    m=$(java_major "$c")
    if [[ -n $m ]] && (( m >= min )); then printf '%s' "$c"; return 0; fi
  done
  for c in /usr/lib/jvm/*/bin/java; do
    [[ -x $c ]] || continue
    m=$(java_major "$c")
    if [[ -n $m ]] && (( m >= min && m > bestm )); then best=$c; bestm=$m; fi
  done
  [[ -n $best ]] && { printf '%s' "$best"; return 0; }
  return 1
}

require_mvn() {
  command -v mvn >/dev/null 2>&1 || die "mvn (Maven) is needed to fetch $1 into $CACHE_DIR; run 'bash infra/install-deps.sh' or 'apt-get install maven'"
}

# Maven 3.8 emits stray ANSI resets even with -q -B, so its output goes to a
# log that is only shown when it fails.
mvn_quiet() {
  local mlog="$LOG_DIR/maven-fetch.log"
  if mvn -q -B "$@" >"$mlog" 2>&1; then return 0; fi
  sed 's/\x1b\[[0-9;]*m//g' "$mlog" | tail -n 40 >&2
  return 1
}

# Starts a command detached from the caller (own session, so it survives the
# shell and can be stopped as a process group). The child writes its own pid
# because setsid may fork, which would make $! useless.
start_detached() {
  local svc=$1; shift
  local pidf logf
  pidf=$(pid_file "$svc"); logf=$(log_file "$svc")
  rm -f "$pidf"
  # Keep one previous log so a failed restart can be compared with the last good run.
  [[ -f $logf ]] && mv -f "$logf" "$logf.prev"
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" >"$logf" 2>&1 </dev/null &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s $pidf ]] && return 0
    sleep 0.1
  done
  die "$svc: process did not start (see $logf)"
}

# Stops a service's whole process group: TERM, then KILL after a grace period.
stop_service() {
  local svc=$1 grace=${2:-20} pidf pid i
  pidf=$(pid_file "$svc")
  if ! pid=$(svc_pid "$svc"); then
    rm -f "$pidf"
    info "$svc: not running"
    return 0
  fi
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then
    warn "$svc: did not stop within ${grace}s, sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.3
  fi
  rm -f "$pidf"
  info "$svc: stopped (was pid $pid)"
}

show_log_tail() {
  local svc=$1 logf
  logf=$(log_file "$svc")
  printf -- '--- last 30 lines of %s ---\n' "$logf" >&2
  tail -n 30 "$logf" >&2 2>/dev/null || true
  printf -- '--- end of %s ---\n' "$logf" >&2
}

# Renders @@NAME@@ placeholders from the given NAME=value pairs.
render_template() {
  local src=$1 dst=$2; shift 2
  local args=() kv
  for kv in "$@"; do
    args+=(-e "s|@@${kv%%=*}@@|${kv#*=}|g")
  done
  sed "${args[@]}" "$src" >"$dst.tmp" && mv -f "$dst.tmp" "$dst"
}
