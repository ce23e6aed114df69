// tests/make_parquet.mjs: remake the Parquet fixtures of tests/data/parquet/
// with DuckDB (npm @duckdb/node-api, installed as tests/parquet.sh does).
// Usage: node tests/make_parquet.mjs OUTDIR
// Small files on purpose, a few kB each.  OUTDIR/hostile/ gets files that
// are broken on purpose, each in one way, built byte by byte around the
// footer of a good one.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const out = process.argv[2];
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const db = await instance.connect();

// every physical type DuckDB writes (it writes no INT96), logical types, NULLs
await db.run(`
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE t AS
SELECT i AS id,
       (i % 2 = 0) AS flag,
       CAST(i - 5 AS TINYINT) AS tiny,
       CAST(i * 1000 AS SMALLINT) AS small,
       CAST(i * 100000 AS INTEGER) AS int32,
       CAST(i * 10000000000 AS BIGINT) AS int64,
       CAST(i AS UTINYINT) AS utiny,
       CAST(i * 3000000000 AS UBIGINT) AS ubig,
       CAST(i / 4 AS FLOAT) AS real4,
       CAST(i / 3 AS DOUBLE) AS double8,
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'name ' || i END AS name,
       CAST(CASE i % 3 WHEN 0 THEN 'sad' WHEN 1 THEN 'ok' ELSE 'happy' END AS mood) AS mood,
       CAST('{"k": ' || i || '}' AS JSON) AS doc,
       DATE '2024-01-01' + CAST(i AS INTEGER) AS day,
       TIME '08:00:00' + INTERVAL (i) MINUTE AS at_time,
       TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) HOUR AS ts,
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) HOUR AS tstz,
       CAST(i * 1.25 AS DECIMAL(9, 2)) AS dec9,
       CAST(i * 1.5 AS DECIMAL(30, 3)) AS dec30,
       CAST('00000000-0000-0000-0000-00000000000' || (i % 10) AS UUID) AS uid,
       CAST('\\x00\\xFF' || i AS BLOB) AS raw
FROM range(1, 11) r(i);
`);
for (const codec of ['snappy', 'zstd', 'gzip', 'uncompressed'])
    await db.run(`COPY t TO '${out}/types_${codec}.parquet'
                  (FORMAT parquet, COMPRESSION ${codec})`);
// several row groups: DuckDB cuts them at 2048 rows at least; repetitive
// values keep the file small; key-value metadata in the footer
await db.run(`COPY (SELECT CAST(i // 100 AS SMALLINT) AS hundred,
                           CASE WHEN i % 5 = 0 THEN NULL ELSE 'kind ' || (i % 7) END AS kind
                    FROM range(6000) r(i))
              TO '${out}/row_groups.parquet'
              (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048, KV_METADATA {origin: 'ritual tests'})`);
// nested columns: a list and a struct, for path_in_schema and num_children
await db.run(`COPY (SELECT i AS id, [i, i + 1] AS pair, {'a': i, 'b': 'x' || i} AS rec
                    FROM range(3) r(i))
              TO '${out}/nested.parquet' (FORMAT parquet)`);

// Hostile files: PAR1, the footer, its length, PAR1.
const hostile = `${out}/hostile`;
mkdirSync(hostile, { recursive: true });
function parquet(footer) {
    const length = Buffer.alloc(4);
    length.writeUInt32LE(footer.length);
    return Buffer.concat([Buffer.from('PAR1'), footer, length, Buffer.from('PAR1')]);
}
const good = readFileSync(`${out}/types_snappy.parquet`);
const goodFooter = good.subarray(good.length - 8 - good.readUInt32LE(good.length - 8),
                                 good.length - 8);
const files = {
    // the first half of a good footer, said to be the whole
    'truncated_footer.parquet': parquet(goodFooter.subarray(0, goodFooter.length >> 1)),
    // a good file cut short: PAR1 at its start only
    'cut_short.parquet': good.subarray(0, good.length - 100),
    'no_magic.parquet': Buffer.from('id,name\n1,alice\n2,bob\n'),
    // a length of 4GB - 256 in a file of 16 bytes
    'footer_too_long.parquet': Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(4),
                                              Buffer.from([0x00, 0xff, 0xff, 0xff]),
                                              Buffer.from('PAR1')]),
    // version 1, then a schema list of 2^31 - 1 structs in 8 bytes
    'huge_list.parquet': parquet(Buffer.from([0x15, 0x02, 0x19, 0xfc,
                                              0xff, 0xff, 0xff, 0xff, 0x07, 0x00])),
    // an unknown field (id 10) holding structs in structs, 200 deep
    'deep_nesting.parquet': parquet(Buffer.concat([Buffer.from([0xac]),
                                                   Buffer.alloc(200, 0x1c),
                                                   Buffer.alloc(201, 0x00)])),
    // a field of type 13, which the compact protocol does not have
    'bad_field_type.parquet': parquet(Buffer.from([0x15, 0x02, 0x1d, 0x00])),
    // a FileMetaData with no fields at all
    'missing_fields.parquet': parquet(Buffer.from([0x00])),
    // the version as an 11-byte varint
    'long_varint.parquet': parquet(Buffer.from([0x15, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00])),
    'empty.parquet': Buffer.alloc(0),
    // an encrypted footer ends in PARE
    'encrypted.parquet': Buffer.concat([good.subarray(0, good.length - 4), Buffer.from('PARE')]),
};
for (const [name, bytes] of Object.entries(files))
    writeFileSync(`${hostile}/${name}`, bytes);
