-- SCB's 290 municipalities and 21 counties (services/reference/kommuner.csv), loaded at start,
-- so analytics subscribers can name and group what the facts carry as codes.
CREATE TABLE IF NOT EXISTS {db}.municipalities
(
    kommunkod String,
    kommun    String,
    lanskod   String,
    lan       String
)
ENGINE = ReplacingMergeTree()
ORDER BY kommunkod
