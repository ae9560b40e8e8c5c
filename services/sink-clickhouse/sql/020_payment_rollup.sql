-- The invoice basis (indicators/payment), aggregated ahead: a generation's closed ready episodes
-- per discharge day, region, recipient (liable) kommun, care type, status, day-0 discharge or not
-- and liable or not, with their count, their payment days and those days per calendar year and
-- place in the episode's list (year × 64 + the day's 0-based index, indices from 63 on as 63).
-- The place is what lets one rollup serve every agreement: an agreement bills a liable episode's
-- payment days from its n-th on (billableFrom, at most 63 here), so a query keeps the entries
-- whose index is n or more. By day, not by month: the agreement in force, and so n, may change on
-- any day. Closed episodes' payment days never change with "today"; a query takes back what the
-- episodes changed since the watermark contributed and adds their newest versions
-- (services/indicators/payment-sql.ts). Built with its generation, dropped with it. Plain
-- MergeTree, 18.16-safe; sorted by day first, as a month is asked, in small granules: a
-- nation's month is ≈ 35 000 rows of 6 M episodes' 2 M.
CREATE TABLE IF NOT EXISTS {db}.episode_payment_rollup
(
    generation             UInt64,
    discharged_day         Int32,
    region                 String,
    recipient_municipality String,
    care_type              String,
    status                 String,
    day_zero               UInt8,
    liable                 UInt8,
    episode_count          UInt64,
    paid_days              UInt64,
    year_place             Array(UInt32),
    year_place_days        Array(UInt64)
)
ENGINE = MergeTree()
PARTITION BY generation
ORDER BY (discharged_day, region, recipient_municipality, care_type)
SETTINGS index_granularity = 1024;
