#!/usr/bin/env bash
# tests/robustness.sh: cluster-level robustness checks of ritual_fdw that
# pg_regress cannot express: cancelling a scan of an endless FIFO, flat memory
# while streaming, clear errors for unreadable and vanished files, a few
# hundred scans of generated hostile files without a crash, an unterminated
# quote, a 60 MB field, and a small gzip file that expands to one 300 MB line.
#
# Needs a running cluster (tests/cluster.sh: PGHOST, PGPORT, PGUSER and
# CLUSTER_DIR exported) and the extension installed; creates and drops its own
# database.  Prints "ok - NAME" or "not ok - NAME: reason" per check, then
# "robustness: N passed, M failed"; exits non-zero if any check failed.
set -u

: "${CLUSTER_DIR:?start a cluster first: source tests/cluster.sh && cluster_start}"

DB=ritual_robust
R="$CLUSTER_DIR/robust"            # every file this script makes
LOG="$CLUSTER_DIR/server.log"
FIFO="$R/events.fifo"
EVENT_LINE='1,app_opened,2024-03-01 10:00:00'
HOSTILE_FILES=160

PASSED=0
FAILED=0
WRITER=                             # pid of the process feeding the FIFO

pass() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
fail() { echo "not ok - $1: $2"; FAILED=$((FAILED + 1)); }
note() { echo "# $*"; }

# psql on the test database; extra arguments are passed on.
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

postmaster_start() { psql -X -At -d "$DB" -c "SELECT pg_postmaster_start_time()" 2>/dev/null; }

log_size() { stat -c %s "$LOG" 2>/dev/null || echo 0; }

# Lines of the server log written after byte offset $1 that tell of a
# backend that died.
crash_lines_since() {
    [ -f "$LOG" ] || return 0
    tail -c +$(($1 + 1)) "$LOG" | grep -aE \
        'terminated by signal|server process \(PID|terminating any other active server processes|was terminated by exception'
}

# Wait up to 20 s for the server to take connections (again, after a crash).
wait_for_server() {
    local i
    for i in $(seq 100); do
        psql -X -At -d "$DB" -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

# Empty if no backend died since log offset $1 and the postmaster is the one
# that was running before the tests; otherwise why not.  A postmaster that
# survives a backend crash keeps its start time but logs the crash, so both
# are looked at.
server_health() {
    local now crashes
    wait_for_server
    crashes=$(crash_lines_since "$1" | head -2 | sed 's/^.*LOG: *//' | tr '\n' ' ')
    now=$(postmaster_start)
    if [ -n "$crashes" ]; then
        echo "server log: $crashes"
    elif [ -z "$now" ]; then
        echo "server does not answer"
    elif [ "$now" != "$START_TIME" ]; then
        echo "postmaster start time changed from $START_TIME to $now"
    fi
}

make_file_readable() {
    chmod a+r "$@"
}

# The writer that feeds the FIFO until it is killed or the reader goes away.
start_writer() {
    yes "$EVENT_LINE" >"$FIFO" 2>/dev/null &
    WRITER=$!
}

stop_writer() {
    if [ -n "$WRITER" ]; then
        kill "$WRITER" 2>/dev/null
        wait "$WRITER" 2>/dev/null
        WRITER=
    fi
    release_fifo
}

# Opening the FIFO read-write (which never blocks on Linux) and closing it
# releases a writer still waiting in open() for a reader.
release_fifo() {
    if [ -p "$FIFO" ]; then
        { :; } 3<>"$FIFO"
    fi
}

# Pid of the backend whose application_name is $1 once it runs a query;
# empty after 5 s.
wait_for_backend() {
    local pid i
    for i in $(seq 50); do
        pid=$(psql -X -At -d "$DB" -c "SELECT pid FROM pg_stat_activity
                 WHERE application_name = '$1' AND state = 'active'
                   AND query LIKE '%FROM fifo_events%'" 2>/dev/null)
        if [ -n "$pid" ]; then
            echo "$pid"
            return 0
        fi
        sleep 0.1
    done
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

sleep_until_ms() {
    local left=$(($1 - $(now_ms)))
    if [ "$left" -gt 0 ]; then
        sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
    fi
}

# On exit, however it comes: end this script's own background jobs (the
# FIFO writer, a psql), drop the database, remove the files.
cleanup() {
    local jobs_left
    jobs_left=$(jobs -p)
    if [ -n "$jobs_left" ]; then
        kill $jobs_left 2>/dev/null
    fi
    release_fifo
    wait 2>/dev/null
    dropdb --if-exists --force "$DB" 2>/dev/null
    rm -rf "$R"
}

setup() {
    rm -rf "$R"
    mkdir -p "$R" "$R/hostile"
    chmod a+rx "$R" "$R/hostile"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$R" "$R/hostile"
    fi
    dropdb --if-exists --force "$DB" 2>/dev/null
    createdb "$DB" || return 1
    mkfifo -m 644 "$FIFO" || return 1
    sql <<SQL || return 1
CREATE EXTENSION ritual;
CREATE SERVER files FOREIGN DATA WRAPPER ritual_fdw;
CREATE FOREIGN TABLE fifo_events (user_id bigint, event_type text,
    event_date timestamp) SERVER files OPTIONS (path '$FIFO');
SQL
    START_TIME=$(postmaster_start)
    [ -n "$START_TIME" ]
}

# 1. Cancelling a scan that would never end.
check_cancel_within_a_second() {
    local name=cancel_within_a_second out t0 ms pid psql_pid

    # statement_timeout
    start_writer
    t0=$(now_ms)
    out=$(timeout 20 psql -X -d "$DB" -c "SET statement_timeout = '1s'" \
        -c "SELECT count(*) FROM fifo_events" 2>&1)
    ms=$(($(now_ms) - t0))
    stop_writer
    if ! grep -q "canceling statement due to statement timeout" <<<"$out"; then
        fail $name "statement_timeout: expected a timeout error after ${ms} ms, got: $out"
        return
    fi
    if [ "$ms" -gt 3000 ]; then
        fail $name "statement_timeout of 1 s took ${ms} ms to end the query"
        return
    fi
    note "statement_timeout 1 s ended the scan after ${ms} ms"

    # pg_cancel_backend from a second session
    start_writer
    PGAPPNAME=ritual_robust_cancel timeout 20 psql -X -d "$DB" \
        -c "SET statement_timeout = '15s'" \
        -c "SELECT count(*) FROM fifo_events" >"$R/cancel.out" 2>&1 &
    psql_pid=$!
    pid=$(wait_for_backend ritual_robust_cancel)
    if [ -z "$pid" ]; then
        stop_writer
        wait "$psql_pid" 2>/dev/null
        fail $name "the scan to cancel never showed up in pg_stat_activity"
        return
    fi
    sleep 0.5
    t0=$(now_ms)
    sql -c "SELECT pg_cancel_backend($pid)" >/dev/null
    wait "$psql_pid" 2>/dev/null
    ms=$(($(now_ms) - t0))
    stop_writer
    out=$(cat "$R/cancel.out")
    if ! grep -q "canceling statement due to user request" <<<"$out"; then
        fail $name "pg_cancel_backend: expected a cancel error after ${ms} ms, got: $out"
        return
    fi
    if [ "$ms" -gt 3000 ]; then
        fail $name "pg_cancel_backend took ${ms} ms to end the query"
        return
    fi
    note "pg_cancel_backend ended the scan after ${ms} ms"

    # a pipe whose writer sends nothing, and a pipe with no writer at all:
    # the scan waits, but a cancel still ends it
    local writer
    for writer in idle none; do
        if [ $writer = idle ]; then
            sleep 60 >"$FIFO" 2>/dev/null &
            WRITER=$!
        fi
        t0=$(now_ms)
        out=$(timeout 20 psql -X -d "$DB" -c "SET statement_timeout = '1s'" \
            -c "SELECT count(*) FROM fifo_events" 2>&1)
        ms=$(($(now_ms) - t0))
        stop_writer
        if ! grep -q "canceling statement due to statement timeout" <<<"$out" ||
            [ "$ms" -gt 3000 ]; then
            fail $name "pipe with writer '$writer': expected a timeout within 3 s, got after ${ms} ms: $out"
            return
        fi
        note "statement_timeout 1 s ended the wait on a pipe with writer '$writer' after ${ms} ms"
    done
    pass $name
}

# 2. Streaming an endless file keeps the backend's memory flat.
check_memory_stays_flat() {
    local name=memory_stays_flat pid psql_pid t0 rss2s rss7s growth out
    start_writer
    PGAPPNAME=ritual_robust_mem timeout 30 psql -X -d "$DB" \
        -c "SET statement_timeout = '8s'" \
        -c "SELECT count(*) FROM fifo_events" >"$R/mem.out" 2>&1 &
    psql_pid=$!
    pid=$(wait_for_backend ritual_robust_mem)
    t0=$(now_ms)
    if [ -z "$pid" ]; then
        stop_writer
        wait "$psql_pid" 2>/dev/null
        fail $name "the scan never showed up in pg_stat_activity"
        return
    fi
    sleep_until_ms $((t0 + 2000))
    rss2s=$(rss_kb "$pid")
    sleep_until_ms $((t0 + 7000))
    rss7s=$(rss_kb "$pid")
    wait "$psql_pid" 2>/dev/null
    stop_writer
    out=$(cat "$R/mem.out")
    if [ -z "$rss2s" ] || [ -z "$rss7s" ]; then
        fail $name "could not read VmRSS of backend $pid (2 s: '${rss2s}', 7 s: '${rss7s}')"
        return
    fi
    if ! grep -q "canceling statement due to statement timeout" <<<"$out"; then
        fail $name "the scan did not run until its statement_timeout: $out"
        return
    fi
    growth=$((rss7s - rss2s))
    note "backend VmRSS at 2 s: ${rss2s} kB, at 7 s: ${rss7s} kB (growth ${growth} kB)"
    if [ "$growth" -ge 5120 ]; then
        fail $name "VmRSS grew by ${growth} kB between 2 s and 7 s"
        return
    fi
    pass $name
}

# 3. A file the server may not read.
check_unreadable_file() {
    local name=unreadable_file_is_a_clear_error f="$R/unreadable.csv" out
    printf '%s\n' "$EVENT_LINE" >"$f"
    chmod 000 "$f"
    sql -c "CREATE FOREIGN TABLE unreadable (user_id bigint, event_type text,
                event_date timestamp) SERVER files OPTIONS (path '$f')" || {
        fail $name "could not create the table"
        return
    }
    out=$(sql -c "SELECT * FROM unreadable" 2>&1)
    if ! grep -q "could not open file \"$f\".*Permission denied" <<<"$out"; then
        fail $name "expected \"could not open file \"$f\" ... Permission denied\", got: $out"
        return
    fi
    # the same file readable again reads fine: the mode was the cause
    make_file_readable "$f"
    out=$(sql -c "SELECT count(*) FROM unreadable" 2>&1)
    if [ "$out" != 1 ]; then
        fail $name "after chmod a+r expected 1 row, got: $out"
        return
    fi
    pass $name
}

# 4. A file that went away after the table was made.
check_missing_file() {
    local name=missing_file_is_a_clear_error f="$R/vanishing.csv" out
    printf '%s\n' "$EVENT_LINE" >"$f"
    make_file_readable "$f"
    sql -c "CREATE FOREIGN TABLE vanishing (user_id bigint, event_type text,
                event_date timestamp) SERVER files OPTIONS (path '$f')" || {
        fail $name "could not create the table"
        return
    }
    out=$(sql -c "SELECT count(*) FROM vanishing" 2>&1)
    if [ "$out" != 1 ]; then
        fail $name "before the delete expected 1 row, got: $out"
        return
    fi
    rm -f "$f"
    out=$(sql -c "SELECT * FROM vanishing" 2>&1)
    if ! grep -q "\"$f\" matches no file" <<<"$out"; then
        fail $name "expected \"path \"$f\" matches no file\", got: $out"
        return
    fi
    out=$(sql -c "ALTER FOREIGN TABLE vanishing OPTIONS (ADD missing_ok 'true')" \
        -c "SELECT count(*) FROM vanishing" 2>&1)
    if [ "$out" != 0 ]; then
        fail $name "with missing_ok 'true' expected 0 rows, got: $out"
        return
    fi
    pass $name
}

# Write $2 hostile files into directory $1, file i from seed 4242 + i, of
# kind i % 16.  Deterministic for a given awk.
generate_hostile_files() {
    LC_ALL=C awk -v dir="$1" -v n="$2" '
    function rnd(k) { return int(rand() * k) }
    function ch(c) { return sprintf("%c", c) }
    # a string of n copies of s, built by doubling
    function rep(s, n,    r) {
        r = ""
        while (n > 0) {
            if (n % 2) r = r s
            s = s s
            n = int(n / 2)
        }
        return r
    }
    function pick(list,    a, k) {
        k = split(list, a, "|")
        return a[1 + rnd(k)]
    }
    function eol() { return pick("\n|\n|\n|\r\n|\r") }
    function event_row() {
        return (1 + rnd(100000)) "," pick("app_opened|purchase|\"quoted, type\"|") \
            ",2024-0" (1 + rnd(9)) "-1" rnd(10) " 1" rnd(10) ":00:00"
    }
    function header() { return "user_id,event_type,event_date" eol() }
    function w(text) { printf "%s", text > path }
    function random_bytes(len,    i) {
        for (i = 0; i < len; i++) w(ch(rnd(256)))
    }
    function from_alphabet(len, alphabet,    i, k, a) {
        k = split(alphabet, a, "|")
        for (i = 0; i < len; i++) w(a[1 + rnd(k)])
    }
    function bad_utf8(    k) {
        k = rnd(9)
        if (k == 0) return ch(192) ch(175)                  # overlong "/"
        if (k == 1) return ch(237) ch(160) ch(128)          # surrogate
        if (k == 2) return ch(226) ch(130)                  # truncated
        if (k == 3) return ch(255)
        if (k == 4) return ch(128)
        if (k == 5) return ch(195) ch(169)                  # valid e-acute
        if (k == 6) return ch(240) ch(159) ch(152) ch(128)  # valid emoji
        if (k == 7) return ch(244) ch(144) ch(128) ch(128)  # beyond U+10FFFF
        return "abc"
    }
    function bom() { return ch(239) ch(187) ch(191) }
    function write_file(kind,    i, j, k, nf, rows, v) {
        if (kind == 0) {                    # random bytes, NUL included
            random_bytes(rnd(8192))
        } else if (kind == 1) {             # invalid UTF-8 in CSV shape
            if (rnd(2)) w(header())
            rows = 1 + rnd(50)
            for (i = 0; i < rows; i++) {
                nf = 1 + rnd(5)
                for (j = 0; j < nf; j++) {
                    v = ""
                    for (k = 0; k <= rnd(3); k++) v = v bad_utf8()
                    if (rnd(3) == 0) v = "\"" v "\""
                    w((j ? "," : "") v)
                }
                w(eol())
            }
        } else if (kind == 2) {             # quote soup
            from_alphabet(rnd(4096), "\"|\"|,|,|\r|\n|a|1| |\\")
        } else if (kind == 3) {             # thousands of fields per line
            rows = 1 + rnd(3)
            for (i = 0; i < rows; i++) {
                nf = 1000 + rnd(20000)
                for (j = 0; j < nf; j++)
                    w((j ? "," : "") pick("x|1||\"q\"|\"a,b\"|2024-01-01"))
                w(eol())
            }
        } else if (kind == 4) {             # a quote that is never closed
            rows = rnd(20)
            for (i = 0; i < rows; i++) w(event_row() eol())
            w((1 + rnd(9)) ",\"open" eol())
            rows = rnd(20)
            for (i = 0; i < rows; i++)
                w((1 + rnd(9)) ",no_quotes,2024-01-01" eol())
        } else if (kind == 5) {             # a field of several megabytes
            v = rep(pick("x|ab|\342\202\254|a,b|1\n2"), 1000000 + rnd(2000000))
            k = rnd(3)
            if (k == 0) w("1,\"" v "\",2024-01-01" eol())
            else if (k == 1) w(event_row() eol() "\"" v "\"" eol() event_row())
            else { gsub(/[,\n]/, "y", v); w(v eol()) }
        } else if (kind == 6) {             # byte-order marks in odd places
            w(bom() bom() header())
            rows = 1 + rnd(20)
            for (i = 0; i < rows; i++) {
                k = rnd(5)
                if (k == 0) w(bom() event_row() eol())
                else if (k == 1) w("1,\"" bom() "x\"," bom() "2024-01-01" eol())
                else if (k == 2) w(bom() "\"2\",\"y\",\"2024-01-01\"" eol())
                else if (k == 3) w("3," bom() eol())
                else w(event_row() bom() eol())
            }
        } else if (kind == 7) {             # empty
            w("")
        } else if (kind == 8) {             # only line ends
            from_alphabet(1 + rnd(1000), "\n|\r\n|\r")
        } else if (kind == 9) {             # right shape, wrong values
            if (rnd(2)) w(header())
            rows = 1 + rnd(100)
            for (i = 0; i < rows; i++)
                w(pick("99999999999999999999|-|1e5|NaN|-9223372036854775808|0x10| 1|") "," \
                    pick("x||\"\"|NULL|\\N") "," \
                    pick("2024-13-45 25:61:00|infinity|epoch|yesterday|0000-00-00|2024-02-30|") eol())
        } else if (kind == 10) {            # NUL bytes in fields and header
            w("user_id" ch(0) ",event" ch(0) "_type,event_date" eol())
            rows = 1 + rnd(30)
            for (i = 0; i < rows; i++)
                w(rnd(10) ch(0) ",\"a" ch(0) "b\"," ch(0) eol())
        } else if (kind == 11) {            # backslashes against quotes
            rows = 1 + rnd(20)
            for (i = 0; i < rows; i++)
                w(pick("1|\"\\\"\"|\\|\"a\\\"b\"|\"\\\\\"|\"x\\") "," \
                    pick("\"\\\\\\\"\"|b\\|\"\"|\"\\,\"") ",2024-01-01" eol())
            if (rnd(2)) w("\"ends with escape\\")
        } else if (kind == 12) {            # more fields than the reader allows
            w(rep("a,", 100000 + rnd(10)) "a" eol())
        } else if (kind == 13) {            # nothing but separators and quotes
            rows = 1 + rnd(5)
            for (i = 0; i < rows; i++)
                w(rep(pick(",|\"\"|\"\"\"|\",\""), 1 + rnd(5000)) eol())
        } else if (kind == 14) {            # every kind of line end, in quotes too
            rows = 1 + rnd(40)
            for (i = 0; i < rows; i++) {
                k = rnd(4)
                if (k == 0) w(event_row() eol())
                else if (k == 1) w("1,\"multi" eol() "line\",2024-01-01" eol())
                else if (k == 2) w(eol())
                else w("2,\"cr\ronly\",2024-01-01\r")
            }
        } else {                            # escaped quotes where reads split
            # One quoted field of a few megabytes with an escape (backslash)
            # and a quote at every power-of-two offset from 64 KiB on, where
            # a reader working in power-of-two chunks has to carry an escape
            # from one chunk to the next.
            v = 3000000 + rnd(2000000)
            w("\"")
            j = 1
            for (k = 65536; k < v; k *= 2) {
                w(rep(pick("x|y|z"), k - 1 - j) "\\\"")
                j = k + 1
            }
            w(rep("x", v - j) "\"" eol())
        }
    }
    BEGIN {
        for (i = 0; i < n; i++) {
            srand(4242 + i)
            path = sprintf("%s/hostile_%03d_kind%02d.csv", dir, i, i % 16)
            printf "" > path
            write_file(i % 16)
            close(path)
        }
    }'
}

# 5. Hostile files: errors are fine, a crash or a hang is not.
check_hostile_input() {
    local name=hostile_input_never_crashes dir="$R/hostile" f i v on mark out
    local health files=0 errors=0 problems=0 setup_sql=
    local -a variants=(      # table options besides path and on_error
        "delimiter ','"
        "header 'true'"
        "header 'true', match_by 'position', null 'NA'"
        "escape '\\'"
    )

    generate_hostile_files "$dir" "$HOSTILE_FILES" || {
        fail $name "awk could not generate the files"
        return
    }
    make_file_readable "$dir"/*.csv
    for v in 0 1 2 3; do
        for on in stop null skip; do
            setup_sql+="CREATE FOREIGN TABLE hostile_${v}_$on (user_id bigint,
                event_type text, event_date timestamp,
                src text OPTIONS (meta 'filename'), line bigint OPTIONS (meta 'line'),
                errs text OPTIONS (meta 'errors'))
                SERVER files OPTIONS (path '$R/none.csv', ${variants[$v]},
                    on_error '$on');
"
        done
    done
    sql <<<"$setup_sql" || {
        fail $name "could not create the tables"
        return
    }

    i=0
    for f in "$dir"/hostile_*.csv; do
        v=$(((i + i / 16) % 4))   # every kind meets every variant
        i=$((i + 1))
        files=$((files + 1))
        mark=$(log_size)
        out=$(timeout 60 psql -X -q -At -d "$DB" -v f="$f" 2>&1 <<SQL
SET statement_timeout = '20s';
ALTER FOREIGN TABLE hostile_${v}_stop OPTIONS (SET path :'f');
ALTER FOREIGN TABLE hostile_${v}_null OPTIONS (SET path :'f');
ALTER FOREIGN TABLE hostile_${v}_skip OPTIONS (SET path :'f');
\o /dev/null
SELECT count(*) FROM hostile_${v}_stop;
SELECT * FROM hostile_${v}_stop;
SELECT count(*) FROM hostile_${v}_null;
SELECT * FROM hostile_${v}_null;
SELECT count(*) FROM hostile_${v}_skip;
SELECT * FROM hostile_${v}_skip;
\o
SELECT 'still here';
SQL
        )
        errors=$((errors + $(grep -c '^ERROR:' <<<"$out")))
        health=$(server_health "$mark")
        if [ -n "$health" ] || ! grep -q '^still here$' <<<"$out" ||
            grep -qE 'connection to server was lost|server closed the connection|statement timeout|TRAP|PANIC|invalid memory alloc|out of memory' <<<"$out"; then
            problems=$((problems + 1))
            # keep the file for a reproduction; the generator is deterministic too
            cp "$f" "${TMPDIR:-/tmp}/ritual-robust-$(basename "$f")" 2>/dev/null
            note "$(basename "$f") (options ${variants[$v]}): ${health:-unexpected output:}" \
                "$(grep -aE 'ERROR|FATAL|PANIC|TRAP|lost|closed' <<<"$out" | tail -3 | tr '\n' ' ')" \
                "(copy kept as ${TMPDIR:-/tmp}/ritual-robust-$(basename "$f"))"
            if [ "$problems" -ge 5 ]; then
                note "stopping after 5 bad files"
                break
            fi
        fi
    done
    note "$files hostile files, 6 queries each: $errors errors, $problems files with a crash, hang or fatal error"
    if [ "$problems" -eq 0 ]; then
        pass $name
    else
        fail $name "$problems of $files files crashed, hung or broke the session (see above)"
    fi
}

# 6. A quote opened in the last record and never closed.
check_unterminated_quote() {
    local name=unterminated_quote_is_reported f="$R/unterminated.csv" out
    printf '1,app_opened,2024-03-01 10:00:00\n2,purchase,2024-03-02 11:00:00\n3,"app_closed,2024-03-03 12:00:00\n4,more,2024-03-04 13:00:00\n' >"$f"
    make_file_readable "$f"
    sql -c "CREATE FOREIGN TABLE unterminated (user_id bigint, event_type text,
                event_date timestamp) SERVER files OPTIONS (path '$f', on_error 'stop')" || {
        fail $name "could not create the table"
        return
    }
    out=$(sql -c "SELECT * FROM unterminated" 2>&1)
    if ! grep -qi "quote.*not closed\|not closed.*quote\|unterminated\|unclosed" <<<"$out"; then
        fail $name "on_error 'stop': expected an error about an unclosed quote, got: $out"
        return
    fi
    if ! grep -qE "line 3([^0-9]|$)" <<<"$out"; then
        fail $name "on_error 'stop': the error does not name line 3: $out"
        return
    fi
    out=$(sql -c "ALTER FOREIGN TABLE unterminated OPTIONS (SET on_error 'skip')" \
        -c "SELECT string_agg(user_id::text, ',' ORDER BY user_id) FROM unterminated" 2>&1)
    if [ "$(tail -n 1 <<<"$out")" != "1,2" ]; then
        fail $name "on_error 'skip': expected rows 1,2, got: $out"
        return
    fi
    if ! grep -q "skipped 1 bad row" <<<"$out"; then
        fail $name "on_error 'skip': expected a notice about 1 skipped row, got: $out"
        return
    fi
    pass $name
}

# 7. One 60 MB field.
check_huge_field() {
    local name=huge_field_bounded f="$R/huge.csv" size=60000000 out mark health
    { printf '"'; head -c "$size" /dev/zero | tr '\0' 'x'; printf '"'; } >"$f"
    make_file_readable "$f"
    sql -c "CREATE FOREIGN TABLE huge (payload text) SERVER files OPTIONS (path '$f')" || {
        fail $name "could not create the table"
        return
    }
    mark=$(log_size)
    out=$(timeout 60 psql -X -q -At -d "$DB" -c "SET statement_timeout = '30s'" \
        -c "SELECT length(payload) FROM huge" -c "SELECT count(*) FROM huge" 2>&1)
    health=$(server_health "$mark")
    if [ -n "$health" ]; then
        fail $name "$health"
        return
    fi
    if [ "$out" != "$size"$'\n'1 ]; then
        fail $name "expected length $size and 1 row, got: $(head -c 300 <<<"$out")"
        return
    fi
    pass $name
}

# 8. A 300 kB gzip file that expands to one 300 MB line: option
# max_record_size (64MB by default) stops the record before its buffers grow
# past it, so the backend's peak memory stays far below the line's size.
check_long_line_bounded() {
    local name=long_line_stopped_at_max_record_size f="$R/long_line.csv.gz"
    local out pid hwm psql_pid i mark health
    head -c 300000000 /dev/zero | tr '\0' 'x' | gzip -1 >"$f"
    make_file_readable "$f"
    sql -c "CREATE FOREIGN TABLE long_line (a text) SERVER files OPTIONS (path '$f')" || {
        fail $name "could not create the table"
        return
    }
    mark=$(log_size)
    # the session waits after the scan, so that its peak memory can be read
    PGAPPNAME=ritual_robust_long timeout 120 psql -X -At -d "$DB" \
        -c "SELECT length(a) FROM long_line" -c "SELECT pg_sleep(60)" \
        >"$R/long_line.out" 2>&1 &
    psql_pid=$!
    pid=
    for i in $(seq 600); do
        pid=$(psql -X -At -d "$DB" -c "SELECT pid FROM pg_stat_activity
                 WHERE application_name = 'ritual_robust_long'
                   AND query LIKE '%pg_sleep%'" 2>/dev/null)
        [ -n "$pid" ] && break
        sleep 0.1
    done
    hwm=$([ -n "$pid" ] && awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    [ -n "$pid" ] && psql -X -At -d "$DB" -c "SELECT pg_cancel_backend($pid)" >/dev/null
    wait "$psql_pid" 2>/dev/null
    out=$(cat "$R/long_line.out")
    health=$(server_health "$mark")
    if [ -n "$health" ]; then
        fail $name "$health"
        return
    fi
    if ! grep -q "is longer than max_record_size (67108864 bytes)" <<<"$out"; then
        fail $name "expected an error naming max_record_size, got: $(head -c 300 <<<"$out")"
        return
    fi
    if [ -z "$hwm" ]; then
        fail $name "could not read the peak memory (VmHWM) of the backend"
        return
    fi
    note "backend peak memory (VmHWM) after the 300 MB line: ${hwm} kB"
    if [ "$hwm" -ge 196608 ]; then
        fail $name "the backend's peak memory reached ${hwm} kB, above 3 x 64 MB"
        return
    fi
    pass $name
}

trap cleanup EXIT
trap 'exit 130' INT TERM

if ! setup; then
    echo "robustness: could not set up database $DB" >&2
    echo "robustness: 0 passed, 1 failed"
    exit 1
fi

check_cancel_within_a_second
check_memory_stays_flat
check_unreadable_file
check_missing_file
check_hostile_input
check_unterminated_quote
check_huge_field
check_long_line_bounded

echo "robustness: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
