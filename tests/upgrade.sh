#!/usr/bin/env bash
# tests/upgrade.sh: a filled installation of the released version 0.1
# upgrades to the current version with nothing lost, and then equals a fresh
# install.
#
# Release 0.1 is built from the git history (tag v0.1, or its commit) into a
# private copy of the PostgreSQL installation, so that the old library and
# the old scripts run as a user had them.  A cluster made with that copy is
# filled (reports built, an ingest stream with checkpoints and rejects, a
# customised event-type catalogue, a report reader and an ingest role), then
# started with $PG_CONFIG's installation, where the current ritual is
# installed, and upgraded with ALTER EXTENSION ritual UPDATE.  Checked: every
# table of the extension holds the same rows, the roles keep their
# privileges, ingest goes on from its checkpoint, the reports rebuild, the
# reader reads, the catalog (tests/upgrade_catalog.sql) equals that of a fresh
# install, and DROP EXTENSION removes everything.
# Prints "upgrade: N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
CURRENT=$(sed -n "s/^default_version = '\([^']*\)'$/\1/p" ritual.control)

passed=0
failed=0
check() {
    local name=$1
    shift
    if "$@"; then
        echo "ok - $name"
        passed=$((passed + 1))
    else
        echo "not ok - $name"
        failed=$((failed + 1))
    fi
}
finish() {
    echo "upgrade: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

source tests/cluster.sh
if ! release=$(release_commit 0.1); then
    echo "not ok - release 0.1 can be built"
    failed=1
    finish
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ritual-upgrade.XXXXXX")
chmod 755 "$WORK"
CLUSTER_DIR=
cleanup() {
    if [ -n "$CLUSTER_DIR" ] && [ -f "$CLUSTER_DIR/data/postmaster.pid" ]; then
        server_ctl -D "$CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK" ${CLUSTER_DIR:+"$CLUSTER_DIR"}
}
trap cleanup EXIT

echo "upgrade: building release 0.1 (${release:0:12}) into a copy of the installation"
OLD_PG_CONFIG=$(copy_installation "$WORK/pg-0.1")
mkdir "$WORK/src-0.1"
git archive "$release" | tar -x -C "$WORK/src-0.1"
make -s -C "$WORK/src-0.1" PG_CONFIG="$OLD_PG_CONFIG" >"$WORK/build.log" 2>&1 \
    && make -s -C "$WORK/src-0.1" PG_CONFIG="$OLD_PG_CONFIG" install >>"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log"; echo "not ok - release 0.1 builds"; failed=1; finish; }

# the cluster, first with release 0.1's installation
NEW_PG_BIN=$($PG_CONFIG --bindir)
PG_BIN=$($OLD_PG_CONFIG --bindir)
cluster_start
files=$(share_with_server tests/data)
mkdir -p "$files/upgrade_in"
printf 'user_id,event_type,event_date\n1,app_opened,2024-01-01 10:00:00\nten,app_opened,2024-01-01 11:00:00\n2,share,2024-01-02 09:00:00\n' \
    >"$files/upgrade_in/part-1.csv"
chmod -R a+rX "$files"
[ "$(id -u)" -ne 0 ] || chown -R postgres: "$files"
export PGDATABASE=upgraded
createdb -h "$PGHOST" -p "$PGPORT" -U postgres upgraded
createdb -h "$PGHOST" -p "$PGPORT" -U postgres fresh
createdb -h "$PGHOST" -p "$PGPORT" -U postgres dependent

q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# Fills the installation the way users do.
q -v files="$files" <<'SQL'
CREATE EXTENSION ritual;
SELECT ritual.create_raw_tables(:'files' || '/sample/user_events.csv',
                                :'files' || '/sample/user_profiles.csv') \g /dev/null
-- a customised catalogue (a type added, a description changed), then the reports
INSERT INTO ritual.event_types (event_type, description) VALUES ('app_open', 'the old app''s spelling');
UPDATE ritual.event_types SET description = 'shared to a friend' WHERE event_type = 'share';
SET client_min_messages = warning;
SELECT * FROM ritual.build_reports(reference_time => '2024-07-01') \g /dev/null
RESET client_min_messages;
-- a report reader and an ingest role
CREATE ROLE looker LOGIN;
SELECT ritual.grant_report_reader('looker') \g /dev/null
CREATE ROLE ingester;
SELECT ritual.grant_ingest('ingester') \g /dev/null
-- an ingest stream: a bad row rejected, a checkpoint kept
\set incoming :files '/upgrade_in'
CREATE FOREIGN TABLE public.incoming (user_id bigint, event_type text, event_date timestamp)
  SERVER ritual_raw_files
  OPTIONS (path :'incoming', header 'true', on_error 'skip');
CREATE TABLE public.events_in (user_id bigint, event_type text, event_date timestamp);
GRANT SELECT ON public.incoming TO ingester;
GRANT SELECT, INSERT ON public.events_in TO ingester;
SET ROLE ingester;
SELECT rows, rejects FROM ritual.ingest('public.incoming', 'public.events_in') \g /dev/null
RESET ROLE;
SQL
# a user's view over clean_events, which 0.2 makes a view itself
q -d dependent <<'SQL'
CREATE EXTENSION ritual;
CREATE VIEW public.clean_days AS SELECT DISTINCT event_day FROM ritual.clean_events;
SQL
check "release 0.1 is installed" test "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'ritual'")" = 0.1

# Every table's and view's rows, and what the roles may do, as text to compare later.
snapshot() {
    q <<'SQL'
SELECT format('%s %s', c.oid::regclass,
              (xpath('/row/c/text()',
                     query_to_xml(format('SELECT count(*) || '' '' || coalesce(md5(string_agg(t::text, E''\n'' ORDER BY t::text)), '''') AS c FROM %s t',
                                         -- (sessions without the column 0.2 adds, checked below)
                                         CASE WHEN c.oid = 'ritual.sessions'::regclass
                                              THEN '(SELECT user_id, session_number, session_start, session_end, duration_seconds, events FROM ritual.sessions)'
                                              ELSE c.oid::regclass::text END), false, false, '')))[1])
  FROM pg_class c
 WHERE c.relnamespace IN ('ritual'::regnamespace, 'public'::regnamespace) AND c.relkind IN ('r', 'v')
 ORDER BY 1;
SELECT format('%s %s %s', r, c.oid::regclass,
              array_to_string(ARRAY(SELECT p FROM unnest('{SELECT,INSERT,UPDATE,DELETE}'::text[]) p
                                     WHERE has_table_privilege(r, c.oid, p)), ','))
  FROM pg_class c, unnest('{looker,ingester}'::text[]) r
 WHERE c.relnamespace = 'ritual'::regnamespace AND c.relkind IN ('r', 'v', 'f')
 ORDER BY 1;
SQL
}
snapshot >"$WORK/before.txt"
check "the filled installation has reports, a checkpoint and rejects" \
    test "$(q -c "SELECT (SELECT count(*) > 0 FROM ritual.daily_activity)
                     AND (SELECT count(*) = 1 FROM ritual.ingest_files)
                     AND (SELECT count(*) = 1 FROM ritual.ingest_rejects)
                     AND (SELECT count(*) = 2 FROM public.events_in)")" = t

# the same cluster, now with the current installation
server_ctl -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null
PG_BIN=$NEW_PG_BIN
server_ctl -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w start >/dev/null

q -c "ALTER EXTENSION ritual UPDATE" 2>"$WORK/update.err" || cat "$WORK/update.err"
check "ALTER EXTENSION ritual UPDATE reaches $CURRENT" \
    test "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'ritual'")" = "$CURRENT"

snapshot >"$WORK/after.txt"
# the user's view stops the update, named, and it goes through once dropped
update_names_dependent_view() {
    ! q -d dependent -c "ALTER EXTENSION ritual UPDATE" 2>"$WORK/dependent.err" &&
        grep -q 'other objects depend on the table: rule _RETURN on view clean_days' "$WORK/dependent.err" &&
        grep -q 'HINT:  Drop them, run ALTER EXTENSION ritual UPDATE again' "$WORK/dependent.err" &&
        q -d dependent -c "DROP VIEW public.clean_days" -c "ALTER EXTENSION ritual UPDATE" &&
        [ "$(q -d dependent -c "SELECT relkind FROM pg_class WHERE oid = 'ritual.clean_events'::regclass")" = v ]
}
check "a user's view over clean_events stops the update, which names it" update_names_dependent_view
# but for the INSERT and UPDATE on the checkpoint tables that 0.1's
# grant_ingest gave (since 0.2 ritual.ingest writes them itself), and SELECT
# on ritual.ingest_files, now granted by column, the fingerprint left out
sed -E -e 's/^(ingester ritual\.ingest_(streams|batches|rejects)) SELECT,INSERT,UPDATE$/\1 SELECT/' \
    -e 's/^(ingester ritual\.ingest_files) SELECT,INSERT,UPDATE$/\1 /' \
    "$WORK/before.txt" >"$WORK/expected-after.txt"
# (the relations 0.2 adds aside: checked below)
new_in_02='ritual\.(activity_counts|weekly_lifecycle|weekly_stickiness|monthly_stickiness|funnels|funnel_users|funnel_steps|session_paths|path_counts|user_paths|breakdown_attributes|segment_keys|user_segments|daily_activity_by_segment|retention_by_segment|segment_cohorts|segment_weeks|workers|global_builds|worker_builds|shard_cohorts|shard_tails)( |$)'
check "every table keeps its rows and every role its privileges" \
    diff -u "$WORK/expected-after.txt" <(grep -Ev "^([a-z]+ )?$new_in_02" "$WORK/after.txt")
check "the report reader of 0.1 reads the reports 0.2 adds" \
    test "$(grep -Ec "^looker ${new_in_02}SELECT$" "$WORK/after.txt")" = 7
# the lifecycle and stickiness counts the update made from 0.1's tables
activity_counts() {
    q -c "SELECT count(*) || ' ' || md5(string_agg(a::text, ',' ORDER BY kind, period, days))
            FROM ritual.activity_counts a"
}
upgraded_activity=$(activity_counts)
# and the session paths it made from 0.1's clean events
session_paths() {
    q -c "SELECT (SELECT md5(string_agg(s::text, ',' ORDER BY user_id, session_number)) FROM ritual.sessions s)
                 || (SELECT md5(string_agg(c::text, ',' ORDER BY path)) FROM ritual.path_counts c)
                 || (SELECT md5(string_agg(u::text, ',' ORDER BY user_id)) FROM ritual.user_paths u)"
}
upgraded_paths=$(session_paths)
# and the users' segments it made from 0.1's users
user_segments() {
    q -c "SELECT count(*) || ' ' || md5(string_agg(s.user_id || ':' || k.segments::text, ','
                                                   ORDER BY s.user_id))
            FROM ritual.user_segments s JOIN ritual.segment_keys k USING (segment_key)"
}
upgraded_segments=$(user_segments)
check "0.1 had given the ingest role the privileges taken back" \
    test "$(grep -c '^ingester ritual\.ingest_[a-z]* SELECT,INSERT,UPDATE$' "$WORK/before.txt")" = 4

# ingest goes on where it stopped: only the new file's rows, once
printf 'user_id,event_type,event_date\n3,app_opened,2024-01-03 08:00:00\nbad,share,2024-01-03 09:00:00\n' \
    >"$files/upgrade_in/part-2.csv"
chmod a+r "$files/upgrade_in/part-2.csv"
# rows and rejects of two more batches as the ingest role, then the totals
ingest_goes_on() {
    local got
    got=$(q -c "SET ROLE ingester;
                SELECT rows || ' ' || rejects FROM ritual.ingest('public.incoming', 'public.events_in');
                SELECT rows || ' ' || rejects FROM ritual.ingest('public.incoming', 'public.events_in');
                RESET ROLE;
                SELECT count(*) || ' ' || (SELECT count(*) FROM ritual.ingest_rejects) || ' '
                       || (SELECT count(*) FROM ritual.ingest_files)
                  FROM public.events_in" | tr '\n' '/')
    [ "$got" = "1 1/0 0/3 2 2/" ] || { echo "# got $got"; return 1; }
}
check "ingest after the upgrade takes the new file's rows once" ingest_goes_on

daily_activity() {
    q -c "SELECT md5(string_agg(d::text, ',' ORDER BY day)) FROM ritual.daily_activity d"
}
reports_rebuild_the_same() {
    local before after
    before=$(daily_activity)
    q -c "SET client_min_messages = warning" \
      -c "SELECT * FROM ritual.build_reports(reference_time => '2024-07-01')" >/dev/null
    after=$(daily_activity)
    [ -n "$before" ] && [ "$before" = "$after" ]
}
check "the reports rebuild and equal the ones built by 0.1" reports_rebuild_the_same
# "COUNT MD5" the update made ($1) against what the function $2 says now,
# after the build: the same, and not empty
same_as_built() {
    local built
    built=$($2)
    [ "${1%% *}" -gt 0 ] && [ "$1" = "$built" ] || { echo "# upgraded: $1, built: $built"; return 1; }
}
check "the update made the lifecycle and stickiness counts a build makes" \
    same_as_built "$upgraded_activity" activity_counts
check "the update made the session paths a build makes" test "$upgraded_paths" = "$(session_paths)"
check "the build after the update follows the users through the default funnel" \
    test "$(q -c "SELECT count(*) > 0 FROM ritual.funnel_steps WHERE funnel = 'activation'")" = t
check "the update gave the users the segments a build gives" \
    same_as_built "$upgraded_segments" user_segments
check "the build after the update fills the breakdowns, which add up to the totals" \
    test "$(q -c "SELECT count(*) > 0 AND sum(dau) = (SELECT 2 * sum(dau) FROM ritual.daily_activity)
                    FROM ritual.daily_activity_by_segment")" = t

reader_reads_reports_only() {
    [ "$(psql -X -At -U looker -c 'SELECT count(*) > 0 FROM ritual.daily_activity')" = t ] &&
        ! psql -X -At -U looker -c 'SELECT count(*) FROM ritual.ingest_files' 2>/dev/null
}
check "the report reader reads the reports and nothing else" reader_reads_reports_only

# the catalog of the upgraded installation equals that of a fresh one (with
# the same grants made)
q -d fresh <<'SQL'
CREATE EXTENSION ritual;
SELECT ritual.grant_report_reader('looker') \g /dev/null
SELECT ritual.grant_ingest('ingester') \g /dev/null
SQL
q -f tests/upgrade_catalog.sql >"$WORK/catalog-upgraded.txt"
q -d fresh -f tests/upgrade_catalog.sql >"$WORK/catalog-fresh.txt"
check "the catalog lists the extension's objects" \
    test "$(grep -c '^function ' "$WORK/catalog-fresh.txt")" -gt 20
check "the upgraded catalog equals a fresh install of $CURRENT" \
    diff -u "$WORK/catalog-fresh.txt" "$WORK/catalog-upgraded.txt"
# so an updated worker serves a coordinator installed fresh (docs/scale-out.md)
check "an updated installation has the columns a fresh coordinator compares" \
    test "$(q -c 'SELECT ritual.shard_schema_digest()')" = "$(q -d fresh -c 'SELECT ritual.shard_schema_digest()')"

drop_removes_everything() {
    q -c "SET client_min_messages = warning; DROP EXTENSION ritual CASCADE" &&
        [ "$(q -c "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'ritual')
                          + (SELECT count(*) FROM pg_foreign_data_wrapper WHERE fdwname = 'ritual_fdw')
                          + (SELECT count(*) FROM pg_proc WHERE probin LIKE '%ritual%')")" = 0 ]
}
check "DROP EXTENSION removes everything it made" drop_removes_everything

finish
