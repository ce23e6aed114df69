#!/usr/bin/env bash
# tests/dashboard.sh: the HTML dashboard (ritual.dashboard_html()) in a real
# browser.  In the cluster of tests/cluster.sh (PGHOST, PGPORT, PGUSER,
# CLUSTER_DIR exported, ritual installed; without them it starts its own),
# it builds the reports of the demo's export (tests/demo.sh) and of a
# hostile one (tests/dashboard_hostile.sql: a year, about 1,000 event types,
# markup in types and file names), has a report reader write each page with
# psql, and opens it in headless Chromium (tests/dashboard_browser.mjs): no
# console error, no request, no active content, every chart's marks equal
# the tables (tests/dashboard_expected.sql), screenshots at desktop and
# phone width not blank.  The pages and screenshots stay in
# $CLUSTER_DIR/dashboard; DASHBOARD_SCREENSHOT=FILE also copies the top of
# the demo's page there (how docs/dashboard.png is made).  Prints "ok - ..."
# lines and a last line "dashboard: N passed, M failed".
#
# Needs chromium and node; as root it installs what is missing (Debian's
# chromium and nodejs).
set -euo pipefail
cd "$(dirname "$0")/.."

DB=ritual_dashboard
HOSTILE_DB=ritual_dashboard_hostile
READER=dashboard_reader
MAX_PAGE_BYTES=$((3 * 1024 * 1024))

source tests/checks.sh
expect() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', expected '$3'"; fi
}
die() {
    fail "$*"
    checks_summary dashboard || true
    exit 1
}

# -- Chromium and node --------------------------------------------------------
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
if [ ${#need[@]} -gt 0 ]; then
    source tests/need_packages.sh
    need_packages "${need[@]}" || die "missing ${need[*]}; run as root to install them"
    hash -r
fi
pass "$(chromium --version 2>/dev/null | head -1) and node $(node --version) are there"

# -- the cluster ----------------------------------------------------------------
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
cluster_use || die "cannot start a cluster"
[ -d "$CLUSTER_DIR/data" ] || die "CLUSTER_DIR=$CLUSTER_DIR is not a cluster of tests/cluster.sh"
work="$CLUSTER_DIR/dashboard"
rm -rf "$work"
mkdir -p "$work/demo" "$work/hostile"
chmod 755 "$work"

psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS $HOSTILE_DB" \
    -c "DROP ROLE IF EXISTS $READER" -c "DROP ROLE IF EXISTS ${READER}_not" \
    -c "CREATE DATABASE $DB" -c "CREATE DATABASE $HOSTILE_DB" \
    -c "CREATE ROLE $READER LOGIN" -c "CREATE ROLE ${READER}_not LOGIN" >/dev/null \
    || die "cannot make the databases and roles"

# the hostile export builds in the background while the demo's is checked
(
    psql -X -q -v ON_ERROR_STOP=1 -d "$HOSTILE_DB" -c "SET client_min_messages = error" \
        -c "CREATE EXTENSION ritual" -f tests/dashboard_hostile.sql \
        -c "SELECT ritual.grant_report_reader('$READER')" >"$work/hostile/build.out" 2>&1
) &
hostile_build=$!

# -- the demo's export ------------------------------------------------------------
src/generator/ritual-generate --out "$work/export" --users 3000 --days 150 --spike-days 1 \
    --drop-days 1 --seed 11 >/dev/null || die "the generator failed"
chmod -R a+rX "$work/export"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v export="$work/export" >"$work/demo/build.out" 2>&1 <<SQL \
    || { cat "$work/demo/build.out" >&2; die "building the demo's reports failed"; }
SET client_min_messages = warning;
CREATE EXTENSION ritual;
\i tests/report_export.sql
SELECT ritual.grant_report_reader('$READER');
SQL
pass "reports built in database $DB from the demo's export"

# check_page DB NAME [TEXT...]: the reader writes the page of DB, the browser checks it
check_page() {
    local db=$1 name=$2 out="$work/$2" bytes status
    shift 2
    if ! psql -X -At -v ON_ERROR_STOP=1 -U "$READER" -d "$db" -c 'SELECT ritual.dashboard_html()' \
            -o "$out/page.html" 2>"$out/page.err"; then
        fail "report reader $READER writes the $name page: $(head -3 "$out/page.err")"
        return
    fi
    bytes=$(stat -c %s "$out/page.html")
    pass "report reader $READER writes the $name page ($bytes bytes) with psql"
    if [ "$bytes" -le "$MAX_PAGE_BYTES" ]; then
        pass "the $name page is at most 3 MB"
    else
        fail "the $name page is $bytes bytes, over 3 MB"
    fi
    psql -X -At -v ON_ERROR_STOP=1 -d "$db" -f tests/dashboard_expected.sql >"$out/expected.json" \
        || { fail "tests/dashboard_expected.sql failed on $db"; return; }
    set +e
    node tests/dashboard_browser.mjs "$out/page.html" "$out" "$out/expected.json" "$@" \
        >"$out/browser.out" 2>&1
    status=$?
    set -e
    sed "s/^\(not \)\{0,1\}ok - /&$name: /" "$out/browser.out" | grep -v '^dashboard_browser: '
    PASSED=$((PASSED + $(grep -c '^ok ' "$out/browser.out" || true)))
    FAILED=$((FAILED + $(grep -c '^not ok ' "$out/browser.out" || true)))
    if [ "$status" -ne 0 ] && ! grep -q '^not ok ' "$out/browser.out"; then
        fail "$name: the browser check exited with status $status"
    fi
}

check_page "$DB" demo
if [ -n "${DASHBOARD_SCREENSHOT:-}" ] && [ -f "$work/demo/dashboard-top.png" ]; then
    cp "$work/demo/dashboard-top.png" "$DASHBOARD_SCREENSHOT"
    echo "# the top of the demo's page is in $DASHBOARD_SCREENSHOT"
fi

# -- who may run it: with USAGE on the schema, only EXECUTE stands in the way ------
psql -X -q -d "$DB" -c "GRANT USAGE ON SCHEMA ritual TO ${READER}_not" >/dev/null
if psql -X -At -U "${READER}_not" -d "$DB" -c 'SELECT ritual.dashboard_html()' >/dev/null 2>"$work/not.err"; then
    fail "a role that is not a report reader could write the page"
else
    expect "a role that is not a report reader cannot run ritual.dashboard_html()" \
        "$(grep -o 'permission denied for function dashboard_html' "$work/not.err" | head -1)" \
        "permission denied for function dashboard_html"
fi
expect "PUBLIC may execute none of the dashboard's functions" \
    "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM ritual.report_functions() f
                                WHERE has_function_privilege('${READER}_not', f, 'EXECUTE')")" 0
expect "ritual.report_reader_problems('$READER') finds nothing more it could do" \
    "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM ritual.report_reader_problems('$READER')")" 0

# -- the hostile export ---------------------------------------------------------------
if wait "$hostile_build"; then
    pass "reports built in database $HOSTILE_DB from a hostile export ($(psql -X -At -d "$HOSTILE_DB" \
        -c "SELECT count(*) || ' events of ' || count(DISTINCT event_type) || ' types' FROM hostile.events"))"
    check_page "$HOSTILE_DB" hostile '<script>alert(1)</script>' '"><img src=x onerror=alert(2)>' \
        '<svg onload=alert(4)>' '"><img src=x onerror=alert(3)>.csv'
else
    cat "$work/hostile/build.out" >&2
    fail "building the hostile export's reports failed"
fi

# DASHBOARD_KEEP=1 keeps the databases and the role to look at
if [ "$FAILED" -eq 0 ] && [ -z "${DASHBOARD_KEEP:-}" ]; then
    psql -X -q -c "DROP DATABASE $DB" -c "DROP DATABASE $HOSTILE_DB" \
        -c "DROP ROLE $READER" -c "DROP ROLE ${READER}_not" >/dev/null 2>&1 || true
fi
checks_summary dashboard
