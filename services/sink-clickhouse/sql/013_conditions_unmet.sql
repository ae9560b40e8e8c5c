-- Which of the payment conditions (services/clock/eligibility.ts) were unmet when the episode's
-- liability was decided, so that an invoice's specification names them rather than saying only
-- "not liable". Versions stored before this migration have none recorded ([]): their invoices
-- name what can still be read back (the fast vårdkontakt) and otherwise say it is not known.
-- Appended at the end of each table: inserts name their columns.
ALTER TABLE {db}.episode_facts ADD COLUMN conditions_unmet Array(String);
ALTER TABLE {db}.episode_facts_recent ADD COLUMN conditions_unmet Array(String);
ALTER TABLE {db}.episode_snapshot ADD COLUMN conditions_unmet Array(String)
