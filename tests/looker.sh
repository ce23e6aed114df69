#!/usr/bin/env bash
# tests/looker.sh: the read-only path for Looker Studio, proved by a real
# JDBC client.  In the cluster of tests/cluster.sh (PGHOST, PGPORT, PGUSER,
# CLUSTER_DIR exported, ritual installed but not created; without them it
# starts its own), it makes a database, builds the reports from a generated
# export, turns TLS on (a test CA, server and client certificates; the
# cluster restarts), creates a login role with a scram password granted by
# ritual.grant_report_reader, and runs tests/jdbc/LookerClient.java with
# Debian's pgJDBC: TLS verify-full with a client certificate, metadata and
# column types, Looker-style queries compared value by value with psql, no
# raw file access, no writes.  Prints "ok - ..." lines and a last line
# "looker: N passed, M failed"; exits non-zero on any failure.
#
# Needs java, javac and /usr/share/java/postgresql.jar; as root it installs
# what is missing (default-jdk-headless, libpostgresql-jdbc-java).
set -euo pipefail
cd "$(dirname "$0")/.."

PGJDBC_JAR=${PGJDBC_JAR:-/usr/share/java/postgresql.jar}
DB=${LOOKER_DB:-ritual_looker}
ROLE=${LOOKER_ROLE:-looker_reader}

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
# expect WHAT ACTUAL EXPECTED
expect() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', expected '$3'"; fi
}
finish() {
    echo "looker: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
die() {
    not_ok "$*"
    finish || true
    exit 1
}

# -- Java and pgJDBC ------------------------------------------------------
need=()
command -v java >/dev/null && command -v javac >/dev/null || need+=(default-jdk-headless)
[ -r "$PGJDBC_JAR" ] || need+=(libpostgresql-jdbc-java)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        die "missing ${need[*]} (java, javac, $PGJDBC_JAR); run as root to install them"
    fi
    echo "looker: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache show "${need[@]}" >/dev/null 2>&1; then
        apt-get update -qq
    fi
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
        || die "apt-get install ${need[*]} failed"
    hash -r
fi
if ! command -v java >/dev/null || ! command -v javac >/dev/null; then
    die "java or javac not found after installing"
fi
[ -r "$PGJDBC_JAR" ] || die "pgJDBC not found at $PGJDBC_JAR after installing"
jdbc_version=$(dpkg-query -W -f='${Version}' libpostgresql-jdbc-java 2>/dev/null || echo "at $PGJDBC_JAR")
ok "Java $(java -version 2>&1 | head -1 | sed -E 's/.*"([^"]+)".*/\1/') and pgJDBC $jdbc_version are there"

# -- the cluster ------------------------------------------------------------
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
source tests/cluster.sh
source tests/ssl.sh
if [ -z "${CLUSTER_DIR:-}" ]; then
    # run alone: build, install and start a cluster of our own
    bash tests/setup.sh
    trap cluster_stop EXIT
    cluster_start
fi
[ -d "$CLUSTER_DIR/data" ] || die "CLUSTER_DIR=$CLUSTER_DIR is not a cluster of tests/cluster.sh"
psql -X -q -c "SELECT 1" >/dev/null || die "cannot connect to the cluster as $PGUSER"
work="$CLUSTER_DIR/looker"
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"
export SSL_LOG="$work/openssl.log"

# -- a database with the reports of a generated export ----------------------
generator=src/generator/ritual-generate
[ -x "$generator" ] || die "$generator is missing (run make)"
"$generator" --out "$work/export" --users 3000 --days 150 --spike-days 1 --drop-days 1 \
    --seed 11 >/dev/null || die "the generator failed"
chmod -R a+rX "$work/export"

psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $DB" -c "DROP ROLE IF EXISTS $ROLE" -c "CREATE DATABASE $DB" >/dev/null || die "cannot make database $DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION ritual" >/dev/null \
    || die "CREATE EXTENSION ritual failed"
if [ "$(psql -X -At -d "$DB" -c "SELECT to_regprocedure('ritual.grant_report_reader(name)') IS NOT NULL")" != t ]; then
    die "the installed ritual has no ritual.grant_report_reader: run make install"
fi
build=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -v export="$work/export" 2>"$work/build.err" <<'SQL'
SET client_min_messages = warning;
\i tests/report_export.sql
-- a table of another schema that the role must not read
CREATE TABLE public.not_for_looker AS SELECT 'secret'::text AS what;
SELECT clean_events || ' clean events of ' || raw_events FROM ritual.report_builds;
SQL
) || { cat "$work/build.err" >&2; die "building the reports failed"; }
ok "reports built in database $DB from a generated export ($build)"

# -- the read-only login role --------------------------------------------
password=$(openssl rand -hex 16)
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v role="$ROLE" -v password="$password" <<'SQL' >/dev/null \
    || die "cannot create the role $ROLE"
SET password_encryption = 'scram-sha-256';
CREATE ROLE :"role" LOGIN PASSWORD :'password';
SQL
if psql -X -At -c "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname = '$ROLE'" | grep -qx t; then
    ok "login role $ROLE has a scram-sha-256 password"
else
    not_ok "the password of $ROLE is not stored as scram-sha-256"
fi
granted=$(psql -X -At -v ON_ERROR_STOP=1 -d "$DB" -c "SELECT count(*) FROM ritual.grant_report_reader('$ROLE')" 2>&1) \
    || die "ritual.grant_report_reader('$ROLE') failed: $granted"
ok "ritual.grant_report_reader('$ROLE') granted $granted reporting tables"
problems=$(psql -X -At -d "$DB" -c "SELECT count(*) FROM ritual.report_reader_problems('$ROLE')")
expect "ritual.report_reader_problems('$ROLE') finds nothing more it could do" "$problems" 0

# -- TLS: a test CA, server and client certificates, ssl = on ----------------
ssl_make_all "$work/tls" "$ROLE" || die "making the certificates failed (see $SSL_LOG)"
ssl_make_ca "$work/rogue" "not the ritual CA" || die "making a second CA failed"
ok "made a CA, a server certificate for 127.0.0.1 and localhost, and a client certificate for $ROLE"
expect "the client key for Looker Studio is PKCS-8 PEM" \
    "$(head -1 "$work/tls/client-key.pem")" "-----BEGIN PRIVATE KEY-----"
ssl_enable "$work/tls" || die "turning TLS on failed"
expect "the cluster restarted with ssl = on" "$(psql -X -At -c 'SHOW ssl')" on
owner=$(id -un)
[ "$(id -u)" -ne 0 ] || owner=postgres
expect "the server key is mode 0600, owned by $owner" \
    "$(stat -c '%a %U' "$CLUSTER_DIR/data/server-key.pem")" "600 $owner"
ssl_allow_role "$ROLE" "$DB" cert || die "changing pg_hba.conf failed"
ok "pg_hba.conf: $ROLE only over TLS, with a scram password and a client certificate"

conninfo="host=127.0.0.1 port=$PGPORT dbname=$DB user=$ROLE sslmode=verify-full"
conninfo+=" sslrootcert=$work/tls/server-ca.pem sslcert=$work/tls/client-cert.pem sslkey=$work/tls/client-key.pem"
who=$(PGPASSWORD=$password psql -X -At -d "$conninfo" \
        -c "SELECT current_user || ' ' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1) || true
expect "psql connects as $ROLE with verify-full and the PKCS-8 PEM key" "$who" "$ROLE true"
if PGPASSWORD=$password psql -X -At -d "host=$PGHOST port=$PGPORT dbname=$DB user=$ROLE" -c "SELECT 1" >/dev/null 2>&1; then
    not_ok "$ROLE could connect through the Unix socket"
else
    ok "$ROLE cannot connect through the Unix socket"
fi

# -- the JDBC client ----------------------------------------------------------
mkdir -p "$work/classes"
javac -encoding UTF-8 -d "$work/classes" -cp "$PGJDBC_JAR" tests/jdbc/LookerClient.java \
    >"$work/javac.log" 2>&1 || { cat "$work/javac.log" >&2; die "javac failed"; }
ok "compiled tests/jdbc/LookerClient.java with $(javac -version 2>&1)"

read -r start end < <(psql -X -At -F ' ' -d "$DB" \
    -c "SELECT to_char(max(day) - 27, 'YYYYMMDD'), to_char(max(day), 'YYYYMMDD') FROM ritual.daily_activity")
tables=$(psql -X -At -d "$DB" \
    -c "SELECT string_agg(c.relname, ',') FROM ritual.report_tables() t JOIN pg_class c ON c.oid = t")
echo "# Looker's date range: @DS_START_DATE = '$start', @DS_END_DATE = '$end' (the last 28 days)"

set +e
PGPASSWORD=$password java -Dfile.encoding=UTF-8 -cp "$PGJDBC_JAR:$work/classes" LookerClient \
    --host 127.0.0.1 --port "$PGPORT" --db "$DB" --user "$ROLE" --tls "$work/tls" \
    --rogue-ca "$work/rogue/server-ca.pem" --queries tests/jdbc/looker_queries.sql \
    --start "$start" --end "$end" --tables "$tables" --psql "$(command -v psql)" \
    >"$work/jdbc.out" 2>&1
status=$?
set -e
cat "$work/jdbc.out"
jdbc_ok=$(grep -c '^ok ' "$work/jdbc.out" || true)
jdbc_failed=$(grep -c '^not ok ' "$work/jdbc.out" || true)
passed=$((passed + jdbc_ok))
failed=$((failed + jdbc_failed))
if [ "$status" -ne 0 ] && [ "$jdbc_failed" -eq 0 ]; then
    not_ok "LookerClient exited with status $status"
fi
[ "$jdbc_ok" -gt 0 ] || not_ok "LookerClient ran no check"

# LOOKER_KEEP=1 keeps the database and the role to look at
if [ "$failed" -eq 0 ] && [ -z "${LOOKER_KEEP:-}" ]; then
    psql -X -q -c "DROP DATABASE $DB" -c "DROP ROLE $ROLE" >/dev/null 2>&1 || true
fi
finish
