// tests/parquet_fixtures.mjs: the Parquet files tests/parquet_read.sh reads
// with ritual_fdw, made at test time by DuckDB (npm @duckdb/node-api) and by
// tests/parquet_spark.mjs, each with DuckDB's reading of it as the expected
// answer; and the broken files of tests/parquet_hostile.mjs.
//
// Usage: node parquet_fixtures.mjs OUTDIR
// Writes:
//   OUTDIR/files/...             the Parquet files (and a CSV file, in mixed/)
//   OUTDIR/cases/NAME.sql        a psql script: CREATE FOREIGN TABLE, one
//                                SELECT, DROP; run with psql -X -q -At
//   OUTDIR/cases/NAME.expected   what that SELECT must print, from DuckDB
//   OUTDIR/heap/NAME.sql, .csv   the same rows loaded from CSV into a table:
//                                what PostgreSQL itself prints for DuckDB's
//                                values, to check the canonical text
//   OUTDIR/hostile/NAME.parquet  the broken files
//   OUTDIR/encodings.txt         DuckDB's parquet_metadata of the matrix:
//                                file, column, type, codec, encodings
//   OUTDIR/pages.txt             the kinds of page of each file (a page's
//                                header is not in any metadata function)
// The scripts expect a server "pq_files" of ritual_fdw and the function
// pq_text(text) that tests/parquet_read.sh makes; they reset what they set.
//
// Canonical text of a value, the same on both sides: NULL as NULL, any
// other value as its PostgreSQL text form ("'value'::type::text" with
// TimeZone UTC, DateStyle ISO and extra_float_digits 1) in double quotes,
// with backslash, double quote, LF and CR escaped by a backslash; the
// values of a row joined by |.  DuckDB's value is cast to VARCHAR, which is
// PostgreSQL's form for every type used here but floats (formatted here as
// PostgreSQL's shortest-exact output does), blobs (\x and hex) and
// nanosecond timestamps (DuckDB's cast to TIMESTAMP, which truncates).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { decodeStruct, field, readFooter, sparkFiles, toDataPagesV2 } from './parquet_spark.mjs';
import { hostileFiles } from './parquet_hostile.mjs';

const out = process.argv[2];
const files = `${out}/files`;
for (const d of ['files', 'cases', 'heap', 'hostile', 'files/mixed'])
    mkdirSync(`${out}/${d}`, { recursive: true });

const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const db = await instance.connect();
const rows = async (query) => (await db.runAndReadAll(query)).getRowObjectsJS();
await db.run("SET TimeZone = 'UTC'");
const lit = (s) => `'${s.replaceAll("'", "''")}'`;

// ---- the matrix: every type, as a column of few values (dictionary), of
// distinct values (PLAIN in v1; DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY
// or BYTE_STREAM_SPLIT in v2), of distinct values and some NULLs, and of
// NULLs only; values at the edges of each type in the first rows ----
const ts = (x) => `TIMESTAMP '2024-01-01' + to_microseconds(${x} * 1234567891234 - 600000000000000)`;
const edge = (x, cases, otherwise) =>
    `CASE ${cases.map(([k, v]) => `WHEN ${x} = ${k} THEN ${v}`).join(' ')} ELSE ${otherwise} END`;
// the text of integer n / 10^scale, exactly (DuckDB divides decimals as doubles)
const scaled = (n, scale) => `(CASE WHEN (${n}) < 0 THEN '-' ELSE '' END
    || CAST(abs(${n}) // ${10n ** BigInt(scale)} AS VARCHAR) || '.'
    || lpad(CAST(abs(${n}) % ${10n ** BigInt(scale)} AS VARCHAR), ${scale}, '0'))`;
const types = [
    ['boolean', 'BOOLEAN', (x) => `(${x} % 3 = 0)`],
    ['tinyint', 'TINYINT', (x) => `CAST((${x} * 37) % 256 - 128 AS TINYINT)`],
    ['smallint', 'SMALLINT', (x) => `CAST((${x} * 7919) % 65536 - 32768 AS SMALLINT)`],
    ['integer', 'INTEGER', (x) => `CAST((${x} * 2654435761) % 4294967296 - 2147483648 AS INTEGER)`],
    ['bigint', 'BIGINT', (x) => `CAST((CAST(${x} AS HUGEINT) * 11400714819323198485) % 18446744073709551616
                                       - 9223372036854775808 AS BIGINT)`],
    ['utinyint', 'UTINYINT', (x) => `CAST((${x} * 37 + 255) % 256 AS UTINYINT)`],
    ['usmallint', 'USMALLINT', (x) => `CAST((${x} * 7919 + 65535) % 65536 AS USMALLINT)`],
    ['uinteger', 'UINTEGER', (x) => `CAST((${x} * 2654435761 + 4294967295) % 4294967296 AS UINTEGER)`],
    ['ubigint', 'UBIGINT', (x) => `CAST((CAST(${x} AS HUGEINT) * 11400714819323198485 + 18446744073709551615)
                                         % 18446744073709551616 AS UBIGINT)`],
    ['float', 'FLOAT', (x) => edge(x, [[1, "'NaN'"], [2, "'inf'"], [3, "'-inf'"], [4, "'-0.0'"],
                                       [5, "'1e-45'"], [6, "'3.4028235e38'"]],
                                   `(${x} * 1.37 - 500) / 7`) + '::FLOAT'],
    ['double', 'DOUBLE', (x) => edge(x, [[1, "'NaN'"], [2, "'inf'"], [3, "'-inf'"], [4, "'-0.0'"],
                                         [5, "'5e-324'"], [6, "'1.7976931348623157e308'"]],
                                     `(${x} * 1.37 - 500) / 7`) + '::DOUBLE'],
    ['varchar', 'VARCHAR', (x) => edge(x, [[1, "''"], [2, `'quote " backslash \\ pipe | tab' || chr(9)`],
                                           [3, "'line' || chr(10) || 'break' || chr(13)"],
                                           [4, "'ünïcødé ✓ 𝄞'"]],
                                       `'value ' || ${x}`)],
    ['enum', 'mood', (x) => `CAST(['sad', 'ok', 'happy'][${x} % 3 + 1] AS mood)`],
    ['json', 'JSON', (x) => `CAST('{"i": ' || ${x} || ', "s": "x"}' AS JSON)`],
    ['date', 'DATE', (x) => edge(x, [[1, "DATE '0001-01-01'"], [2, "DATE '9999-12-31'"]],
                                 `DATE '1970-01-01' + CAST((${x} * 37) % 40000 - 20000 AS INTEGER)`)],
    ['time', 'TIME', (x) => edge(x, [[1, "TIME '23:59:59.999999'"], [2, "TIME '00:00:00'"]],
                                 `TIME '00:00:00' + to_microseconds((${x} * 1234567891) % 86400000000)`)],
    ['timestamp', 'TIMESTAMP', (x) => edge(x, [[1, "TIMESTAMP '1900-01-01 00:00:00.000001'"],
                                               [2, "TIMESTAMP '2262-04-11 23:47:16'"]], ts(x))],
    ['timestamp_ms', 'TIMESTAMP_MS', (x) => `CAST(${ts(x)} AS TIMESTAMP_MS)`],
    // nanoseconds past a whole second, after 1970 (a cast to microseconds
    // truncates toward zero)
    ['timestamp_ns', 'TIMESTAMP_NS', (x) => `CAST(strftime(TIMESTAMP '2000-01-01' + to_seconds(${x} * 1234567),
                                                           '%Y-%m-%d %H:%M:%S') || '.'
                                                  || lpad(CAST((${x} * 987654321) % 1000000000 AS VARCHAR), 9, '0')
                                                  AS TIMESTAMP_NS)`],
    ['timestamptz', 'TIMESTAMPTZ', (x) => `CAST(${ts(x)} AS TIMESTAMPTZ)`],
    ['decimal_4_1', 'DECIMAL(4,1)', (x) => edge(x, [[1, "'999.9'"], [2, "'-999.9'"]],
                                                scaled(`(${x} * 7919) % 19999 - 9999`, 1)) + '::DECIMAL(4,1)'],
    ['decimal_9_2', 'DECIMAL(9,2)', (x) => edge(x, [[1, "'9999999.99'"], [2, "'-9999999.99'"]],
                                                scaled(`(${x} * 2654435761) % 1999999999 - 999999999`, 2))
                                    + '::DECIMAL(9,2)'],
    ['decimal_18_3', 'DECIMAL(18,3)', (x) => edge(x, [[1, "'999999999999999.999'"], [2, "'-999999999999999.999'"]],
                                                  scaled(`CAST(${x} AS HUGEINT) * 11400714819323198485
                                                          % 1999999999999999999 - 999999999999999999`, 3))
                                      + '::DECIMAL(18,3)'],
    ['decimal_38_10', 'DECIMAL(38,10)', (x) => edge(x, [[1, "'9999999999999999999999999999.9999999999'"],
                                                        [2, "'-9999999999999999999999999999.9999999999'"]],
                                                    scaled(`CAST(${x} AS HUGEINT) * 1234567890123456789012345
                                                            - 617283945061728394506172839`, 10))
                                      + '::DECIMAL(38,10)'],
    ['uuid', 'UUID', (x) => edge(x, [[1, "'00000000-0000-0000-0000-000000000000'"],
                                     [2, "'ffffffff-ffff-ffff-ffff-ffffffffffff'"],
                                     [3, "'80000000-0000-0000-0000-000000000000'"]],
                                 `md5(CAST(${x} AS VARCHAR))`) + '::UUID'],
    ['blob', 'BLOB', (x) => edge(x, [[1, "from_hex('')"], [2, "from_hex('00')"]],
                                 `from_hex(md5(CAST(${x} AS VARCHAR)) || '00ff')`)],
];
const matrixColumns = ['i AS id'];
for (const [name, type, f] of types) {
    matrixColumns.push(`${f('i')} AS ${name}_plain`);
    matrixColumns.push(`CASE WHEN i % 7 = 3 THEN NULL ELSE ${f('(i % 5)')} END AS ${name}_dict`);
    matrixColumns.push(`CASE WHEN i % 3 = 0 THEN NULL ELSE ${f('i')} END AS ${name}_sparse`);
    matrixColumns.push(`CAST(NULL AS ${type}) AS ${name}_null`);
}
await db.run("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
await db.run(`CREATE TABLE matrix AS SELECT ${matrixColumns.join(',\n')} FROM range(300) r(i)`);

// the single-file fixtures: name -> file
const single = {};
const codecs = ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw', 'brotli'];
for (const codec of codecs)
    for (const version of ['v1', 'v2']) {
        const name = `matrix_${codec}_${version}`;
        // a dictionary of at most 100 values: the _dict columns (5 values) get
        // one, the _plain and _sparse ones (more than 200 values) not
        await db.run(`COPY matrix TO '${files}/${name}.parquet'
                      (FORMAT parquet, COMPRESSION ${codec}, PARQUET_VERSION ${version.toUpperCase()},
                       DICTIONARY_SIZE_LIMIT 100)`);
        single[name] = `${files}/${name}.parquet`;
    }
// DuckDB writes data pages v1 only (PARQUET_VERSION V2 changes the
// encodings, not the pages): the same files with data pages v2, for the
// codecs node's zlib has; DuckDB must read them as it reads the originals
for (const codec of ['uncompressed', 'gzip', 'brotli'])
    for (const version of ['v1', 'v2']) {
        const from = single[`matrix_${codec}_${version}`];
        const name = `matrix_${codec}_${version}_pages_v2`;
        writeFileSync(`${files}/${name}.parquet`, toDataPagesV2(readFileSync(from)));
        single[name] = `${files}/${name}.parquet`;
        const differ = await rows(`SELECT count(*) AS n FROM (
            (SELECT * FROM ${lit(from)} EXCEPT ALL SELECT * FROM ${lit(single[name])})
            UNION ALL (SELECT * FROM ${lit(single[name])} EXCEPT ALL SELECT * FROM ${lit(from)}))`);
        if (differ[0].n !== 0n)
            throw new Error(`${name}: DuckDB reads ${differ[0].n} rows differently from ${from}`);
    }
await db.run(`COPY (SELECT * FROM matrix WHERE id = 7) TO '${files}/single_row.parquet' (FORMAT parquet)`);
single.single_row = `${files}/single_row.parquet`;
await db.run(`COPY (SELECT * FROM matrix WHERE false) TO '${files}/zero_rows.parquet' (FORMAT parquet)`);
single.zero_rows = `${files}/zero_rows.parquet`;
// many row groups (DuckDB cuts at 2048 rows at least)
await db.run(`COPY (SELECT i AS id, 'group ' || (i % 13) AS grp, i / 7 AS x,
                           CASE WHEN i % 10 = 0 THEN NULL ELSE 'n' || i END AS maybe
                    FROM range(20000) r(i))
              TO '${files}/row_groups.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)`);
single.row_groups = `${files}/row_groups.parquet`;
// a file of 27 parallel blocks at ritual.parallel_block_size's least (64
// kB), in 5 row groups: most blocks have no row group starting in them
await db.run(`COPY (SELECT i AS id, md5(i::VARCHAR) AS h FROM range(40000) r(i))
              TO '${files}/blocks.parquet' (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 8192)`);
single.blocks = `${files}/blocks.parquet`;
// time-sorted events: 10 days of 4096 events, two row groups a day
await db.run(`CREATE TABLE events AS
              SELECT TIMESTAMP '2024-01-01' + to_microseconds(i * 21093750) AS event_time,
                     (i * 7919) % 1000 AS user_id,
                     ['open', 'view', 'buy', 'close'][i % 4 + 1] AS event_type
              FROM range(40960) r(i)`);
await db.run(`COPY events TO '${files}/events_sorted.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
single.events_sorted = `${files}/events_sorted.parquet`;
// bad values for their columns: a bigint beyond integer in row 3, a
// string that is no date in row 4
await db.run(`COPY (SELECT * FROM (VALUES (1, '2024-01-01'), (2, '2024-01-02'), (3000000000, '2024-01-03'),
                                          (4, 'not a date'), (NULL, '2024-01-05')) v(big, txt))
              TO '${files}/wrong.parquet' (FORMAT parquet)`);
// bytes that are not UTF-8 (an unannotated BYTE_ARRAY read as text) in
// every third row: 3,000 rows are dictionary-encoded, 6 are plain
for (const [name, rows] of [['bad_utf8', 3000], ['bad_utf8_plain', 6]])
    await db.run(`COPY (SELECT i + 1 AS id,
                               CASE WHEN i % 3 = 2 THEN '\\xFF\\xFEbad'::BLOB ELSE ('ok' || (i % 2))::BLOB END AS b
                        FROM range(${rows}) r(i))
                  TO '${files}/${name}.parquet' (FORMAT parquet)`);
// Spark's shapes
for (const [name, bytes] of Object.entries(sparkFiles())) {
    writeFileSync(`${files}/${name}`, bytes);
    single[name.replace('.parquet', '')] = `${files}/${name}`;
}
// a Parquet file whose name does not say so, for option format 'parquet'
copyFileSync(`${files}/matrix_snappy_v1.parquet`, `${files}/matrix_snappy_v1.data`);

// a Hive-partitioned lake, and a lake of CSV and Parquet files side by side
await db.run(`COPY (SELECT event_time, user_id, event_type, CAST(event_time AS DATE) AS event_day,
                           ['ios', 'android'][user_id % 2 + 1] AS platform
                    FROM events WHERE event_time < TIMESTAMP '2024-01-04' AND user_id % 3 = 0)
              TO '${files}/hive' (FORMAT parquet, PARTITION_BY (event_day, platform))`);
await db.run(`COPY (SELECT i AS id, 'csv ' || i AS name, DATE '2024-01-01' + CAST(i AS INTEGER) AS day
                    FROM range(5) r(i)) TO '${files}/mixed/part-0.csv' (HEADER)`);
await db.run(`COPY (SELECT i AS id, 'parquet ' || i AS name, DATE '2024-02-01' + CAST(i AS INTEGER) AS day
                    FROM range(5, 12) r(i)) TO '${files}/mixed/part-1.parquet' (FORMAT parquet)`);

// ---- the expected answers ----

// PostgreSQL's float4out/float8out (shortest exact, extra_float_digits 1)
function pgFloat(v, bits) {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'Infinity';
    if (v === -Infinity) return '-Infinity';
    if (v === 0) return Object.is(v, -0) ? '-0' : '0';
    let e = v.toExponential();
    if (bits === 4)
        for (let p = 1; p <= 9; p++) {
            e = v.toExponential(p - 1);
            if (Math.fround(Number(e)) === v) break;
        }
    const [, sign, first, rest, exp] = e.match(/^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/);
    const digits = (first + (rest ?? '')).replace(/0+$/, '') || '0';
    const x = Number(exp);
    if (x < -4 || x >= (bits === 4 ? 6 : 15))
        return `${sign}${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
    if (x < 0) return `${sign}0.${'0'.repeat(-x - 1)}${digits}`;
    const whole = digits.padEnd(x + 1, '0');
    return `${sign}${whole.slice(0, x + 1)}${whole.length > x + 1 ? '.' + whole.slice(x + 1) : ''}`;
}
const quote = (s) => (s === null || s === undefined ? 'NULL'
    : `"${String(s).replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n').replaceAll('\r', '\\r')}"`);
// tests/parquet_read.sh makes pq_text(text), the same in SQL
const pgQuote = (expr) => `pq_text((${expr})::text)`;

// the PostgreSQL type that reads a DuckDB type, and how DuckDB renders it
function pgType(duck) {
    const simple = { BOOLEAN: 'boolean', TINYINT: 'smallint', SMALLINT: 'smallint', INTEGER: 'integer',
        BIGINT: 'bigint', UTINYINT: 'smallint', USMALLINT: 'integer', UINTEGER: 'bigint', UBIGINT: 'numeric',
        FLOAT: 'real', DOUBLE: 'double precision', VARCHAR: 'text', JSON: 'text', DATE: 'date', TIME: 'time',
        TIMESTAMP: 'timestamp', TIMESTAMP_MS: 'timestamp', TIMESTAMP_NS: 'timestamp', TIMESTAMP_S: 'timestamp',
        'TIMESTAMP WITH TIME ZONE': 'timestamptz', UUID: 'uuid', BLOB: 'bytea' };
    if (simple[duck]) return simple[duck];
    if (duck.startsWith('ENUM(')) return 'text';
    const d = duck.match(/^DECIMAL\((\d+),(\d+)\)$/);
    if (d) return `numeric(${d[1]},${d[2]})`;
    throw new Error(`no PostgreSQL type for DuckDB's ${duck}`);
}
function duckRender(name, duck, csv = false) {
    const c = `"${name}"`;
    if (!csv && (duck === 'FLOAT' || duck === 'DOUBLE')) return `CAST(${c} AS DOUBLE) AS "${name}"`;
    if (duck === 'BLOB') return `'\\x' || lower(hex(${c})) AS "${name}"`;
    if (duck.startsWith('TIMESTAMP_')) return `CAST(CAST(${c} AS TIMESTAMP) AS VARCHAR) AS "${name}"`;
    return `CAST(${c} AS VARCHAR) AS "${name}"`;
}

const settings = `SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 1;
SET bytea_output = 'hex';
SET max_parallel_workers_per_gather = 0;
`;
const parallel = `SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
`;

// One case: the table over 'path' (columns: [{name, duck, pg, key?}]),
// its SELECT, and DuckDB's answer to 'source' (a FROM item) rendered alike.
//
// With 'heap', also the check of the canonical text itself, which needs no
// Parquet reader: DuckDB's values of the same rows as CSV, COPY'd into a
// table of the same columns, must render as the expected rows
// (OUTDIR/heap/NAME.sql and NAME.csv).
async function emit(name, { path, columns, select, options = '', extra = '', source, where = '',
                            pgWhere = '', meta = true, order = true, count = false, heap = false }) {
    const defs = columns.map((c) => `    "${c.as ?? c.name}" ${c.pg}${c.options ? ` OPTIONS (${c.options})` : ''}`);
    if (meta)
        defs.push("    _file text OPTIONS (meta 'filename')", "    _line bigint OPTIONS (meta 'line')");
    const table = `pq_${name}`;
    const pgSelect = count ? 'count(*)'
        : (select ?? columns).map((c) => pgQuote(`"${c.as ?? c.name}"`)).join(` || '|' || `);
    const sql = `${settings}${extra}CREATE FOREIGN TABLE ${table} (\n${defs.join(',\n')}\n) SERVER pq_files
  OPTIONS (path ${lit(path)}${options});
SELECT ${pgSelect} FROM ${table}${pgWhere}${order ? ' ORDER BY _file COLLATE "C", _line' : ''};
DROP FOREIGN TABLE ${table};
RESET ALL;
`;
    let expected;
    if (count) {
        expected = [String((await rows(`SELECT count(*) AS n FROM ${source}`))[0].n)];
    } else {
        const wanted = select ?? columns;
        const exprs = wanted.map((c) => (c.name === '_file' ? 'filename AS "_file"'
            : c.name === '_line' ? 'CAST(file_row_number + 1 AS VARCHAR) AS "_line"'
            : c.missing ? `NULL AS "${c.name}"` : duckRender(c.name, c.duck)));
        const result = await rows(`SELECT ${exprs.join(', ')} FROM ${source} ${where}
                                   ${order ? 'ORDER BY filename, file_row_number' : ''}`);
        expected = result.map((r) => wanted.map((c) => {
            const v = r[c.name];
            if (v === null || typeof v === 'string') return quote(v);
            return quote(pgFloat(v, c.duck === 'FLOAT' ? 4 : 8));
        }).join('|'));
    }
    writeFileSync(`${out}/cases/${name}.sql`, sql);
    writeFileSync(`${out}/cases/${name}.expected`, expected.map((l) => l + '\n').join(''));
    if (heap) {
        const csv = `${out}/heap/${name}.csv`;
        const wanted = select ?? columns;
        const exprs = wanted.map((c) => (c.name === '_file' ? 'filename'
            : c.name === '_line' ? 'file_row_number + 1' : duckRender(c.name, c.duck, true)));
        await db.run(`COPY (SELECT ${exprs.join(', ')} FROM ${source} ORDER BY filename, file_row_number)
                      TO ${lit(csv)} (FORMAT csv, HEADER false)`);
        writeFileSync(`${out}/heap/${name}.sql`, `${settings}CREATE TEMP TABLE ${table} (
${defs.map((d) => d.replace(/ OPTIONS \(.*\)$/, '')).join(',\n')}
);
COPY ${table} FROM ${lit(csv)} (FORMAT csv);
SELECT ${pgSelect} FROM ${table} ORDER BY _file COLLATE "C", _line;
DROP TABLE ${table};
RESET ALL;
`);
    }
}

async function describe(source) {
    return (await rows(`DESCRIBE SELECT * FROM ${source}`)).map((r) => ({
        name: r.column_name, duck: r.column_type, pg: pgType(r.column_type) }));
}
const readParquet = (path, more = '') =>
    `read_parquet(${lit(path)}, filename = true, file_row_number = true${more})`;
const meta = [{ name: '_file' }, { name: '_line' }];

for (const [name, path] of Object.entries(single)) {
    const source = readParquet(path);
    const columns = await describe(`read_parquet(${lit(path)})`);
    // every column and the meta columns, in file order (the events are
    // there for row-group skipping: their rows are those of row_groups)
    if (name !== 'events_sorted')
        await emit(`full_${name}`, { path, columns, source, select: [...columns, ...meta], heap: true });
    await emit(`count_${name}`, { path, columns, source, count: true, meta: false, order: false });
}
for (const name of Object.keys(single).filter((n) => n.startsWith('matrix_') && !n.endsWith('_pages_v2'))) {
    const path = single[name];
    const source = readParquet(path);
    const columns = await describe(`read_parquet(${lit(path)})`);
    // one column, no meta column, no ORDER BY: a serial scan keeps the file's order
    for (const col of ['varchar_sparse', 'double_plain', 'decimal_38_10_dict'])
        await emit(`projection_${name}_${col}`, { path, columns, source, order: false, meta: false,
                                                  select: columns.filter((c) => c.name === col) });
    if (name === 'matrix_snappy_v1' || name === 'matrix_zstd_v2')
        await emit(`parallel_${name}`, { path, columns, source, extra: parallel, select: [...columns, ...meta] });
}
{
    const path = single.row_groups;
    const columns = await describe(`read_parquet(${lit(path)})`);
    await emit('parallel_row_groups', { path, columns, source: readParquet(path), extra: parallel,
                                        select: [...columns, ...meta] });
    await emit('parallel_count_row_groups', { path, columns, source: readParquet(path), extra: parallel,
                                              count: true, meta: false, order: false });
}
{
    const path = single.blocks;
    const columns = await describe(`read_parquet(${lit(path)})`);
    const blocks = `${parallel}SET ritual.parallel_block_size = '64kB';\n`;
    await emit('parallel_blocks', { path, columns, source: readParquet(path), extra: blocks,
                                    select: [...columns, ...meta] });
    await emit('parallel_count_blocks', { path, columns, source: readParquet(path), extra: blocks,
                                          count: true, meta: false, order: false });
}
{
    // names: case-insensitive, column_name, a column the file lacks
    const path = single.matrix_zstd_v1;
    const all = await describe(`read_parquet(${lit(path)})`);
    const pick = (n) => all.find((c) => c.name === n);
    const columns = [
        { ...pick('integer_plain'), as: 'Integer_Plain' },
        { ...pick('varchar_dict'), as: 'renamed', options: "column_name 'VARCHAR_DICT'" },
        { name: 'not_in_file', pg: 'text', missing: true },
    ];
    await emit('names_matrix_zstd_v1', { path, columns, source: readParquet(path), select: [...columns, ...meta] });
    // option format 'parquet' on a name that does not end in .parquet
    const data = `${files}/matrix_snappy_v1.data`;
    await emit('format_option', { path: data, columns: all, source: readParquet(data), options: ", format 'parquet'",
                                  select: [...all, ...meta] });
}
{
    // the Hive lake: partition columns from the paths
    const path = `${files}/hive`;
    const source = readParquet(`${path}/**/*.parquet`, ', hive_partitioning = true');
    const columns = [
        { name: 'event_time', duck: 'TIMESTAMP', pg: 'timestamp' },
        { name: 'user_id', duck: 'BIGINT', pg: 'bigint' },
        { name: 'event_type', duck: 'VARCHAR', pg: 'text' },
        { name: 'event_day', duck: 'DATE', pg: 'date' },
        { name: 'platform', duck: 'VARCHAR', pg: 'text' },
    ];
    await emit('hive_lake', { path, columns, source, select: [...columns, ...meta] });
    await emit('hive_lake_one_partition', { path, columns, source, select: [...columns, ...meta],
                                            where: "WHERE event_day = DATE '2024-01-02' AND platform = 'ios'",
                                            pgWhere: " WHERE event_day = '2024-01-02' AND platform = 'ios'" });
}
{
    // CSV and Parquet files in one directory
    const path = `${files}/mixed`;
    const columns = [
        { name: 'id', duck: 'BIGINT', pg: 'bigint' },
        { name: 'name', duck: 'VARCHAR', pg: 'text' },
        { name: 'day', duck: 'DATE', pg: 'date' },
    ];
    // the line of a CSV row counts the header: the first row is line 2
    const source = `(SELECT id, name, day, filename, row_number() OVER () AS file_row_number
                       FROM read_csv(${lit(path + '/part-0.csv')}, header = true, filename = true,
                                     columns = {'id': 'BIGINT', 'name': 'VARCHAR', 'day': 'DATE'})
                     UNION ALL
                     SELECT id, name, day, filename, file_row_number FROM ${readParquet(path + '/part-1.parquet')})`;
    await emit('mixed_lake', { path, columns, source, options: ", header 'true'", select: [...columns, ...meta] });
}

// ---- the broken files ----
for (const [name, bytes] of Object.entries(await hostileFiles(db, files)))
    writeFileSync(`${out}/hostile/${name}`, bytes);

// ---- what DuckDB wrote: the encodings of each column chunk ----
const enc = await rows(`SELECT file_name, path_in_schema, type, compression, encodings
                        FROM parquet_metadata(${lit(`${files}/*.parquet`)})
                        WHERE row_group_id = 0 ORDER BY file_name, column_id`);
writeFileSync(`${out}/encodings.txt`, enc.map((r) =>
    [r.file_name.replace(`${files}/`, ''), r.path_in_schema, r.type, r.compression, r.encodings].join('|') + '\n').join(''));

// ---- the kinds of page each file holds, every page of every chunk walked ----
const pageTypes = ['DATA_PAGE', 'INDEX_PAGE', 'DICTIONARY_PAGE', 'DATA_PAGE_V2'];
const pages = Object.entries(single).map(([name, path]) => {
    const bytes = readFileSync(path);
    const footer = readFooter(bytes);
    const kinds = new Set();
    for (const rowGroup of field(footer, 4)?.value.items ?? [])
        for (const chunk of field(rowGroup, 1).value.items) {
            const meta = field(chunk, 3).value;
            let at = Number(field(meta, 11)?.value ?? field(meta, 9).value);
            const end = at + Number(field(meta, 7).value);
            while (at < end) {
                const { fields, end: body } = decodeStruct(bytes, at);
                kinds.add(pageTypes[Number(field(fields, 1).value)]);
                at = body + Number(field(fields, 3).value);
            }
        }
    return `${name}|${[...kinds].sort().join(' ')}\n`;
});
writeFileSync(`${out}/pages.txt`, pages.join(''));
