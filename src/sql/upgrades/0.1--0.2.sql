/*
 * src/sql/upgrades/0.1--0.2.sql: what changes in the tables (and in the
 * objects that are not replaced as code) from version 0.1 to 0.2.  The
 * Makefile appends the current code (src/sql/code/) to make
 * ritual--0.1--0.2.sql; tests/upgrade.sh proves that an upgraded 0.1
 * keeps its data and equals a fresh install of 0.2.
 */

\echo Use "ALTER EXTENSION ritual UPDATE" to load this file. \quit

/*
 * Reporting metrics (docs/metrics.md): spikes judge every day with enough
 * history, so the minimum daily value goes, with its parameter and the
 * coverage column it filled; data_quality lists unknown event types one by
 * one; create_raw_tables may replace the tables.  The functions whose
 * arguments change are dropped here; src/sql/code/ makes them again.
 */
DROP FUNCTION IF EXISTS ritual.build_reports(text, text, timestamp, interval, double precision, double precision);
DROP FUNCTION IF EXISTS ritual.refresh_reports(text, text, timestamp, interval, double precision, double precision);
DROP FUNCTION IF EXISTS ritual.update_reports(text, text, timestamp, interval, double precision, double precision, boolean);
DROP FUNCTION IF EXISTS ritual.detect_spikes(double precision, double precision);
DROP FUNCTION IF EXISTS ritual.create_raw_tables(text, text, name);
ALTER TABLE ritual.spike_coverage DROP COLUMN too_small;
ALTER TABLE ritual.data_quality ADD COLUMN event_type text;
