// bench/parquet_data.mjs: the data of bench/parquet.sh, made by DuckDB from
// the generator's events CSV, so that every peer reads the same rows.
// Usage: node parquet_data.mjs EVENTS_CSV OUTDIR [BIG_MB]
// Writes into OUTDIR:
//   events.csv             the rows DuckDB parsed (user_id, event_type,
//                          event_date), with a header, ISO timestamps
//   events.parquet         the same rows, one snappy file, in the CSV's order
//   events_sorted.csv      sorted by event_date (for the one-day query)
//   events_sorted.parquet  sorted by event_date, snappy, row groups of
//                          DuckDB's default size
//   lake/event_day=YYYY-MM-DD/data_0.parquet   the rows by day (Hive)
//   with BIG_MB: small.parquet (about 100 MB) and big.parquet (about
//   BIG_MB MB), copies of the rows, for the backend's peak memory
import { statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [csv, out, bigMb] = process.argv.slice(2);
// one thread: one file per partition, and the same files on every run
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const db = await instance.connect();
const lit = (s) => `'${s.replaceAll("'", "''")}'`;

// the generator writes messy but valid spellings; what DuckDB cannot parse
// is left out, here and so in every file
await db.run(`CREATE TABLE events AS
              SELECT * FROM read_csv(${lit(csv)}, header = true, auto_detect = false,
                  columns = {'user_id': 'BIGINT', 'event_type': 'VARCHAR', 'event_date': 'TIMESTAMP'},
                  ignore_errors = true)`);
await db.run(`COPY events TO ${lit(`${out}/events.csv`)} (HEADER, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')`);
await db.run(`COPY events TO ${lit(`${out}/events.parquet`)} (FORMAT parquet, COMPRESSION snappy)`);
await db.run(`CREATE TABLE sorted AS SELECT * FROM events ORDER BY event_date`);
await db.run(`COPY sorted TO ${lit(`${out}/events_sorted.csv`)} (HEADER, TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')`);
await db.run(`COPY sorted TO ${lit(`${out}/events_sorted.parquet`)} (FORMAT parquet, COMPRESSION snappy)`);
await db.run(`COPY (SELECT *, CAST(event_date AS DATE) AS event_day FROM events)
              TO ${lit(`${out}/lake`)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (event_day))`);

if (bigMb) {
    // copies of the rows until the file is about the size asked, each copy
    // shifted (user ids, seconds) so that it compresses no better than the
    // first: plain copies made a "2 GB" file of 100 MB
    const size = statSync(`${out}/events.parquet`).size;
    for (const [name, mb] of [['small', 100], ['big', Number(bigMb)]]) {
        const copies = Math.max(1, Math.round((mb * 1e6) / size));
        await db.run(`COPY (SELECT e.user_id + r.i * 100000000 AS user_id, e.event_type,
                                   e.event_date + to_seconds(r.i) AS event_date
                            FROM range(${copies}) r(i), events e)
                      TO ${lit(`${out}/${name}.parquet`)} (FORMAT parquet, COMPRESSION snappy)`);
    }
}
const rows = (await (await db.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjectsJS())[0].n;
console.log(String(rows));
