-- The patient-level rows (GET /api/v1/rows: a page of episodes ordered by episode id) read a
-- generation's latest versions from a table of their own, sorted for them (services/snapshot/
-- rows-sql.ts). episode_snapshot is sorted by region and discharge day, so a page of a nation's or
-- a kommun's year sorted a year of episodes (1.15 M rows at five national years) for its first
-- 1 000. Here the rows lie in runs of one discharge month (rows_bucket: year × 12 + month − 1,
-- open episodes last) and one home county (rows_county: the home county where it is the region
-- and the home kommun's code begins with it, else ''), each run by episode id, in 64-row
-- granules. A query that bounds the id (episode_id <= a bound found in the sample below) reads of
-- each run only the granules below the bound, and a kommun's runs only: by construction its
-- code implies rows_county IN (its first two characters, ''). The sample holds every 32nd
-- episode (by the hash of its id) of the same rows: the bound is the sample's k-th matching id.
-- Built with their generation (a copy of episode_snapshot's partition), recorded with it, dropped
-- with it. Plain MergeTree, 18.16-safe.
CREATE TABLE IF NOT EXISTS {db}.episode_snapshot_rows
(
    generation             UInt64,
    rows_bucket            UInt32,
    rows_county            String,
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
    ingested_at            DateTime('UTC'),
    conditions_unmet       Array(String),
    agreement_version      String
)
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (rows_bucket, rows_county, episode_id)
SETTINGS index_granularity = 64;

CREATE TABLE IF NOT EXISTS {db}.episode_snapshot_rows_sample AS {db}.episode_snapshot_rows
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (rows_bucket, rows_county, episode_id)
SETTINGS index_granularity = 256
