#!/usr/bin/env bash
# tests/demo.sh: the main job on the bundled sample data.  Installs what is
# missing (as root, on Debian 12), builds and installs ritual, starts a
# throwaway cluster, points ritual_fdw at tests/data/sample and prints a short
# report.  With --keep the cluster stays up and the script says how to
# connect; otherwise it is stopped and removed.
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
sample=$(share_with_server tests/data/sample)

psql -X -q -v ON_ERROR_STOP=1 -v sample="$sample" <<'SQL'
\pset footer off
CREATE EXTENSION ritual;
CREATE SERVER raw_files FOREIGN DATA WRAPPER ritual_fdw
  OPTIONS (header 'true', on_error 'null');
\set events_path :sample '/user_events.csv'
\set profiles_path :sample '/user_profiles.csv'
CREATE FOREIGN TABLE user_events (
    user_id bigint, event_type text, event_date timestamp,
    source_file text OPTIONS (meta 'filename'),
    source_line bigint OPTIONS (meta 'line'),
    errors text OPTIONS (meta 'errors'))
  SERVER raw_files OPTIONS (path :'events_path');
CREATE FOREIGN TABLE user_profiles (
    user_id bigint, signup_date date, country text, platform text)
  SERVER raw_files OPTIONS (path :'profiles_path');
SET client_min_messages = warning;

\echo
\echo '== ritual demo: raw CSV files queried in place =='
\echo
SELECT count(*) AS rows_read,
       count(*) FILTER (WHERE errors IS NULL) AS clean_rows,
       count(*) FILTER (WHERE errors IS NOT NULL) AS rows_with_bad_fields,
       count(*) FILTER (WHERE user_id IS NULL) AS missing_user_id,
       count(*) FILTER (WHERE event_date IS NULL) AS missing_event_date
  FROM user_events;

\echo 'First bad rows, traced to file and line:'
SELECT regexp_replace(source_file, '^.*/', '') AS file, source_line AS line, errors
  FROM user_events WHERE errors IS NOT NULL ORDER BY source_line LIMIT 3;

\echo 'Events by type (normalised with lower(btrim())):'
SELECT lower(btrim(event_type)) AS event_type, count(*) AS events
  FROM user_events GROUP BY 1 ORDER BY 2 DESC;

\echo 'Daily active users:'
WITH dau AS (
  SELECT event_date::date AS day, count(DISTINCT user_id) AS dau
    FROM user_events WHERE user_id IS NOT NULL AND event_date IS NOT NULL
   GROUP BY 1)
SELECT min(day) AS first_day, max(day) AS last_day,
       min(dau) AS min_dau, round(avg(dau)) AS avg_dau, max(dau) AS max_dau
  FROM dau;

\echo 'Users and events by signup week and platform:'
SELECT date_trunc('week', p.signup_date)::date AS signup_week, p.platform,
       count(DISTINCT p.user_id) AS users, count(e.*) AS events
  FROM user_profiles p LEFT JOIN user_events e USING (user_id)
 GROUP BY 1, 2 ORDER BY 1, 2;
SQL

if $keep; then
    echo "The cluster is still running.  Connect with:"
    echo "  psql -h $PGHOST -p $PGPORT -U postgres"
    echo "Stop it with:"
    echo "  $( [ "$(id -u)" -eq 0 ] && echo 'runuser -u postgres -- ')$PG_BIN/pg_ctl -D $CLUSTER_DIR/data stop"
else
    echo "(Run 'bash tests/demo.sh --keep' to keep the cluster up and connect with psql.)"
fi
