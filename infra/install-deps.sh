#!/usr/bin/env bash
# Installs the Debian packages infra/stack.sh needs, only those missing.
# Intended for CI and fresh boxes: runs as root with apt, non-interactively,
# and skips "apt-get update" entirely when nothing is missing.
#
#   bash infra/install-deps.sh [--no-clickhouse]
set -euo pipefail

want_clickhouse=1
for arg in "$@"; do
  case $arg in
    --no-clickhouse) want_clickhouse=0 ;;
    *) echo "usage: install-deps.sh [--no-clickhouse]" >&2; exit 2 ;;
  esac
done

missing=()
need() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 ]] || missing+=("$2"); }

need redis-server redis-server
need redis-cli redis-tools
need curl curl
need java default-jdk-headless
need mvn maven
((want_clickhouse)) && need clickhouse-server clickhouse-server
# Headless browser for the board's end-to-end tests (driven by playwright-core; nothing is downloaded).
need chromium chromium

# The registry prefers Java 21+, but stack.sh falls back to an older Apicurio
# on Java 17, so a missing newer JDK is not an error here.
if ((${#missing[@]} == 0)); then
  echo "install-deps: all dependencies present"
  exit 0
fi

echo "install-deps: missing packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
command -v apt-get >/dev/null 2>&1 || { echo "install-deps: apt-get not available; install ${missing[*]} by hand" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# The Debian packages start system-wide daemons on their default ports where an
# init system exists; infra/stack.sh runs its own instances on other ports and
# does not depend on or touch those.
echo "install-deps: installed ${missing[*]}"
