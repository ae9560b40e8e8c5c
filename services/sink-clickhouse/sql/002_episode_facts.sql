-- One row per episode version, from the clock service's changelog (services/facts/episode-fact.ts).
-- Days are Stockholm calendar days as epoch-day numbers (Int32), computed by the domain core, so
-- no time-zone arithmetic happens in SQL (18.16, 24.x and chDB agree). An open ready period has
-- end day -1 and is counted up to "today" at query time. Readers collapse versions with FINAL:
-- a replay re-inserts the same version, which changes nothing.
CREATE TABLE IF NOT EXISTS {db}.episode_facts
(
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
    ingested_at            DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
ORDER BY episode_id;

-- Population per municipality on 31 Dec of `year` (SCB), the denominator of the next year's
-- per-1 000 indicators. Loaded at start from the reference files; never estimated.
CREATE TABLE IF NOT EXISTS {db}.population
(
    kommunkod  String,
    year       UInt16,
    pop65      UInt32,
    pop_total  UInt32
)
ENGINE = ReplacingMergeTree()
ORDER BY (kommunkod, year);

-- Documented views for analytics subscribers (read-only user): duplicates and old versions
-- already collapsed.
CREATE VIEW IF NOT EXISTS {db}.v_episode_facts AS
SELECT * FROM
(
    SELECT episode_id, max(version) AS latest_version,
        argMax(status, version) AS status,
        argMax(region, version) AS region,
        argMax(hospital, version) AS hospital,
        argMax(clinic, version) AS clinic,
        argMax(ward, version) AS ward,
        argMax(business_area, version) AS business_area,
        argMax(care_type, version) AS care_type,
        argMax(admission_type, version) AS admission_type,
        argMax(home_municipality, version) AS home_municipality,
        argMax(home_county, version) AS home_county,
        argMax(out_of_county, version) AS out_of_county,
        argMax(recipient_municipality, version) AS recipient_municipality,
        argMax(primary_care_unit, version) AS primary_care_unit,
        argMax(age_years, version) AS age_years,
        argMax(age_group, version) AS age_group,
        argMax(admitted_day, version) AS admitted_day,
        argMax(admitted_month, version) AS admitted_month,
        argMax(discharged_day, version) AS discharged_day,
        argMax(discharged_month, version) AS discharged_month,
        argMax(destination, version) AS destination,
        argMax(ready_start_days, version) AS ready_start_days,
        argMax(ready_end_days, version) AS ready_end_days,
        argMax(payment_days, version) AS payment_days,
        argMax(open_payment_from_day, version) AS open_payment_from_day,
        argMax(track_colour, version) AS track_colour,
        argMax(fast_vardkontakt, version) AS fast_vardkontakt,
        argMax(liability, version) AS liability,
        argMax(readmission_of, version) AS readmission_of,
        argMax(readmission_source, version) AS readmission_source,
        argMax(readmission_index_clinic, version) AS readmission_index_clinic,
        argMax(discharge_clinic, version) AS discharge_clinic,
        argMax(delay_reasons, version) AS delay_reasons,
        argMax(delay_parties, version) AS delay_parties
    FROM {db}.episode_facts
    GROUP BY episode_id
)
WHERE status NOT IN ('CANCELLED', 'PENDING');

CREATE VIEW IF NOT EXISTS {db}.v_events AS
SELECT event_id, event_type, occurred_at, episode_id, source, payload FROM {db}.events FINAL;
