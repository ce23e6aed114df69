// bench/duckdb_query.mjs: time one query in DuckDB, for bench/scan.sh.
// Usage: node duckdb_query.mjs THREADS QUERY — prints the milliseconds the
// query took (the instance is created before the clock starts).
import { DuckDBInstance } from '@duckdb/node-api';

const [threads, query] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:', { threads });
const connection = await instance.connect();
const start = process.hrtime.bigint();
await connection.runAndReadAll(query);
const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
console.log(elapsed.toFixed(1));
