-- tests/report_export.sql: point ritual at an export that ritual-generate
-- wrote, and build the reports as of the export's reference time.
--   psql -v export=DIR -f tests/report_export.sql   (or \i from a script)
-- Leaves :manifest set to the export's manifest.json, as text.
\set events_path :export '/user_events.csv'
\set profiles_path :export '/user_profiles.csv'
\set manifest_path :export '/manifest.json'
SELECT pg_read_file(:'manifest_path') AS manifest \gset
SELECT ritual.create_raw_tables(:'events_path', :'profiles_path') \g /dev/null
SELECT * FROM ritual.build_reports(
  reference_time => (:'manifest'::jsonb ->> 'reference_time')::timestamp) \g /dev/null
