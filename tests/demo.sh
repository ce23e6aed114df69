#!/usr/bin/env bash
# tests/demo.sh: the main job on sample data.  Installs what is missing (as
# root, on Debian 12), builds and installs ritual, starts a throwaway
# cluster, generates a raw export with the project's generator (3000 users,
# 150 days, one spike and one drop-off day; deterministic), points ritual_fdw
# at it, builds the reporting layer, prints a short report, and turns TLS on
# with a read-only role for Looker Studio.  With --keep the cluster stays up
# and the script says how to connect psql and Looker Studio, and how to stop
# it and remove its directory; otherwise it is stopped and removed.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=false
[ "${1:-}" = "--keep" ] && keep=true

bash tests/setup.sh
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
$keep || trap cluster_stop EXIT
cluster_start
sample="$CLUSTER_DIR/sample"
src/generator/ritual-generate --out "$sample" --users 3000 --days 150 \
    --spike-days 1 --drop-days 1 --seed 11
chmod -R a+rX "$sample"

psql -X -q -v ON_ERROR_STOP=1 -v export="$sample" <<'SQL'
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION ritual;
\i tests/report_export.sql

\echo
\echo '== ritual demo: the sample export, read in place and reported =='
\echo
SELECT raw_events AS rows_read, clean_events, raw_events - clean_events AS flagged,
       users, round(seconds::numeric, 2) AS build_seconds
  FROM ritual.report_builds ORDER BY built_at DESC LIMIT 1;

\echo 'Anomalies by kind (every bad row is kept, flagged and traceable), and what the generator injected:'
SELECT kind, rows, (:'manifest'::jsonb -> 'anomalies' ->> kind)::bigint AS injected
  FROM ritual.data_quality WHERE scope = 'total' ORDER BY flag_bit;

\echo 'A flagged row, traced to the bytes it came from:'
SELECT flag_names, regexp_replace(source_file, '^.*/', '') AS file, source_line AS line,
       raw_event_type, event_date
  FROM ritual.enriched_events WHERE flags <> 0 ORDER BY event_id LIMIT 3;

\echo 'Daily active users (the daily table starts with the first signup; DAU from the first event):'
SELECT min(dau) FILTER (WHERE events > 0) AS min_dau, round(avg(dau) FILTER (WHERE events > 0)) AS avg_dau,
       max(dau) AS max_dau,
       (SELECT dau FROM ritual.daily_activity ORDER BY day DESC LIMIT 1) AS last_day_dau,
       (SELECT mau FROM ritual.daily_activity ORDER BY day DESC LIMIT 1) AS last_day_mau,
       min(day) AS first_signup, min(day) FILTER (WHERE events > 0) AS first_event_day,
       max(day) AS last_day, sum(new_users) AS signups
  FROM ritual.daily_activity;

\echo 'The DAU trend from the first event, one character a day (ritual.sparkline):'
SELECT ritual.sparkline(dau ORDER BY day) AS dau_trend FROM ritual.daily_activity
 WHERE day >= (SELECT min(day) FROM ritual.daily_activity WHERE events > 0);

\echo 'Retention over complete cohort weeks (return on week n):'
SELECT week_number, sum(retained_on) AS retained, sum(cohort_size) AS users,
       round(100.0 * sum(retained_on) / sum(cohort_size), 1) AS pct
  FROM ritual.retention_cohorts
 WHERE week_number IN (1, 2, 4, 8) AND cell_status = 'complete'
 GROUP BY week_number ORDER BY week_number;

\echo 'Most common transitions:'
SELECT prev_event_type || ' -> ' || event_type AS transition, transitions
  FROM ritual.event_transitions ORDER BY transitions DESC, 1 LIMIT 5;

\echo 'Spikes and drop-offs:'
SELECT series, judged, too_young, spikes, drop_offs
  FROM ritual.spike_coverage WHERE series IN ('events', 'dau') ORDER BY series;
SELECT day, series, value, round(expected::numeric) AS expected, round(z::numeric, 1) AS z, kind
  FROM ritual.spikes WHERE series IN ('events', 'dau') ORDER BY day, series;
SELECT d ->> 'date' AS injected_day, d ->> 'kind' AS kind
  FROM jsonb_array_elements(:'manifest'::jsonb -> 'injected_days') d;
SQL

# TLS on, and a read-only role for Looker Studio and psql (docs/looker-studio.md)
source tests/ssl.sh
tls="$CLUSTER_DIR/tls"
export SSL_LOG="$CLUSTER_DIR/openssl.log"
ssl_make_all "$tls" looker
ssl_enable "$tls"
looker_password=$(openssl rand -hex 12)
psql -X -q -v ON_ERROR_STOP=1 -v password="$looker_password" <<'SQL'
SET client_min_messages = warning;
CREATE ROLE looker LOGIN PASSWORD :'password';
SELECT ritual.grant_report_reader('looker') \g /dev/null
SQL
ssl_allow_role looker postgres cert

if $keep; then
    echo "The cluster is still running.  Connect psql with:"
    echo "  psql -h $PGHOST -p $PGPORT -U postgres"
    echo "psql as the read-only role looker (TLS, client certificate):"
    echo "  PGPASSWORD=$looker_password psql \"host=127.0.0.1 port=$PGPORT dbname=postgres user=looker sslmode=verify-full sslrootcert=$tls/server-ca.pem sslcert=$tls/client-cert.pem sslkey=$tls/client-key.pem\""
    echo "Looker Studio's PostgreSQL connector (docs/looker-studio.md): host 127.0.0.1 (open"
    echo "listen_addresses and pg_hba.conf, or forward a public port, for Looker Studio to reach it),"
    echo "port $PGPORT, database postgres, user looker, password $looker_password;"
    echo "the reporting tables are in schema ritual."
    ssl_print_looker_files "$tls"
    echo "Stop it and remove all the demo made in $CLUSTER_DIR (the data, the sample export,"
    echo "the certificates) with:"
    echo "  (cd / && $( [ "$(id -u)" -eq 0 ] && echo 'runuser -u postgres -- ')$PG_BIN/pg_ctl -D $CLUSTER_DIR/data -m fast stop) && rm -rf $CLUSTER_DIR"
else
    echo "(Run 'bash tests/demo.sh --keep' to keep the cluster up and connect psql or Looker Studio.)"
fi
