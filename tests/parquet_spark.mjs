// tests/parquet_spark.mjs: a tiny Parquet writer, for the shapes DuckDB
// cannot write: Spark's INT96 timestamps, strings marked by ConvertedType
// UTF8 alone (no LogicalType), PLAIN_DICTIONARY, DECIMAL on
// FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY, OPTIONAL columns, a dictionary that
// falls back to PLAIN in the middle of a chunk (as parquet-mr does when the
// dictionary grows too big), DELTA_BYTE_ARRAY, and an empty row group.
// Data pages v1, PLAIN values, uncompressed or gzip (node's zlib).
//
// Also the Thrift compact protocol both ways (encode, decode), in a generic
// form that keeps each field's type, so that tests/parquet_hostile.mjs can
// decode a footer or page header, change one field and encode it again.
//
// Used by tests/parquet_fixtures.mjs (DuckDB reads every file back: that
// checks this writer, and DuckDB's reading is the expected answer).
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';

// ---- Thrift compact protocol ----
// A struct is an array of fields {id, type, value, width}; type is the compact
// type: 1 true, 2 false (booleans), 3 byte, 4 i16, 5 i32, 6 i64, 7 double,
// 8 binary, 9 list, 12 struct.  A list is {elem, items}.  width: the bytes
// of an integer's varint, as decoded (the encoder keeps at least as many).
export const T = { BOOL: 1, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, STRUCT: 12 };

export const i32 = (id, v) => ({ id, type: T.I32, value: BigInt(v) });
export const i64 = (id, v) => ({ id, type: T.I64, value: BigInt(v) });
export const bin = (id, v) => ({ id, type: T.BINARY, value: Buffer.from(v) });
export const bool = (id, v) => ({ id, type: T.BOOL, value: !!v });
export const struct = (id, fields) => ({ id, type: T.STRUCT, value: fields });
export const list = (id, elem, items) => ({ id, type: T.LIST, value: { elem, items } });

// 'width': at least this many bytes (a varint may carry continuation bytes
// of zero bits), so that a changed value can keep its field's size
function varint(out, v, width = 1) {
    v = BigInt.asUintN(64, BigInt(v));
    for (let n = 1; v >= 0x80n || n < width; n++) {
        out.push(Number(v & 0x7fn) | 0x80);
        v >>= 7n;
    }
    out.push(Number(v));
}
const zigzag = (v) => (BigInt(v) << 1n) ^ (BigInt(v) >> 63n);

function encodeValue(out, type, value, width) {
    switch (type) {
    case T.BOOL: out.push(value ? 1 : 2); break;     // only inside lists
    case T.BYTE: out.push(Number(value) & 0xff); break;
    case T.I16: case T.I32: case T.I64: varint(out, zigzag(value), width); break;
    case T.DOUBLE: { const b = Buffer.alloc(8); b.writeDoubleLE(value); out.push(...b); break; }
    case T.BINARY: varint(out, value.length); for (const b of value) out.push(b); break;
    case T.LIST: {
        const n = value.items.length;
        if (n < 15) out.push((n << 4) | value.elem);
        else { out.push(0xf0 | value.elem); varint(out, n); }
        for (const item of value.items) encodeValue(out, value.elem, item);
        break;
    }
    case T.STRUCT: encodeFields(out, value); break;
    default: throw new Error(`thrift: cannot encode type ${type}`);
    }
}

function encodeFields(out, fields) {
    let last = 0;
    for (const f of [...fields].sort((a, b) => a.id - b.id)) {
        const type = f.type === T.BOOL ? (f.value ? 1 : 2) : f.type;
        const delta = f.id - last;
        if (delta > 0 && delta <= 15) out.push((delta << 4) | type);
        else { out.push(type); varint(out, zigzag(f.id)); }
        if (f.type !== T.BOOL) encodeValue(out, f.type, f.value, f.width);
        last = f.id;
    }
    out.push(0);
}

export function encodeStruct(fields) {
    const out = [];
    encodeFields(out, fields);
    return Buffer.from(out);
}

// Decode a struct at buf[pos]: returns {fields, end}.
export function decodeStruct(buf, pos = 0) {
    const r = { pos };
    const fields = decodeFields(buf, r);
    return { fields, end: r.pos };
}

function readVarint(buf, r) {
    let v = 0n, shift = 0n;
    for (;;) {
        if (r.pos >= buf.length) throw new Error('thrift: truncated');
        const b = buf[r.pos++];
        v |= BigInt(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
        shift += 7n;
    }
}
const unzigzag = (v) => (v >> 1n) ^ -(v & 1n);

function decodeValue(buf, r, type) {
    switch (type) {
    case 1: case 2: return buf[r.pos++] === 1;            // in a list
    case T.BYTE: return BigInt(buf[r.pos++]);
    case T.I16: case T.I32: case T.I64: return unzigzag(readVarint(buf, r));
    case T.DOUBLE: { const v = buf.readDoubleLE(r.pos); r.pos += 8; return v; }
    case T.BINARY: {
        const n = Number(readVarint(buf, r));
        const v = buf.subarray(r.pos, r.pos + n);
        r.pos += n;
        return Buffer.from(v);
    }
    case T.LIST: {
        const h = buf[r.pos++];
        let n = h >> 4;
        if (n === 15) n = Number(readVarint(buf, r));
        const elem = h & 0x0f;
        const items = [];
        for (let i = 0; i < n; i++) items.push(decodeValue(buf, r, elem));
        return { elem, items };
    }
    case T.STRUCT: return decodeFields(buf, r);
    default: throw new Error(`thrift: cannot decode type ${type}`);
    }
}

function decodeFields(buf, r) {
    const fields = [];
    let last = 0;
    for (;;) {
        const h = buf[r.pos++];
        if (h === 0) return fields;
        const delta = h >> 4;
        let type = h & 0x0f;
        const id = delta ? last + delta : Number(unzigzag(readVarint(buf, r)));
        let value;
        const start = r.pos;
        if (type === 1 || type === 2) {
            value = type === 1;
            type = T.BOOL;
        } else {
            value = decodeValue(buf, r, type);
        }
        const f = { id, type, value };
        if (type === T.I16 || type === T.I32 || type === T.I64) f.width = r.pos - start;
        fields.push(f);
        last = id;
    }
}

// the field of a decoded struct with this id
export const field = (fields, id) => fields.find((f) => f.id === id);

// ---- a file's end: the footer, its length, PAR1 ----

// the footer's bytes, the 4 bytes of a length ('length', the footer's own
// unless a lie is wanted), and the magic
export function fileEnd(footer, length = footer.length) {
    const l = Buffer.alloc(4);
    l.writeUInt32LE(length >>> 0);
    return Buffer.concat([footer, l, Buffer.from('PAR1')]);
}

// the footer's bytes of a file, and its fields decoded
export function footerBytes(file) {
    const length = file.readUInt32LE(file.length - 8);
    return file.subarray(file.length - 8 - length, file.length - 8);
}
export const readFooter = (file) => decodeStruct(footerBytes(file)).fields;

// ---- Parquet's enums ----
export const Type = { BOOLEAN: 0, INT32: 1, INT64: 2, INT96: 3, FLOAT: 4, DOUBLE: 5,
                      BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 };
export const Enc = { PLAIN: 0, PLAIN_DICTIONARY: 2, RLE: 3, BIT_PACKED: 4, DELTA_BINARY_PACKED: 5,
                     DELTA_LENGTH_BYTE_ARRAY: 6, DELTA_BYTE_ARRAY: 7, RLE_DICTIONARY: 8 };
export const Codec = { UNCOMPRESSED: 0, GZIP: 2, BROTLI: 4 };
export const Converted = { UTF8: 0, DECIMAL: 5, DATE: 6, TIMESTAMP_MILLIS: 9, TIMESTAMP_MICROS: 10 };

// ---- value encodings ----

// RLE / bit-packed hybrid of unsigned ints of 'width' bits: runs of 8 or
// more equal values as RLE runs, the rest bit-packed in groups of 8, so a
// reader meets both kinds of run.
export function hybrid(values, width) {
    const out = [];
    const bytes = Math.ceil(width / 8);
    const runAt = (i) => { let j = i; while (j < values.length && values[j] === values[i]) j++; return j - i; };
    let i = 0;
    while (i < values.length) {
        const run = runAt(i);
        if (run >= 8) {
            varint(out, run << 1);
            for (let b = 0; b < bytes; b++) out.push((values[i] >> (8 * b)) & 0xff);
            i += run;
            continue;
        }
        const group = [];
        do {
            for (let k = 0; k < 8; k++) group.push(i + k < values.length ? values[i + k] : 0);
            i += 8;
        } while (i < values.length && runAt(i) < 8);
        varint(out, ((group.length / 8) << 1) | 1);
        let acc = 0n, nbits = 0n;
        for (const v of group) {
            acc |= BigInt(v) << nbits;
            nbits += BigInt(width);
            while (nbits >= 8n) { out.push(Number(acc & 0xffn)); acc >>= 8n; nbits -= 8n; }
        }
        if (nbits > 0n) out.push(Number(acc & 0xffn));
    }
    return Buffer.from(out);
}

function lengthPrefix(b) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return len;
}

export const bitWidth = (max) => (max <= 0 ? 0 : Math.floor(Math.log2(max)) + 1);

// DELTA_BINARY_PACKED of int64 values (BigInt): blocks of 128, 4
// miniblocks of 32
export function deltaBinaryPacked(values) {
    const out = [];
    varint(out, 128);
    varint(out, 4);
    varint(out, values.length);
    varint(out, zigzag(values.length ? values[0] : 0n));
    const deltas = [];
    for (let i = 1; i < values.length; i++) deltas.push(BigInt.asIntN(64, values[i] - values[i - 1]));
    for (let b = 0; b < deltas.length; b += 128) {
        const block = deltas.slice(b, b + 128);
        const min = block.reduce((m, d) => (d < m ? d : m), block[0]);
        varint(out, zigzag(min));
        const widths = [];
        const minis = [];
        for (let m = 0; m < 4; m++) {
            const mini = block.slice(m * 32, m * 32 + 32).map((d) => BigInt.asUintN(64, d - min));
            if (mini.length === 0) { widths.push(0); minis.push(null); continue; }
            const max = mini.reduce((a, d) => (d > a ? d : a), 0n);
            widths.push(max === 0n ? 0 : max.toString(2).length);
            while (mini.length < 32) mini.push(0n);
            minis.push(mini);
        }
        out.push(...widths);
        for (let m = 0; m < 4; m++) {
            if (!minis[m]) continue;
            let acc = 0n, nbits = 0n;
            for (const v of minis[m]) {
                acc |= v << nbits;
                nbits += BigInt(widths[m]);
                while (nbits >= 8n) { out.push(Number(acc & 0xffn)); acc >>= 8n; nbits -= 8n; }
            }
        }
    }
    return Buffer.from(out);
}

// DELTA_BYTE_ARRAY: prefix lengths shared with the previous value, then
// the suffixes as DELTA_LENGTH_BYTE_ARRAY
export function deltaByteArray(values) {
    const prefixes = [], suffixes = [];
    let prev = Buffer.alloc(0);
    for (const v of values) {
        let p = 0;
        while (p < v.length && p < prev.length && v[p] === prev[p]) p++;
        prefixes.push(BigInt(p));
        suffixes.push(v.subarray(p));
        prev = v;
    }
    return Buffer.concat([deltaBinaryPacked(prefixes),
                          deltaBinaryPacked(suffixes.map((s) => BigInt(s.length))),
                          ...suffixes]);
}

// PLAIN values of one physical type
export function plain(type, values, typeLength) {
    const parts = [];
    if (type === Type.BOOLEAN) {
        const b = Buffer.alloc(Math.ceil(values.length / 8));
        values.forEach((v, i) => { if (v) b[i >> 3] |= 1 << (i & 7); });
        return b;
    }
    for (const v of values) {
        let b;
        switch (type) {
        case Type.INT32: b = Buffer.alloc(4); b.writeInt32LE(Number(v)); break;
        case Type.INT64: b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v)); break;
        case Type.INT96: b = v; break;
        case Type.DOUBLE: b = Buffer.alloc(8); b.writeDoubleLE(v); break;
        case Type.FLOAT: b = Buffer.alloc(4); b.writeFloatLE(v); break;
        case Type.BYTE_ARRAY: b = Buffer.alloc(4); b.writeUInt32LE(v.length); parts.push(b); b = v; break;
        case Type.FIXED_LEN_BYTE_ARRAY:
            if (v.length !== typeLength) throw new Error('FLBA of the wrong length');
            b = v;
            break;
        default: throw new Error(`plain: type ${type}`);
        }
        parts.push(b);
    }
    return Buffer.concat(parts);
}

// Spark's INT96: nanoseconds of the day (8 bytes), then the Julian day (4)
export function int96(date) {
    const ms = date.getTime();
    const day = Math.floor(ms / 86400000);
    const b = Buffer.alloc(12);
    b.writeBigInt64LE(BigInt(ms - day * 86400000) * 1000000n);
    b.writeInt32LE(day + 2440588, 8);
    return b;
}

// a decimal's unscaled value (BigInt) as big-endian two's complement,
// in 'len' bytes, or in as few as hold it when len is omitted
export function decimalBytes(unscaled, len) {
    if (len === undefined) {
        len = 1;
        while (unscaled >= 1n << BigInt(8 * len - 1) || unscaled < -(1n << BigInt(8 * len - 1))) len++;
    }
    let v = BigInt.asUintN(8 * len, unscaled);
    const b = Buffer.alloc(len);
    for (let i = len - 1; i >= 0; i--) { b[i] = Number(v & 0xffn); v >>= 8n; }
    return b;
}

// minimal bytes for a decimal of this precision, as Spark sizes them
export const decimalLength = (precision) => {
    let len = 1;
    while (10n ** BigInt(precision) > 1n << BigInt(8 * len - 1)) len++;
    return len;
};

// ---- the file ----
//
// columns: [{name, type, typeLength, optional, converted, scale, precision,
//            encoding: 'plain' | 'dictionary' | 'fallback' | 'delta_byte_array'
//                      | 'rle' (booleans)}]
// rowGroups: [[row, ...], ...], a row an array of values (null for NULL).
// options: codec; pageRows (rows of a data page; default all of a chunk);
// pageVersion (1, or 2 for data pages v2) and
// compressV2Pages (false: v2 pages stored uncompressed whatever the codec,
// as their is_compressed flag allows); lie(kind, fields), which may change
// a page header or the footer before it is written (for
// tests/parquet_hostile.mjs); dictionaryIndex(i), the index written for a
// dictionary value (to write one out of range).
export function writeParquet(columns, rowGroups, options = {}) {
    const codec = options.codec ?? Codec.UNCOMPRESSED;
    const compress = (b) => (codec === Codec.GZIP ? gzipSync(b) : b);
    const lie = options.lie ?? ((kind, fields) => fields);
    const chunks = [Buffer.from('PAR1')];
    let offset = 4;
    const append = (b) => { chunks.push(b); offset += b.length; };

    // A page: its header, then 'levels' as they are (a v2 page's), then
    // the body, compressed unless 'compressed' is false.
    function page(headerFields, body, levels = Buffer.alloc(0), compressed = true) {
        const stored = compressed ? compress(body) : body;
        const header = encodeStruct(lie('page', [
            ...headerFields,
            i32(2, levels.length + body.length),
            i32(3, levels.length + stored.length),
        ]));
        append(header);
        append(levels);
        append(stored);
        return header.length + levels.length + body.length;
    }
    // definition levels: 1 present, 0 NULL; in a v1 page with a 4-byte
    // length before them, in a v2 page uncompressed before the values
    function dataPage(column, values, encoding, encodedValues) {
        let levels = Buffer.alloc(0);
        if (column.optional)
            levels = hybrid(values.map((v) => (v === null ? 0 : 1)), 1);
        if (options.pageVersion === 2) {
            const compressed = options.compressV2Pages ?? true;
            return page([i32(1, 3), struct(8, [i32(1, values.length),
                                               i32(2, values.filter((v) => v === null).length),
                                               i32(3, values.length), i32(4, encoding),
                                               i32(5, levels.length), i32(6, 0), bool(7, compressed)])],
                        encodedValues, levels, compressed);
        }
        if (column.optional)
            levels = Buffer.concat([lengthPrefix(levels), levels]);
        return page([i32(1, 0), struct(5, [i32(1, values.length), i32(2, encoding),
                                            i32(3, Enc.RLE), i32(4, Enc.BIT_PACKED)])],
                     Buffer.concat([levels, encodedValues]));
    }
    function dictionaryIndices(present, dictionary, keyOf) {
        const index = present.map((v) => dictionary.get(keyOf(v)));
        const mapped = options.dictionaryIndex ? index.map(options.dictionaryIndex) : index;
        const width = Math.max(1, bitWidth(Math.max(dictionary.size - 1, ...mapped)));
        return Buffer.concat([Buffer.from([width]), hybrid(mapped, width)]);
    }

    const rowGroupMeta = [];
    for (const rows of rowGroups) {
        const columnMeta = [];
        for (const [c, column] of columns.entries()) {
            const start = offset;
            const values = rows.map((r) => r[c]);
            const present = values.filter((v) => v !== null);
            const keyOf = (v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v));
            let uncompressed = 0;
            let dictionaryOffset = null;
            let dataOffset = start;
            const encodings = [Enc.RLE, Enc.BIT_PACKED];
            const kind = column.encoding ?? 'plain';
            // data pages of at most options.pageRows rows, each encoded
            // on its own by 'encode' (its values without the NULLs)
            const pages = (slice, encoding, encode) => {
                const size = options.pageRows ?? Math.max(slice.length, 1);
                for (let p = 0; p < Math.max(slice.length, 1); p += size) {
                    const part = slice.slice(p, p + size);
                    uncompressed += dataPage(column, part, encoding, encode(part.filter((v) => v !== null)));
                }
                if (!encodings.includes(encoding)) encodings.push(encoding);
            };
            if (kind === 'dictionary' || kind === 'fallback') {
                // 'fallback': the dictionary takes the first half of the
                // rows, the rest is PLAIN
                const cut = kind === 'fallback' ? rows.length >> 1 : rows.length;
                const dictionary = new Map();
                const dictValues = [];
                for (const v of values.slice(0, cut))
                    if (v !== null && !dictionary.has(keyOf(v))) {
                        dictionary.set(keyOf(v), dictionary.size);
                        dictValues.push(v);
                    }
                dictionaryOffset = offset;
                uncompressed += page([i32(1, 2), struct(7, [i32(1, dictValues.length),
                                                            i32(2, Enc.PLAIN_DICTIONARY)])],
                                     plain(column.type, dictValues, column.typeLength));
                dataOffset = offset;
                pages(values.slice(0, cut), Enc.PLAIN_DICTIONARY,
                      (part) => dictionaryIndices(part, dictionary, keyOf));
                if (cut < rows.length)
                    pages(values.slice(cut), Enc.PLAIN, (part) => plain(column.type, part, column.typeLength));
            } else if (kind === 'rle') {
                // booleans as RLE runs of 1-bit values, with a 4-byte length
                pages(values, Enc.RLE, (part) => {
                    const runs = hybrid(part.map((v) => (v ? 1 : 0)), 1);
                    return Buffer.concat([lengthPrefix(runs), runs]);
                });
            } else if (kind === 'delta_byte_array') {
                pages(values, Enc.DELTA_BYTE_ARRAY, deltaByteArray);
            } else {
                pages(values, Enc.PLAIN, (part) => plain(column.type, part, column.typeLength));
            }
            const meta = [
                i32(1, column.type),
                list(2, T.I32, encodings.map(BigInt)),
                list(3, T.BINARY, [Buffer.from(column.name)]),
                i32(4, codec),
                i64(5, values.length),
                i64(6, uncompressed),
                i64(7, offset - start),
                i64(9, dataOffset),
            ];
            if (dictionaryOffset !== null) meta.push(i64(11, dictionaryOffset));
            meta.push(struct(12, [i64(3, values.length - present.length)]));
            columnMeta.push({ start, size: offset - start, fields: [i64(2, start), struct(3, meta)] });
        }
        rowGroupMeta.push(struct(0, [
            list(1, T.STRUCT, columnMeta.map((m) => m.fields)),
            i64(2, columnMeta.reduce((s, m) => s + m.size, 0)),
            i64(3, rows.length),
        ]).value);
    }

    const schema = [[bin(4, 'spark_schema'), i32(5, columns.length)]];
    for (const column of columns) {
        const e = [i32(1, column.type), i32(3, column.optional ? 1 : 0), bin(4, column.name)];
        if (column.typeLength !== undefined) e.push(i32(2, column.typeLength));
        if (column.converted !== undefined) e.push(i32(6, column.converted));
        if (column.scale !== undefined) e.push(i32(7, column.scale), i32(8, column.precision));
        schema.push(e);
    }
    const footer = encodeStruct(lie('footer', [
        i32(1, 1),
        list(2, T.STRUCT, schema),
        i64(3, rowGroups.reduce((s, r) => s + r.length, 0)),
        list(4, T.STRUCT, rowGroupMeta),
        bin(6, 'parquet-mr version 1.12.3 (build ritual tests/parquet_spark.mjs)'),
    ]));
    append(fileEnd(footer));
    return Buffer.concat(chunks);
}

// ---- data pages v1 made v2 ----

// How many of the first n values of an RLE / bit-packed hybrid run of
// 1-bit values are 1.
function countOnes(levels, n) {
    const r = { pos: 0 };
    let seen = 0, ones = 0;
    while (seen < n) {
        const h = Number(readVarint(levels, r));
        if (h & 1) {
            for (let k = 0; k < (h >> 1) * 8 && seen < n; k++, seen++)
                ones += (levels[r.pos + (k >> 3)] >> (k & 7)) & 1;
            r.pos += h >> 1;
        } else {
            const run = Math.min(h >> 1, n - seen);
            ones += levels[r.pos++] ? run : 0;
            seen += run;
        }
    }
    return ones;
}

// node's zlib has these codecs; the others (snappy, zstd, lz4) it lacks
const codecs = {
    [Codec.UNCOMPRESSED]: [(b) => b, (b) => b],
    [Codec.GZIP]: [gunzipSync, gzipSync],
    [Codec.BROTLI]: [brotliDecompressSync, brotliCompressSync],
};

// A copy of a flat Parquet file whose data pages v1 are made data pages v2,
// values and encodings unchanged: the definition levels, without their
// length, stand uncompressed before the compressed values.  Dictionary
// pages are kept as they are; the footer's offsets and sizes follow.
export function toDataPagesV2(file) {
    const footer = readFooter(file);
    const leaves = field(footer, 2).value.items.slice(1);
    const parts = [Buffer.from('PAR1')];
    let offset = 4;
    const append = (b) => { parts.push(b); offset += b.length; };
    const set = (fields, id, v) => { const f = field(fields, id); if (f) f.value = BigInt(v); };
    for (const rowGroup of field(footer, 4)?.value.items ?? []) {
        const groupStart = offset;
        field(rowGroup, 1).value.items.forEach((chunk, c) => {
            const meta = field(chunk, 3).value;
            const [decompress, compress] = codecs[Number(field(meta, 4).value)];
            const optional = Number(field(leaves[c], 3)?.value ?? 0) === 1;
            const hasDictionary = field(meta, 11) !== undefined;
            let at = Number(field(meta, 11)?.value ?? field(meta, 9).value);
            const end = at + Number(field(meta, 7).value);
            const start = offset;
            let dataOffset = null, uncompressed = 0;
            while (at < end) {
                const { fields: header, end: bodyAt } = decodeStruct(file, at);
                const stored = file.subarray(bodyAt, bodyAt + Number(field(header, 3).value));
                if (Number(field(header, 1).value) !== 0) {
                    append(file.subarray(at, bodyAt));
                    append(stored);
                    uncompressed += bodyAt - at + Number(field(header, 2).value);
                } else {
                    dataOffset ??= offset;
                    const body = decompress(stored);
                    const page = field(header, 5).value;
                    const n = Number(field(page, 1).value);
                    let levels = Buffer.alloc(0), values = body, nulls = 0;
                    if (optional) {
                        const l = body.readUInt32LE(0);
                        levels = body.subarray(4, 4 + l);
                        values = body.subarray(4 + l);
                        nulls = n - countOnes(levels, n);
                    }
                    const packed = compress(values);
                    const v2 = encodeStruct([i32(1, 3), i32(2, levels.length + values.length),
                                             i32(3, levels.length + packed.length),
                                             struct(8, [i32(1, n), i32(2, nulls), i32(3, n),
                                                        i32(4, field(page, 2).value), i32(5, levels.length),
                                                        i32(6, 0), bool(7, true)])]);
                    append(v2);
                    append(levels);
                    append(packed);
                    uncompressed += v2.length + levels.length + values.length;
                }
                at = bodyAt + stored.length;
            }
            set(chunk, 2, start);
            set(meta, 9, dataOffset ?? start);
            if (hasDictionary) set(meta, 11, start);
            set(meta, 6, uncompressed);
            set(meta, 7, offset - start);
        });
        set(rowGroup, 5, groupStart);
        set(rowGroup, 6, offset - groupStart);
    }
    append(fileEnd(encodeStruct(footer)));
    return Buffer.concat(parts);
}

// ---- the files ----

const day0 = Date.UTC(2024, 0, 1);
function sparkRows(n, seed) {
    const rows = [];
    for (let i = 0; i < n; i++) {
        const k = i + seed;
        rows.push([
            BigInt(k),                                                      // id
            k % 9 === 4 ? null : int96(new Date(day0 + k * 3723001 - 40 * 86400000)),    // ts
            k % 11 === 5 ? null : Buffer.from(['alpha', 'béta', 'gamma ✓', ''][k % 4]),  // name
            k % 7 === 2 ? null : decimalBytes(BigInt(k) * 1234567890123n - 10n ** 17n, 9),  // amount
            k % 5 === 1 ? null : (k * 12345) % 200000 - 100000,             // small_dec
            k % 6 === 3 ? null : decimalBytes(BigInt(k) ** 7n - 5n * 10n ** 20n),     // wide_dec
            k % 8 === 0 ? null : k * 13 - 2000,                             // day
            k % 10 === 9 ? null : BigInt(day0 + k * 60001),                 // ts_millis
            k % 4 === 2 ? null : Buffer.from(k < 150 ? `kind ${k % 3}` : `distinct value ${k}`), // fallback
            k % 13 === 7 ? null : Buffer.from(`prefix/shared/${Math.floor(k / 3)}/${k % 3 ? 'x' : 'yy'}`), // delta
            k % 3 === 0 ? null : k % 2 === 0,                               // flag
            k % 17 === 16 ? null : (k * 7.25) - 300.5,                      // score
        ]);
    }
    return rows;
}

export const sparkColumns = [
    { name: 'id', type: Type.INT64 },
    { name: 'ts', type: Type.INT96, optional: true },
    { name: 'name', type: Type.BYTE_ARRAY, optional: true, converted: Converted.UTF8, encoding: 'dictionary' },
    { name: 'amount', type: Type.FIXED_LEN_BYTE_ARRAY, typeLength: decimalLength(20), optional: true,
      converted: Converted.DECIMAL, scale: 4, precision: 20 },
    { name: 'small_dec', type: Type.INT32, optional: true, converted: Converted.DECIMAL, scale: 2, precision: 9 },
    { name: 'wide_dec', type: Type.BYTE_ARRAY, optional: true, converted: Converted.DECIMAL, scale: 5, precision: 30 },
    { name: 'day', type: Type.INT32, optional: true, converted: Converted.DATE },
    { name: 'ts_millis', type: Type.INT64, optional: true, converted: Converted.TIMESTAMP_MILLIS },
    { name: 'fallback', type: Type.BYTE_ARRAY, optional: true, converted: Converted.UTF8, encoding: 'fallback' },
    { name: 'delta', type: Type.BYTE_ARRAY, optional: true, converted: Converted.UTF8, encoding: 'delta_byte_array' },
    { name: 'flag', type: Type.BOOLEAN, optional: true },
    { name: 'score', type: Type.DOUBLE, optional: true },
];

const v2Columns = sparkColumns.map((c) => (c.type === Type.BOOLEAN ? { ...c, encoding: 'rle' } : c));

// The Spark-shaped files, as {name: bytes}: two row groups (one of 300
// rows, so the fallback column's dictionary holds the first 150 rows only),
// uncompressed and gzip; a file with an empty row group between two others;
// data pages v2, compressed and stored; chunks of many pages.
export function sparkFiles() {
    return {
        'spark_uncompressed.parquet': writeParquet(sparkColumns, [sparkRows(300, 0), sparkRows(37, 300)]),
        'spark_gzip.parquet': writeParquet(sparkColumns, [sparkRows(300, 0), sparkRows(37, 300)],
                                           { codec: Codec.GZIP }),
        'spark_empty_row_group.parquet': writeParquet(sparkColumns, [sparkRows(3, 0), [], sparkRows(2, 3)]),
        // data pages v2, as parquet-mr's v2 writer makes them (DuckDB
        // writes v1 pages only), booleans RLE-encoded
        'spark_v2_gzip.parquet': writeParquet(v2Columns, [sparkRows(300, 0), sparkRows(37, 300)],
                                              { codec: Codec.GZIP, pageVersion: 2 }),
        'spark_v2_stored.parquet': writeParquet(v2Columns, [sparkRows(300, 0)],
                                                { codec: Codec.GZIP, pageVersion: 2, compressV2Pages: false }),
        // chunks of many pages (64 rows each), v1 and v2
        'spark_pages.parquet': writeParquet(sparkColumns, [sparkRows(300, 0), sparkRows(37, 300)],
                                            { codec: Codec.GZIP, pageRows: 64 }),
        'spark_v2_pages.parquet': writeParquet(v2Columns, [sparkRows(300, 0), sparkRows(37, 300)],
                                               { pageVersion: 2, pageRows: 64 }),
    };
}
