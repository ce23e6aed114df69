#!/usr/bin/env bash
# bench/scale.sh: a global build on 1, 2 and 3 workers against a single
# node's build of the same export (docs/scale-out.md).
#
#   bash bench/scale.sh [--events N] [--rounds N]
#
# A generated export of N events (default 2,000,000), 180 days, seed 5, is
# laid out three times by ritual's INSERT with partition_by and
# ritual.user_shard: as 1, 2 and 3 shards.  Four clusters run on this
# machine: the coordinator (whose cluster also holds the single node) and
# three workers, all with the same settings.  Each round, for the single
# node and for 1, 2 and 3 workers (the workers of a deployment read their
# shards of that deployment's lake):
#   - the single node: ritual.build_reports over its shard=0 of the
#     1-shard lake (the whole export), timed;
#   - a deployment of k workers: ritual.build_global_reports, timed, with
#     the coordinator's own assembly time (ritual.global_builds), and the
#     bytes that crossed the loopback interface during it (every byte
#     between the servers, and the few of psql) against the size of the
#     raw lake's files.
# Before each timed build every server checkpoints and waits for its
# autovacuum workers to finish, so that no build pays for the one before.
# Every global build is checked against the single node's (the same rows
# in every report but data_quality, whose rows per file follow each lake's
# files), so that the comparison is honest.  Prints medians and
# ratios.  This machine's cores are shared by all the servers: with 2
# cores, 3 workers have fewer cores than processes.  Not part of the test
# suite: timings depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

events=2000000
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --events) events=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        *) echo "usage: bash bench/scale.sh [--events N] [--rounds N]" >&2; exit 2 ;;
    esac
done

bash tests/setup.sh >/dev/null
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
NODE_DIR=()
NODE_PORT=()
stop_all() {
    local d
    for d in "${NODE_DIR[@]}"; do
        server_ctl -D "$d/data" -m fast -w stop >/dev/null 2>&1 || true
        rm -rf "$d"
    done
}
trap stop_all EXIT
conf="shared_buffers = '512MB'
work_mem = '64MB'
maintenance_work_mem = '256MB'
max_wal_size = '4GB'
wal_level = minimal
max_wal_senders = 0"
for n in 0 1 2 3; do
    CLUSTER_CONF="$conf" cluster_start
    NODE_DIR[n]=$CLUSTER_DIR
    NODE_PORT[n]=$PGPORT
done
unset PGHOST PGPORT CLUSTER_DIR
export PGOPTIONS="-c client_min_messages=warning"
on() {
    local node=$1 db=$2
    shift 2
    psql -X -q -At -v ON_ERROR_STOP=1 -h "${NODE_DIR[node]}" -p "${NODE_PORT[node]}" -U postgres \
        -d "$db" "$@"
}
lo_bytes() { awk '$1 == "lo:" { print $2 }' /proc/net/dev; }
# before each timed build: the last build's pages written and its tables'
# autovacuum done, on every server, so that no build pays for another's
settle() {
    local n busy
    for n in 0 1 2 3; do
        on "$n" postgres -c 'CHECKPOINT'
    done
    for _ in $(seq 1 600); do
        busy=0
        for n in 0 1 2 3; do
            busy=$((busy + $(on "$n" postgres -c "SELECT count(*) FROM pg_stat_activity
                                                   WHERE backend_type = 'autovacuum worker'")))
        done
        [ "$busy" -eq 0 ] && return
        sleep 0.5
    done
}

data=${NODE_DIR[0]}/bench
make -s src/generator/ritual-generate >/dev/null
stage=$(mktemp -d)
src/generator/ritual-generate --out "$stage/export" --target-events "$events" --days 180 --seed 5 \
    --events-files 4 --spike-days 1 --drop-days 1 >/dev/null
reference=$(sed -n 's/^  "reference_time": "\(.*\)",$/\1/p' "$stage/export/manifest.json")
mkdir -p "$stage"/lake{1,2,3}/{events,profiles}
give_to_server "$data" "$stage/export" "$stage/lake1" "$stage/lake2" "$stage/lake3"
rm -rf "$stage"
echo "# $(tail -n +2 -q "$data"/export/user_events_*.csv | wc -l) event rows, reference time $reference"

# the three lakes, laid out by ritual
on 0 postgres -c 'CREATE DATABASE lake' -c 'CREATE DATABASE single' -c 'CREATE DATABASE coord'
on 0 lake -c 'CREATE EXTENSION ritual' \
    -c "SELECT ritual.create_raw_tables('$data/export/user_events_*.csv', '$data/export/user_profiles.csv')"
for k in 1 2 3; do
    start=$(date +%s.%N)
    on 0 lake >/dev/null <<SQL
CREATE FOREIGN TABLE events_$k (user_id bigint, event_type text, event_date timestamp, shard integer)
  SERVER ritual_raw_files OPTIONS (path '$data/lake$k/events', partition_by 'shard', header 'true');
CREATE FOREIGN TABLE profiles_$k (user_id bigint, signup_date date, country text, platform text,
                                  shard integer)
  SERVER ritual_raw_files OPTIONS (path '$data/lake$k/profiles', partition_by 'shard', header 'true');
INSERT INTO events_$k SELECT user_id, event_type, event_date, ritual.user_shard(user_id, $k)
  FROM ritual.raw_events ORDER BY source_file, source_line;
INSERT INTO profiles_$k SELECT user_id, signup_date, country, platform, ritual.user_shard(user_id, $k)
  FROM ritual.raw_profiles ORDER BY source_file, source_line;
SQL
    echo "# laid out as $k shard(s) in $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)") s:" \
        "$(du -sb "$data/lake$k" | cut -f1) bytes"
done
lake_bytes=$(du -sb "$data/lake1" | cut -f1)

on 0 single -c 'CREATE EXTENSION ritual' \
    -c "SELECT ritual.create_raw_tables('$data/lake1/events/shard=0/*.csv', '$data/lake1/profiles/shard=0/*.csv')" >/dev/null
for n in 1 2 3; do
    on "$n" postgres -c 'CREATE DATABASE analytics'
    on "$n" analytics -c 'CREATE EXTENSION ritual'
done
on 0 coord -c 'CREATE EXTENSION ritual'

# deploy K: workers 1..K read their shards of lake K
deploy() {
    local k=$1 n
    on 0 coord -c "SELECT ritual.remove_worker(worker) FROM ritual.workers" >/dev/null
    for n in $(seq 1 "$k"); do
        on "$n" analytics -c "SELECT ritual.create_raw_tables('$data/lake$k/events/shard=$((n - 1))/*.csv',
                                   '$data/lake$k/profiles/shard=$((n - 1))/*.csv', replace => true)" >/dev/null
        on 0 coord -c "SELECT ritual.add_worker('w$((n - 1))', $((n - 1)), $k, '127.0.0.1',
                                                ${NODE_PORT[n]}, 'analytics')" >/dev/null
    done
}

declare -A times assembly moved slowest
single_counts=""
for round in $(seq 1 "$rounds"); do
    settle
    start=$(date +%s%N)
    single_counts=$(on 0 single -c "SELECT report || '=' || row_count FROM ritual.build_reports(reference_time => '$reference')")
    times[single]+=" $((($(date +%s%N) - start) / 1000000))"
    for k in 1 2 3; do
        deploy "$k"
        settle
        before=$(lo_bytes)
        start=$(date +%s%N)
        counts=$(on 0 coord -c "SELECT report || '=' || row_count FROM ritual.build_global_reports(reference_time => '$reference')")
        times[$k]+=" $((($(date +%s%N) - start) / 1000000))"
        moved[$k]+=" $(($(lo_bytes) - before))"
        assembly[$k]+=" $(on 0 coord -c "SELECT round(assembly_seconds * 1000) FROM ritual.global_builds ORDER BY built_at DESC LIMIT 1")"
        slowest[$k]+=" $(on 0 coord -c "SELECT round(max(seconds) * 1000) FROM ritual.worker_builds
                                         WHERE built_at = (SELECT max(built_at) FROM ritual.global_builds)")"
        # (data_quality has a row per raw file and kind, and each lake has its files)
        if [ "$(grep -v '^data_quality=' <<<"$counts")" != "$(grep -v '^data_quality=' <<<"$single_counts")" ]; then
            echo "bench: the global build on $k workers differs from the single node:" >&2
            diff <(echo "$single_counts") <(echo "$counts") >&2
            exit 1
        fi
    done
    echo "# round $round: single${times[single]##* } ms; 1 worker${times[1]##* } ms; 2 workers${times[2]##* } ms; 3 workers${times[3]##* } ms"
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
single=$(median "${times[single]}")
echo "single node: build $single ms ($(grep -c . <<<"$single_counts") reports, $(sed -n 's/^enriched_events=//p' <<<"$single_counts") events)"
for k in 1 2 3; do
    t=$(median "${times[$k]}")
    a=$(median "${assembly[$k]}")
    b=$(median "${moved[$k]}")
    echo "$k worker(s): build $t ms (the slowest worker's own build $(median "${slowest[$k]}") ms), $(echo "scale=2; $single / $t" | bc)x the single node's speed;" \
         "assembly $a ms, $(echo "scale=2; 100 * $a / $single" | bc)% of a single-node build;" \
         "$b bytes moved, $(echo "scale=3; 100 * $b / $lake_bytes" | bc)% of the raw lake ($lake_bytes bytes)"
done
echo "# $(nproc) cores shared by the coordinator and the workers"
