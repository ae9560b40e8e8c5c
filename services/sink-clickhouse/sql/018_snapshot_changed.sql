-- The generation rows of the episodes changed since a generation's watermark, copied once per read
-- point that finds new ones (services/snapshot/read-model.ts, readPoint): a rolled-up query takes
-- back what they contributed to its rollups, and a replay's stale ones are collapsed with their
-- newer versions. Found in episode_snapshot by their sort key, a 1 024-row granule each, every query
-- paid 48–68 ms for 195 of them at five national years; here a generation's few thousand at most
-- lie by id in 256-row granules. Several API processes may copy the same episode: readers take one
-- row per id (LIMIT 1 BY), all copies of a generation's row being equal. Dropped with the
-- generation. Plain MergeTree, 18.16-safe.
CREATE TABLE IF NOT EXISTS {db}.episode_snapshot_changed AS {db}.episode_snapshot
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY episode_id
SETTINGS index_granularity = 256
