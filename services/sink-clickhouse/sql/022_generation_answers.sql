-- Answers that read only a generation's own tables (services/indicators/generation-answers.ts):
-- immutable once the generation is recorded, so one process's answer is every process's. The
-- builder computes the common pages' before it records the generation (readers switch to it
-- warm); a process that computes another stores it too; a process whose answer cache is cold
-- (started, or its entry pushed out) reads it here instead of summing again. Keyed by the SQL's
-- SHA-256; the answer is the query's rows as JSON. A row a granule: an answer is up to a few MB
-- and a lookup reads its granule whole (256 rows a granule made each lookup decompress every
-- stored answer: 80–260 ms in a burst of requests at five national years). Dropped with the
-- generation. 18.16-safe.
CREATE TABLE IF NOT EXISTS {db}.episode_generation_answers
(
    generation   UInt64,
    sql_key      String,
    answer       String
)
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY sql_key
SETTINGS index_granularity = 1;
