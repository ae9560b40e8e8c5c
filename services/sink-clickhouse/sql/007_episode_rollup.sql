-- The closed episodes of each snapshot generation, aggregated ahead (services/rollups/): per
-- dimension the indicators filter and group closed episodes by, and per discharge month, the sums
-- the discharge-period indicators add up. A closed ready episode's day counts no longer change with
-- "today", so a generation's sums are final; a query reads whole months of the period here, takes
-- back what the episodes changed since the watermark contributed, and adds their newest versions,
-- the open episodes and the period's partial months one by one. Built with its generation, dropped
-- with it. Plain MergeTree, 18.16-safe.
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
ORDER BY (region, discharged_month, home_municipality, care_type, hospital, track_colour, status, home_county, out_of_county);
