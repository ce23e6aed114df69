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
# RITUAL_SERVER_ENV, when set, holds NAME=VALUE words (no spaces inside a
# word) put into the environment of every server that server_ctl starts,
# such as the LD_PRELOAD of a sanitizer runtime (tests/sanitize.sh).

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

# pg_ctl as the server's OS user, with RITUAL_SERVER_ENV
server_ctl() {
    # shellcheck disable=SC2086  # the words are meant to split
    run_as_server env ${RITUAL_SERVER_ENV:-} "$PG_BIN/pg_ctl" "$@"
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
    server_ctl -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
        -w start >/dev/null || { cat "$CLUSTER_DIR/server.log" >&2; return 1; }
    export PGHOST=$CLUSTER_DIR PGPORT PGUSER=postgres CLUSTER_DIR
}

# cluster_use: the running cluster when CLUSTER_DIR is set (tests/check.sh
# started it), else a new one, the extension built and installed first,
# stopped when the shell exits
cluster_use() {
    if [ -z "${CLUSTER_DIR:-}" ]; then
        bash tests/setup.sh >/dev/null
        cluster_start || return 1
        trap cluster_stop EXIT
    fi
}

# cron_cluster_start DATABASE [LINES]: cluster_start with pg_cron preloaded
# and running its jobs in DATABASE, LINES added to postgresql.conf after;
# fails saying why when pg_cron is not installed for $PG_CONFIG.
cron_cluster_start() {
    local lib
    lib=$(${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config} --pkglibdir)
    if [ ! -f "$lib/pg_cron.so" ]; then
        echo "no pg_cron.so in $lib" >&2
        return 1
    fi
    CLUSTER_CONF="shared_preload_libraries = 'pg_cron'
cron.database_name = '$1'
${2:-}" cluster_start
}

cluster_stop() {
    if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/data" ]; then
        server_ctl -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null || true
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

# release_commit VERSION: the commit a released version was made from: its
# tag vVERSION, or else the commit src/sql/upgrades/releases.txt names.
release_commit() {
    local commit
    commit=$(git rev-parse -q --verify "refs/tags/v$1^{commit}" 2>/dev/null) ||
        commit=$(awk -v v="$1" '$1 == v { print $2 }' src/sql/upgrades/releases.txt)
    if [ -z "$commit" ] || ! git cat-file -e "$commit^{commit}" 2>/dev/null; then
        echo "release $1 (commit ${commit:-unknown}) is not in this clone's history;" \
             "a shallow clone lacks it: git fetch --unshallow" >&2
        return 1
    fi
    echo "$commit"
}

# copy_installation ROOT: a copy under ROOT of the PostgreSQL installation
# of $PG_CONFIG, for an extension build that must not reach that
# installation; prints the copy's pg_config.  PostgreSQL finds its share and
# library directories relative to its programs (Debian's build is
# relocatable), so the copy keeps the layout below the directories that the
# bin and share directories have in common.
copy_installation() {
    local root=$1 bindir sharedir incdir common=/ part
    bindir=$($PG_CONFIG --bindir)
    sharedir=$($PG_CONFIG --sharedir)
    incdir=$(dirname "$($PG_CONFIG --includedir-server)")
    for part in $(tr / ' ' <<<"$bindir"); do
        case "$sharedir/" in "$common$part/"*) common=$common$part/ ;; *) break ;; esac
    done
    bindir=$(dirname "$bindir")     # with the library directory beside it
    mkdir -p "$root/$(dirname "${bindir#"$common"}")" "$root/$(dirname "${sharedir#"$common"}")" \
             "$root/$(dirname "${incdir#"$common"}")"
    cp -a "$bindir" "$root/$(dirname "${bindir#"$common"}")/"
    cp -a "$sharedir" "$root/$(dirname "${sharedir#"$common"}")/"
    ln -s "$incdir" "$root/${incdir#"$common"}"      # headers: only read
    chmod -R a+rX "$root"
    echo "$root/${bindir#"$common"}/bin/pg_config"
}

# Copy a directory where the server's OS user can read it, and write next to
# it (tests make large files with COPY ... TO); prints the copy.
share_with_server() {
    give_to_server "$CLUSTER_DIR/files" "$1"/.
    echo "$CLUSTER_DIR/files"
}
