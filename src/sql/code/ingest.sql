/*
 * src/sql/code/ingest.sql: ritual.ingest and its views.  ritual.ingest
 * (src/ingest/ingest.c) appends to a table what is new in the files of a
 * ritual_fdw foreign table, writing the checkpoint of
 * src/sql/tables/ingest.sql in the caller's transaction.
 */

-- security_invoker: a role sees through it the rows of ritual.ingest_streams
-- and ritual.ingest_batches that row security shows it
CREATE OR REPLACE VIEW ritual.ingest_log WITH (security_invoker = true) AS
SELECT s.source, s.target, b.*
  FROM ritual.ingest_batches b JOIN ritual.ingest_streams s USING (stream_id);
COMMENT ON VIEW ritual.ingest_log IS 'The ingest log with each batch''s source and target.';

/*
 * ritual.ingest: append to 'target' what is new in the files of 'source',
 * exactly once.  See docs/ingest.md.  Written in C (src/ingest/ingest.c): it
 * reads and inserts as the caller and keeps the checkpoint as the owner of
 * the checkpoint tables, so that no step of it is reachable on its own.
 */
CREATE OR REPLACE FUNCTION ritual.ingest(
    source         regclass,
    target         regclass,
    max_files      integer DEFAULT NULL,
    max_bytes      bigint DEFAULT NULL,
    on_rewrite     text DEFAULT 'error',
    reject_limit   bigint DEFAULT NULL,
    wait           boolean DEFAULT true,
    files_complete boolean DEFAULT false)
RETURNS TABLE (batch bigint, files integer, bytes bigint, rows bigint,
               rejects bigint, seconds double precision)
AS 'MODULE_PATHNAME', 'ritual_ingest'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ritual.ingest(regclass, regclass, integer, bigint, text, bigint, boolean, boolean) IS
  'append to a table, exactly once, the rows of a ritual_fdw foreign table''s files not ingested before: new files and what files gained';

/*
 * What running ingests have done so far, from the progress they report as
 * COPY FROM (so pg_stat_progress_copy shows them too).
 */
CREATE OR REPLACE VIEW ritual.ingest_progress AS
SELECT p.pid, p.param12::oid::regclass AS source, p.relid::regclass AS target,
       p.param13 AS batch, p.param15 AS files_done, p.param14 AS files_total,
       p.param1 AS bytes_done, p.param2 AS bytes_total,
       p.param3 AS rows, p.param4 AS rejects
  FROM pg_catalog.pg_stat_get_progress_info('COPY') p
 WHERE p.param11 = x'72697475616c'::bigint;
COMMENT ON VIEW ritual.ingest_progress IS
  'Running ritual.ingest batches: files, bytes (done when a file is done) and rows so far.';

/*
 * ritual.grant_ingest: let a role call ritual.ingest and read the log of
 * its own streams.  Reading the source and writing the target are granted
 * as usual; ritual.ingest writes the checkpoint itself.
 */
CREATE OR REPLACE FUNCTION ritual.grant_ingest(role name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA ritual TO %I', role);
    EXECUTE format('GRANT SELECT ON ritual.ingest_streams, ritual.ingest_batches,
                    ritual.ingest_rejects TO %I', role);
    -- not the fingerprint: a hash of up to 8 kB of a file, columns the
    -- source does not map included, that a small file would give away (and
    -- not the whole table, as 0.1 granted)
    EXECUTE format('REVOKE SELECT ON ritual.ingest_files FROM %I', role);
    EXECUTE format('GRANT SELECT (stream_id, path, size, modified, bytes, lines, rows, rejects,
                    fingerprint_bytes, first_batch, batch, state) ON ritual.ingest_files TO %I', role);
    EXECUTE format('GRANT SELECT ON ritual.ingest_log, ritual.ingest_progress TO %I', role);
END
$fn$;
COMMENT ON FUNCTION ritual.grant_ingest(name) IS
  'let a role run ritual.ingest and read the checkpoint, log and rejects of the streams it may ingest';
-- granting is for the owner, as with grant_report_reader
REVOKE EXECUTE ON FUNCTION ritual.grant_ingest(name) FROM PUBLIC;
