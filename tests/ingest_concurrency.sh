#!/usr/bin/env bash
# tests/ingest_concurrency.sh: ritual.ingest with other sessions around, and
# files that change under it.  Two ingests of one pair at once (the second
# waits, or with wait => false returns at once); readers of the target see
# whole batches only; ritual.ingest_progress shows a running batch from
# another session; a REPEATABLE READ ingest whose snapshot predates another
# batch fails instead of reading twice; rewritten and truncated files under
# on_rewrite 'error', 'reingest' and 'ignore'; a record half-written when a
# batch reads it, and files_complete.
#
# Needs a running cluster (tests/cluster.sh) and the extension installed;
# makes and drops its own database.  Prints "ok - NAME" or "not ok - NAME:
# reason" per check, then "ingest_concurrency: N passed, M failed"; exits
# non-zero if any check failed.
set -u
: "${CLUSTER_DIR:?start a cluster first: source tests/cluster.sh && cluster_start}"

DB=ritual_ingest_conc
D="$CLUSTER_DIR/ingest_conc"
PASSED=0
FAILED=0
pass() { echo "ok - $1"; PASSED=$((PASSED + 1)); }
fail() { echo "not ok - $1: $2"; FAILED=$((FAILED + 1)); }
note() { echo "# $*"; }
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

cleanup() {
    local left
    left=$(jobs -p)
    [ -n "$left" ] && kill $left 2>/dev/null
    wait 2>/dev/null
    dropdb --if-exists --force "$DB" 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT

# N event lines for user ids from $2 on (no header)
event_lines() {
    awk -v n="$1" -v from="$2" 'BEGIN {
        for (i = 0; i < n; i++)
            printf "%d,app_opened,2024-01-%02d 10:%02d:00\n", from + i, 1 + i % 28, i % 60 }'
}
# a new file: header and N events from user id $3 on
new_file() {
    { echo "user_id,event_type,event_date"; event_lines "$2" "$3"; } >"$1"
    chmod a+r "$1"
}

mkdir -p "$D"/{pair,big,rr,rw,half,fresh}
chmod -R a+rX "$D"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
for t in pair big rr rw half fresh; do
    cat <<SQL
CREATE FOREIGN TABLE ${t}_raw (user_id bigint, event_type text, event_date timestamp,
    source_file text OPTIONS (meta 'filename'), source_line bigint OPTIONS (meta 'line'))
  SERVER files OPTIONS (path '$D/$t/*.csv', header 'true', on_error 'skip');
CREATE TABLE ${t} (user_id bigint, event_type text, event_date timestamp,
    source_file text, source_line bigint);
SQL
done | sql -c "CREATE EXTENSION ritual" -c "CREATE SERVER files FOREIGN DATA WRAPPER ritual_fdw" -f - \
    || { echo "ingest_concurrency: 0 passed, 1 failed"; exit 1; }

# "count distinct" of a target: rows, distinct (file, line)
counts() { sql -c "SELECT count(*) || ' ' || count(DISTINCT (source_file, source_line)) FROM $1"; }

# Wait up to 10 s until the backend with application_name $1 waits for a lock.
wait_for_lock_wait() {
    local i
    for i in $(seq 100); do
        [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1'
                        AND wait_event_type = 'Lock'")" = 1 ] && return 0
        sleep 0.1
    done
    return 1
}

# Wait up to 10 s until the backend with application_name $1 runs pg_sleep:
# what it ran before is done.
wait_for_sleep() {
    local i
    for i in $(seq 100); do
        [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1'
                        AND state = 'active' AND query LIKE '%pg_sleep%'")" = 1 ] && return 0
        sleep 0.05
    done
    return 1
}

# 1. two ingests of a pair at once, the second waiting: it reads only what
#    the first did not, here a file added while the first was not committed
check_second_waits() {
    local name=second_ingest_waits_and_reads_the_rest a b out_b waited
    new_file "$D/pair/a.csv" 1000 1
    new_file "$D/pair/b.csv" 1000 10001
    sql -c "SELECT ritual.ingest('pair_raw', 'pair')" >/dev/null    # the stream exists
    new_file "$D/pair/c.csv" 1000 20001
    PGAPPNAME=first sql -c "BEGIN" -c "SELECT batch FROM ritual.ingest('pair_raw', 'pair')" \
        -c "SELECT pg_sleep(1.5)" -c "COMMIT" >"$D/first.out" 2>&1 &
    a=$!
    wait_for_sleep first
    new_file "$D/pair/d.csv" 1000 30001    # after the first listed its files
    local start; start=$(now_ms)
    PGAPPNAME=second sql -c "SELECT batch || ' ' || files || ' ' || rows FROM ritual.ingest('pair_raw', 'pair')" \
        >"$D/second.out" 2>&1 &
    b=$!
    wait_for_lock_wait second && waited=yes || waited=no
    wait $a; wait $b
    local took=$(( $(now_ms) - start ))
    out_b=$(cat "$D/second.out")
    if [ "$waited" != yes ]; then
        fail $name "the second ingest did not wait for a lock (done in $took ms: $out_b)"
    elif [ "$(cat "$D/first.out")" != 2 ]; then
        fail $name "the first ingest: $(cat "$D/first.out")"
    elif [ "$out_b" != "3 1 1000" ]; then
        fail $name "the second took (batch files rows) '$out_b', want '3 1 1000' (d.csv alone)"
    elif [ "$(counts pair)" != "4000 4000" ]; then
        fail $name "the target has (rows distinct) $(counts pair), want 4000 4000"
    else
        pass $name
    fi
}

# 2. with wait => false the second returns at once, with a NOTICE, batch NULL
check_second_does_not_wait() {
    local name=wait_false_returns_at_once a out start took
    new_file "$D/pair/e.csv" 1000 40001
    PGAPPNAME=holder sql -c "BEGIN" -c "SELECT batch FROM ritual.ingest('pair_raw', 'pair')" \
        -c "SELECT pg_sleep(2)" -c "COMMIT" >"$D/first.out" 2>&1 &
    a=$!
    wait_for_sleep holder
    start=$(now_ms)
    out=$(psql -X -At -d "$DB" -c "SELECT coalesce(batch::text, 'NULL') || ' ' || rows FROM ritual.ingest('pair_raw', 'pair', wait => false)" 2>&1)
    took=$(( $(now_ms) - start ))
    wait $a
    if [ "$took" -gt 1000 ]; then
        fail $name "it took $took ms: $out"
    elif ! grep -qE 'NOTICE: +another ritual.ingest from (public\.)?pair_raw into (public\.)?pair is running; nothing was read' <<<"$out"; then
        fail $name "no NOTICE: $out"
    elif [ "$(tail -1 <<<"$out")" != "NULL 0" ]; then
        fail $name "it returned $(tail -1 <<<"$out"), want NULL 0"
    elif [ "$(counts pair)" != "5000 5000" ]; then
        fail $name "the target has (rows distinct) $(counts pair), want 5000 5000"
    else
        note "wait => false returned in $took ms"
        pass $name
    fi
}

# 3. the same for a pair that was never ingested: the first ingest has
#    inserted its stream row and not committed it
check_new_pair_does_not_wait() {
    local name=wait_false_returns_at_once_on_a_new_pair a out start took
    new_file "$D/fresh/a.csv" 1000 1
    PGAPPNAME=fresh_holder sql -c "BEGIN" -c "SELECT batch FROM ritual.ingest('fresh_raw', 'fresh')" \
        -c "SELECT pg_sleep(2)" -c "COMMIT" >"$D/first.out" 2>&1 &
    a=$!
    wait_for_sleep fresh_holder
    start=$(now_ms)
    out=$(psql -X -At -d "$DB" -c "SELECT coalesce(batch::text, 'NULL') || ' ' || rows FROM ritual.ingest('fresh_raw', 'fresh', wait => false)" 2>&1)
    took=$(( $(now_ms) - start ))
    wait $a
    if [ "$(counts fresh)" != "1000 1000" ]; then
        fail $name "the target has (rows distinct) $(counts fresh), want 1000 1000"
    elif [ "$took" -gt 1000 ]; then
        fail $name "it waited $took ms for the first ingest to commit, then returned: $(tr '\n' ' ' <<<"$out")"
    else
        pass $name
    fi
}

# 4. a long batch: a reader of the target sees the count before or after it,
#    never between; ritual.ingest_progress shows it from another session
check_long_batch() {
    local name_r=readers_see_whole_batches name_p=progress_shows_the_running_batch a
    local before after i
    for i in $(seq 0 7); do
        new_file "$D/big/part-$i.csv" 150000 $((i * 1000000))
    done
    before=$(sql -c "SELECT count(*) FROM big")
    sql -c "SELECT batch || ' ' || rows FROM ritual.ingest('big_raw', 'big')" >"$D/big.out" 2>&1 &
    a=$!
    # one session reads the target and the progress, over and over
    for i in $(seq 400); do
        echo "SELECT (SELECT count(*) FROM big) || '|' || coalesce((SELECT concat_ws(' ', source, target, batch, files_done, files_total, rows, bytes_done, bytes_total) FROM ritual.ingest_progress), '');"
        echo "SELECT pg_sleep(0.02);"
    done | psql -X -q -At -d "$DB" >"$D/reads.out" 2>&1 &
    local reader=$!
    wait $a
    after=$(sql -c "SELECT count(*) FROM big")
    for i in $(seq 100); do    # a read after the commit
        grep -qE "^$after\|$" "$D/reads.out" && break
        sleep 0.1
    done
    kill $reader 2>/dev/null; wait $reader 2>/dev/null
    local result; result=$(cat "$D/big.out")
    if [ "$result" != "1 1200000" ] || [ "$after" -ne $((before + 1200000)) ]; then
        fail $name_r "the batch returned '$result', the target went from $before to $after rows"
        fail $name_p "no batch"
        return
    fi
    local counts_seen between
    counts_seen=$(grep -E '^[0-9]+\|' "$D/reads.out" | cut -d'|' -f1 | sort -un | tr '\n' ' ')
    between=$(grep -E '^[0-9]+\|' "$D/reads.out" | cut -d'|' -f1 | sort -un | grep -vxE "$before|$after")
    local during; during=$(grep -cE '^[0-9]+\|.+' "$D/reads.out")
    if [ -n "$between" ]; then
        fail $name_r "a reader saw counts between $before and $after: $counts_seen"
    elif [ "$during" -lt 3 ]; then
        fail $name_r "only $during reads while the batch ran; counts seen: $counts_seen"
    elif ! grep -qE "^$before\|.+" "$D/reads.out"; then
        fail $name_r "no read saw the count before the batch while it ran"
    elif ! grep -qE "^$after\|$" "$D/reads.out"; then
        fail $name_r "no read saw the count after the batch: $counts_seen"
    else
        note "counts seen: $counts_seen in $during reads during the batch"
        pass $name_r
    fi
    # progress: source, target, batch 1, files done and rows rising
    local partial rises
    partial=$(grep -E '^[0-9]+\|big_raw big 1 [0-9]+ 8 [0-9]+ [0-9]+ [0-9]+$' "$D/reads.out" |
              awk '{ if ($6 > 0 && $6 < 1200000 && $4 < 8) n++ } END { print n + 0 }')
    rises=$(grep -E '^[0-9]+\|big_raw' "$D/reads.out" |
            awk '{ if ($6 < last || $4 < lastf) bad++; last = $6; lastf = $4 } END { print bad + 0 }')
    if [ "$partial" -lt 2 ]; then
        fail $name_p "fewer than 2 reads of a batch under way: $(grep -E '\|.+' "$D/reads.out" | head -5 | tr '\n' ';')"
    elif [ "$rises" -ne 0 ]; then
        fail $name_p "rows or files_done went down: $(grep -E '\|.+' "$D/reads.out" | tr '\n' ';')"
    elif [ -n "$(sql -c "SELECT 1 FROM ritual.ingest_progress")" ]; then
        fail $name_p "the view shows a batch after it committed"
    else
        note "progress: $(grep -E '\|.+' "$D/reads.out" | sed -n '2p;$p' | cut -d'|' -f2 | tr '\n' ';')"
        pass $name_p
    fi
}

# 5. REPEATABLE READ: an ingest whose snapshot predates another batch of the
#    pair fails with a serialization error, and the retry reads nothing twice
check_repeatable_read() {
    local name=repeatable_read_serialization_error b out
    new_file "$D/rr/a.csv" 1000 1
    sql -c "SELECT ritual.ingest('rr_raw', 'rr')" >/dev/null
    new_file "$D/rr/b.csv" 1000 10001
    # B: a snapshot, then a pause, then ingest
    PGAPPNAME=rr psql -X -At -d "$DB" -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT count(*) FROM rr" \
        -c "SELECT pg_sleep(1)" -c "SELECT batch FROM ritual.ingest('rr_raw', 'rr')" -c "COMMIT" \
        >"$D/rr.out" 2>&1 &
    b=$!
    wait_for_sleep rr
    sql -c "SELECT ritual.ingest('rr_raw', 'rr')" >/dev/null    # A takes b.csv
    wait $b
    out=$(cat "$D/rr.out")
    if ! grep -q 'could not serialize access' <<<"$out"; then
        fail $name "the second ingest did not fail: $(tr '\n' ' ' <<<"$out")"
    elif [ "$(counts rr)" != "2000 2000" ]; then
        fail $name "the target has (rows distinct) $(counts rr), want 2000 2000"
    elif [ -n "$(psql -X -At -d "$DB" -c "BEGIN ISOLATION LEVEL REPEATABLE READ" \
                   -c "SELECT batch FROM ritual.ingest('rr_raw', 'rr')" -c "COMMIT" 2>&1 | grep -v '^$' | grep -vx 'BEGIN\|COMMIT')" ]; then
        fail $name "the retry read something"
    else
        pass $name
    fi
}

# 6. a file rewritten (same size, and larger) or truncated: an error by
#    default, read again from the start with 'reingest', left be with 'ignore'
check_rewrites() {
    local name out f="$D/rw/r.csv" g="$D/rw/t.csv"
    new_file "$f" 100 1
    new_file "$g" 100 1001
    sql -c "SELECT ritual.ingest('rw_raw', 'rw')" >/dev/null

    # same size, other content
    name=rewritten_same_size_is_an_error
    { echo "user_id,event_type,event_date"; event_lines 100 1 | sed 's/app_opened/app_closed/'; } >"$f"
    out=$(psql -X -At -d "$DB" -c "SELECT ritual.ingest('rw_raw', 'rw')" 2>&1)
    if [ "$(stat -c %s "$f")" -ne "$(sql -c "SELECT size FROM ritual.ingest_files WHERE path = '$f'")" ]; then
        fail $name "the test's rewrite changed the size"
    elif ! grep -q "ERROR:.*file \"$f\" was rewritten since ritual.ingest read it" <<<"$out"; then
        fail $name "no error: $out"
    elif [ "$(sql -c "SELECT count(*) FROM rw")" != 200 ]; then
        fail $name "rows were added: $(sql -c "SELECT count(*) FROM rw")"
    else
        pass $name
    fi

    name=rewritten_larger_is_an_error
    { echo "user_id,event_type,event_date"; event_lines 150 1 | sed 's/app_opened/app_closed/'; } >"$f"
    out=$(psql -X -At -d "$DB" -c "SELECT ritual.ingest('rw_raw', 'rw')" 2>&1)
    if ! grep -q "ERROR:.*file \"$f\" was rewritten" <<<"$out"; then
        fail $name "no error: $out"
    else
        pass $name
    fi

    name=rewritten_reingest_reads_it_again
    out=$(psql -X -At -d "$DB" -c "SELECT rows FROM ritual.ingest('rw_raw', 'rw', on_rewrite => 'reingest')" 2>&1)
    local closed; closed=$(sql -c "SELECT count(*) FROM rw WHERE event_type = 'app_closed' AND source_file = '$f'")
    if [ "$(tail -1 <<<"$out")" != 150 ] || [ "$closed" != 150 ] ||
       [ "$(sql -c "SELECT count(*) FROM rw")" != 350 ] ||
       ! grep -q 'NOTICE:.*reading 1 rewritten or truncated file' <<<"$out"; then
        fail $name "ingest said '$(tr '\n' ' ' <<<"$out")', $closed rows of the new content, $(sql -c "SELECT count(*) FROM rw") in all (want 150, 350)"
    elif [ "$(sql -c "SELECT rewritten FROM ritual.ingest_log WHERE target = 'rw'::regclass ORDER BY batch DESC LIMIT 1")" != 1 ]; then
        fail $name "the log does not count the rewrite"
    else
        pass $name
    fi

    name=rewritten_ignore_skips_it
    { echo "user_id,event_type,event_date"; event_lines 150 1 | sed 's/app_opened/app_ignored/'; } >"$f"
    event_lines 10 9001 >>"$g"    # and another file grows
    out=$(psql -X -At -d "$DB" -c "SELECT rows FROM ritual.ingest('rw_raw', 'rw', on_rewrite => 'ignore')" 2>&1)
    local state; state=$(sql -c "SELECT state FROM ritual.ingest_files WHERE path = '$f'")
    if [ "$(tail -1 <<<"$out")" != 10 ] || [ "$state" != ignored ] ||
       [ "$(sql -c "SELECT count(*) FROM rw WHERE event_type = 'app_ignored'")" != 0 ]; then
        fail $name "ingest said '$(tr '\n' ' ' <<<"$out")', state '$state'"
    else
        # ignored for good: it grows, and the default on_rewrite raises nothing
        event_lines 5 9101 >>"$f"
        out=$(psql -X -At -d "$DB" -c "SELECT coalesce(batch::text, 'NULL') || ' ' || rows FROM ritual.ingest('rw_raw', 'rw')" 2>&1)
        if [ "$out" != "NULL 0" ]; then
            fail $name "the ignored file, grown, was not ignored: $(tr '\n' ' ' <<<"$out")"
        else
            pass $name
        fi
    fi

    # truncated: an error; 'reingest' reads it again; 'ignore' leaves it be
    name=truncated_error_reingest_ignore
    local before; before=$(sql -c "SELECT count(*) FROM rw")
    new_file "$g" 50 7001    # fewer bytes than were read
    out=$(psql -X -At -d "$DB" -c "SELECT ritual.ingest('rw_raw', 'rw')" 2>&1)
    if ! grep -q "ERROR:.*file \"$g\" was truncated since ritual.ingest read it" <<<"$out"; then
        fail $name "no error: $out"
        return
    fi
    out=$(psql -X -At -d "$DB" -c "SELECT rows FROM ritual.ingest('rw_raw', 'rw', on_rewrite => 'reingest')" 2>&1)
    if [ "$(tail -1 <<<"$out")" != 50 ] ||
       [ "$(sql -c "SELECT count(*) FROM rw WHERE user_id BETWEEN 7001 AND 7050")" != 50 ]; then
        fail $name "reingest said '$(tr '\n' ' ' <<<"$out")'"
        return
    fi
    new_file "$g" 20 8001
    out=$(psql -X -At -d "$DB" -c "SELECT coalesce(batch::text, 'NULL') || ' ' || rows FROM ritual.ingest('rw_raw', 'rw', on_rewrite => 'ignore')" 2>&1)
    if [ "$(tail -1 <<<"$out")" != "NULL 0" ] ||
       [ "$(sql -c "SELECT state FROM ritual.ingest_files WHERE path = '$g'")" != ignored ] ||
       [ "$(sql -c "SELECT count(*) FROM rw")" != $((before + 50)) ]; then
        fail $name "ignore said '$(tr '\n' ' ' <<<"$out")'"
    else
        pass $name
    fi
}

# 7. a record half-written when the batch reads it is held back, and the next
#    batch takes it whole; files_complete takes a last line with no line end
check_half_written() {
    local name=half_written_record_is_held_back f="$D/half/h.csv" out
    new_file "$f" 10 1
    printf '11,app_op' >>"$f"
    out=$(sql -c "SELECT rows FROM ritual.ingest('half_raw', 'half')")
    local bytes; bytes=$(sql -c "SELECT bytes FROM ritual.ingest_files WHERE path = '$f'")
    if [ "$out" != 10 ] || [ "$bytes" -ne $(( $(stat -c %s "$f") - 9 )) ]; then
        fail $name "the first batch took $out rows up to byte $bytes of $(stat -c %s "$f")"
    else
        printf 'ened,2024-01-05 10:00:00\n12,share,2024-01-06 10:00:00\n' >>"$f"
        out=$(sql -c "SELECT rows FROM ritual.ingest('half_raw', 'half')")
        local row; row=$(sql -c "SELECT user_id || ' ' || event_type || ' ' || event_date || ' ' || source_line FROM half WHERE user_id = 11")
        if [ "$out" != 2 ] || [ "$row" != "11 app_opened 2024-01-05 10:00:00 12" ]; then
            fail $name "the next batch took $out rows; the record: '$row'"
        else
            pass $name
        fi
    fi

    name=half_written_header_holds_back_the_file
    local g="$D/half/new.csv"
    printf 'user_id,event_t' >"$g"; chmod a+r "$g"
    out=$(sql -c "SELECT coalesce(batch::text, 'NULL') || ' ' || rows FROM ritual.ingest('half_raw', 'half')" 2>&1)
    printf 'ype,event_date\n21,share,2024-01-07 10:00:00\n' >>"$g"
    local out2; out2=$(sql -c "SELECT rows FROM ritual.ingest('half_raw', 'half')" 2>&1)
    if [ "$out2" != 1 ] || [ "$(sql -c "SELECT event_type FROM half WHERE user_id = 21")" != share ]; then
        fail $name "first '$out', then '$out2' rows"
    else
        pass $name
    fi

    # a file complete but for its last line end, never read before
    name=files_complete_takes_the_last_line
    local c="$D/half/complete.csv"
    { echo "user_id,event_type,event_date"; printf '31,share,2024-01-09 10:00:00'; } >"$c"
    chmod a+r "$c"
    out=$(sql -c "SELECT rows FROM ritual.ingest('half_raw', 'half', files_complete => true)")
    if [ "$out" != 1 ] ||
       [ "$(sql -c "SELECT event_type || ' ' || source_line FROM half WHERE user_id = 31")" != "share 2" ] ||
       [ "$(sql -c "SELECT bytes FROM ritual.ingest_files WHERE path = '$c'")" -ne "$(stat -c %s "$c")" ]; then
        fail $name "files_complete took $out rows"
    else
        pass $name
    fi

    # the same, once a batch without files_complete has held the line back
    name=files_complete_takes_a_line_held_back_before
    printf '13,journal_entry,2024-01-08 10:00:00' >>"$f"
    out=$(sql -c "SELECT rows FROM ritual.ingest('half_raw', 'half')")
    local out2; out2=$(sql -c "SELECT rows FROM ritual.ingest('half_raw', 'half', files_complete => true)")
    if [ "$out" != 0 ] || [ "$out2" != 1 ] ||
       [ "$(sql -c "SELECT event_type || ' ' || source_line FROM half WHERE user_id = 13")" != "journal_entry 14" ]; then
        fail $name "without files_complete: $out rows (want 0), then with it: $out2 rows (want 1)"
    else
        pass $name
    fi
    local dups; dups=$(sql -c "SELECT count(*) - count(DISTINCT (source_file, source_line)) || ' ' ||
                                      count(*) - (SELECT sum(rows) FROM ritual.ingest_files f
                                                   WHERE f.path LIKE '$D/half/%') FROM half")
    if [ "$dups" != "0 0" ]; then
        fail half_written_exactly_once "duplicates, rows beyond the checkpoint: $dups"
    else
        pass half_written_exactly_once
    fi
}

check_second_waits
check_second_does_not_wait
check_new_pair_does_not_wait
check_long_batch
check_repeatable_read
check_rewrites
check_half_written
echo "ingest_concurrency: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
