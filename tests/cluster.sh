# tests/cluster.sh: start and stop a throwaway PostgreSQL cluster; sourced.
#
# PostgreSQL refuses to run as root, so as root the server runs as the
# "postgres" user that Debian's package creates.  The cluster lives in a new
# temporary directory and listens on a free port on 127.0.0.1 and on a socket
# in that directory.  After cluster_start: PGHOST, PGPORT, PGUSER,
# CLUSTER_DIR, and run_as_server (runs a command as the server's OS user).
# CLUSTER_CONF, when set, holds more lines for postgresql.conf (such as
# shared_preload_libraries), added after the ones cluster_start writes.
#
# The server's OS user may not be able to enter the clone these scripts run
# from (a clone in root's home, mode 0700): what it runs starts in a directory
# of its own, and programs and files it needs are copied out of the clone
# first (give_to_server).  tests/check.sh runs from such a clone to keep it so.

PG_BIN=${PG_BIN:-$(${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config} --bindir)}

# Run a command as the server's OS user, in $CLUSTER_DIR (or / without a
# cluster), so give it absolute paths.  PostgreSQL's programs complain "could
# not change directory" when started in a directory they cannot enter.
run_as_server() {
    (
        cd "${CLUSTER_DIR:-/}" 2>/dev/null || cd /
        if [ "$(id -u)" -eq 0 ]; then
            exec runuser -u postgres -- "$@"
        fi
        exec "$@"
    )
}

free_port() {
    local port
    for port in $(shuf -i 20000-40000 -n 50); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "cluster: no free port found" >&2
    return 1
}

cluster_start() {
    CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ritual-cluster.XXXXXX")
    chmod 755 "$CLUSTER_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$CLUSTER_DIR"
    fi
    PGPORT=$(free_port)
    run_as_server "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres -A trust \
        -E UTF8 --locale=C.UTF-8 >"$CLUSTER_DIR/initdb.log" 2>&1 \
        || { cat "$CLUSTER_DIR/initdb.log" >&2; return 1; }
    cat >>"$CLUSTER_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$CLUSTER_DIR'
fsync = off
max_parallel_workers_per_gather = 0
CONF
    if [ -n "${CLUSTER_CONF:-}" ]; then
        printf '%s\n' "$CLUSTER_CONF" >>"$CLUSTER_DIR/data/postgresql.conf"
    fi
    run_as_server "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
        -w start >/dev/null || { cat "$CLUSTER_DIR/server.log" >&2; return 1; }
    export PGHOST=$CLUSTER_DIR PGPORT PGUSER=postgres CLUSTER_DIR
}

cluster_stop() {
    if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/data" ]; then
        run_as_server "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null || true
        rm -rf "$CLUSTER_DIR"
    fi
}

# give_to_server DIR PATH...: copy files and directories into DIR (made if
# missing), which the server's OS user then owns and can write in; DIR's
# parents must let that user through.
give_to_server() {
    local dir=$1
    shift
    mkdir -p "$dir"
    cp -r "$@" "$dir"/
    chmod -R a+rX "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres: "$dir"
    fi
}

# Copy a directory where the server's OS user can read it, and write next to
# it (tests make large files with COPY ... TO); prints the copy.
share_with_server() {
    give_to_server "$CLUSTER_DIR/files" "$1"/.
    echo "$CLUSTER_DIR/files"
}
