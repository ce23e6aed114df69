# tests/duckdb.sh: DuckDB from npm (@duckdb/node-api), for the tests and
# benchmarks that compare ritual with it; sourced.
#
# duckdb_install DIR [FILE...]: node and npm from Debian when missing (as
# root), then the pinned @duckdb/node-api into DIR (made if missing), and
# the given scripts copied there, where node finds the package.  On failure
# it prints the reason and the end of npm's output, and returns 1.
DUCKDB_NODE_API=@duckdb/node-api@1.5.6-r.1

duckdb_install() {
    local dir=$1
    shift
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        if [ "$(id -u)" -eq 0 ]; then
            { apt-get update -qq && apt-get install -y -qq nodejs npm; } >/dev/null 2>&1
        fi
        if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
            echo "node and npm are missing (as root they are installed with apt-get)"
            return 1
        fi
    fi
    mkdir -p "$dir"
    [ $# -eq 0 ] || cp "$@" "$dir/"
    if ! (cd "$dir" && npm init -y && npm install --no-audit --no-fund "$DUCKDB_NODE_API") \
        >"$dir/npm.log" 2>&1; then
        tail -n 20 "$dir/npm.log"
        echo "DuckDB ($DUCKDB_NODE_API) could not be installed from npm (output above)"
        return 1
    fi
}
