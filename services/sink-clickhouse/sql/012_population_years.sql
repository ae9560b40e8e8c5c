-- Population files may give only the total for a year (services/reference/
-- population-total-2021-2025.csv: the 65+ counts of those years are not among the loaded files):
-- pop65 is NULL there, never 0 or an estimate. `year` is the 31 December of the figures; which
-- year an indicator divides by is the indicator's rule (docs/query-api.md, Reference data). The
-- rows are loaded again from the reference files at every start.
ALTER TABLE {db}.population MODIFY COLUMN pop65 Nullable(UInt32)
