-- The episode snapshot (services/snapshot/): the latest version of every episode as of one build,
-- exactly one row each, so readers neither collapse versions nor read other regions' or periods'
-- rows. A build writes a whole new generation (its own partition) and records it in
-- episode_snapshot_generations only when complete; readers take the newest recorded generation
-- and read the episodes with a version stored since (ingested_at >= watermark) from
-- episode_facts instead. Replays, duplicates and corrections therefore need no retraction: a
-- generation is a function of episode_facts, and anything newer is collapsed at query time.
-- Older generations are dropped by partition. Plain MergeTree (no FINAL anywhere): 18.16-safe.
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
ORDER BY (region, discharged_day, episode_id);

-- One row per complete generation: versions ingested at or after `watermark` are not in it.
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
