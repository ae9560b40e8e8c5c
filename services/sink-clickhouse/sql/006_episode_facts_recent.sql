-- The versions stored in the last hours, whole (services/snapshot/read-model.ts): every indicator
-- query needs the episodes with a version stored since the snapshot's watermark and their newest
-- version. episode_facts (ordered by episode id, 8 192-row granules) could give the first only by
-- reading every version's stamp, and the second only by reading a granule of every version's row
-- per changed episode. A materialised view copies each inserted row here in the same INSERT (a
-- failed copy fails the insert, which the row buffer retries). Partitioned by hour; the snapshot
-- builder drops the hours before every kept generation's watermark.
CREATE TABLE IF NOT EXISTS {db}.episode_facts_recent AS {db}.episode_facts
ENGINE = MergeTree()
PARTITION BY intDiv(toUInt32(ingested_at), 3600)
ORDER BY episode_id
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.episode_facts_recent_mv TO {db}.episode_facts_recent
AS SELECT * FROM {db}.episode_facts;
