// tests/parquet_hostile.mjs: broken Parquet files, each broken in one way,
// made from good ones that DuckDB writes (or tests/parquet_spark.mjs, for a
// dictionary index out of range).  tests/parquet_read.sh reads each with
// ritual_fdw and expects a clear ERROR naming the file, never a crash, never
// memory beyond what the file's size justifies.
//
// The footer and page headers are decoded with tests/parquet_spark.mjs's
// Thrift codec, one field changed and encoded again; a page header keeps
// its size (a changed number keeps its varint's bytes), so the offsets
// that follow stay right and only the one lie is wrong.
import { mkdirSync, readFileSync } from 'node:fs';
import { decodeStruct, encodeStruct, field, fileEnd, footerBytes, sparkColumns, writeParquet } from './parquet_spark.mjs';

// the two columns every table over these files reads
export const hostileColumns = 'id bigint, name text';

// a file as its body (up to the footer), its footer decoded, and its
// footer's bytes
function split(file) {
    const raw = footerBytes(file);
    return { body: file.subarray(0, file.length - 8 - raw.length), footer: decodeStruct(raw).fields, raw };
}
const join = (body, footer, length) => Buffer.concat([body, fileEnd(footer, length)]);
// the ColumnMetaData of column 'c' of the first row group
const chunkMeta = (footer, c) =>
    field(field(field(footer, 4).value.items[0], 1).value.items[c], 3).value;
const set = (fields, id, value) => { field(fields, id).value = BigInt(value); };
// the largest number a varint of 'width' bytes holds, zigzagged
const maxFor = (width) => (1n << BigInt(7 * width - 1)) - 1n;

// A copy of 'file' whose footer 'change' edited.
function withFooter(file, change) {
    const { body, footer } = split(file);
    change(footer);
    return join(body, encodeStruct(footer));
}

// A copy of 'file' whose first page of column 'c' (of the first row group)
// 'change' edited (it gets the header's fields, the copy's bytes and where
// the page's body starts), its header keeping its size.
function withPage(file, c, change) {
    const { footer } = split(file);
    const meta = chunkMeta(footer, c);
    const start = Number(field(meta, 11)?.value ?? field(meta, 9).value);
    const { fields, end } = decodeStruct(file, start);
    const before = encodeStruct(fields);
    if (!before.equals(file.subarray(start, end)))
        throw new Error('hostile: a page header does not encode back to its bytes');
    const copy = Buffer.from(file);
    change(fields, copy, end);
    const after = encodeStruct(fields);
    if (after.length !== end - start)
        throw new Error('hostile: a changed page header changed size');
    after.copy(copy, start);
    return copy;
}

// xorshift: the same "random" bytes on every run
function noise(n, seed = 12345) {
    const b = Buffer.alloc(n);
    let x = seed;
    for (let i = 0; i < n; i++) {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        b[i] = x & 0xff;
    }
    return b;
}

// {name: bytes}; 'db' a DuckDB connection, 'dir' where to write the good
// files they are made from
export async function hostileFiles(db, dir) {
    mkdirSync(`${dir}/hostile_base`, { recursive: true });
    const base = {};
    for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw', 'brotli']) {
        const path = `${dir}/hostile_base/base_${codec}.parquet`;
        await db.run(`COPY (SELECT i AS id, 'name ' || i || repeat('x', i % 50) AS name FROM range(3000) r(i))
                      TO '${path}' (FORMAT parquet, COMPRESSION ${codec})`);
        base[codec] = readFileSync(path);
    }
    const good = base.snappy;
    const { body, raw } = split(good);
    const out = {
        'truncated_half.parquet': good.subarray(0, good.length >> 1),
        'truncated_tail.parquet': good.subarray(0, good.length - 3),
        'footer_cut.parquet': join(body, raw.subarray(0, raw.length >> 1)),
        'footer_length_beyond_file.parquet': join(body, raw, good.length + 100),
        'footer_length_short.parquet': join(body, raw, raw.length - 7),
        'bad_thrift_footer.parquet': join(body, noise(raw.length)),
        'chunk_offset_beyond_file.parquet': withFooter(good, (f) => {
            for (const c of [0, 1]) set(chunkMeta(f, c), 9, good.length + 1000);
        }),
        'chunk_offset_negative.parquet': withFooter(good, (f) => set(chunkMeta(f, 0), 9, -5)),
        'chunk_size_huge.parquet': withFooter(good, (f) => set(chunkMeta(f, 1), 7, 1n << 40n)),
        'num_values_huge.parquet': withFooter(good, (f) => {
            set(chunkMeta(f, 0), 5, 1n << 62n);
            set(field(f, 4).value.items[0], 3, 1n << 40n);
            set(f, 3, 1n << 40n);
        }),
        'row_group_num_rows_negative.parquet': withFooter(good, (f) => set(field(f, 4).value.items[0], 3, -1)),
        'page_compressed_size_lies.parquet': withPage(good, 1, (h) => {
            const size = field(h, 3);
            size.value = maxFor(size.width);
        }),
        'page_uncompressed_size_lies.parquet': withPage(good, 1, (h) => {
            const size = field(h, 2);
            size.value = maxFor(size.width);
        }),
        'page_size_negative.parquet': withPage(good, 1, (h) => { field(h, 3).value = -1n; }),
        'page_num_values_huge.parquet': withPage(good, 0, (h) => {
            const n = field(field(h, 5).value, 1);
            n.value = maxFor(n.width);
        }),
        // a field of type 13, which the compact protocol does not have
        'bad_thrift_page_header.parquet': (() => {
            const copy = Buffer.from(good);
            copy[Number(field(chunkMeta(split(good).footer, 1), 9).value)] = 0x1d;
            return copy;
        })(),
        // a dictionary of 4 values and an index 7
        'dictionary_index_out_of_range.parquet': writeParquet(
            sparkColumns.slice(0, 3), [Array.from({ length: 40 }, (_, i) => [BigInt(i), null, Buffer.from(`v${i % 4}`)])],
            { dictionaryIndex: (index, i) => (i === 21 ? 7 : index) }),
    };
    // the first bytes of a page's compressed body garbled, for each codec
    for (const [codec, file] of Object.entries(base))
        out[`corrupt_${codec}.parquet`] = withPage(file, 1, (h, bytes, end) => {
            for (let k = 0; k < 8; k++) bytes[end + k] ^= 0x5a;
        });
    return out;
}
