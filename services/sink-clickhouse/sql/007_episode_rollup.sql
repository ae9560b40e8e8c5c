-- The snapshot again, read in granules of 1 024 rows instead of 8 192: a query for one discharge
-- day or the open episodes of the nation touches a granule per region and part, and at five
-- national years 8 192-row granules made that 600 000 rows for a day's 3 000. Derived data: the
-- old table and its generations go, and the builder makes a new generation at once (readers
-- collapse episode_facts meanwhile). Every statement can run again.
DROP TABLE IF EXISTS {db}.episode_snapshot;

CREATE TABLE IF NOT EXISTS {db}.episode_snapshot
(
    generation             UInt64,
    episode_id             String,
    version                UInt64,
    status                 String,
    region                 String,
    hospital               String,
    clinic                 String,
    ward                   String,
    business_area          String,
    care_type              String,
    admission_type         String,
    home_municipality      String,
    home_county            String,
    out_of_county          UInt8,
    recipient_municipality String,
    primary_care_unit      String,
    age_years              Int16,
    age_group              String,
    admitted_day           Int32,
    admitted_month         UInt32,
    discharged_day         Int32,
    discharged_month       UInt32,
    destination            String,
    ready_start_days       Array(Int32),
    ready_end_days         Array(Int32),
    payment_days           Array(Int32),
    open_payment_from_day  Int32,
    track_colour           String,
    fast_vardkontakt       UInt8,
    liability              String,
    readmission_of         String,
    readmission_source     String,
    readmission_index_clinic String,
    discharge_clinic       String,
    delay_reasons          Array(String),
    delay_parties          Array(String),
    ingested_at            DateTime('UTC')
)
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (region, discharged_day, episode_id)
SETTINGS index_granularity = 1024;

DROP TABLE IF EXISTS {db}.episode_snapshot_generations;

CREATE TABLE IF NOT EXISTS {db}.episode_snapshot_generations
(
    generation UInt64,
    watermark  DateTime('UTC'),
    episodes   UInt64,
    build_ms   UInt32,
    built_at   DateTime('UTC')
)
ENGINE = ReplacingMergeTree()
ORDER BY generation;

-- The closed episodes of each snapshot generation, aggregated ahead (services/snapshot/rollup-sql.ts): per
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

-- Where each episode of a generation sits in the snapshot's sort order, and its version, by
-- episode id: the snapshot rows of the episodes changed since the watermark are found here in a
-- few granules rather than by reading the id of every row.
CREATE TABLE IF NOT EXISTS {db}.episode_snapshot_keys
(
    generation     UInt64,
    episode_id     String,
    version        UInt64,
    region         String,
    discharged_day Int32
)
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY episode_id
SETTINGS index_granularity = 1024;
