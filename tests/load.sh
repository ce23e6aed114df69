#!/usr/bin/env bash
# tests/load.sh: the reports stay whole under load.  In a cluster of its own
# with TLS on, --clients (16) pgbench clients run the Looker Studio queries
# (tests/jdbc/looker_queries.sql, pages dashboard and drill-down) as the
# reader role "looker" (scram password, TLS verify-full, client certificate)
# for --minutes (2), while a loop every --interval seconds (5) puts new events
# into the lake (a new file, or whole lines appended to the newest file), runs
# ritual.ingest and then ritual.refresh_reports.  The events are a generated
# export cut by time: the first 70% are there from the start, the rest arrives
# in slices.  Checks:
#   - no reader, watcher or loop step has an error;
#   - readers see whole builds: about one in six of the readers' transactions
#     reads the reporting tables in several statements of one REPEATABLE READ
#     transaction and finds them agreeing with each other and with the
#     latest ritual.report_builds row (an error aborts the client if not);
#   - a watcher (superuser, one client) sees whole ingest batches: the target
#     holds as many rows as the ingest log and the checkpoint say;
#   - at the end every row put into the lake is in the target exactly once,
#     the last build counted them all, and the refreshed reports are the
#     same rows as a full rebuild.
# Prints the readers' p50, p95 and p99 latency and queries per second, and a
# last line "load: N passed, M failed"; exits non-zero on any failure.
#
#   bash tests/load.sh [--minutes N] [--clients N] [--interval SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=2
clients=16
interval=5
usage() {
    echo "usage: bash tests/load.sh [--minutes N] [--clients N] [--interval SECONDS]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes=${2:-}; shift 2 || usage ;;
        --clients) clients=${2:-}; shift 2 || usage ;;
        --interval) interval=${2:-}; shift 2 || usage ;;
        *) usage ;;
    esac
done
for n in "$minutes" "$clients" "$interval"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || usage
done
seconds=$((minutes * 60))
DB=ritual_load
ROLE=looker

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
finish() {
    echo "load: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
die() {
    not_ok "$*"
    finish || true
    exit 1
}

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
# a cluster of our own, even inside tests/check.sh: TLS and max_connections
# need a restart
unset PG_BIN CLUSTER_DIR
source tests/cluster.sh
source tests/ssl.sh
source tests/looker_pgbench.sh
PGBENCH="$PG_BIN/pgbench"
[ -x "$PGBENCH" ] || die "pgbench not found in $PG_BIN"
[ -x src/generator/ritual-generate ] || die "src/generator/ritual-generate is missing (run make)"
trap cluster_stop EXIT
CLUSTER_CONF="max_connections = $((clients + 20))" cluster_start || die "the cluster did not start"
work="$CLUSTER_DIR/load"
mkdir -p "$work/lake/events" "$work/lake/profiles" "$work/staged"
export SSL_LOG="$work/openssl.log"

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# -- the lake: a generated export cut by time ---------------------------------
# slices: one per round of the loop, and a few to spare
slices=$((seconds / interval + 3))
src/generator/ritual-generate --out "$work/export" --users 3000 --days 150 --spike-days 1 \
    --drop-days 1 --seed 11 >/dev/null || die "the generator failed"
cp "$work/export/user_profiles.csv" "$work/lake/profiles/"
chmod -R a+rwX "$work"
[ "$(id -u)" -ne 0 ] || chown -R postgres: "$work"
psql -X -q -d postgres -c "CREATE DATABASE $DB" >/dev/null || die "cannot make database $DB"
# Slice 0 is the first 70% of the events by time; slices 1.. the rest.  An
# odd slice starts a new file (with a header), an even one is appended to it.
sql -v work="$work" -v slices="$slices" <<'SQL' >"$work/setup.out" 2>&1 || { cat "$work/setup.out"; die "making the lake failed"; }
SET client_min_messages = warning;
CREATE EXTENSION ritual;
CREATE SERVER load_files FOREIGN DATA WRAPPER ritual_fdw;
\set export_events :work '/export/user_events.csv'
CREATE FOREIGN TABLE export_lines (user_id text, event_type text, event_date text,
                                   line bigint OPTIONS (meta 'line'))
  SERVER load_files OPTIONS (path :'export_events', header 'true');
CREATE TABLE load_slices AS
SELECT user_id, event_type, event_date, line,
       CASE WHEN r <= early THEN 0 ELSE 1 + (r - early - 1) * :slices / (n - early) END AS slice
  FROM (SELECT *, row_number() OVER (ORDER BY event_date NULLS FIRST, line) AS r,
               count(*) OVER () AS n, (count(*) OVER () * 7 / 10) AS early
          FROM export_lines) ranked;
\set staged :work '/staged'
SELECT set_config('load.staged', :'staged', false) \g /dev/null
CREATE TABLE load_slice_rows AS SELECT slice, count(*) AS rows FROM load_slices GROUP BY slice;
DO $$
DECLARE
    s record;
BEGIN
    FOR s IN SELECT slice FROM load_slice_rows LOOP
        EXECUTE format('COPY (SELECT user_id, event_type, event_date FROM load_slices
                               WHERE slice = %s ORDER BY event_date NULLS FIRST, line)
                        TO %L WITH (FORMAT csv%s)',
                       s.slice, current_setting('load.staged') || '/slice-' || s.slice || '.csv',
                       CASE WHEN s.slice % 2 = 1 OR s.slice = 0 THEN ', HEADER' ELSE '' END);
    END LOOP;
END
$$;
SQL
mv "$work/staged/slice-0.csv" "$work/lake/events/part-000.csv"
rows0=$(sql -c "SELECT rows FROM load_slice_rows WHERE slice = 0")
ok "a lake of $rows0 events (70% of a generated export, by time) and $slices slices to come"

# -- ingest, the reports, the reader ------------------------------------------
reference=$(sql -c "SELECT pg_read_file('$work/export/manifest.json')::jsonb ->> 'reference_time'")
password=$(openssl rand -hex 16)
sql -v events="$work/lake/events" -v profiles="$work/lake/profiles" -v role="$ROLE" \
    -v password="$password" -v reference="$reference" <<'SQL' >"$work/build.out" 2>&1 \
    || { cat "$work/build.out"; die "building the reports failed"; }
SET client_min_messages = warning;
SELECT ritual.create_raw_tables(:'events', :'profiles') \g /dev/null
CREATE TABLE events (user_id bigint, event_type text, event_date timestamp,
                     source_file text, source_line bigint, errors text);
CREATE TABLE profiles (user_id bigint, signup_date date, country text, platform text,
                       source_file text, source_line bigint, errors text);
SELECT ritual.ingest('ritual.raw_events', 'events') \g /dev/null
SELECT ritual.ingest('ritual.raw_profiles', 'profiles') \g /dev/null
CREATE TABLE load_settings AS SELECT :'reference'::timestamp AS reference;
SELECT ritual.build_reports('events', 'profiles', reference_time => :'reference') \g /dev/null
SET password_encryption = 'scram-sha-256';
CREATE ROLE :"role" LOGIN PASSWORD :'password';
SELECT ritual.grant_report_reader(:'role') \g /dev/null
SQL
ok "ingested, reports built ($(sql -c "SELECT raw_events || ' raw events, ' || clean_events || ' clean' FROM ritual.report_builds")), role $ROLE granted"

ssl_make_all "$work/tls" "$ROLE" || die "making the certificates failed (see $SSL_LOG)"
ssl_enable "$work/tls" || die "turning TLS on failed"
ssl_allow_role "$ROLE" "$DB" cert || die "changing pg_hba.conf failed"
reader_env=(env PGHOST=127.0.0.1 PGPORT="$PGPORT" PGDATABASE="$DB" PGUSER="$ROLE"
            PGPASSWORD="$password" PGSSLMODE=verify-full PGSSLROOTCERT="$work/tls/server-ca.pem"
            PGSSLCERT="$work/tls/client-cert.pem" PGSSLKEY="$work/tls/client-key.pem")
who=$("${reader_env[@]}" psql -X -At -c "SELECT current_user || ' ' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1) || true
[ "$who" = "$ROLE true" ] || die "$ROLE cannot connect over TLS: $who"
ok "$ROLE connects over TLS with verify-full, a client certificate and a scram password"

# -- the scripts ----------------------------------------------------------------
looker_pgbench_scripts "$work" "$DB" extended || die "making the pgbench scripts failed"
readers=()
for page in dashboard drill-down; do
    mapfile -t -O "${#readers[@]}" readers < <(looker_pgbench_page_scripts "$work" "$page")
done
queries=$((${#readers[@]} / 2))
# A build is whole when, in one snapshot, the tables agree with each other
# and with the latest report_builds row (docs/reporting.md): every raw row
# is an enriched event, every clean event is counted once by day, by day and
# type, and in a session; every user is there; each day counts the sessions
# that started on it; each clean event after a user's first is a transition;
# retention has cells when a user has a signup date; spike coverage has the
# series 'events' and 'dau' at least.
cat >"$work/scripts/whole_build.sql" <<'SQL'
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SELECT raw_events AS b_raw, clean_events AS b_clean, users AS b_users
  FROM ritual.report_builds ORDER BY built_at DESC LIMIT 1 \gset
SELECT count(*) AS n_enriched FROM ritual.enriched_events \gset
SELECT count(*) AS n_clean, count(prev_event_type) AS n_with_prev FROM ritual.clean_events \gset
SELECT count(*) AS n_users FROM ritual.users \gset
SELECT coalesce(sum(events), 0) AS day_events, coalesce(sum(sessions), 0) AS day_sessions
  FROM ritual.daily_activity \gset
SELECT coalesce(sum(events), 0) AS type_events FROM ritual.daily_event_types \gset
SELECT count(*) AS n_sessions, coalesce(sum(events), 0) AS session_events FROM ritual.sessions \gset
SELECT coalesce(sum(transitions), 0) AS n_transitions FROM ritual.event_transitions \gset
SELECT count(*) FILTER (WHERE signup_date IS NOT NULL) AS n_signed_up FROM ritual.users \gset
SELECT count(*) AS n_cohort_cells FROM ritual.retention_cohorts \gset
SELECT count(*) AS n_series FROM ritual.spike_coverage \gset
SELECT (:n_enriched::bigint = :b_raw::bigint AND :n_clean::bigint = :b_clean::bigint
        AND :n_users::bigint = :b_users::bigint AND :day_events::bigint = :n_clean::bigint
        AND :type_events::bigint = :n_clean::bigint AND :session_events::bigint = :n_clean::bigint
        AND :day_sessions::bigint = :n_sessions::bigint
        AND :n_transitions::bigint = :n_with_prev::bigint
        AND (:n_cohort_cells::bigint > 0 OR :n_signed_up::bigint = 0)
        AND (:n_series::bigint >= 2 OR :n_clean::bigint = 0))::int AS whole,
       format('report_builds: %s raw, %s clean, %s users; enriched_events %s, clean_events %s, '
              'users %s, daily_activity events %s sessions %s, daily_event_types %s, '
              'sessions %s with %s events, transitions %s for %s, retention_cohorts %s '
              'cells for %s users with a signup date, spike_coverage %s series',
              :b_raw::bigint, :b_clean::bigint, :b_users::bigint, :n_enriched::bigint,
              :n_clean::bigint, :n_users::bigint, :day_events::bigint, :day_sessions::bigint,
              :type_events::bigint, :n_sessions::bigint, :session_events::bigint,
              :n_transitions::bigint, :n_with_prev::bigint, :n_cohort_cells::bigint,
              :n_signed_up::bigint, :n_series::bigint) AS detail \gset
\if :whole = 0
SELECT ('a reader saw a partial build: ' || :detail)::integer;
\endif
COMMIT;
SQL
# a batch is whole when the target has the rows the log and the checkpoint say
cat >"$work/scripts/whole_batch.sql" <<'SQL'
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SELECT count(*) AS n_events FROM events \gset
SELECT coalesce(sum(rows), 0) AS log_rows, count(*) AS batches
  FROM ritual.ingest_log WHERE target = 'events'::regclass \gset
SELECT coalesce(sum(f.rows), 0) AS checkpoint_rows
  FROM ritual.ingest_files f JOIN ritual.ingest_streams s USING (stream_id)
 WHERE s.target = 'events'::regclass \gset
SELECT (:n_events::bigint = :log_rows::bigint AND :n_events::bigint = :checkpoint_rows::bigint)::int AS whole,
       format('events has %s rows, the log of %s batches says %s, the checkpoint %s',
              :n_events::bigint, :batches::bigint, :log_rows::bigint, :checkpoint_rows::bigint) AS detail \gset
\if :whole = 0
SELECT ('the watcher saw a partial batch: ' || :detail)::integer;
\endif
COMMIT;
\sleep 200 ms
SQL
# before the load, both hold
"${reader_env[@]}" "$PGBENCH" -n -M extended -t 1 -f "$work/scripts/whole_build.sql" >"$work/check.out" 2>&1 \
    || { cat "$work/check.out"; die "the reports are not whole before the load"; }
PGDATABASE=$DB "$PGBENCH" -n -M extended -t 1 -f "$work/scripts/whole_batch.sql" >"$work/check.out" 2>&1 \
    || { cat "$work/check.out"; die "the ingest is not whole before the load"; }
ok "before the load, the reports agree with the last build and the target with the ingest log"

# -- the load -----------------------------------------------------------------
mkdir -p "$work/readers" "$work/watcher"
echo "# $clients readers over TLS for $seconds s ($queries Looker queries, and whole-build checks); ingest and refresh every $interval s"
(cd "$work/readers" && "${reader_env[@]}" "$PGBENCH" -n -M extended -c "$clients" -j 2 -T "$seconds" \
    -l --log-prefix=tx "${readers[@]}" -f "$work/scripts/whole_build.sql@$((queries / 5 + 1))" \
    >pgbench.out 2>pgbench.err) &
readers_pid=$!
(cd "$work/watcher" && PGDATABASE=$DB "$PGBENCH" -n -M extended -c 1 -T "$seconds" \
    -f "$work/scripts/whole_batch.sql" >pgbench.out 2>pgbench.err) &
watcher_pid=$!

# the loop: every $interval s a slice arrives, then ingest, then refresh
rounds=0
loop_errors=0
delivered=0
newest=
tls_sessions=
: >"$work/loop.log"
: >"$work/loop.times"
started=$SECONDS
while [ $((SECONDS - started)) -lt "$seconds" ]; do
    tick=$((SECONDS + interval))
    rounds=$((rounds + 1))
    slice=$((delivered + 1))
    if [ -f "$work/staged/slice-$slice.csv" ]; then
        if [ $((slice % 2)) -eq 1 ]; then
            # a new file, moved in whole
            newest=$work/lake/events/part-$(printf '%03d' "$slice").csv
            mv "$work/staged/slice-$slice.csv" "$newest"
        else
            # whole lines appended to the newest file, while ingest may read it
            cat "$work/staged/slice-$slice.csv" >>"$newest"
            rm "$work/staged/slice-$slice.csv"
        fi
        delivered=$slice
    fi
    t0=$(date +%s%N)
    if ! sql -c "SELECT rows FROM ritual.ingest('ritual.raw_events', 'events')" >>"$work/loop.log" 2>&1; then
        loop_errors=$((loop_errors + 1))
    fi
    t1=$(date +%s%N)
    if ! sql -c "SELECT count(*) FROM ritual.refresh_reports('events', 'profiles',
                     reference_time => (SELECT reference FROM load_settings))" >>"$work/loop.log" 2>&1; then
        loop_errors=$((loop_errors + 1))
    fi
    t2=$(date +%s%N)
    echo "$(((t1 - t0) / 1000)) $(((t2 - t1) / 1000))" >>"$work/loop.times"
    if [ "$rounds" -eq 2 ]; then
        tls_sessions=$(sql -c "SELECT count(*) FILTER (WHERE s.ssl) || ' of ' || count(*)
                                 FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
                                WHERE a.usename = '$ROLE'")
    fi
    while [ "$SECONDS" -lt "$tick" ] && [ $((SECONDS - started)) -lt "$seconds" ]; do
        sleep 1
    done
done
readers_status=0
wait "$readers_pid" || readers_status=$?
watcher_status=0
wait "$watcher_pid" || watcher_status=$?

# -- what the clients saw -------------------------------------------------------
# pgbench_result NAME DIR STATUS: no error, no failed or aborted transaction
pgbench_result() {
    local name=$1 dir=$2 status=$3 processed failed_tx
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$dir/pgbench.out")
    failed_tx=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$dir/pgbench.out")
    if [ "$status" -eq 0 ] && [ "${failed_tx:-0}" -eq 0 ] && [ "${processed:-0}" -gt 0 ] \
        && ! grep -qiE 'error|abort' "$dir/pgbench.err"; then
        ok "$name: $processed transactions, no error"
    else
        not_ok "$name: exit status $status, ${processed:-no} transactions, ${failed_tx:-?} failed"
        head -n 20 "$dir/pgbench.err" "$dir/pgbench.out"
    fi
}
pgbench_result "the $clients readers" "$work/readers" "$readers_status"
pgbench_result "the watcher of ingest batches" "$work/watcher" "$watcher_status"
checks=$(cat "$work/readers"/tx.* | awk -v s="$queries" '$4 == s' | wc -l)
if [ "$checks" -gt 0 ]; then
    ok "readers checked $checks snapshots: every build they saw was whole"
else
    not_ok "no reader ran the whole-build check"
fi
if [ "$tls_sessions" = "$clients of $clients" ]; then
    ok "during the load, $ROLE had $clients sessions, all over TLS"
else
    not_ok "during the load, $ROLE had ${tls_sessions:-no} sessions over TLS, expected $clients of $clients"
fi
if [ "$loop_errors" -eq 0 ]; then
    ok "$rounds rounds of ingest and refresh_reports, no error"
else
    not_ok "$loop_errors errors in $rounds rounds of ingest and refresh_reports"
    grep -E 'ERROR|FATAL' "$work/loop.log" | head -n 20
fi
builds=$(sql -c "SELECT count(*) FROM ritual.report_builds WHERE kind = 'incremental' AND new_events > 0")
if [ "$delivered" -gt 0 ] && [ "$builds" -ge "$delivered" ]; then
    ok "$delivered slices arrived, each taken by an incremental refresh while the readers read"
else
    not_ok "$delivered slices arrived, but only $builds refreshes took new events"
fi

# -- nothing lost, nothing invented -------------------------------------------
# one more round for a tail the last ingest may have held back
sql -c "SELECT ritual.ingest('ritual.raw_events', 'events')" \
    -c "SELECT ritual.refresh_reports('events', 'profiles', reference_time => (SELECT reference FROM load_settings))" \
    >>"$work/loop.log" 2>&1 || not_ok "the last ingest and refresh failed"
read -r expected events distinct built < <(sql -F ' ' -c "
    SELECT (SELECT sum(rows) FROM load_slice_rows WHERE slice <= $delivered),
           (SELECT count(*) FROM events),
           (SELECT count(DISTINCT (source_file, source_line)) FROM events),
           (SELECT raw_events FROM ritual.report_builds ORDER BY built_at DESC LIMIT 1)")
if [ "$events" = "$expected" ] && [ "$distinct" = "$expected" ] && [ "$built" = "$expected" ]; then
    ok "every one of the $expected events put into the lake is in the target once and in the reports"
else
    not_ok "$expected events put into the lake; the target has $events ($distinct distinct file and line), the last build $built"
fi
tables="users enriched_events clean_events sessions daily_activity daily_event_types
        retention_cohorts event_transitions spikes spike_coverage data_quality
        weekly_lifecycle weekly_stickiness monthly_stickiness activity_counts
        funnel_steps funnel_users session_paths path_counts user_paths
        daily_activity_by_segment retention_by_segment segment_cohorts segment_weeks"
for t in $tables; do
    sql -c "CREATE TABLE refreshed_$t AS TABLE ritual.$t"
done
sql -c "SELECT ritual.build_reports('events', 'profiles', reference_time => (SELECT reference FROM load_settings))" >/dev/null \
    || not_ok "the full rebuild failed"
differing=
for t in $tables; do
    d=$(sql -c "SELECT (SELECT count(*) FROM (TABLE refreshed_$t EXCEPT ALL TABLE ritual.$t) a)
                     + (SELECT count(*) FROM (TABLE ritual.$t EXCEPT ALL TABLE refreshed_$t) b)")
    [ "$d" -eq 0 ] || differing+=" $t ($d rows)"
done
if [ -z "$differing" ]; then
    ok "the reports refreshed under load are the same rows as a full rebuild"
else
    not_ok "refreshed and rebuilt reports differ:$differing"
fi

# -- the figures ----------------------------------------------------------------
read -r count p50 p95 p99 < <(cat "$work/readers"/tx.* | awk -v s="$queries" '$4 < s { print $3 }' | looker_percentiles)
read -r ccount cp50 cp95 cp99 < <(cat "$work/readers"/tx.* | awk -v s="$queries" '$4 == s { print $3 }' | looker_percentiles)
read -r icount ip50 ip95 ip99 < <(awk '{ print $1 }' "$work/loop.times" | looker_percentiles)
read -r rcount rp50 rp95 rp99 < <(awk '{ print $2 }' "$work/loop.times" | looker_percentiles)
echo "# $(nproc) CPUs; PostgreSQL $(sql -c 'SHOW server_version' | cut -d' ' -f1); pgbench -M extended -c $clients -j 2 -T $seconds over TLS"
printf '# %-28s %9s %9s %9s %9s\n' "" count 'p50 ms' 'p95 ms' 'p99 ms'
printf '# %-28s %9s %9s %9s %9s\n' "Looker queries" "$count" "$p50" "$p95" "$p99"
printf '# %-28s %9s %9s %9s %9s\n' "whole-build check" "$ccount" "$cp50" "$cp95" "$cp99"
printf '# %-28s %9s %9s %9s %9s\n' "ritual.ingest" "$icount" "$ip50" "$ip95" "$ip99"
printf '# %-28s %9s %9s %9s %9s\n' "ritual.refresh_reports" "$rcount" "$rp50" "$rp95" "$rp99"
echo "# Looker queries per second: $((count / seconds))"
finish
