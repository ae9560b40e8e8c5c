-- Frozen invoice bases (services/invoices/frozen-invoices.ts): a region's month as it was
-- invoiced, kept unchanged whatever corrections arrive later, which the corrections endpoint
-- shows against it. Plain MergeTree and nothing in the product updates or deletes a row: the
-- first freeze of a (region, month), by frozen_at then freeze_id, is the frozen basis; a second
-- is refused before it is written, and one that raced past that check loses to the first.
-- `basis` is the canonical JSON answered byte for byte; `content_hash` its SHA-256.
CREATE TABLE IF NOT EXISTS {db}.invoice_freezes
(
    region          String,
    month           UInt32,
    freeze_id       String,
    frozen_at       DateTime('UTC'),
    frozen_by       String,
    -- The agreement versions the basis was computed under (`<file>#<validFrom>`), and a SHA-256
    -- of their terms: an agreement file edited after the freeze is seen.
    agreements      Array(String),
    agreements_hash String,
    content_hash    String,
    basis           String
)
ENGINE = MergeTree()
ORDER BY (region, month, frozen_at, freeze_id);
