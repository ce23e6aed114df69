#!/usr/bin/env bash
# tests/generator.sh: tests of the sample-data generator, src/generator.
#
# Runs ritual-generate (from $RITUAL_GENERATE, else built with make, else
# compiled here) and checks that its output is deterministic, that files and
# manifest agree, that an independent recount in awk of every anomaly kind
# of docs/metrics.md gives the manifest's counts, and that bad arguments exit 2.
# Needs bash, a C compiler (unless $RITUAL_GENERATE is set), awk, cmp.
set -euo pipefail
export LC_ALL=C    # glob and string order as bytes, like the generator's

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ritual-generator-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -n "${RITUAL_GENERATE:-}" ]; then
    gen=$RITUAL_GENERATE
elif make -s -C "$root" src/generator/ritual-generate >"$work/make.log" 2>&1; then
    gen=$root/src/generator/ritual-generate
else
    # no make rule yet (or no PostgreSQL for the Makefile): compile directly
    "${CC:-cc}" -O2 -Wall -Wextra -std=c99 -o "$work/ritual-generate" \
        "$root"/src/generator/*.c -lm -pthread
    gen=$work/ritual-generate
fi

passed=0
failed=0

source "$root/tests/run_test.sh"

# manifest_number FILE KEY: a top-level number of a manifest ("  \"KEY\": N,")
manifest_number() {
    awk -v key="\"$2\":" '$0 ~ /^  "/ && $1 == key { gsub(/[^0-9]/, "", $2); print $2 }' "$1"
}

# manifest_anomalies FILE: "kind count" lines of the manifest's anomalies block
manifest_anomalies() {
    awk '/^  "anomalies": \{/ { inside = 1; next }
         inside && /^  \}/ { inside = 0 }
         inside { name = $1; gsub(/[":]/, "", name); count = $2; gsub(/[^0-9]/, "", count)
                  print name, count }' "$1"
}

# manifest_files FILE: "name rows" lines of the manifest's files list
manifest_files() {
    awk -F'"' '/"kind": "(profiles|events)"/ { rows = $0; sub(/.*"rows": /, "", rows)
                                             sub(/[^0-9].*/, "", rows); print $4, rows }' "$1"
}

# recount DIR: every anomaly kind of docs/metrics.md, counted again in awk from
# the CSV files, without the generator's code.  Prints "kind count" lines in
# the manifest's order, then "clean_events N".
recount() {
    local dir=$1
    local reference catalogue
    reference=$(awk -F'"' '/^  "reference_time":/ { print $4 }' "$dir/manifest.json")
    catalogue=$(awk '/^  "event_types":/ { gsub(/[]["]/, ""); sub(/^ *event_types: */, "");
                                         gsub(/, /, ","); print }' "$dir/manifest.json")
    awk -v reference="$reference" -v catalogue="$catalogue" '
    # CSV fields into F[1..n]; quotes removed, "" inside quotes is one quote
    function split_csv(line,    n, i, c, field, quoted, len) {
        if (index(line, "\"") == 0)
            return split(line, F, ",")
        n = 0; field = ""; quoted = 0; len = length(line)
        for (i = 1; i <= len; i++) {
            c = substr(line, i, 1)
            if (quoted) {
                if (c == "\"" && substr(line, i + 1, 1) == "\"") { field = field c; i++ }
                else if (c == "\"") quoted = 0
                else field = field c
            } else if (c == "\"") quoted = 1
            else if (c == ",") { F[++n] = field; field = "" }
            else field = field c
        }
        F[++n] = field
        return n
    }
    # PostgreSQL bigint input: spaces, sign, digits, spaces, in range; "" if not
    function bigint(text,    sign, digits) {
        gsub(/^[ \t\r\n\v\f]+|[ \t\r\n\v\f]+$/, "", text)
        if (text !~ /^[+-]?[0-9]+$/) return ""
        sign = (substr(text, 1, 1) == "-") ? "-" : ""
        digits = text; sub(/^[+-]/, "", digits); sub(/^0+/, "", digits)
        if (digits == "") return "0"
        if (length(digits) > 19) return ""
        if (length(digits) == 19 && digits > (sign == "-" ? "9223372036854775808" : "9223372036854775807"))
            return ""
        return sign digits
    }
    function valid_day(y, m, d,    last) {
        if (y < 1 || m < 1 || m > 12 || d < 1) return 0
        last = (m == 2) ? ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28) \
             : (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31
        return d <= last
    }
    # a date YYYY-MM-DD, or "" if invalid
    function date_value(text) {
        if (text !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/) return ""
        if (!valid_day(substr(text, 1, 4) + 0, substr(text, 6, 2) + 0, substr(text, 9, 2) + 0)) return ""
        return text
    }
    # a timestamp as "YYYY-MM-DD HH:MM:SS", or "" if invalid
    function timestamp_value(text,    day, clock) {
        day = date_value(substr(text, 1, 10))
        if (day == "") return ""
        if (length(text) == 10) return day " 00:00:00"
        if (text ~ /^.......... [0-9][0-9]:[0-9][0-9]:[0-9][0-9]$/ ||
            text ~ /^..........T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z$/)
            clock = substr(text, 12, 8)
        else return ""
        if (substr(clock, 1, 2) + 0 > 23 || substr(clock, 4, 2) + 0 > 59 || substr(clock, 7, 2) + 0 > 59)
            return ""
        return day " " clock
    }
    BEGIN {
        n = split(catalogue, names, ",")
        for (i = 1; i <= n; i++) known[names[i]] = 1
    }
    FNR == 1 { next }    # headers
    FILENAME ~ /user_profiles\.csv$/ {
        split_csv($0)
        user = bigint(F[1]); signup = date_value(F[2])
        rows[user]++
        if (signup == "") { missing_signup_date++; next }
        if (!(user in first)) { first[user] = signup; earliest[user] = signup }
        else {
            if (signup != first[user]) conflict[user] = 1
            if (signup < earliest[user]) earliest[user] = signup
        }
        next
    }
    {
        split_csv($0)
        user = bigint(F[2 - 1])
        type = F[2]; gsub(/^ +| +$/, "", type); type = tolower(type)
        when = timestamp_value(F[3])
        flagged = 0
        if (user == "") { missing_user_id++; flagged = 1 }
        if (type == "") { missing_event_type++; flagged = 1 }
        else if (!(type in known)) { unknown_event_type++; flagged = 1 }
        if (when == "") { missing_event_date++; flagged = 1 }
        else if (when > reference) { future_event++; flagged = 1 }
        if (user != "") {
            if (!(user in earliest)) { unknown_user++; flagged = 1 }
            else if (when != "" && substr(when, 1, 10) < earliest[user]) { event_before_signup++; flagged = 1 }
        }
        if (user != "" && type != "" && when != "") {
            key = user SUBSEP type SUBSEP when
            if (key in seen) { duplicate++; flagged = 1 }
            else seen[key] = 1
        }
        if (!flagged) clean++
    }
    END {
        for (user in conflict) conflicting_profile += rows[user]
        print "missing_user_id", missing_user_id + 0
        print "missing_event_type", missing_event_type + 0
        print "missing_event_date", missing_event_date + 0
        print "unknown_event_type", unknown_event_type + 0
        print "unknown_user", unknown_user + 0
        print "event_before_signup", event_before_signup + 0
        print "future_event", future_event + 0
        print "duplicate", duplicate + 0
        print "conflicting_profile", conflicting_profile + 0
        print "missing_signup_date", missing_signup_date + 0
        print "clean_events", clean + 0
    }' "$dir/user_profiles.csv" "$dir"/user_events*.csv
}

# --- the tests ---------------------------------------------------------------

same_seed_gives_identical_files() {
    "$gen" --out "$work/same1" --seed 42 --users 500 --events-files 2 --jobs 1 >/dev/null
    "$gen" --out "$work/same2" --seed 42 --users 500 --events-files 2 --jobs 3 >/dev/null
    local f
    for f in "$work"/same1/*; do
        cmp "$f" "$work/same2/$(basename "$f")"
    done
    [ "$(ls "$work/same1" | wc -l)" -eq 4 ]
}

different_seed_gives_different_files() {
    "$gen" --out "$work/other" --seed 43 --users 500 --events-files 2 >/dev/null
    ! cmp -s "$work/same1/user_events_000.csv" "$work/other/user_events_000.csv" &&
        ! cmp -s "$work/same1/user_profiles.csv" "$work/other/user_profiles.csv"
}

headers_and_row_counts_match_manifest() {
    local dir=$work/same1 name rows total=0
    manifest_files "$dir/manifest.json" >"$work/files.txt"
    [ "$(wc -l <"$work/files.txt")" -eq 3 ] || { echo "expected 3 files in the manifest"; return 1; }
    while read -r name rows; do
        case $name in
            user_profiles.csv) [ "$(head -n 1 "$dir/$name")" = "user_id,signup_date,country,platform" ] ;;
            *) [ "$(head -n 1 "$dir/$name")" = "user_id,event_type,event_date" ]
               total=$((total + rows)) ;;
        esac || { echo "$name: bad header"; return 1; }
        [ "$(($(wc -l <"$dir/$name") - 1))" -eq "$rows" ] ||
            { echo "$name: $(($(wc -l <"$dir/$name") - 1)) rows, manifest says $rows"; return 1; }
    done <"$work/files.txt"
    [ "$total" -eq "$(manifest_number "$dir/manifest.json" event_rows)" ] &&
        [ "$(($(wc -l <"$dir/user_profiles.csv") - 1))" -eq \
          "$(manifest_number "$dir/manifest.json" profile_rows)" ]
}

manifest_is_well_formed_json() {
    local m=$work/same1/manifest.json
    if command -v jq >/dev/null; then
        jq -e . "$m" >/dev/null
    else
        # brackets balance outside strings, and nothing follows the last brace
        awk '{ line = $0; gsub(/\\./, "", line); gsub(/"[^"]*"/, "\"\"", line)
               depth += gsub(/[{[]/, "&", line) - gsub(/[]}]/, "&", line)
               if (depth < 0) bad = 1; if (depth == 0) closed = NR }
             END { exit !(depth == 0 && !bad && closed == NR) }' "$m"
    fi
}

recount_in_awk_matches_manifest() {
    # high rates, several files and an early reference time, so that every
    # kind is frequent and rows carry several flags
    "$gen" --out "$work/messy" --seed 11 --users 800 --days 100 --events-files 3 \
        --anomaly-rate all=0.05 --reference-time '2024-03-20 12:00:00' >/dev/null
    recount "$work/messy" >"$work/recount.txt"
    { manifest_anomalies "$work/messy/manifest.json"
      echo "clean_events $(manifest_number "$work/messy/manifest.json" clean_events)"
    } >"$work/expected.txt"
    diff "$work/expected.txt" "$work/recount.txt" || return 1
    # and every kind did occur
    ! awk '$2 == 0 { print "no " $1; found = 1 } END { exit !found }' "$work/recount.txt"
}

no_anomalies_gives_zero_anomalies() {
    "$gen" --out "$work/clean" --seed 5 --users 600 --days 120 --no-anomalies \
        --spike-days 1 --drop-days 1 >/dev/null
    manifest_anomalies "$work/clean/manifest.json" >"$work/clean_manifest.txt"
    [ "$(wc -l <"$work/clean_manifest.txt")" -eq 10 ] &&
        awk '$2 != 0 { print; bad = 1 } END { exit bad }' "$work/clean_manifest.txt" &&
        recount "$work/clean" >"$work/clean_recount.txt" &&
        awk '$1 != "clean_events" && $2 != 0 { print; bad = 1 } END { exit bad }' "$work/clean_recount.txt" &&
        [ "$(manifest_number "$work/clean/manifest.json" clean_events)" -eq \
          "$(manifest_number "$work/clean/manifest.json" event_rows)" ]
}

spike_and_drop_off_days_follow_the_rules() {
    local m=$work/spikes/manifest.json
    "$gen" --out "$work/spikes" --seed 3 --users 3000 --days 200 --spike-days 2 \
        --drop-days 2 --no-anomalies >/dev/null
    awk -F'"' '/"kind": "(spike|drop_off)"/ { print $4, $8 }' "$m" >"$work/days.txt"
    [ "$(grep -c ' spike$' "$work/days.txt")" -eq 2 ] &&
        [ "$(grep -c ' drop_off$' "$work/days.txt")" -eq 2 ] || { cat "$work/days.txt"; return 1; }
    # from day 85 on (2024-03-25), 8 days apart; events x3 or x0.3 against the
    # median of the same weekday in the 4 weeks before
    awk -F, 'NR > 1 { n[substr($3, 1, 10)]++ } END { for (d in n) print d, n[d] }' \
        "$work/spikes/user_events.csv" | sort >"$work/daily.txt"
    awk 'FILENAME ~ /daily/ { count[$1] = $2; day[++days] = $1; at[$1] = days; next }
         { kind[++k] = $2; idx[k] = at[$1]; name[k] = $1 }
         END {
             for (i = 1; i <= k; i++) {
                 if (name[i] < "2024-03-25") { print name[i], "too early"; bad = 1 }
                 if (i > 1 && idx[i] - idx[i - 1] < 8) { print name[i], "too close"; bad = 1 }
                 for (w = 1; w <= 4; w++) v[w] = count[day[idx[i] - 7 * w]]
                 # median of 4: mean of the middle two
                 for (a = 1; a <= 4; a++) for (b = a + 1; b <= 4; b++) if (v[b] < v[a]) { t = v[a]; v[a] = v[b]; v[b] = t }
                 ratio = count[name[i]] / ((v[2] + v[3]) / 2)
                 printf "%s %s ratio %.2f\n", name[i], kind[i], ratio
                 if (kind[i] == "spike" && ratio < 2) bad = 1
                 if (kind[i] == "drop_off" && ratio > 0.5) bad = 1
             }
             exit bad
         }' "$work/daily.txt" "$work/days.txt"
}

bad_arguments_exit_2() {
    local args status
    while IFS= read -r args; do
        set +e
        eval "\"\$gen\" $args" >/dev/null 2>"$work/stderr.txt"
        status=$?
        set -e
        if [ "$status" -ne 2 ] || ! [ -s "$work/stderr.txt" ]; then
            echo "'$args' exited $status (expected 2 with a message)"
            return 1
        fi
    done <<ARGS
--users 10
--out $work/bad --users 0
--out $work/bad --users ten
--out $work/bad --days -1
--out $work/bad --seed 1x
--out $work/bad --start-date 2024-13-01
--out $work/bad --reference-time '2024-02-30 10:00:00'
--out $work/bad --anomaly-rate bogus=0.1
--out $work/bad --anomaly-rate duplicate=1.5
--out $work/bad --anomaly-rate duplicate
--out $work/bad --no-anomalies --anomaly-rate duplicate=0.1
--out $work/bad --days 90 --spike-days 2
--out $work/bad --frobnicate
--out $work/bad --users
--out $work/bad stray
ARGS
    "$gen" --help | grep -q -- '--anomaly-rate KIND=RATE'
}

run_test same_seed_gives_identical_files same_seed_gives_identical_files
run_test different_seed_gives_different_files different_seed_gives_different_files
run_test headers_and_row_counts_match_manifest headers_and_row_counts_match_manifest
run_test manifest_is_well_formed_json manifest_is_well_formed_json
run_test recount_in_awk_matches_manifest recount_in_awk_matches_manifest
run_test no_anomalies_gives_zero_anomalies no_anomalies_gives_zero_anomalies
run_test spike_and_drop_off_days_follow_the_rules spike_and_drop_off_days_follow_the_rules
run_test bad_arguments_exit_2 bad_arguments_exit_2

echo "generator: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
