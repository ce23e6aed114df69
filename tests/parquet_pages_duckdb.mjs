// tests/parquet_pages_duckdb.mjs: DuckDB's side of tests/parquet_pages.sh.
// Usage: node parquet_pages_duckdb.mjs OUTDIR
// Writes Parquet files of every physical type DuckDB writes, under every
// codec, page version and cardinality (dictionary or not), and for each
// NAME.parquet the values DuckDB reads from it, NAME.expected, in the form
// tests/fuzz/parquet_dump.c prints (column number, tab, value: integers,
// %.17g floats, lower-case hex bytes, NULL).  Also NAME.chunk inputs (the
// chunk mode of tests/fuzz/parquet_pages_fuzz.c) whose pages are a
// dictionary-encoded chunk followed by the plain or delta pages of another,
// as a writer falling back from a dictionary mid-chunk writes them; and
// the chunks of tests/parquet_crafted.mjs, with the values they hold (or,
// broken ones, NAME.error: the error they must raise).
// OUTDIR/coverage lists each file's column types, encodings and codecs.
import { writeFileSync, readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { crafted, hostile } from './parquet_crafted.mjs';

const out = process.argv[2];
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const db = await instance.connect();
const rows = async (sql) => (await db.runAndReadAll(sql)).getRows();

// low: few distinct values (dictionaries); high: all distinct (plain, delta)
function table(n, low) {
    const k = low ? '(i % 13)' : 'i';
    return `SELECT
        CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
        CASE WHEN i % 5 = 0 THEN NULL ELSE CAST((${k} * 2654435761) % 4294967291 - 2147483645 AS INTEGER) END AS i32,
        CAST(${k} * 10000000007 - 5000000000000 AS BIGINT) AS i64,
        CASE WHEN i % 9 = 0 THEN NULL ELSE CAST(${k} / 7 AS FLOAT) END AS f,
        CASE WHEN i % 4 = 1 THEN NULL WHEN i % 1000 = 3 THEN 1e300 ELSE ${k} / 3 - 100 END AS d,
        CASE WHEN i % 6 = 0 THEN NULL WHEN i % 11 = 0 THEN ''
             WHEN i % 997 = 5 THEN repeat('long ' || ${k}, 300)
             ELSE 'name ' || ${k} || ' é' END AS s,
        CASE WHEN i % 8 = 0 THEN NULL ELSE CAST('\\x00\\xFF' || ${k} AS BLOB) END AS raw,
        CAST('00000000-0000-0000-0000-' || lpad(CAST(${k} AS VARCHAR), 12, '0') AS UUID) AS uid,
        CAST(${k} % 200 - 100 AS TINYINT) AS tiny,
        DATE '2000-01-01' + CAST(${k} AS INTEGER) AS day,
        TIMESTAMP '2024-01-01' + INTERVAL (${k}) SECOND AS ts,
        CAST(${k} * 1.25 AS DECIMAL(9, 2)) AS dec9,
        CAST(${k} * 1.5 AS DECIMAL(18, 3)) AS dec18
      FROM range(${n}) r(i)`;
}

// how DuckDB's value of each column type is printed as the dump prints the physical one
function expr(name, type) {
    const c = `"${name}"`;
    let e;
    if (type === 'BOOLEAN') e = `CAST(CAST(${c} AS INTEGER) AS VARCHAR)`;
    else if (['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT'].includes(type)) e = `CAST(${c} AS VARCHAR)`;
    else if (type === 'FLOAT' || type === 'DOUBLE') e = `printf('%.17g', CAST(${c} AS DOUBLE))`;
    else if (type === 'VARCHAR' || type === 'BLOB') e = `lower(hex(${c}))`;
    else if (type === 'UUID') e = `replace(CAST(${c} AS VARCHAR), '-', '')`;
    else if (type === 'DATE') e = `CAST(CAST(${c} - DATE '1970-01-01' AS INTEGER) AS VARCHAR)`;
    else if (type === 'TIMESTAMP') e = `CAST(epoch_us(${c}) AS VARCHAR)`;
    else if (type === 'DECIMAL(9,2)') e = `CAST(CAST(${c} * 100 AS INTEGER) AS VARCHAR)`;
    else if (type === 'DECIMAL(18,3)') e = `CAST(CAST(${c} * 1000 AS BIGINT) AS VARCHAR)`;
    else throw new Error(`no printing for ${type}`);
    return `coalesce(${e}, 'NULL')`;
}

// what DuckDB reads of the columns of 'file', its first 'limit' rows,
// as lines, each column's values together; 'only' keeps one column, printed as 0
async function values(file, limit = 1e12, only = null) {
    let columns = await rows(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    if (only !== null)
        columns = columns.filter((c) => c[0] === only);
    const got = await rows(`SELECT ${columns.map(([name, type]) => expr(name, type)).join(', ')}
                              FROM read_parquet('${file}') LIMIT ${limit}`);
    let text = '';
    for (let i = 0; i < columns.length; i++)
        text += got.map((r) => `${only === null ? i : 0}\t${r[i]}\n`).join('');
    return text;
}

const coverage = [];
async function write(name, select, options) {
    const file = `${out}/${name}.parquet`;
    await db.run(`COPY (${select}) TO '${file}' (FORMAT parquet, ${options})`);
    writeFileSync(`${out}/${name}.expected`, await values(file));
    for (const [path, type, encodings, codec] of await rows(
        `SELECT DISTINCT path_in_schema, type, encodings, compression
           FROM parquet_metadata('${file}') ORDER BY ALL`))
        coverage.push(`${name}\t${path}\t${type}\t${encodings}\t${codec}`);
}

const codecs = ['uncompressed', 'snappy', 'gzip', 'zstd', 'brotli', 'lz4', 'lz4_raw'];
for (const version of ['v1', 'v2'])
    for (const codec of codecs)
        for (const low of [true, false])
            await write(`${version}_${codec}_${low ? 'dict' : 'plain'}`, table(5000, low),
                        `COMPRESSION ${codec}, PARQUET_VERSION ${version}, ROW_GROUP_SIZE 2048`);
// one row; no rows
await write('v1_single_row', table(1, false), 'COMPRESSION snappy');
await write('v2_single_row', table(1, true), 'COMPRESSION zstd, PARQUET_VERSION v2');
await write('v1_empty', `${table(10, false)} LIMIT 0`, 'COMPRESSION snappy');

// Dictionary fallback: the first row group's chunk of a column in a
// dictionary file, then the data pages of the same column's first chunk in
// a file without a dictionary, read as one chunk.
const physical = { b: 0, i32: 1, i64: 2, f: 4, d: 5, s: 6, raw: 6 };
const codecIds = { UNCOMPRESSED: 0, SNAPPY: 1, GZIP: 2, BROTLI: 4, ZSTD: 6, LZ4_RAW: 7 };
async function chunkOf(file, column) {
    const [[start, dataStart, size, count, codec]] = await rows(`
        SELECT coalesce(least(dictionary_page_offset, data_page_offset), data_page_offset),
               data_page_offset, total_compressed_size, row_group_num_rows, compression
          FROM parquet_metadata('${file}')
         WHERE row_group_id = 0 AND path_in_schema = '${column}'`);
    const bytes = readFileSync(file);
    return { all: bytes.subarray(Number(start), Number(start) + Number(size)),
             data: bytes.subarray(Number(dataStart), Number(start) + Number(size)),
             rows: Number(count), codec: codecIds[codec] };
}
for (const version of ['v1', 'v2'])
    for (const codec of ['snappy', 'zstd'])
        for (const column of Object.keys(physical)) {
            const dict = `${out}/${version}_${codec}_dict.parquet`;
            const plain = `${out}/${version}_${codec}_plain.parquet`;
            const a = await chunkOf(dict, column);
            const b = await chunkOf(plain, column);
            const settings = Buffer.alloc(11);
            settings[1] = physical[column];
            settings[2] = a.codec;
            settings[3] = 1;
            settings.writeUInt32LE(a.rows + b.rows, 6);
            settings[10] = 99;
            const name = `fallback_${version}_${codec}_${column}`;
            writeFileSync(`${out}/${name}.chunk`, Buffer.concat([settings, a.all, b.data]));
            writeFileSync(`${out}/${name}.expected`,
                          await values(dict, a.rows, column) + await values(plain, b.rows, column));
            const [[encA], [encB]] = [await rows(`SELECT encodings FROM parquet_metadata('${dict}') WHERE row_group_id = 0 AND path_in_schema = '${column}'`),
                                      await rows(`SELECT encodings FROM parquet_metadata('${plain}') WHERE row_group_id = 0 AND path_in_schema = '${column}'`)];
            coverage.push(`${name}\t${column}\t${physical[column]}\t${encA} then ${encB}\t${codec}`);
        }
// what DuckDB does not write, built byte by byte
for (const c of crafted()) {
    writeFileSync(`${out}/crafted_${c.name}.chunk`, c.chunk);
    writeFileSync(`${out}/crafted_${c.name}.expected`, c.expected);
}
// and broken, with the error each must raise
for (const c of hostile()) {
    writeFileSync(`${out}/hostile_${c.name}.chunk`, c.chunk);
    writeFileSync(`${out}/hostile_${c.name}.error`, c.error);
}
writeFileSync(`${out}/coverage`, coverage.join('\n') + '\n');
