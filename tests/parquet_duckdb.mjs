// tests/parquet_duckdb.mjs: write DuckDB's parquet_metadata() and
// parquet_schema() of each file in the form tests/parquet.sh compares with
// ritual's: one line per row, fields separated by |, NULL as nothing.
// Usage: node parquet_duckdb.mjs OUTDIR FILE... (writes OUTDIR/NAME.metadata
// and OUTDIR/NAME.schema)
// DuckDB shows a binary (BYTE_ARRAY with no logical type) min or max with
// \xHH escapes; ritual shows it as \x and hex, so such values are turned
// into ritual's form here.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const [outdir, ...files] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const db = await instance.connect();
const rows = async (query) => (await db.runAndReadAll(query)).getRowObjectsJS();
const show = (v) => (v === null || v === undefined ? '' : String(v));

for (const file of files) {
    const quoted = `'${file.replaceAll("'", "''")}'`;
    const schema = await rows(`SELECT * FROM parquet_schema(${quoted})`);
    const lines = schema.map((e) =>
        [e.name, e.type, e.type_length, e.repetition_type, e.num_children,
         e.converted_type, e.scale, e.precision, e.field_id].map(show).join('|') + '\n');
    writeFileSync(`${outdir}/${basename(file)}.schema`, lines.join(''));

    // the leaves, in order, are the columns of each row group
    const leaves = schema.slice(1).filter((e) => !e.num_children);
    const binary = (c) => leaves[c] && leaves[c].type === 'BYTE_ARRAY' &&
        leaves[c].converted_type === null && leaves[c].logical_type === null;
    const hex = (v) => v === null ? null : '\\x' + Buffer.from(
        v.replace(/\\x([0-9A-Fa-f]{2})|([\s\S])/g,
                  (m, h, c) => h ? String.fromCharCode(parseInt(h, 16)) : c),
        'latin1').toString('hex');
    const columns = ['row_group_id', 'row_group_num_rows', 'row_group_num_columns',
        'row_group_bytes', 'column_id', 'file_offset', 'num_values', 'path_in_schema', 'type',
        'stats_min', 'stats_max', 'stats_null_count', 'stats_distinct_count',
        'stats_min_value', 'stats_max_value', 'compression', 'encodings', 'index_page_offset',
        'dictionary_page_offset', 'data_page_offset', 'total_compressed_size',
        'total_uncompressed_size'];
    const metadata = await rows(`SELECT ${columns.join(', ')} FROM parquet_metadata(${quoted})
                                 ORDER BY row_group_id, column_id`);
    for (const r of metadata)
        if (binary(Number(r.column_id)))
            for (const k of ['stats_min', 'stats_max', 'stats_min_value', 'stats_max_value'])
                r[k] = hex(r[k]);
    writeFileSync(`${outdir}/${basename(file)}.metadata`,
                  metadata.map((r) => columns.map((k) => show(r[k])).join('|') + '\n').join(''));
}
