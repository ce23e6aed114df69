# tests/install_duckdb.sh: install_duckdb DIR: DuckDB's Node.js client
# (npm @duckdb/node-api, the version the tests compare against) into DIR,
# with node and npm from Debian when they are missing (as root); on failure
# prints npm's last lines and returns 1.  Sourced by the tests that compare
# with DuckDB and by tests/fuzz/make_seeds.sh.

install_duckdb() {
    local dir=$1
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        if [ "$(id -u)" -eq 0 ]; then
            { apt-get update -qq && apt-get install -y -qq nodejs npm; } >/dev/null 2>&1
        fi
    fi
    mkdir -p "$dir"
    if ! (cd "$dir" && npm init -y && npm install --no-audit --no-fund @duckdb/node-api@1.5.6-r.1) \
        >"$dir/npm.log" 2>&1; then
        tail -n 20 "$dir/npm.log"
        return 1
    fi
}
