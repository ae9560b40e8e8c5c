#!/usr/bin/env bash
# Local service stack without Docker: Kafka (KRaft), Apicurio Registry, Redis
# and optionally ClickHouse, run as plain background processes.
#
#   bash infra/stack.sh fetch|up|down|status|reset [service ...]
#   bash infra/stack.sh logs [-f] <service>
#
# Services: kafka registry redis clickhouse, and app (utklar's pipeline + simulator). Without names: kafka registry redis,
# plus clickhouse when UTKLAR_CLICKHOUSE_SERVER=1 (down/reset: all of them).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$INFRA_DIR/lib/kafka.sh"
source "$INFRA_DIR/lib/registry.sh"
source "$INFRA_DIR/lib/redis.sh"
source "$INFRA_DIR/lib/clickhouse.sh"
source "$INFRA_DIR/lib/app.sh"

# Redis answers only once its AOF is loaded: about 9 s per million keys on this machine.
declare -A READY_TIMEOUT=([kafka]=60 [registry]=90 [redis]=120 [clickhouse]=90 [app]=120)

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

default_services() {
  local s=(kafka registry redis)
  [[ ${UTKLAR_CLICKHOUSE_SERVER:-} == 1 ]] && s+=(clickhouse)
  printf '%s\n' "${s[@]}"
}

# Validates names and applies the default set; result in SERVICES.
resolve_services() {
  local fallback=$1; shift
  SERVICES=()
  if (($# == 0)); then
    if [[ $fallback == all ]]; then SERVICES=("${ALL_SERVICES[@]}"); else mapfile -t SERVICES < <(default_services); fi
    return
  fi
  local s
  for s in "$@"; do
    [[ " ${ALL_SERVICES[*]} " == *" $s "* ]] || die "unknown service '$s' (known: ${ALL_SERVICES[*]})"
    SERVICES+=("$s")
  done
}

cmd_fetch() {
  ensure_dirs
  local s
  for s in "${SERVICES[@]}"; do "${s}_fetch"; done
}

cmd_up() {
  ensure_dirs
  local s pid
  # Check everything before starting anything, so a missing tool fails fast.
  for s in "${SERVICES[@]}"; do "${s}_check_prereqs"; done
  for s in "${SERVICES[@]}"; do "${s}_fetch"; done

  local to_start=() started=()
  declare -A T0
  for s in "${SERVICES[@]}"; do
    if pid=$(svc_pid "$s"); then
      info "$s: already running (pid $pid) at $("${s}_address")"
    else
      to_start+=("$s")
    fi
  done
  # Port conflicts are checked up front too, so nothing is left half-started.
  for s in "${to_start[@]}"; do "${s}_check_ports"; done
  for s in "${to_start[@]}"; do
    T0[$s]=$(date +%s.%N)
    "${s}_start"
    started+=("$s")
  done

  # All started above, polled together here so each service's time is its own
  # and the JVMs overlap their warm-up.
  local failed=0 pending=("${started[@]}") rest now pid
  while ((${#pending[@]})); do
    rest=()
    now=$(date +%s.%N)
    for s in "${pending[@]}"; do
      pid=$(<"$(pid_file "$s")")
      if ! kill -0 "$pid" 2>/dev/null; then
        printf 'error: %s: process %s exited during startup\n' "$s" "$pid" >&2
      elif "${s}_ready"; then
        info "$s: up at $("${s}_address") (pid $pid, $(awk -v a="${T0[$s]}" -v b="$now" 'BEGIN{printf "%.1f", b-a}')s)"
        continue
      elif awk -v a="${T0[$s]}" -v b="$now" -v t="${READY_TIMEOUT[$s]}" 'BEGIN{exit !(b-a < t)}'; then
        rest+=("$s")
        continue
      else
        printf 'error: %s: not healthy after %ss\n' "$s" "${READY_TIMEOUT[$s]}" >&2
      fi
      show_log_tail "$s"
      # Do not leave a half-started service behind for the next "up" to report as running.
      stop_service "$s" 5 >/dev/null
      failed=1
    done
    pending=("${rest[@]}")
    ((${#pending[@]})) && sleep 0.25
  done
  ((failed == 0)) || die "some services failed to start; logs are in $LOG_DIR"
}

cmd_down() {
  local s
  for s in "${SERVICES[@]}"; do stop_service "$s"; done
}

cmd_status() {
  local s pid rc=0
  for s in "${SERVICES[@]}"; do
    if pid=$(svc_pid "$s"); then
      printf '%-10s running  pid %-7s %s\n' "$s" "$pid" "$("${s}_address")"
    else
      printf '%-10s stopped  %-11s %s\n' "$s" "" "$("${s}_address")"
      rc=3
    fi
  done
  return $rc
}

cmd_reset() {
  cmd_down
  if (($# == 0)); then
    rm -rf "$DATA_DIR"
    info "deleted $DATA_DIR"
  else
    local s
    for s in "${SERVICES[@]}"; do rm -rf "${DATA_DIR:?}/$s"; info "deleted $DATA_DIR/$s"; done
  fi
}

cmd_logs() {
  local follow=0
  [[ ${1:-} == -f ]] && { follow=1; shift; }
  (($# == 1)) || die "usage: stack.sh logs [-f] <service>"
  resolve_services all "$1"
  local f
  f=$(log_file "$1")
  [[ -f $f ]] || die "no log yet at $f"
  if ((follow)); then exec tail -n 100 -F "$f"; else tail -n 100 "$f"; fi
}

main() {
  (($# >= 1)) || usage
  local cmd=$1; shift
  case $cmd in
    fetch)  resolve_services all "$@"; cmd_fetch ;;
    up)     resolve_services default "$@"; cmd_up ;;
    down)   resolve_services all "$@"; cmd_down ;;
    status)
      resolve_services default "$@"
      # An unnamed status also reports ClickHouse when it happens to be running.
      if (($# == 0)); then
        for s in clickhouse app; do
          [[ " ${SERVICES[*]} " != *" $s "* ]] && svc_pid "$s" >/dev/null && SERVICES+=("$s")
        done
      fi
      cmd_status ;;
    reset)  resolve_services all "$@"; cmd_reset "$@" ;;
    logs)   cmd_logs "$@" ;;
    -h|--help|help) usage ;;
    *) usage ;;
  esac
}

main "$@"
