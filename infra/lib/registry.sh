# shellcheck shell=bash
# Apicurio Registry (Quarkus); the app talks to its Confluent-compatible API. Storage is H2 in a
# file under .data, not the default in-memory one: schema ids must survive a restart, or messages
# already in Kafka could no longer be decoded.

REGISTRY_PREFERRED_VERSION=3.3.3
# 3.3.x needs Java 21+; 3.0.9 is the newest line that still runs on Java 17.
REGISTRY_FALLBACK_VERSION=3.0.9

registry_marker() { printf 'apicurio'; }
registry_address() { printf 'http://127.0.0.1:%s/apis/ccompat/v7' "$REGISTRY_PORT"; }

# Sets REGISTRY_JAVA and REGISTRY_VERSION once per run.
registry_select() {
  [[ -n ${REGISTRY_VERSION:-} ]] && return 0
  if REGISTRY_JAVA=$(find_java 21 "${APICURIO_JAVA:-}"); then
    REGISTRY_VERSION=$REGISTRY_PREFERRED_VERSION
  elif REGISTRY_JAVA=$(find_java 17 "${APICURIO_JAVA:-}"); then
    REGISTRY_VERSION=$REGISTRY_FALLBACK_VERSION
    warn "registry: no Java 21+ found (set APICURIO_JAVA to one); using Apicurio $REGISTRY_VERSION on Java 17"
  else
    die "registry: Java 17+ not found; run 'bash infra/install-deps.sh' or 'apt-get install default-jre-headless'"
  fi
  REGISTRY_HOME="$CACHE_DIR/apicurio-$REGISTRY_VERSION"
}

# The 3.x tarball is a Quarkus fast-jar (quarkus-run.jar); 3.0.x ships an uber runner jar.
registry_jar() {
  local j
  for j in "$REGISTRY_HOME/quarkus-run.jar" "$REGISTRY_HOME"/apicurio-registry-app-*-runner.jar; do
    [[ -f $j ]] && { printf '%s' "$j"; return 0; }
  done
  return 1
}

registry_fetched() { registry_select; registry_jar >/dev/null; }

registry_fetch() {
  registry_fetched && return 0
  require_mvn "Apicurio Registry $REGISTRY_VERSION"
  info "registry: downloading Apicurio Registry $REGISTRY_VERSION from Maven Central (~160 MB)..."
  local tmp="$CACHE_DIR/.apicurio-$REGISTRY_VERSION.tmp.$$" tarball jar
  rm -rf "$tmp"
  mkdir -p "$tmp/dl" "$tmp/unpack"
  # Run outside the repo so Maven never picks up a pom.xml from the working directory.
  if ! (cd "$tmp" && mvn_quiet dependency:copy \
      -Dartifact="io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all" \
      -DoutputDirectory="$tmp/dl"); then
    rm -rf "$tmp"
    die "registry: Maven could not download apicurio-registry-app $REGISTRY_VERSION"
  fi
  tarball=$(ls "$tmp"/dl/*.tar.gz)
  tar -xzf "$tarball" -C "$tmp/unpack" || { rm -rf "$tmp"; die "registry: could not unpack $tarball"; }
  # The archive layout differs between versions (flat vs. one top directory).
  jar=$(find "$tmp/unpack" -maxdepth 3 \( -name quarkus-run.jar -o -name 'apicurio-registry-app-*-runner.jar' \) | head -n1)
  [[ -n $jar ]] || { rm -rf "$tmp"; die "registry: no runnable jar found in $tarball"; }
  rm -rf "$REGISTRY_HOME"
  mv "$(dirname "$jar")" "$REGISTRY_HOME"
  rm -rf "$tmp"
  info "registry: unpacked into $REGISTRY_HOME"
}

registry_check_prereqs() { registry_select; }

# Quarkus also opens a management interface (default 0.0.0.0:9000): pin it to loopback and a
# port of ours, or two stacks on one machine collide on it.
registry_check_ports() {
  require_free_port "$REGISTRY_PORT" UTKLAR_REGISTRY_PORT registry
  require_free_port "$REGISTRY_MANAGEMENT_PORT" UTKLAR_REGISTRY_MANAGEMENT_PORT registry
}

registry_start() {
  registry_select
  local jar
  jar=$(registry_jar) || die "registry: Apicurio $REGISTRY_VERSION not fetched; run 'bash infra/stack.sh fetch registry'"
  mkdir -p "$DATA_DIR/registry"
  # cwd in the data dir: Quarkus/H2 may drop files relative to it.
  (cd "$DATA_DIR/registry" && start_detached registry "$REGISTRY_JAVA" \
    -Xms64m -Xmx384m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
    -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.http.host=127.0.0.1 \
    -Dquarkus.management.port="$REGISTRY_MANAGEMENT_PORT" \
    -Dquarkus.management.host=127.0.0.1 \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    -Dapicurio.datasource.url="jdbc:h2:file:$DATA_DIR/registry/db/registry" \
    -Dapicurio.datasource.username=sa -Dapicurio.datasource.password=sa \
    -jar "$jar") || exit 1
}

registry_ready() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(registry_address)/subjects") == 200 ]]
}
