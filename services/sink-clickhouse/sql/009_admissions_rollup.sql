-- The discharged episodes of each snapshot generation summed per dimension and admission month
-- (services/snapshot/rollup-sql.ts, ADMISSIONS): the overview's admitted, ready and utklar counts
-- and the readmissions, which count by admission date. A nation's year otherwise read every
-- episode discharged since the period began (1.2 M rows; 3.5 M for readmissions with the year
-- before). Open episodes are counted one by one at query time. Built with its generation, dropped
-- with it; generations recorded before this migration read the episodes until the next one.
CREATE TABLE IF NOT EXISTS {db}.episode_admissions_rollup
(
    generation        UInt64,
    status            String,
    region            String,
    home_county       String,
    home_municipality String,
    out_of_county     UInt8,
    care_type         String,
    hospital          String,
    admitted_month    UInt32,
    -- Episodes; with a ready notice; with ≥ 1 utklar day; readmissions (readmission_of set).
    admitted          UInt64,
    ready             UInt64,
    utklar            UInt64,
    readmissions      UInt64
)
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (admitted_month, region, home_municipality, care_type, hospital, status, home_county, out_of_county)
SETTINGS index_granularity = 256;

-- The same per admission day: a period's days outside whole months are read here. Episodes
-- admitted on a day may be discharged at any time after, so the snapshot's sort key (discharge
-- day) cannot find them; one by one, a period ending on the 1st read every episode discharged
-- since that day a year before. Its months are summed into episode_admissions_rollup.
CREATE TABLE IF NOT EXISTS {db}.episode_admissions_daily
(
    generation        UInt64,
    status            String,
    region            String,
    home_county       String,
    home_municipality String,
    out_of_county     UInt8,
    care_type         String,
    hospital          String,
    admitted_month    UInt32,
    admitted_day      Int32,
    admitted          UInt64,
    ready             UInt64,
    utklar            UInt64,
    readmissions      UInt64
)
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (admitted_day, region, home_municipality, care_type, hospital, status, home_county, out_of_county)
SETTINGS index_granularity = 256;

-- Which rollups each generation was built with, recorded with it: readers learn it with the
-- generation instead of looking into each rollup (a count of millions of rows per request).
-- Generations recorded before this have none and are read one episode at a time.
ALTER TABLE {db}.episode_snapshot_generations ADD COLUMN rollups Array(String);
