/*
 * src/sql/tables/ingest.sql: the state of incremental, exactly-once ingest.
 * ritual.ingest (src/sql/code/ingest.sql) appends to a table what is new in
 * the files of a ritual_fdw foreign table: new files, and the new complete
 * records of files that grew.  The rows, the checkpoint, the rejects and the
 * log are written in the caller's transaction, so a batch counts once or
 * not at all.
 */

-- One row per (source, target) pair that has been ingested; locking it
-- keeps two ingests of a pair from reading the same bytes.
CREATE TABLE ritual.ingest_streams (
    stream_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source     regclass NOT NULL,
    target     regclass NOT NULL,
    batches    bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, target)
);
COMMENT ON TABLE ritual.ingest_streams IS
  'Each (source foreign table, target table) pair that ritual.ingest has read, and how many batches it took.';
COMMENT ON COLUMN ritual.ingest_streams.stream_id IS 'the pair''s number, in the other ingest tables';
COMMENT ON COLUMN ritual.ingest_streams.source IS 'the ritual_fdw foreign table read';
COMMENT ON COLUMN ritual.ingest_streams.target IS 'the table appended to';
COMMENT ON COLUMN ritual.ingest_streams.batches IS 'the number of the last batch committed';
COMMENT ON COLUMN ritual.ingest_streams.created_at IS 'when the pair was first ingested';

-- The checkpoint: how far each file has been read.
CREATE TABLE ritual.ingest_files (
    stream_id   bigint NOT NULL REFERENCES ritual.ingest_streams ON DELETE CASCADE,
    path        text NOT NULL,
    size        bigint NOT NULL,
    modified    timestamptz NOT NULL,
    bytes       bigint NOT NULL,
    lines       bigint NOT NULL,
    rows        bigint NOT NULL,
    rejects     bigint NOT NULL,
    fingerprint bigint,
    fingerprint_bytes bigint NOT NULL,
    first_batch bigint NOT NULL,
    batch       bigint NOT NULL,
    state       text NOT NULL DEFAULT 'reading' CHECK (state IN ('reading', 'ignored')),
    PRIMARY KEY (stream_id, path)
);
COMMENT ON TABLE ritual.ingest_files IS
  'The checkpoint of ritual.ingest: per stream and file, how far it has been read.';
COMMENT ON COLUMN ritual.ingest_files.stream_id IS 'the (source, target) pair, see ingest_streams';
COMMENT ON COLUMN ritual.ingest_files.path IS 'the file, as the source table names it';
COMMENT ON COLUMN ritual.ingest_files.size IS 'the file''s size when it was last read';
COMMENT ON COLUMN ritual.ingest_files.modified IS 'the file''s modification time when it was last read';
COMMENT ON COLUMN ritual.ingest_files.bytes IS 'bytes taken: up to the end of the last complete record (of the decompressed stream, for a compressed file)';
COMMENT ON COLUMN ritual.ingest_files.lines IS 'line ends in the bytes taken: the next record''s line is lines + 1';
COMMENT ON COLUMN ritual.ingest_files.rows IS 'rows appended to the target from the file, over all batches';
COMMENT ON COLUMN ritual.ingest_files.rejects IS 'rows of the file set aside in ritual.ingest_rejects, over all batches';
COMMENT ON COLUMN ritual.ingest_files.fingerprint IS 'a hash of the first and last 4 kB of the file''s first fingerprint_bytes bytes, to tell growth from a rewrite';
COMMENT ON COLUMN ritual.ingest_files.fingerprint_bytes IS 'the bytes the fingerprint covers: the bytes taken, or the whole file when compressed';
COMMENT ON COLUMN ritual.ingest_files.first_batch IS 'the batch that first read the file';
COMMENT ON COLUMN ritual.ingest_files.batch IS 'the batch that last read the file';
COMMENT ON COLUMN ritual.ingest_files.state IS '''reading'', or ''ignored'' once it was rewritten and on_rewrite said ''ignore''';

-- The log: one row per committed batch.
CREATE TABLE ritual.ingest_batches (
    stream_id  bigint NOT NULL REFERENCES ritual.ingest_streams ON DELETE CASCADE,
    batch      bigint NOT NULL,
    started_at timestamptz NOT NULL,
    seconds    double precision NOT NULL,
    files      integer NOT NULL,
    bytes      bigint NOT NULL,
    rows       bigint NOT NULL,
    rejects    bigint NOT NULL,
    rewritten  integer NOT NULL,
    pending_files integer NOT NULL,
    PRIMARY KEY (stream_id, batch)
);
COMMENT ON TABLE ritual.ingest_batches IS 'The ingest log: one row per committed batch of ritual.ingest.';
COMMENT ON COLUMN ritual.ingest_batches.stream_id IS 'the (source, target) pair, see ingest_streams';
COMMENT ON COLUMN ritual.ingest_batches.batch IS 'the batch''s number, from 1 per pair';
COMMENT ON COLUMN ritual.ingest_batches.started_at IS 'when the ingest call began';
COMMENT ON COLUMN ritual.ingest_batches.seconds IS 'how long the call took, up to its last write';
COMMENT ON COLUMN ritual.ingest_batches.files IS 'files read from';
COMMENT ON COLUMN ritual.ingest_batches.rows IS 'rows appended to the target';
COMMENT ON COLUMN ritual.ingest_batches.rejects IS 'rows set aside in ingest_rejects';
COMMENT ON COLUMN ritual.ingest_batches.bytes IS 'bytes taken from the files (decompressed)';
COMMENT ON COLUMN ritual.ingest_batches.rewritten IS 'files found rewritten or truncated, and re-read or ignored as on_rewrite said';
COMMENT ON COLUMN ritual.ingest_batches.pending_files IS 'files with new data left for later batches by max_files or max_bytes';

-- Rows that did not convert, kept instead of lost.
CREATE TABLE ritual.ingest_rejects (
    stream_id bigint NOT NULL REFERENCES ritual.ingest_streams ON DELETE CASCADE,
    batch     bigint NOT NULL,
    path      text NOT NULL,
    line      bigint NOT NULL,
    record    text,
    error     text NOT NULL
);
CREATE INDEX ON ritual.ingest_rejects (stream_id, batch);
COMMENT ON TABLE ritual.ingest_rejects IS 'Rows of the raw files that ritual.ingest could not convert.';
COMMENT ON COLUMN ritual.ingest_rejects.stream_id IS 'the (source, target) pair, see ingest_streams';
COMMENT ON COLUMN ritual.ingest_rejects.batch IS 'the batch that read the row';
COMMENT ON COLUMN ritual.ingest_rejects.path IS 'the file the row is in';
COMMENT ON COLUMN ritual.ingest_rejects.line IS 'the line of the file where the record starts';
COMMENT ON COLUMN ritual.ingest_rejects.record IS 'the record as the file holds it (up to 64 kB; invalid bytes as \xNN); NULL for a record longer than 1 MB, and when the role that ran the ingest may not read server files (the record may hold columns the source does not map)';
COMMENT ON COLUMN ritual.ingest_rejects.error IS 'the column and why its value did not convert, or what is wrong with the record';

/*
 * Only ritual.ingest writes these tables, as their owner.  A role granted
 * ritual.grant_ingest reads the rows of the streams it may ingest: SELECT
 * on the source and INSERT on the target.  (src/sql/upgrades/0.1--0.2.sql
 * makes the same.)
 */
ALTER TABLE ritual.ingest_streams ENABLE ROW LEVEL SECURITY;
ALTER TABLE ritual.ingest_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE ritual.ingest_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE ritual.ingest_rejects ENABLE ROW LEVEL SECURITY;
CREATE POLICY streams_of_role ON ritual.ingest_streams FOR SELECT
  USING (pg_catalog.has_table_privilege(source, 'SELECT')
         AND pg_catalog.has_table_privilege(target, 'INSERT'));
CREATE POLICY files_of_role ON ritual.ingest_files FOR SELECT
  USING (EXISTS (SELECT FROM ritual.ingest_streams s WHERE s.stream_id = ingest_files.stream_id));
CREATE POLICY batches_of_role ON ritual.ingest_batches FOR SELECT
  USING (EXISTS (SELECT FROM ritual.ingest_streams s WHERE s.stream_id = ingest_batches.stream_id));
CREATE POLICY rejects_of_role ON ritual.ingest_rejects FOR SELECT
  USING (EXISTS (SELECT FROM ritual.ingest_streams s WHERE s.stream_id = ingest_rejects.stream_id));

-- the checkpoint is the pipeline's state: pg_dump keeps it
SELECT pg_catalog.pg_extension_config_dump('ritual.ingest_streams', '');
SELECT pg_catalog.pg_extension_config_dump('ritual.ingest_files', '');
SELECT pg_catalog.pg_extension_config_dump('ritual.ingest_batches', '');
SELECT pg_catalog.pg_extension_config_dump('ritual.ingest_rejects', '');
