--
-- discovery: files, directories, globs and several paths
--
\getenv datadir RITUAL_TESTDATA
\set lake :datadir '/lake'

CREATE FUNCTION lake_files(pattern text, OUT file text, OUT nrows bigint)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE FOREIGN TABLE lake_probe (user_id int, src text OPTIONS (meta %L))
                  SERVER files OPTIONS (path %L, header %L)', 'filename', pattern, 'true');
  RETURN QUERY SELECT replace(p.src, current_setting('ritual_test.lake'), '<lake>'), count(*)
    FROM lake_probe p GROUP BY p.src ORDER BY p.src;
  DROP FOREIGN TABLE lake_probe;
END $$;
SELECT set_config('ritual_test.lake', :'lake', false) IS NOT NULL AS lake_set;

-- a directory: every file below it, in sorted order; names that start with
-- '.' or '_' (temporary files, _SUCCESS markers) are passed over
SELECT * FROM lake_files(:'lake');
-- a trailing slash changes nothing
SELECT * FROM lake_files(:'lake' || '/');

-- globs: *, ?, [..], and ** for any depth
SELECT * FROM lake_files(:'lake' || '/2024/*/*.csv');
SELECT * FROM lake_files(:'lake' || '/2024/0?/[ab].csv');
SELECT * FROM lake_files(:'lake' || '/**/*.csv');
SELECT * FROM lake_files(:'lake' || '/**/c.csv');
SELECT * FROM lake_files(:'lake' || '/2024/**');
-- ** after ** is one **: the same files, without walking the tree again for
-- each way of splitting a path between them
SELECT (SELECT array_agg(f) FROM lake_files(:'lake' || '/**/**/**/**/**/**/**/**/**/**/**/**/*.csv') f)
     = (SELECT array_agg(f) FROM lake_files(:'lake' || '/**/*.csv') f) AS same_files;
-- ** between other segments: each directory is matched once at each
-- segment, however many ways the ** split its path (walking each way again
-- took time exponential in the number of **)
SELECT * FROM lake_files(:'lake' || '/**/*/**/*/**/*.csv');
SELECT (SELECT array_agg(f) FROM lake_files(:'lake' || '/**/*/**/*/**/*.csv') f)
     = (SELECT array_agg(f) FROM lake_files(:'lake' || '/*/*/**/*.csv') f) AS same_files;
-- a glob that matches directories reads them whole
SELECT * FROM lake_files(:'lake' || '/2024/0*');
-- hidden names are read when a pattern names them explicitly
SELECT * FROM lake_files(:'lake' || '/.hidden.csv');
SELECT * FROM lake_files(:'lake' || '/_tmp/*.csv');
SELECT * FROM lake_files(:'lake' || '/.*.csv');

-- a symbolic link back to a directory the walk is inside (loop -> .,
-- sub/up -> ..) is not entered: each file is read once, under its shortest
-- name, whatever the pattern
\set looped :datadir '/looped'
SELECT replace(file, :'looped', '<looped>') AS file, nrows FROM lake_files(:'looped');
SELECT replace(file, :'looped', '<looped>') AS file, nrows FROM lake_files(:'looped' || '/**/*.csv');
SELECT replace(file, :'looped', '<looped>') AS file, nrows FROM lake_files(:'looped' || '/*/*.csv');
SELECT replace(file, :'looped', '<looped>') AS file, nrows FROM lake_files(:'looped' || '/*/*/*.csv');
-- a link the path names itself is followed
SELECT replace(file, :'looped', '<looped>') AS file, nrows FROM lake_files(:'looped' || '/sub/up/*.csv');
SELECT replace(file, :'looped', '<looped>') AS file, nrows FROM lake_files(:'looped' || '/**');
-- several paths, comma-separated; a file named twice is read once
SELECT * FROM lake_files(:'lake' || '/2024/03/a.csv, ' || :'lake' || '/2024/04/c.csv');
SELECT * FROM lake_files(:'lake' || '/2024/03/a.csv,' || :'lake' || '/2024/03/*.csv');

-- a path that matches nothing is an error naming it, unless missing_ok
SELECT * FROM lake_files(:'lake' || '/2025/*.csv');
SELECT * FROM lake_files(:'lake' || '/nothing.csv');
SELECT * FROM lake_files(:'lake' || '/2024/03/a.csv,' || :'lake' || '/2023');
\set nowhere :lake '/2025/*.csv'
\set nowhere_and_a :nowhere ',' :lake '/2024/03/a.csv'
CREATE FOREIGN TABLE maybe (user_id int) SERVER files
  OPTIONS (path :'nowhere', missing_ok 'true', header 'true');
SELECT count(*) FROM maybe;
EXPLAIN (COSTS OFF) SELECT * FROM maybe;
-- missing_ok covers each path: the ones that exist are still read
ALTER FOREIGN TABLE maybe OPTIONS (SET path :'nowhere_and_a');
SELECT * FROM maybe;
DROP FOREIGN TABLE maybe;
DROP FUNCTION lake_files;
