-- What was done with a rebuild under changed rules (services/rebuild/): started, finished (with
-- its diff's summary), promoted (who, when, the agreement version), discarded, and the old data
-- dropped once its keeping time passed. Append-only, like the access log: the record of which
-- rules the published figures were computed under, and since when.
CREATE TABLE IF NOT EXISTS {db}.rebuild_log (
  at DateTime('UTC'),
  rebuild_id String,
  action String,
  by String,
  agreement_version String,
  database String,
  namespace String,
  detail String
) ENGINE = MergeTree()
ORDER BY (at, rebuild_id)
