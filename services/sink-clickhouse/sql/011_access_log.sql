-- Who was shown patient-level data (issue #19; Patientdatalagen 2008:355 4 kap. 3 §): one row per
-- request to the board, its stream, the JSON /board or /api/v1/rows (JSON or CSV) that answered
-- 200, written by services/api/access-log.ts. It holds who, with which scope, what was asked and
-- how many episodes came back — never an episode id or any other patient data. Append-only: a
-- plain MergeTree (no Replacing/Collapsing engine that would fold rows), and nothing in the
-- pipeline updates or deletes it. `regions` are the regions whose patients the answer showed
-- plus the asker's own (a municipality's county): the audit:<region> token reads those rows.
CREATE TABLE IF NOT EXISTS {db}.access_log
(
    at        DateTime('UTC'),
    at_ms     UInt64,
    subject   String,
    scope     String,
    endpoint  String,
    format    String,
    -- The request's query parameters as a JSON object (filters, grouping, paging).
    filters   String,
    episodes  UInt32,
    regions   Array(String)
)
ENGINE = MergeTree()
PARTITION BY toYYYYMM(at)
ORDER BY (at, subject)
