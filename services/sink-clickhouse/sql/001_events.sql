-- Raw patient events exactly as decoded from Kafka, one row per event id.
-- Runs unchanged on ClickHouse 18.16 (Debian), current servers and chDB 26.x: hence no
-- DateTime64, no LowCardinality, no insert deduplication tokens. Idempotency is the sorting key:
-- a replayed event has the same (episode_id, event_id) and collapses under FINAL / merges.
CREATE TABLE IF NOT EXISTS {db}.events
(
    event_id        String,
    event_type      String,
    occurred_at     DateTime('UTC'),
    occurred_at_ms  UInt64,
    patient_key     String,
    episode_id      String,
    source          String,
    payload         String,
    schema_id       UInt32,
    kafka_partition UInt32,
    kafka_offset    UInt64,
    ingested_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree()
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (episode_id, event_id)
