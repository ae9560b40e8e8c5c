-- Occupied beds (indicators/occupied-beds), aggregated ahead: a generation's closed ready
-- episodes' utklar bed-days (day 0 not counted, as bedDaysIn) per dimension and per month the
-- bed-day fell in, not the month of discharge: a stay from 28 February to 3 March gives February
-- its days and March its own. A closed episode's periods are closed, so its bed-days never change
-- with "today"; a query reads the period's whole months here, takes back what the episodes
-- changed since the watermark contributed, adds their newest versions, every open episode and
-- the period's other days one by one (services/snapshot/rollup-sql.ts: bedDaysSql). Built with
-- its generation, dropped with it. Plain MergeTree, 18.16-safe.
CREATE TABLE IF NOT EXISTS {db}.episode_bed_days_rollup
(
    generation        UInt64,
    status            String,
    region            String,
    home_county       String,
    home_municipality String,
    out_of_county     UInt8,
    care_type         String,
    hospital          String,
    bed_month         UInt32,
    bed_days          Int64
)
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (bed_month, region, home_municipality, care_type, hospital, status, home_county, out_of_county)
SETTINGS index_granularity = 256;
