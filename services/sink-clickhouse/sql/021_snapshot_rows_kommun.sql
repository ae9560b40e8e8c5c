-- A kommun's patient-level rows (GET /api/v1/rows under a municipality token or the Kommun
-- listbox) from a copy of episode_snapshot_rows sorted by home kommun first (services/snapshot/
-- rows-sql.ts). In episode_snapshot_rows a kommun's episodes lie in its county's runs and '',
-- among the whole county's (Örebro, 1880, is a twelfth of county 18's): a page bounded by the
-- sample's id read ≈ 40 000 rows of a year for its 1 000, 48 ms on 18.16 at five national
-- years; here its own runs only, one per discharge month, 20 ms. The same columns and granules;
-- built with its generation, recorded with it, dropped with it. Plain MergeTree, 18.16-safe.
CREATE TABLE IF NOT EXISTS {db}.episode_snapshot_rows_kommun AS {db}.episode_snapshot_rows
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (home_municipality, rows_bucket, episode_id)
SETTINGS index_granularity = 64;
