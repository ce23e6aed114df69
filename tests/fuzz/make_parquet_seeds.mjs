// tests/fuzz/make_parquet_seeds.mjs: the DuckDB-written part of the seed
// corpus of parquet_pages_fuzz (run by tests/fuzz/make_seeds.sh, with
// @duckdb/node-api installed as tests/parquet.sh installs it).
// Usage: node make_parquet_seeds.mjs OUTDIR
// Small files (under the fuzzers' 4096 bytes) of every physical type DuckDB
// writes, under every codec, page version v1 and v2, with a dictionary or
// without: each whole (whole-file mode), and each of its column chunks
// alone (chunk mode), plus chunks whose dictionary pages are followed by
// another chunk's plain or delta pages (a dictionary fallback), and the
// chunks of tests/parquet_crafted.mjs.  The
// harness's settings bytes are described at the top of
// tests/fuzz/parquet_pages_fuzz.c.
import { readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { crafted, hostile } from './parquet_crafted.mjs';

const out = process.argv[2];
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const db = await instance.connect();
const rows = async (sql) => (await db.runAndReadAll(sql)).getRows();
const physical = { BOOLEAN: 0, INT32: 1, INT64: 2, INT96: 3, FLOAT: 4, DOUBLE: 5,
                   BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 };
const codecIds = { UNCOMPRESSED: 0, SNAPPY: 1, GZIP: 2, BROTLI: 4, ZSTD: 6, LZ4_RAW: 7 };

function table(low) {
    const k = low ? '(i % 5)' : 'i';
    return `SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
                   CASE WHEN i % 5 = 0 THEN NULL ELSE CAST(${k} * 1000003 - 7 AS INTEGER) END AS i32,
                   CAST(${k} * 10000000007 AS BIGINT) AS i64,
                   CAST(${k} / 7 AS FLOAT) AS f,
                   CASE WHEN i % 4 = 1 THEN NULL ELSE ${k} / 3 END AS d,
                   CASE WHEN i % 6 = 0 THEN NULL WHEN i % 11 = 0 THEN '' ELSE 'n' || ${k} END AS s,
                   CAST('00000000-0000-0000-0000-' || lpad(CAST(${k} AS VARCHAR), 12, '0') AS UUID) AS uid
              FROM range(24) r(i)`;
}

// settings: chunk mode, type, codec, max definition level 1, type length, rows, batch
function settings(type, codec, typeLength, count, batch) {
    const s = Buffer.alloc(11);
    s[1] = type;
    s[2] = codec;
    s[3] = 1;
    s.writeUInt16LE(typeLength, 4);
    s.writeUInt32LE(count, 6);
    s[10] = batch;
    return s;
}

async function chunks(file) {
    const bytes = readFileSync(file);
    const found = [];
    for (const [start, dataStart, size, count, codec, type, path] of await rows(`
        SELECT coalesce(least(dictionary_page_offset, data_page_offset), data_page_offset),
               data_page_offset, total_compressed_size, row_group_num_rows, compression,
               type, path_in_schema
          FROM parquet_metadata('${file}') ORDER BY row_group_id, column_id`))
        found.push({ path, type: physical[type], codec: codecIds[codec], rows: Number(count),
                     all: bytes.subarray(Number(start), Number(start) + Number(size)),
                     data: bytes.subarray(Number(dataStart), Number(start) + Number(size)) });
    return found;
}

let written = 0;
for (const version of ['v1', 'v2'])
    for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd', 'brotli', 'lz4_raw'])
        for (const low of [true, false]) {
            const name = `${version}-${codec}-${low ? 'dict' : 'plain'}`;
            const file = `${out}/${name}.parquet`;
            await db.run(`COPY (${table(low)}) TO '${file}'
                          (FORMAT parquet, COMPRESSION ${codec}, PARQUET_VERSION ${version},
                           ROW_GROUP_SIZE 12)`);
            const bytes = readFileSync(file);
            if (bytes.length <= 4094) {
                writeFileSync(`${out}/file-${name}`, Buffer.concat([Buffer.from([1, 5]), bytes]));
                written++;
            }
            for (const c of await chunks(file)) {
                writeFileSync(`${out}/chunk-${name}-${c.path}`,
                              Buffer.concat([settings(c.type, c.codec, 16, c.rows, 6), c.all]));
                written++;
            }
        }
// a dictionary chunk, then the data pages of a chunk without one
for (const version of ['v1', 'v2'])
    for (const codec of ['snappy', 'zstd']) {
        const dict = await chunks(`${out}/${version}-${codec}-dict.parquet`);
        const plain = await chunks(`${out}/${version}-${codec}-plain.parquet`);
        for (let i = 0; i < dict.length && i < plain.length; i++) {
            const a = dict[i], b = plain[i];
            writeFileSync(`${out}/fallback-${version}-${codec}-${a.path}`,
                          Buffer.concat([settings(a.type, a.codec, 16, a.rows + b.rows, 4), a.all, b.data]));
            written++;
        }
    }
// what DuckDB does not write, and broken chunks (tests/parquet_crafted.mjs)
for (const c of [...crafted(), ...hostile()]) {
    writeFileSync(`${out}/crafted-${c.name}`, c.chunk);
    written++;
}
console.log(`make_parquet_seeds: ${written} seeds`);
