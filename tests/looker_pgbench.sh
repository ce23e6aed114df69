# tests/looker_pgbench.sh: the Looker Studio queries as pgbench scripts, and
# latency percentiles of pgbench's logs; sourced by bench/looker.sh and
# tests/load.sh.
# shellcheck shell=bash
#
# looker_pgbench_scripts DIR DB PROTOCOL
#     one pgbench script per query of tests/jdbc/looker_queries.sql:
#     DIR/scripts/NAME.sql.bench, and DIR/pages with a line "PAGE NAME" per
#     query.  Each transaction is the query with a 28-day date range ending
#     on one of the last 30 days of ritual.daily_activity in DB (read with
#     psql as the current connection settings say), bound as 'YYYYMMDD'
#     parameters with -M extended or prepared, as pgJDBC binds them, and
#     quoted as literals with -M simple.
# looker_pgbench_page_scripts DIR PAGE
#     the -f options of the page's scripts, one a line
# looker_percentiles
#     stdin: latencies in microseconds; prints "count p50 p95 p99", in ms

looker_pgbench_scripts() {
    local dir=$1 db=$2 protocol=$3 ranges start_case end_case page name f
    ranges=$(psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c "
        SELECT string_agg(format('when :w = %s then %s', n, to_char(d - 27, 'YYYYMMDD')), ' ' ORDER BY n)
               || '|' ||
               string_agg(format('when :w = %s then %s', n, to_char(d, 'YYYYMMDD')), ' ' ORDER BY n)
          FROM (SELECT row_number() OVER (ORDER BY day) - 1 AS n, day AS d
                  FROM (SELECT day FROM ritual.daily_activity ORDER BY day DESC LIMIT 30) last) r") \
        || return 1
    start_case=${ranges%%|*}
    end_case=${ranges#*|}
    mkdir -p "$dir/scripts"
    awk -v dir="$dir/scripts" '
        /^-- query: / { name = $3; file = dir "/" name ".sql"; next }
        /^-- page: / { print $3, name; next }
        /^--/ { next }
        name != "" { print > file }
    ' tests/jdbc/looker_queries.sql >"$dir/pages"
    while read -r page name; do
        f="$dir/scripts/$name.sql"
        {
            echo "\\set w random(0, 29)"
            echo "\\set ds_start case $start_case end"
            echo "\\set ds_end case $end_case end"
            if [ "$protocol" = simple ]; then
                # the simple protocol substitutes the text: quote it as a literal
                sed -e "s/@DS_START_DATE/':ds_start'/g" -e "s/@DS_END_DATE/':ds_end'/g" "$f"
            else
                sed -e 's/@DS_START_DATE/:ds_start/g' -e 's/@DS_END_DATE/:ds_end/g' "$f"
            fi
        } >"$f.bench"
    done <"$dir/pages"
}

looker_pgbench_page_scripts() {
    local dir=$1 page=$2 p name
    while read -r p name; do
        [ "$p" = "$page" ] || continue
        printf '%s\n' -f "$dir/scripts/$name.sql.bench"
    done <"$dir/pages"
}

looker_percentiles() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "0 - - -"; exit }
        p50 = v[int(0.50 * (NR - 1)) + 1]; p95 = v[int(0.95 * (NR - 1)) + 1]; p99 = v[int(0.99 * (NR - 1)) + 1]
        printf "%d %.2f %.2f %.2f\n", NR, p50 / 1000, p95 / 1000, p99 / 1000 }'
}
