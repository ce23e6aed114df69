#!/usr/bin/env bash
# tests/demo.sh: the main job on sample data.  Installs what is missing (as
# root, on Debian 12), builds and installs ritual, starts a throwaway
# cluster, generates a raw export with the project's generator (3000 users,
# 150 days, one spike and one drop-off day; deterministic), points ritual_fdw
# at it, builds the reporting layer, prints a short report, writes the HTML
# dashboard (ritual.dashboard_html()) to $DEMO_PAGE (by default
# ritual-demo-report.html in $TMPDIR or /tmp) and prints its path, and turns
# TLS on with a read-only role for Looker Studio.  With --keep the cluster
# stays up and the script says how to open the page, connect psql and Looker
# Studio, and how to stop it and remove its directory; otherwise it is
# stopped and removed (the page stays).
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

# the page outlives the cluster: it is written outside it
page=${DEMO_PAGE:-${TMPDIR:-/tmp}/ritual-demo-report.html}
psql -X -q -v ON_ERROR_STOP=1 -v export="$sample" -v page="$page" <<'SQL'
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

\echo 'Flagged rows traced to the bytes they came from, one per kind, with the value that got each flagged:'
SELECT kind, regexp_replace(source_file, '^.*/', '') AS file, source_line AS line, bad_value
  FROM ritual.flagged_examples();

\echo 'Daily active users (the daily table starts with the first signup; DAU from the first event):'
SELECT min(dau) FILTER (WHERE events > 0) AS min_dau, round(avg(dau) FILTER (WHERE events > 0)) AS avg_dau,
       max(dau) AS max_dau,
       (SELECT dau FROM ritual.daily_activity ORDER BY day DESC LIMIT 1) AS last_day_dau,
       (SELECT mau FROM ritual.daily_activity ORDER BY day DESC LIMIT 1) AS last_day_mau,
       min(day) AS first_signup, min(day) FILTER (WHERE events > 0) AS first_event_day,
       max(day) AS last_day, sum(new_users) AS signups
  FROM ritual.daily_activity;

\echo 'The DAU trend from the first event, one character a day (ritual.sparkline), months marked below:'
WITH days AS (
    SELECT day, dau FROM ritual.daily_activity
     WHERE day >= (SELECT min(day) FROM ritual.daily_activity WHERE events > 0)
)
SELECT to_char(min(day), 'YYYY-MM-DD') AS "from", ritual.sparkline(dau ORDER BY day) AS dau_trend,
       to_char(max(day), 'YYYY-MM-DD') AS "to"
  FROM days
UNION ALL
SELECT '', string_agg(CASE WHEN day - date_trunc('month', day)::date < 3
                            AND date_trunc('month', day)::date >= (SELECT min(day) FROM days)
                           THEN substr(to_char(day, 'Mon'), day - date_trunc('month', day)::date + 1, 1)
                           ELSE ' ' END, '' ORDER BY day), ''
  FROM days;

\echo 'Retention over complete cohort weeks (users with a clean event in week n after signup;'
\echo 'week 1 is the signup week, so it is activity, not a return: returns start at week 2):'
SELECT CASE WHEN week_number = 1 THEN '1 (signup week)' ELSE week_number::text END AS week,
       sum(retained_on) AS retained, sum(cohort_size) AS users,
       round(100.0 * sum(retained_on) / sum(cohort_size), 1) AS pct
  FROM ritual.retention_cohorts
 WHERE week_number IN (1, 2, 4, 8) AND cell_status = 'complete'
 GROUP BY week_number ORDER BY week_number;

\echo 'Lifecycle of the last four complete weeks (each week''s users: new, back from the week before,'
\echo 'back after a gap; and the ones who did not come back), with how many days they came:'
SELECT l.week, l.active_users AS active, l.new_users AS new, l.returning_users AS returning,
       l.resurrecting_users AS resurrecting, l.dormant_users AS dormant,
       (SELECT string_agg(s.users::text, ' ' ORDER BY s.days_active) FROM ritual.weekly_stickiness s
         WHERE s.week = l.week) AS "users on 1 .. 7 days"
  FROM ritual.weekly_lifecycle l
 WHERE l.week_status = 'complete'
 ORDER BY l.week DESC LIMIT 4;

\echo 'The activation funnel (opened, then within 7 days a ritual started, completed, a subscription),'
\echo 'over the cohorts whose 7 days have passed:'
SELECT step, event_type, sum(users) AS users,
       round(100.0 * sum(users) / sum(sum(users)) FILTER (WHERE step = 1) OVER (), 1) AS pct,
       round(avg(median_seconds_from_previous)::numeric) AS "median s from previous (avg of cohorts)"
  FROM ritual.funnel_steps WHERE funnel = 'activation' AND cohort_status = 'complete'
 GROUP BY step, event_type ORDER BY step;

\echo 'By platform: users, DAU and MAU on the last day, and week-4 retention over the complete cohorts:'
SELECT r.segment AS platform, sum(r.cohort_size) FILTER (WHERE r.week_number = 1) AS users,
       max(d.dau) AS last_dau, max(d.mau) AS last_mau,
       round(100.0 * sum(r.retained_on) FILTER (WHERE r.week_number = 4 AND r.cell_status = 'complete')
             / sum(r.cohort_size) FILTER (WHERE r.week_number = 4 AND r.cell_status = 'complete'), 1)
           AS "week 4 %"
  FROM ritual.retention_by_segment r
  LEFT JOIN ritual.daily_activity_by_segment d
    ON d.attribute = r.attribute AND d.segment IS NOT DISTINCT FROM r.segment
   AND d.day = (SELECT max(day) FROM ritual.daily_activity) AND r.week_number = 1
 WHERE r.attribute = 'platform'
 GROUP BY r.segment ORDER BY r.segment NULLS LAST;

\echo 'How sessions begin (their first three event types), the commonest paths:'
SELECT path, sessions, users, round((100 * share)::numeric, 1) AS pct
  FROM ritual.session_paths ORDER BY sessions DESC LIMIT 4;

\echo 'Most common transitions:'
SELECT prev_event_type || ' -> ' || event_type AS transition, transitions
  FROM ritual.event_transitions ORDER BY transitions DESC, 1 LIMIT 5;

\echo 'Spikes and drop-offs: the days the generator injected beside what ritual found on them'
\echo '(and any other day it found), in clean events and in DAU:'
SELECT series, judged, too_young, spikes, drop_offs
  FROM ritual.spike_coverage WHERE series IN ('events', 'dau') ORDER BY series;
WITH injected AS (
    SELECT (d ->> 'date')::date AS day, d ->> 'kind' AS kind
      FROM jsonb_array_elements(:'manifest'::jsonb -> 'injected_days') d
), found AS (
    SELECT day, series, format('%s (%s, expected %s, z %s)', kind, value, round(expected::numeric),
                               round(z::numeric, 1)) AS what
      FROM ritual.spikes WHERE series IN ('events', 'dau')
)
SELECT day, coalesce(i.kind, '-') AS injected,
       coalesce((SELECT what FROM found f WHERE f.day = d.day AND series = 'events'), 'nothing') AS found_in_events,
       coalesce((SELECT what FROM found f WHERE f.day = d.day AND series = 'dau'), 'nothing') AS found_in_dau
  FROM (SELECT day FROM injected UNION SELECT day FROM found) d
  LEFT JOIN injected i USING (day)
 ORDER BY day;

\echo 'The same as a page to look at (ritual.dashboard_html(), docs/dashboard.md):'
\pset format unaligned
\pset tuples_only on
\o :page
SELECT ritual.dashboard_html();
\o
SQL
echo "  $page"

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
    echo "Open the report page in a browser (one file, nothing fetched; mail it or attach it as it is):"
    echo "  xdg-open $page      (or: scp this-host:$page . and open it there)"
    echo "Write it again from the running cluster (any report reader may, e.g. looker):"
    echo "  psql -h $PGHOST -p $PGPORT -U postgres -XAt -c 'SELECT ritual.dashboard_html()' -o $page"
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
