-- Which episodes have a version stored since the snapshot's watermark (services/snapshot/): every
-- indicator query asks, and episode_facts (ordered by episode id) could only answer by reading
-- its whole ingested_at column, 15 M rows at five national years. A materialised view copies each
-- inserted version's id and stamp here in the same INSERT (a failed copy fails the insert, which
-- the row buffer retries), so the answer reads the last hours only. Partitioned by hour; the
-- snapshot builder drops the hours before every kept generation's watermark.
CREATE TABLE IF NOT EXISTS {db}.episode_facts_recent
(
    episode_id  String,
    ingested_at DateTime('UTC')
)
ENGINE = MergeTree()
PARTITION BY intDiv(toUInt32(ingested_at), 3600)
ORDER BY (ingested_at, episode_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.episode_facts_recent_mv TO {db}.episode_facts_recent
AS SELECT episode_id, ingested_at FROM {db}.episode_facts;

-- Versions stored before this migration since the oldest recorded generation's watermark (none
-- when no generation exists yet: readers then collapse episode_facts). Stored twice is harmless.
INSERT INTO {db}.episode_facts_recent
SELECT episode_id, ingested_at FROM {db}.episode_facts
WHERE ingested_at >= (SELECT min(watermark) FROM {db}.episode_snapshot_generations)
  AND (SELECT count() FROM {db}.episode_snapshot_generations) > 0;
