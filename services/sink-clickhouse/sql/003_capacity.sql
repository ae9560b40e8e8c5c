-- Available beds per ward and Stockholm day (epoch-day number), from the capacity feed
-- (`bin/utklar capacity --file`). A later report for the same ward and day supersedes an earlier
-- one (version = when it was loaded, in ms); readers take argMax(beds, version).
CREATE TABLE IF NOT EXISTS {db}.capacity
(
    hospital  String,
    ward      String,
    day       Int32,
    beds      UInt32,
    version   UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (hospital, ward, day)
