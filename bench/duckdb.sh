# bench/duckdb.sh: DuckDB for the benches, sourced by bench/scan.sh and
# bench/reports.sh.  duckdb_install DIR installs node and npm when they are
# missing (with apt-get, as root), then @duckdb/node-api from npm into DIR;
# it stops the bench, with npm's output, when it cannot.
duckdb_install() {
    local dir=$1
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        [ "$(id -u)" -eq 0 ] || { echo "bench: node and npm are needed" >&2; exit 1; }
        { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; } \
            || { echo "bench: could not install nodejs and npm with apt-get" >&2; exit 1; }
    fi
    mkdir -p "$dir"
    if ! (cd "$dir" && npm init -y && npm install --no-audit --no-fund @duckdb/node-api@1.5.6-r.1) \
        >"$dir/npm.log" 2>&1; then
        tail -n 20 "$dir/npm.log" >&2
        echo "bench: could not install DuckDB (@duckdb/node-api) from npm; its output is above" >&2
        exit 1
    fi
}
