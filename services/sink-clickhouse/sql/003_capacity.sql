-- Available beds per ward and Stockholm day (epoch-day number), with the day's
-- överbeläggningar (patients beyond the available beds) and utlokaliserade (patients cared for
-- on another specialty's ward), from the capacity feed (capacity-*.csv in UTKLAR_CAPACITY_DIR). A later report for the same ward and day supersedes an earlier
-- one (version = when it was loaded, in ms); readers take argMax(beds, version).
CREATE TABLE IF NOT EXISTS {db}.capacity
(
    hospital  String,
    ward      String,
    day       Int32,
    beds        UInt32,
    overcrowded UInt32,
    outlying    UInt32,
    version   UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (hospital, ward, day)
