#!/usr/bin/env bash
# tests/scale_out.sh: a coordinator and three workers (docs/scale-out.md),
# four clusters on this machine, against a single node.
#
# The coordinator's cluster also holds the single node (database "single")
# and the database that lays the lake out by shard ("lake"): a generated
# export is written into shard=k/ directories by ritual's INSERT with
# partition_by and ritual.user_shard; each worker reads its shard; the
# single node reads them all.  Checks:
# - every global reporting table equals the single node's, cell by cell,
#   and the per-row tables of ritual_cluster equal its per-row tables
#   (but for event_id, a rank within a worker); so do the builds' counts;
# - the same after new files arrive on two shards and both refresh, and
#   after a funnel is added on the coordinator (which gives it to every
#   worker);
# - a drill-down to one user touches one worker; a per-user aggregate runs
#   on the workers (EXPLAIN);
# - a worker stopped in the middle of its build: the error names it, the
#   coordinator's tables are unchanged, and a build after its restart is
#   exact; a worker with another version, another schema or no ritual, or
#   whose lake holds another shard's users, is refused;
# - the report reader on the coordinator reads the global reports and
#   nothing else, and cannot reach the workers.
#
# Starts and stops its own clusters.  Prints "ok - NAME" or "not ok - NAME:
# reason" per check, then "scale_out: N passed, M failed"; exits non-zero
# if any check failed.
set -u
cd "$(dirname "$0")/.."
[ -n "${CLUSTER_DIR:-}" ] || bash tests/setup.sh >/dev/null
source tests/cluster.sh

PASSED=0
FAILED=0
pass() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
fail() { echo "not ok - $1: $2"; FAILED=$((FAILED + 1)); }
note() { echo "# $*"; }
export PGOPTIONS="-c client_min_messages=warning"
REFERENCE='2024-04-10 00:00'

# the nodes: 0 the coordinator, 1 to 3 the workers of shards 0 to 2
NODE_DIR=()
NODE_PORT=()
stop_all() {
    local d
    for d in "${NODE_DIR[@]}"; do
        server_ctl -D "$d/data" -m immediate -w stop >/dev/null 2>&1
        rm -rf "$d"
    done
}
trap stop_all EXIT
for n in 0 1 2 3; do
    CLUSTER_CONF="shared_buffers = 32MB
max_connections = 40" cluster_start || { echo "scale_out: 0 passed, 1 failed"; exit 1; }
    NODE_DIR[n]=$CLUSTER_DIR
    NODE_PORT[n]=$PGPORT
done
unset PGHOST PGPORT CLUSTER_DIR
COORD=${NODE_DIR[0]}

# on NODE DB [psql arguments]: psql on a node's database, unaligned
on() {
    local node=$1 db=$2
    shift 2
    psql -X -q -At -v ON_ERROR_STOP=1 -h "${NODE_DIR[node]}" -p "${NODE_PORT[node]}" -U postgres \
        -d "$db" "$@"
}

# the export, and the empty lake the server writes into
stage=$(mktemp -d)
src/generator/ritual-generate --out "$stage/export" --users 1000 --days 100 --events-files 3 \
    --spike-days 1 --drop-days 1 --seed 23 >/dev/null || { echo "scale_out: 0 passed, 1 failed"; exit 1; }
mkdir -p "$stage/lake/events" "$stage/lake/profiles"
give_to_server "$COORD/files" "$stage/export" "$stage/lake"
rm -rf "$stage"
EXPORT=$COORD/files/export
LAKE=$COORD/files/lake

on 0 postgres -c 'CREATE DATABASE lake' -c 'CREATE DATABASE single' -c 'CREATE DATABASE coord'
for n in 1 2 3; do
    on "$n" postgres -c 'CREATE DATABASE analytics'
done

# shard the export: every row but each fifth event now (held back for the
# refresh), in the order of the export, so that ties by file and line
# keep their order
on 0 lake >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION ritual;
SELECT ritual.create_raw_tables('$EXPORT/user_events_*.csv', '$EXPORT/user_profiles.csv');
CREATE FOREIGN TABLE sharded_events (user_id bigint, event_type text, event_date timestamp,
                                     shard integer)
  SERVER ritual_raw_files OPTIONS (path '$LAKE/events', partition_by 'shard', header 'true');
CREATE FOREIGN TABLE sharded_profiles (user_id bigint, signup_date date, country text,
                                       platform text, shard integer)
  SERVER ritual_raw_files OPTIONS (path '$LAKE/profiles', partition_by 'shard', header 'true');
INSERT INTO sharded_events
SELECT user_id, event_type, event_date, ritual.user_shard(user_id, 3)
  FROM ritual.raw_events WHERE source_line % 5 <> 0 ORDER BY source_file, source_line;
INSERT INTO sharded_profiles
SELECT user_id, signup_date, country, platform, ritual.user_shard(user_id, 3)
  FROM ritual.raw_profiles ORDER BY source_file, source_line;
SQL
dirs=$(cd "$LAKE" && echo events/* profiles/*)
if [ "$dirs" = "events/shard=0 events/shard=1 events/shard=2 profiles/shard=0 profiles/shard=1 profiles/shard=2" ]; then
    pass "the export is laid out in shard=k directories"
else
    fail "the export is laid out in shard=k directories" "$dirs"
fi
counts=$(on 0 lake -c "SELECT (SELECT count(*) FROM ritual.raw_events WHERE source_line % 5 <> 0)
                              = (SELECT count(*) FROM sharded_events),
                              (SELECT count(*) FROM ritual.raw_events WHERE user_id IS NULL
                                 AND source_line % 5 <> 0)
                              = (SELECT count(*) FROM sharded_events WHERE shard = 0 AND user_id IS NULL),
                              (SELECT count(*) FROM sharded_events
                                WHERE shard <> ritual.user_shard(user_id, 3))")
if [ "$counts" = "t|t|0" ]; then
    pass "every row is in one shard, the rows without a user_id in shard 0"
else
    fail "every row is in one shard, the rows without a user_id in shard 0" "$counts"
fi

# the single node over the whole lake; each worker over its shard
on 0 single >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION ritual;
SELECT ritual.create_raw_tables('$LAKE/events/*/*.csv', '$LAKE/profiles/*/*.csv');
SQL
for n in 1 2 3; do
    on "$n" analytics >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION ritual;
SELECT ritual.create_raw_tables('$LAKE/events/shard=$((n - 1))/*.csv',
                                '$LAKE/profiles/shard=$((n - 1))/*.csv');
SQL
done
on 0 coord >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION ritual;
SELECT ritual.add_worker('w0', shard => 0, shards => 3, host => '127.0.0.1', port => ${NODE_PORT[1]}, dbname => 'analytics');
SELECT ritual.add_worker('w1', shard => 1, shards => 3, host => '127.0.0.1', port => ${NODE_PORT[2]}, dbname => 'analytics');
SELECT ritual.add_worker('w2', shard => 2, shards => 3, host => '127.0.0.1', port => ${NODE_PORT[3]}, dbname => 'analytics');
SQL
[ "$(on 0 coord -c "SELECT string_agg(worker, ',' ORDER BY shard) FROM ritual.workers")" = "w0,w1,w2" ] \
    && pass "add_worker: three workers" || fail "add_worker: three workers" "ritual.workers"

REPORTS="daily_activity daily_activity_by_segment daily_event_types retention_cohorts
         retention_by_segment weekly_lifecycle weekly_stickiness monthly_stickiness funnel_steps
         session_paths event_transitions spikes spike_coverage data_quality"
# the rows of a relation as sorted text; event_id left out of per-row ones
rows_of() {
    local node=$1 db=$2 rel=$3
    on "$node" "$db" -c "COPY (SELECT (to_jsonb(t) - 'event_id')::text FROM $rel t ORDER BY 1) TO STDOUT"
}
# compare_all LABEL: every global table against the single node's
compare_all() {
    local label=$1 t differ="" n
    for t in $REPORTS; do
        if ! cmp -s <(rows_of 0 single "ritual.$t") <(rows_of 0 coord "ritual.$t"); then
            differ="$differ $t"
        fi
    done
    for t in enriched_events clean_events users sessions; do
        if ! cmp -s <(rows_of 0 single "ritual.$t") <(rows_of 0 coord "ritual_cluster.$t"); then
            differ="$differ ritual_cluster.$t"
        fi
    done
    n=$(on 0 single -c "SELECT count(*) FROM ritual.daily_activity_by_segment")
    if [ -z "$differ" ] && [ "$n" -gt 0 ]; then
        pass "$label: the 14 reports and the 4 per-row tables equal the single node's"
    else
        fail "$label: the 14 reports and the 4 per-row tables equal the single node's" "differ:$differ"
    fi
}

# build_both KIND: build_reports (refresh_reports) on the single node and
# build_global_reports (refresh_global_reports) on the coordinator; their
# counts must be the same
build_both() {
    local kind=$1 single_counts global_counts
    single_counts=$(on 0 single -c "SELECT report || '=' || row_count FROM ritual.${kind}_reports(reference_time => '$REFERENCE')")
    global_counts=$(on 0 coord -c "SELECT report || '=' || row_count FROM ritual.${kind}_global_reports(reference_time => '$REFERENCE')")
    if [ -n "$global_counts" ] && [ "$single_counts" = "$global_counts" ]; then
        pass "$kind: the global $kind's counts are the single node's"
    else
        fail "$kind: the global $kind's counts are the single node's" "$(diff <(echo "$single_counts") <(echo "$global_counts") | head -20)"
    fi
    note "$(tr '\n' ' ' <<<"$global_counts")"
}
build_both build
compare_all "build"

# the report page reads the coordinator as a single node's
page=$(on 0 coord -c "SELECT ritual.dashboard_html()" 2>&1)
if grep -q 'data-source="report_builds daily_activity"' <<<"$page" && grep -q '</html>' <<<"$page"; then
    pass "the report page draws the global reports"
else
    fail "the report page draws the global reports" "$(head -c 300 <<<"$page")"
fi

# a drill-down to one user reads one worker; per-user aggregates run there
user=$(on 0 single -c "SELECT user_id FROM ritual.users ORDER BY user_id LIMIT 1 OFFSET 100")
shard=$(on 0 coord -c "SELECT ritual.user_shard($user, 3)")
plan=$(on 0 coord -c "EXPLAIN (COSTS OFF) SELECT * FROM ritual_cluster.enriched_events WHERE user_id = $user")
if [ "$(grep -c 'Foreign Scan' <<<"$plan")" = 1 ] && grep -q "enriched_events_w$shard" <<<"$plan"; then
    pass "a drill-down to user $user reads worker w$shard only"
else
    fail "a drill-down to user $user reads worker w$shard only" "$plan"
fi
plan=$(on 0 coord -c "SET enable_partitionwise_aggregate = on" \
    -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT user_id, count(*) FROM ritual_cluster.clean_events GROUP BY user_id")
if [ "$(grep -c 'Async Foreign Scan' <<<"$plan")" = 3 ] \
    && [ "$(grep -c 'Remote SQL: SELECT user_id, count(\*) FROM ritual.enriched_events WHERE ((flags = 0)) GROUP BY' <<<"$plan")" = 3 ]; then
    pass "a per-user aggregate runs on the three workers at once"
else
    fail "a per-user aggregate runs on the three workers at once" "$plan"
fi
a=$(on 0 single -c "SELECT md5(string_agg(user_id || ':' || n, ',' ORDER BY user_id)) FROM (SELECT user_id, count(*) AS n FROM ritual.clean_events GROUP BY 1) c")
b=$(on 0 coord -c "SET enable_partitionwise_aggregate = on" -c "SELECT md5(string_agg(user_id || ':' || n, ',' ORDER BY user_id)) FROM (SELECT user_id, count(*) AS n FROM ritual_cluster.clean_events GROUP BY 1) c")
[ "$a" = "$b" ] && pass "and gives the single node's counts" || fail "and gives the single node's counts" "$a $b"

# new files on shards 0 and 2: the fifth events held back
on 0 lake >/dev/null <<SQL
SET client_min_messages = warning;
INSERT INTO sharded_events
SELECT user_id, event_type, event_date, ritual.user_shard(user_id, 3)
  FROM ritual.raw_events
 WHERE source_line % 5 = 0 AND ritual.user_shard(user_id, 3) IN (0, 2)
 ORDER BY source_file, source_line;
SQL
build_both refresh
compare_all "refresh"
kinds=$(on 0 coord -c "SELECT string_agg(worker || ':' || kind || ':' || (raw_events > 0), ',' ORDER BY worker)
                         FROM ritual.worker_builds
                        WHERE built_at = (SELECT max(built_at) FROM ritual.global_builds)")
[ "$kinds" = "w0:incremental:true,w1:incremental:true,w2:incremental:true" ] \
    && pass "the refresh refreshed every worker, and recorded their builds" \
    || fail "the refresh refreshed every worker, and recorded their builds" "$kinds"

# the coordinator's catalogues are the deployment's: a funnel added there
# is counted by every worker at the next refresh
for db in single coord; do
    on 0 "$db" -c "INSERT INTO ritual.funnels (funnel, steps) VALUES ('journaling', ARRAY['app_opened', 'journal_entry'])"
done
build_both refresh
funnels=$(on 2 analytics -c "SELECT string_agg(funnel, ',' ORDER BY funnel) FROM ritual.funnels")
[ "$funnels" = "activation,journaling" ] && pass "the workers were given the coordinator's funnels" \
    || fail "the workers were given the coordinator's funnels" "$funnels"
compare_all "a funnel added"

# a worker stopped in the middle of its build: w1's build waits on a lock
# (it has started, and not committed), and the worker stops
snapshot() {
    local t
    for t in $REPORTS global_builds; do rows_of 0 coord "ritual.$t"; done | md5sum
}
before=$(snapshot)
on 2 analytics -c "BEGIN" -c "LOCK TABLE ritual.refresh_state" -c "SELECT pg_sleep(60)" \
    >/dev/null 2>&1 &
locker=$!
for _ in $(seq 1 100); do
    [ "$(on 2 analytics -c "SELECT count(*) FROM pg_locks
                             WHERE relation = 'ritual.refresh_state'::regclass AND granted")" = 1 ] && break
    sleep 0.1
done
on 0 coord -c "SELECT ritual.build_global_reports(reference_time => '$REFERENCE')" \
    >"$COORD/fault.out" 2>&1 &
builder=$!
waiting=""
for _ in $(seq 1 200); do
    waiting=$(on 2 analytics -c "SELECT count(*) FROM pg_stat_activity
                                  WHERE wait_event_type = 'Lock' AND query LIKE '%build_reports%'")
    [ "$waiting" = 1 ] && break
    sleep 0.1
done
[ "$waiting" = 1 ] || note "w1's build was not seen waiting"
server_ctl -D "${NODE_DIR[2]}/data" -m immediate -w stop >/dev/null
wait "$builder"
status=$?
wait "$locker" 2>/dev/null
if [ "$status" -ne 0 ] && grep -q 'worker "w1"' "$COORD/fault.out"; then
    pass "a worker stopped mid-build: the error names it"
else
    fail "a worker stopped mid-build: the error names it" "status $status: $(cat "$COORD/fault.out")"
fi
note "$(head -3 "$COORD/fault.out" | tr '\n' ' ')"
[ "$(snapshot)" = "$before" ] && pass "and the coordinator's tables are unchanged" \
    || fail "and the coordinator's tables are unchanged" "they changed"
on 0 coord -c "SELECT ritual.build_global_reports(reference_time => '$REFERENCE')" \
    >"$COORD/down.out" 2>&1
if grep -q 'worker "w1" does not answer\|worker "w1": ' "$COORD/down.out"; then
    pass "a build while it is down names it"
else
    fail "a build while it is down names it" "$(cat "$COORD/down.out")"
fi
server_ctl -D "${NODE_DIR[2]}/data" -l "${NODE_DIR[2]}/server.log" -w start >/dev/null
on 0 coord -c "SELECT ritual.build_global_reports(reference_time => '$REFERENCE')" >/dev/null \
    && pass "a build after its restart completes" || fail "a build after its restart completes" "error"
compare_all "rebuild after the fault"
# (and the comparison sees one changed cell)
on 0 coord -c "UPDATE ritual.retention_cohorts SET retained_on = retained_on + 1
                WHERE (cohort_week, week_number) = (SELECT min(cohort_week), 1 FROM ritual.retention_cohorts)"
compare_all "a changed cell" 2>&1 | grep -q '^not ok - .*differ: retention_cohorts$' \
    && pass "the comparison sees a changed cell" || fail "the comparison sees a changed cell" "it did not"

# the connection to a worker dropped while the coordinator asks it for
# the funnels' middle values: its backend ends in the middle of the answer
before=$(snapshot)
on 1 analytics -At -c "SELECT pg_get_functiondef('ritual.shard_funnel_values(jsonb)'::regprocedure)" \
    >"$COORD/funnel_values.sql"
echo ";" >>"$COORD/funnel_values.sql"
on 1 analytics -c "CREATE OR REPLACE FUNCTION ritual.shard_funnel_values(cells jsonb) RETURNS text
                   LANGUAGE sql AS 'SELECT pg_terminate_backend(pg_backend_pid())::text'"
out=$(on 0 coord -c "SELECT ritual.build_global_reports(reference_time => '$REFERENCE')" 2>&1)
if grep -q 'the global reports could not be assembled from the workers' <<<"$out" \
    && grep -q 'HINT:  The coordinator.s reports are unchanged' <<<"$out" && [ "$(snapshot)" = "$before" ]; then
    pass "a connection dropped while the coordinator reads: an error, and its tables unchanged"
else
    fail "a connection dropped while the coordinator reads: an error, and its tables unchanged" "$out"
fi
on 1 analytics -f "$COORD/funnel_values.sql" >/dev/null

# a package without its parts is refused, naming the worker
on 1 analytics -At -c "SELECT pg_get_functiondef('ritual.shard_package()'::regprocedure)" \
    >"$COORD/shard_package.sql"
echo ";" >>"$COORD/shard_package.sql"
on 1 analytics -c "CREATE OR REPLACE FUNCTION ritual.shard_package() RETURNS text
                   LANGUAGE sql AS \$\$SELECT ritual.pack_text('{\"daily_activity\": []}')\$\$"
out=$(on 0 coord -c "SELECT ritual.build_global_reports(reference_time => '$REFERENCE')" 2>&1)
grep -q 'worker "w0" sent a package without activity_counts' <<<"$out" \
    && pass "a worker's package without its parts is refused" \
    || fail "a worker's package without its parts is refused" "$out"
on 1 analytics -f "$COORD/shard_package.sql" >/dev/null

# a worker whose lake holds another shard's users is refused
on 1 analytics -c "SELECT ritual.create_raw_tables('$LAKE/events/shard=1/*.csv',
                       '$LAKE/profiles/shard=1/*.csv', replace => true)" >/dev/null
out=$(on 0 coord -c "SELECT ritual.build_global_reports(reference_time => '$REFERENCE')" 2>&1)
grep -q 'worker "w0": [0-9]* of its users belong to other shards than 0' <<<"$out" \
    && pass "a worker holding another shard's users is refused" \
    || fail "a worker holding another shard's users is refused" "$out"
on 1 analytics -c "SELECT ritual.create_raw_tables('$LAKE/events/shard=0/*.csv',
                       '$LAKE/profiles/shard=0/*.csv', replace => true)" >/dev/null

# workers that cannot serve: no ritual, another version, another schema
on 1 postgres -c 'CREATE DATABASE bare' -c 'CREATE DATABASE old' -c 'CREATE DATABASE altered'
on 1 old -c 'CREATE EXTENSION ritual' -c "UPDATE pg_extension SET extversion = '0.0.9' WHERE extname = 'ritual'"
on 1 altered -c 'CREATE EXTENSION ritual' -c 'ALTER TABLE ritual.daily_activity DROP COLUMN sessions'
on 0 postgres -c 'CREATE DATABASE coord2'
on 0 coord2 -c 'CREATE EXTENSION ritual'
refused() {
    local db=$1 expect=$2 out
    out=$(on 0 coord2 -c "SELECT ritual.add_worker('x', 0, 1, '127.0.0.1', ${NODE_PORT[1]}, '$db')" 2>&1)
    if grep -q "$expect" <<<"$out" && [ "$(on 0 coord2 -c 'SELECT count(*) FROM ritual.workers')" = 0 ]; then
        pass "a worker database $db is refused"
    else
        fail "a worker database $db is refused" "$out"
    fi
}
refused bare 'worker "x" has no ritual extension'
refused old 'worker "x" runs ritual 0.0.9, the coordinator'
refused altered 'the reporting tables of worker "x" differ'
out=$(on 0 coord2 -c "SELECT ritual.add_worker('x', 0, 1, '127.0.0.1', 1, 'analytics')" 2>&1)
grep -q 'worker "x" does not answer at 127.0.0.1:1' <<<"$out" \
    && pass "a worker that does not answer is refused" \
    || fail "a worker that does not answer is refused" "$out"
out=$(on 0 coord2 -c "SELECT ritual.build_global_reports()" 2>&1)
grep -q 'this server has no workers' <<<"$out" \
    && pass "a global build without workers says so" || fail "a global build without workers says so" "$out"

# the report reader: the global reports, nothing else, nowhere else
on 0 coord >/dev/null <<SQL
CREATE ROLE looker LOGIN;
SELECT ritual.grant_report_reader('looker');
SQL
reader() { psql -X -q -At -h "$COORD" -p "${NODE_PORT[0]}" -U looker -d coord -c "$1" 2>&1; }
out=$(reader "SELECT count(*) > 0 FROM ritual.daily_activity")
[ "$out" = t ] && pass "the reader reads the global reports" || fail "the reader reads the global reports" "$out"
for q in "SELECT 1 FROM ritual_cluster.enriched_events LIMIT 1" \
         "SELECT 1 FROM ritual_cluster.users_w0 LIMIT 1" \
         "SELECT ritual_cluster.dblink('ritual_worker_w0', 'SELECT 1')" \
         "SELECT * FROM ritual.workers" \
         "SELECT ritual.build_global_reports()" \
         "SELECT ritual.add_worker('y', 0, 3, '127.0.0.1', ${NODE_PORT[1]})"; do
    out=$(reader "$q")
    if grep -q 'permission denied' <<<"$out"; then
        pass "the reader is refused: $q"
    else
        fail "the reader is refused: $q" "$out"
    fi
done
out=$(psql -X -q -At -h "${NODE_DIR[1]}" -p "${NODE_PORT[1]}" -U looker -d analytics -c 'SELECT 1' 2>&1)
grep -q 'role "looker" does not exist' <<<"$out" \
    && pass "the reader cannot log in to a worker" || fail "the reader cannot log in to a worker" "$out"

# removing a worker leaves nothing of it
on 0 coord -c "SELECT ritual.remove_worker('w2')" >/dev/null
left=$(on 0 coord -c "SELECT (SELECT count(*) FROM pg_foreign_server WHERE srvname = 'ritual_worker_w2')
                          + (SELECT count(*) FROM pg_namespace WHERE nspname = 'ritual_worker_w2')
                          + (SELECT count(*) FROM pg_class WHERE relname LIKE '%\_w2')")
[ "$left" = 0 ] && pass "remove_worker leaves nothing of the worker" \
    || fail "remove_worker leaves nothing of the worker" "$left objects left"
out=$(on 0 coord -c "SELECT ritual.build_global_reports()" 2>&1)
grep -q 'shard 2 of 3 has no worker' <<<"$out" \
    && pass "a build with a shard missing says which" || fail "a build with a shard missing says which" "$out"

echo "scale_out: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
