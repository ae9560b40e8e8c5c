# shellcheck shell=bash
# Kafka 3.9 single-node KRaft (broker + controller in one JVM).

KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
KAFKA_DATA="$DATA_DIR/kafka"
KAFKA_CONF_DIR="$RUN_DIR/kafka"

kafka_marker() { printf 'kafka.Kafka'; }
kafka_address() { printf 'PLAINTEXT://127.0.0.1:%s' "$KAFKA_PORT"; }

# Kafka 3.9 is tested up to Java 23, so prefer the system Java 17 over a newer JDK.
kafka_java() {
  find_java 17 "${KAFKA_JAVA:-}" || die "kafka: Java 17+ not found; run 'bash infra/install-deps.sh' or 'apt-get install default-jre-headless'"
}

kafka_fetched() { compgen -G "$KAFKA_HOME/libs/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null; }

kafka_fetch() {
  kafka_fetched && return 0
  require_mvn "Kafka $KAFKA_VERSION"
  info "kafka: resolving Kafka $KAFKA_VERSION jars from Maven Central..."
  local tmp="$CACHE_DIR/.kafka-$KAFKA_VERSION.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/libs"
  if ! mvn_quiet -f "$INFRA_DIR/maven/kafka-pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$tmp/libs" -DincludeScope=runtime; then
    rm -rf "$tmp"
    die "kafka: Maven could not resolve the broker jars (is Maven Central reachable?)"
  fi
  rm -rf "$KAFKA_HOME"
  mv "$tmp" "$KAFKA_HOME"
  info "kafka: $(ls "$KAFKA_HOME/libs" | wc -l) jars in $KAFKA_HOME/libs"
}

kafka_check_prereqs() { kafka_java >/dev/null; }

kafka_check_ports() {
  require_free_port "$KAFKA_PORT" UTKLAR_KAFKA_PORT kafka
  require_free_port "$KAFKA_CONTROLLER_PORT" UTKLAR_KAFKA_CONTROLLER_PORT kafka
}

kafka_start() {
  local java props
  java=$(kafka_java)
  mkdir -p "$KAFKA_DATA/log" "$KAFKA_CONF_DIR"
  props="$KAFKA_CONF_DIR/server.properties"
  render_template "$INFRA_DIR/kafka/server.properties.tmpl" "$props" \
    "PORT=$KAFKA_PORT" "CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT" "LOG_DIRS=$KAFKA_DATA/log"

  # Formatting twice would fail (and wipe nothing), so only do it for a fresh data dir.
  if [[ ! -f $KAFKA_DATA/log/meta.properties ]]; then
    local cluster_id
    cluster_id=$("$java" -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    [[ -n $cluster_id ]] || die "kafka: could not generate a cluster id"
    "$java" -Dlog4j.configuration="file:$INFRA_DIR/kafka/log4j.properties" -cp "$KAFKA_HOME/libs/*" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$props" --ignore-formatted \
      >"$LOG_DIR/kafka-format.log" 2>&1 \
      || { cat "$LOG_DIR/kafka-format.log" >&2; die "kafka: storage format failed"; }
  fi

  start_detached kafka "$java" \
    -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$INFRA_DIR/kafka/log4j.properties" \
    -Dkafka.logs.dir="$LOG_DIR" \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$props"
}

# An open port is not enough: the group coordinator is still loading until the
# server logs that it has started. start_detached gives each run a fresh log.
kafka_ready() {
  port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$(log_file kafka)" 2>/dev/null
}
