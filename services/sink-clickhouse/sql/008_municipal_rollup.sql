-- The closed-episode rollups read in small granules, by month first (services/snapshot/rollup-sql.ts).
-- A nation's year read ~330 000 rows of episode_rollup for ~110 000 of its own: 8 192-row
-- granules under (region, month) hold several months of a region each. Derived data: the old
-- rollup goes, and the generations recorded before this migration are read one episode at a time
-- until the builder's next generation (at most its maxAge). Every statement can run again.
DROP TABLE IF EXISTS {db}.episode_rollup;

CREATE TABLE IF NOT EXISTS {db}.episode_rollup
(
    generation        UInt64,
    status            String,
    region            String,
    home_county       String,
    home_municipality String,
    out_of_county     UInt8,
    care_type         String,
    hospital          String,
    track_colour      String,
    discharged_month  UInt32,
    -- Ready episodes; those with ≥ 1 utklar day; discharged on day 0; their utklar days; with fast vårdkontakt.
    ready             UInt64,
    utklar            UInt64,
    same_day          UInt64,
    days              Int64,
    fvk               UInt64
)
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (discharged_month, region, home_municipality, care_type, hospital, track_colour, status, home_county, out_of_county)
SETTINGS index_granularity = 256;

-- The same sums without the hospital and Utom län: what every indicator page reads unless it
-- filters by hospital or län (≈ 2 700 rows a month nationally instead of ≈ 9 900). Month, then
-- kommun: a kommun's year is a granule a month, a nation's year its months' rows.
CREATE TABLE IF NOT EXISTS {db}.episode_rollup_municipal
(
    generation        UInt64,
    status            String,
    region            String,
    home_county       String,
    home_municipality String,
    care_type         String,
    track_colour      String,
    discharged_month  UInt32,
    ready             UInt64,
    utklar            UInt64,
    same_day          UInt64,
    days              Int64,
    fvk               UInt64
)
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (discharged_month, home_municipality, region, care_type, track_colour, status, home_county)
SETTINGS index_granularity = 256;
