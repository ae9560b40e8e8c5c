-- The agreement version each episode fact was computed under (issue #20): `<file>#<validFrom>@<terms
-- hash>` of the agreement in force for the episode's region on its discharge day (services/
-- agreements/agreement-version.ts), so a row says which rules made its payment days and liability,
-- and a rebuild under changed rules (services/rebuild/) can be told from the facts it replaces.
-- Versions stored before this migration have '' (not recorded). Appended at the end of each
-- table: inserts name their columns.
ALTER TABLE {db}.episode_facts ADD COLUMN agreement_version String;
ALTER TABLE {db}.episode_facts_recent ADD COLUMN agreement_version String;
ALTER TABLE {db}.episode_snapshot ADD COLUMN agreement_version String
