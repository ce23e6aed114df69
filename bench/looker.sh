#!/usr/bin/env bash
# bench/looker.sh: how fast the reporting tables answer a Looker Studio
# dashboard.  pgbench runs the dashboard's queries (tests/jdbc/looker_queries.sql,
# Looker's shape: the custom query as a subselect, date filter, GROUP BY,
# aggregates, LIMIT) as the read-only report role, over TLS with verify-full
# and a client certificate, as Looker Studio connects; each transaction is
# one chart's query with a 28-day date range ending on one of the last 30
# days, bound as 'YYYYMMDD' parameters.  Prints p50, p95 and p99 latency per
# query and overall, and throughput.  Goal: p95 <= 10 ms at 16 clients on
# the generated sample.
#
#   bash bench/looker.sh [--clients N] [--seconds N] [--protocol extended|prepared|simple]
#                        [--users N] [--days N]
#
# Starts its own throwaway cluster (tests/cluster.sh) and removes it after.
# Not part of the test suite: timings depend on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

clients=16
seconds=30
protocol=extended
users=3000
days=150
usage() {
    echo "usage: bash bench/looker.sh [--clients N] [--seconds N] [--protocol extended|prepared|simple] [--users N] [--days N]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --clients) clients=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --protocol) protocol=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --days) days=$2; shift 2 ;;
        *) usage ;;
    esac
done
case "$protocol" in extended|prepared|simple) ;; *) usage ;; esac

bash tests/setup.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
source tests/ssl.sh
source tests/looker_pgbench.sh
PGBENCH="$PG_BIN/pgbench"
[ -x "$PGBENCH" ] || { echo "bench: pgbench not found in $PG_BIN" >&2; exit 1; }
trap cluster_stop EXIT
cluster_start
# room for the clients; the rest is the cluster's defaults
cat >>"$CLUSTER_DIR/data/postgresql.conf" <<CONF
max_connections = $((clients + 20))
CONF

work="$CLUSTER_DIR/bench"
mkdir -p "$work"
chmod 755 "$work"
export SSL_LOG="$work/openssl.log"

# the sample: the demo's export (deterministic), its reports, the report role
src/generator/ritual-generate --out "$work/export" --users "$users" --days "$days" \
    --spike-days 1 --drop-days 1 --seed 11 >/dev/null
chmod -R a+rX "$work/export"
DB=ritual_bench
ROLE=looker_bench
password=$(openssl rand -hex 16)
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB" >/dev/null
psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -v export="$work/export" -v role="$ROLE" \
     -v password="$password" <<'SQL' >"$work/build.out"
SET client_min_messages = warning;
CREATE EXTENSION ritual;
\i tests/report_export.sql
CREATE ROLE :"role" LOGIN PASSWORD :'password';
SELECT ritual.grant_report_reader(:'role') \g /dev/null
SELECT format('%s raw events, %s clean, %s users, %s days', raw_events, clean_events, users,
              (SELECT count(*) FROM ritual.daily_activity))
  FROM ritual.report_builds;
SQL
ssl_make_all "$work/tls" "$ROLE"
ssl_enable "$work/tls"
ssl_allow_role "$ROLE" "$DB" cert

# one pgbench script per query, a 28-day range ending on one of the last 30 days
looker_pgbench_scripts "$work" "$DB" "$protocol"

export PGHOST=127.0.0.1 PGUSER=$ROLE PGDATABASE=$DB PGPASSWORD=$password
export PGSSLMODE=verify-full PGSSLROOTCERT="$work/tls/server-ca.pem"
export PGSSLCERT="$work/tls/client-cert.pem" PGSSLKEY="$work/tls/client-key.pem"

# run_page PAGE: the page's queries, equally weighted (one view of the page
# runs each once), by $clients clients for $seconds; prints the figures
run_page() {
    local page=$1 names=() scripts=() name i count p50 p95 p99 tps failed_tx
    mapfile -t names < <(awk -v p="$page" '$1 == p { print $2 }' "$work/pages")
    mapfile -t scripts < <(looker_pgbench_page_scripts "$work" "$page")
    rm -rf "${work:?}/$page"
    mkdir -p "$work/$page"
    # a short warm-up, then the measured run
    "$PGBENCH" -n -M "$protocol" -c "$clients" -j 2 -T 5 "${scripts[@]}" >/dev/null 2>"$work/$page/warmup.err" \
        || { cat "$work/$page/warmup.err" >&2; return 1; }
    (cd "$work/$page" && "$PGBENCH" -n -M "$protocol" -c "$clients" -j 2 -T "$seconds" -l \
        --log-prefix=tx "${scripts[@]}" >pgbench.out 2>pgbench.err) \
        || { cat "$work/$page/pgbench.err" "$work/$page/pgbench.out" >&2; return 1; }
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$work/$page/pgbench.out")
    failed_tx=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/$page/pgbench.out")
    # log lines: client transaction latency_us script epoch epoch_us
    cat "$work/$page"/tx.* >"$work/$page/all.log"
    echo
    echo "-- $page: ${#names[@]} queries; pgbench -M $protocol -c $clients -j 2 -T $seconds"
    printf '%-26s %9s %9s %9s %9s\n' query count 'p50 ms' 'p95 ms' 'p99 ms'
    i=0
    for name in "${names[@]}"; do
        read -r count p50 p95 p99 < <(awk -v s="$i" '$4 == s { print $3 }' "$work/$page/all.log" | looker_percentiles)
        printf '%-26s %9s %9s %9s %9s\n' "$name" "$count" "$p50" "$p95" "$p99"
        i=$((i + 1))
    done
    read -r count p50 p95 p99 < <(awk '{ print $3 }' "$work/$page/all.log" | looker_percentiles)
    printf '%-26s %9s %9s %9s %9s\n' "all" "$count" "$p50" "$p95" "$p99"
    echo "throughput: ${tps%.*} queries/s; failed: ${failed_tx:-0}"
    LAST_P95=$p95
}

echo
echo "== Looker Studio queries over the reporting tables: $clients clients, TLS verify-full, client certificate =="
echo "sample: $(cat "$work/build.out")"
echo "server: PostgreSQL $(psql -X -At -U postgres -h "$CLUSTER_DIR" -d "$DB" -c 'SHOW server_version' | cut -d' ' -f1), $(nproc) CPUs (pgbench runs on the same machine)"
run_page dashboard
dashboard_p95=$LAST_P95
run_page drill-down
echo
if awk -v p="$dashboard_p95" 'BEGIN { exit !(p <= 10) }'; then
    echo "goal: dashboard p95 <= 10 ms: met ($dashboard_p95 ms)"
else
    echo "goal: dashboard p95 <= 10 ms: missed ($dashboard_p95 ms)"
fi
