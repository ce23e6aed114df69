// tests/parquet_crafted.mjs: column chunks built byte by byte, in the chunk
// mode of tests/fuzz/parquet_pages_fuzz.c, for what DuckDB does not write:
// DELTA_BYTE_ARRAY, RLE booleans, INT96, BYTE_STREAM_SPLIT of INT32, INT64
// and FIXED_LEN_BYTE_ARRAY, REQUIRED columns (no levels), definition levels
// 2 bits wide, Hadoop-framed LZ4, index pages, DELTA_BINARY_PACKED deltas
// that wrap, encodings changing from page to page.  Each comes with the
// values it holds, as tests/fuzz/parquet_dump.c prints them.
// hostile() gives broken chunks, each with the start of the error it must raise.
// Used by tests/parquet_pages_duckdb.mjs and tests/fuzz/make_parquet_seeds.mjs.

const PLAIN = 0, RLE = 3, DBP = 5, DLBA = 6, DBA = 7, RLE_DICT = 8, BSS = 9;

function uleb(n) {
    let v = BigInt(n);
    const out = [];
    do {
        let b = Number(v & 0x7fn);
        v >>= 7n;
        if (v > 0n) b |= 0x80;
        out.push(b);
    } while (v > 0n);
    return Buffer.from(out);
}
const zigzag = (n) => (BigInt(n) >= 0n ? 2n * BigInt(n) : -2n * BigInt(n) - 1n);

// Thrift's compact protocol: fields [id, 'i32' | 'bool' | 'binary' | 'struct', value]
function thrift(fields) {
    const parts = [];
    let last = 0;
    for (const [id, type, value] of fields) {
        const code = { i32: 5, binary: 8, struct: 12 }[type] ?? (value ? 1 : 2);
        parts.push(Buffer.from([((id - last) << 4) | code]));
        if (type === 'i32') parts.push(uleb(zigzag(value)));
        if (type === 'binary') parts.push(uleb(value.length), value);
        if (type === 'struct') parts.push(thrift(value));
        last = id;
    }
    parts.push(Buffer.from([0]));
    return Buffer.concat(parts);
}

function page(type, header, body, uncompressedSize = body.length) {
    const id = { 0: 5, 2: 7, 3: 8 }[type];
    const fields = [[1, 'i32', type], [2, 'i32', uncompressedSize], [3, 'i32', body.length]];
    if (id) fields.push([id, 'struct', header]);
    return Buffer.concat([thrift(fields), body]);
}
const v1 = (count, encoding, body, size) =>
    page(0, [[1, 'i32', count], [2, 'i32', encoding], [3, 'i32', RLE], [4, 'i32', RLE]], body, size);
const v2 = (count, nulls, encoding, levels, values) =>
    page(3, [[1, 'i32', count], [2, 'i32', nulls], [3, 'i32', count], [4, 'i32', encoding],
             [5, 'i32', levels.length], [6, 'i32', 0], [7, 'bool', false]],
         Buffer.concat([levels, values]));
const dictionary = (count, body) => page(2, [[1, 'i32', count], [2, 'i32', PLAIN]], body);

// values of 'width' bits, least significant first
function bitpack(values, width) {
    const out = Buffer.alloc(Math.ceil(values.length * width / 8));
    let bit = 0;
    for (const value of values) {
        const v = BigInt.asUintN(64, BigInt(value));
        for (let b = 0; b < width; b++, bit++)
            if ((v >> BigInt(b)) & 1n) out[bit >> 3] |= 1 << (bit & 7);
    }
    return out;
}
const bitsOf = (v) => (v === 0n ? 0 : v.toString(2).length);

// the RLE/bit-packed hybrid: a run of the first value repeated, then the rest bit-packed
function hybrid(values, width) {
    let run = 1;
    while (run < values.length && values[run] === values[0]) run++;
    const rest = values.slice(run);
    while (rest.length % 8) rest.push(0);
    return Buffer.concat([uleb(run << 1), bitpack([values[0]], 8 * Math.ceil(width / 8)),
                          rest.length ? uleb(((rest.length / 8) << 1) | 1) : Buffer.alloc(0),
                          bitpack(rest, width)]);
}
function lengthPrefixed(body) {
    const length = Buffer.alloc(4);
    length.writeUInt32LE(body.length);
    return Buffer.concat([length, body]);
}

// DELTA_BINARY_PACKED: blocks of 128, 4 miniblocks of 32; 'bits' 32 or 64 wraps the deltas
function deltaPacked(values, bits = 64) {
    const v = values.map(BigInt);
    const parts = [uleb(128), uleb(4), uleb(v.length), uleb(v.length ? zigzag(v[0]) : 0n)];
    const deltas = [];
    for (let i = 1; i < v.length; i++) deltas.push(BigInt.asIntN(bits, v[i] - v[i - 1]));
    for (let b = 0; b < deltas.length; b += 128) {
        const block = deltas.slice(b, b + 128);
        const min = block.reduce((m, d) => (d < m ? d : m));
        const widths = [], minis = [];
        for (let m = 0; m < 4; m++) {
            const mini = block.slice(m * 32, m * 32 + 32).map((d) => BigInt.asUintN(bits, d - min));
            if (mini.length === 0) { widths.push(0); continue; }
            while (mini.length < 32) mini.push(0n);
            const width = mini.reduce((w, d) => Math.max(w, bitsOf(d)), 0);
            widths.push(width);
            minis.push(bitpack(mini, width));
        }
        parts.push(uleb(zigzag(min)), Buffer.from(widths), ...minis);
    }
    return Buffer.concat(parts);
}

const le32 = (n) => { const b = Buffer.alloc(4); b.writeInt32LE(n); return b; };
const le64 = (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; };
const plainBytes = (values) => Buffer.concat(values.map((s) => Buffer.concat([le32(s.length), s])));
const hex = (b) => Buffer.from(b).toString('hex');
// byte stream split of fixed-size values
function split(buffers) {
    const width = buffers[0].length;
    const out = Buffer.alloc(width * buffers.length);
    buffers.forEach((v, i) => { for (let b = 0; b < width; b++) out[b * buffers.length + i] = v[b]; });
    return out;
}
// an LZ4 block of literals only, in Hadoop's framing (sizes big-endian)
function hadoopLz4(data) {
    const n = data.length;
    const token = [Math.min(n, 15) << 4];
    for (let left = n - 15; left >= 0; left -= 255) token.push(Math.min(left, 255));
    const block = Buffer.concat([Buffer.from(token), data]);
    const sizes = Buffer.alloc(8);
    sizes.writeUInt32BE(n);
    sizes.writeUInt32BE(block.length, 4);
    return Buffer.concat([sizes, block]);
}

// the chunk-mode settings: type, codec, max definition level, type length, rows, batch
function settings(type, codec, maxDef, typeLength, rows, batch = 7) {
    const s = Buffer.alloc(11);
    s[1] = type; s[2] = codec; s[3] = maxDef;
    s.writeUInt16LE(typeLength, 4);
    s.writeUInt32LE(rows, 6);
    s[10] = batch;
    return s;
}
const lines = (values) => values.map((v) => `0\t${v}\n`).join('');
// the values not NULL (definition level maxDef) of rows
const present = (levels, maxDef, values) => values.filter((_, i) => levels[i] === maxDef);
const printed = (levels, maxDef, text) => {
    let j = 0;
    return lines(levels.map((l) => (l === maxDef ? text[j++] : 'NULL')));
};

export function crafted() {
    const cases = [];
    const add = (name, settingsBytes, pages, expected) =>
        cases.push({ name, chunk: Buffer.concat([settingsBytes, ...pages]), expected });

    // DELTA_BYTE_ARRAY strings sharing prefixes, with NULLs and empty strings, over 3 blocks
    {
        const n = 300;
        const levels = Array.from({ length: n }, (_, i) => (i % 9 === 4 ? 0 : 1));
        const all = Array.from({ length: n }, (_, i) =>
            Buffer.from(i % 17 === 0 ? '' : `prefix/${Math.floor(i / 10)}/item-${i}`));
        const vals = present(levels, 1, all);
        const prefixes = [], suffixes = [];
        let prev = Buffer.alloc(0);
        for (const s of vals) {
            let p = 0;
            while (p < prev.length && p < s.length && prev[p] === s[p]) p++;
            prefixes.push(p);
            suffixes.push(s.subarray(p));
            prev = s;
        }
        const body = Buffer.concat([deltaPacked(prefixes, 32), deltaPacked(suffixes.map((s) => s.length), 32),
                                    ...suffixes]);
        add('delta_byte_array_v1', settings(6, 0, 1, 0, n),
            [v1(n, DBA, Buffer.concat([lengthPrefixed(hybrid(levels, 1)), body]))],
            printed(levels, 1, vals.map(hex)));
        add('delta_byte_array_v2', settings(6, 0, 1, 0, n),
            [v2(n, n - vals.length, DBA, hybrid(levels, 1), body)], printed(levels, 1, vals.map(hex)));
    }
    // DELTA_BYTE_ARRAY of FIXED_LEN_BYTE_ARRAY(4), REQUIRED; then DELTA_LENGTH_BYTE_ARRAY is refused there
    {
        const vals = ['abcd', 'abce', 'abzz', 'xbzz', 'xbzz'].map((s) => Buffer.from(s));
        const prefixes = [0, 3, 2, 0, 4];
        const body = Buffer.concat([deltaPacked(prefixes, 32),
                                    deltaPacked(vals.map((v, i) => 4 - prefixes[i]), 32),
                                    ...vals.map((v, i) => v.subarray(prefixes[i]))]);
        add('delta_byte_array_flba_required', settings(7, 0, 0, 4, 5), [v1(5, DBA, body)],
            lines(vals.map(hex)));
    }
    // RLE booleans, v1 and v2
    {
        const n = 50;
        const levels = Array.from({ length: n }, (_, i) => (i % 6 === 5 ? 0 : 1));
        const bools = present(levels, 1, Array.from({ length: n }, (_, i) => (i < 20 ? 1 : (i * 7) % 3 === 0 ? 1 : 0)));
        const body = lengthPrefixed(hybrid(bools, 1));
        add('rle_boolean_v1', settings(0, 0, 1, 0, n),
            [v1(n, RLE, Buffer.concat([lengthPrefixed(hybrid(levels, 1)), body]))], printed(levels, 1, bools));
        add('rle_boolean_v2', settings(0, 0, 1, 0, n),
            [v2(n, n - bools.length, RLE, hybrid(levels, 1), body)], printed(levels, 1, bools));
    }
    // INT96, PLAIN and from a dictionary
    {
        const vals = [0, 1, 2, 3].map((i) => Buffer.from(`${i}`.repeat(12).slice(0, 12)));
        add('int96_plain_required', settings(3, 0, 0, 0, 4), [v1(4, PLAIN, Buffer.concat(vals))],
            lines(vals.map(hex)));
        const indices = [3, 0, 0, 1, 2, 3, 3, 3, 1];
        add('int96_dictionary_required', settings(3, 0, 0, 0, indices.length),
            [dictionary(4, Buffer.concat(vals)),
             v1(indices.length, RLE_DICT, Buffer.concat([Buffer.from([2]), hybrid(indices, 2)]))],
            lines(indices.map((i) => hex(vals[i]))));
    }
    // BYTE_STREAM_SPLIT of INT32, INT64 and FIXED_LEN_BYTE_ARRAY(3), v2 with NULLs
    {
        const n = 40;
        const levels = Array.from({ length: n }, (_, i) => (i % 5 === 2 ? 0 : 1));
        const ints = present(levels, 1, Array.from({ length: n }, (_, i) => i * 123457 - 2000000));
        add('byte_stream_split_int32', settings(1, 0, 1, 0, n),
            [v2(n, n - ints.length, BSS, hybrid(levels, 1), split(ints.map(le32)))], printed(levels, 1, ints));
        const longs = ints.map((i) => BigInt(i) * 1000000007n);
        add('byte_stream_split_int64', settings(2, 0, 1, 0, n),
            [v2(n, n - longs.length, BSS, hybrid(levels, 1), split(longs.map(le64)))], printed(levels, 1, longs));
        const fixed = ints.map((i) => le32(i).subarray(0, 3));
        add('byte_stream_split_flba', settings(7, 0, 1, 3, n),
            [v2(n, n - fixed.length, BSS, hybrid(levels, 1), split(fixed))], printed(levels, 1, fixed.map(hex)));
    }
    // a REQUIRED INT32 chunk of three pages, PLAIN, DELTA_BINARY_PACKED wrapping
    // modulo 2^32, PLAIN again, with an index page between
    {
        const a = [1, -1, 2147483647, -2147483648, 0];
        const b = Array.from({ length: 200 }, (_, i) => (i % 2 ? 2147483647 - i : -2147483648 + i * 3));
        const c = [42];
        add('required_int32_pages', settings(1, 0, 0, 0, a.length + b.length + c.length),
            [v1(a.length, PLAIN, Buffer.concat(a.map(le32))),
             page(1, [], Buffer.from('index page bytes')),
             v1(b.length, DBP, deltaPacked(b, 32)),
             v1(c.length, PLAIN, le32(42))],
            lines([...a, ...b, ...c]));
    }
    // INT64 deltas of 64 bits (the extremes), 2-bit definition levels (maximum 3)
    {
        const n = 70;
        const levels = Array.from({ length: n }, (_, i) => [3, 3, 2, 0, 3, 1, 3][i % 7]);
        const longs = present(levels, 3, Array.from({ length: n }, (_, i) =>
            i % 3 === 0 ? -9223372036854775808n : i % 3 === 1 ? 9223372036854775807n : BigInt(i)));
        add('delta_int64_extremes_levels_width_2', settings(2, 0, 3, 0, n),
            [v2(n, n - longs.length, DBP, hybrid(levels, 2), deltaPacked(longs, 64))], printed(levels, 3, longs));
    }
    // the old LZ4 codec in Hadoop's framing; DELTA_LENGTH_BYTE_ARRAY inside
    {
        const vals = ['', 'one', 'two', 'three', 'x'.repeat(40)].map((s) => Buffer.from(s));
        const body = Buffer.concat([deltaPacked(vals.map((v) => v.length), 32), ...vals]);
        add('lz4_hadoop_delta_length', settings(6, 5, 0, 0, vals.length),
            [v1(vals.length, DLBA, hadoopLz4(body), body.length)], lines(vals.map(hex)));
    }
    // a dictionary, a page from it, a PLAIN page: strings
    {
        const dict = ['red', 'green', 'blue'].map((s) => Buffer.from(s));
        const indices = [2, 2, 0, 1, 1, 1, 1, 0];
        const plain = ['violet', '', 'red'].map((s) => Buffer.from(s));
        add('dictionary_then_plain', settings(6, 0, 0, 0, indices.length + plain.length),
            [dictionary(3, plainBytes(dict)),
             v1(indices.length, RLE_DICT, Buffer.concat([Buffer.from([2]), hybrid(indices, 2)])),
             v1(plain.length, PLAIN, plainBytes(plain))],
            lines([...indices.map((i) => hex(dict[i])), ...plain.map(hex)]));
    }
    // a page header of 3 kB (an unknown field of the future), longer than the first read of one
    {
        const header = thrift([[1, 'i32', 0], [2, 'i32', 8], [3, 'i32', 8],
                               [5, 'struct', [[1, 'i32', 2], [2, 'i32', PLAIN], [3, 'i32', RLE],
                                              [4, 'i32', RLE]]],
                               [15, 'binary', Buffer.alloc(3000, 'x')]]);
        add('long_page_header', settings(1, 0, 0, 0, 2), [header, le32(-7), le32(8)], lines([-7, 8]));
    }
    return cases;
}

export function hostile() {
    const cases = [];
    const add = (name, settingsBytes, pages, error) =>
        cases.push({ name, chunk: Buffer.concat([settingsBytes, ...pages]), error });
    const ints = [5, 6, 7];
    const plain = v1(3, PLAIN, Buffer.concat(ints.map(le32)));

    add('dictionary_index_out_of_range', settings(1, 0, 0, 0, 3),
        [dictionary(2, Buffer.concat([le32(1), le32(2)])),
         v1(3, RLE_DICT, Buffer.concat([Buffer.from([2]), hybrid([0, 1, 3], 2)]))],
        'dictionary index 3 is out of range: the dictionary has 2 values');
    add('fewer_values_than_rows', settings(1, 0, 0, 0, 4), [plain],
        "Parquet column chunk's pages hold 3 values, fewer than the row group's 4 rows");
    add('more_values_than_rows', settings(1, 0, 0, 0, 2), [plain],
        "Parquet column chunk's pages hold more values than the row group's 2 rows");
    add('page_past_chunk_end', settings(1, 0, 0, 0, 3), [plain.subarray(0, plain.length - 1)],
        'Parquet page of 12 bytes at byte');
    add('definition_level_above_maximum', settings(1, 0, 2, 0, 3),
        [v1(3, PLAIN, Buffer.concat([lengthPrefixed(hybrid([2, 3, 2], 2)), le32(1), le32(2)]))],
        "Parquet definition level 3 is above the column's maximum of 2");
    const wide = deltaPacked([0, 1, 2], 64);
    wide[wide.length - 4] = 65;     // the first miniblock's width (its deltas are all 0: no bytes follow)
    add('delta_width_above_64', settings(2, 0, 0, 0, 3), [v1(3, DBP, wide)],
        'corrupt Parquet DELTA_BINARY_PACKED data: a miniblock has a bit width of 65, more than 64');
    add('lzo_not_supported', settings(1, 3, 0, 0, 3), [plain],
        'Parquet compression codec LZO (3) is not supported');
    add('snappy_size_lie', settings(1, 1, 0, 0, 3),
        [v1(3, PLAIN, Buffer.from([12, 44, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0]), 13)],
        'SNAPPY Parquet page holds 12 bytes, but its header says 13');
    add('byte_array_length_past_page', settings(6, 0, 0, 0, 1),
        [v1(1, PLAIN, Buffer.concat([le32(100), Buffer.from('short')]))],
        "corrupt PLAIN-encoded Parquet values: a value's length runs past the end of the page");
    return cases;
}
