// bench/duckdb_script.mjs: time a script of statements in DuckDB, for
// bench/reports.sh.  Usage: node duckdb_script.mjs THREADS SCRIPT [CHECK]
// SCRIPT is a file of statements, each ending with ';' at the end of a
// line; prints the milliseconds they took together (the instance is
// created before the clock starts), then, when CHECK (a file of queries,
// one a line) is given, each query's rows, one a line, columns tab-separated.
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [threads, script, check] = process.argv.slice(2);
const statements = readFileSync(script, 'utf8').split(/;\s*$/m)
    .map((s) => s.trim()).filter((s) => s.replace(/--.*$/gm, '').trim() !== '');
const instance = await DuckDBInstance.create(':memory:', { threads });
const connection = await instance.connect();
const start = process.hrtime.bigint();
for (const statement of statements) {
    await connection.run(statement);
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
console.log(elapsed.toFixed(1));
if (check) {
    for (const query of readFileSync(check, 'utf8').split('\n').filter((q) => q.trim() !== '')) {
        const reader = await connection.runAndReadAll(query);
        for (const row of reader.getRows()) {
            console.log(row.map((v) => (v === null ? '' : String(v))).join('\t'));
        }
    }
}
