#!/usr/bin/env bash
# tests/make_lake.sh DIR: write the lake the pg_regress suite 'lake' reads.
#   DIR/lake365/event_date=2024-01-01/part-0.csv ... 365 daily partitions, with
#     1 to 5 events each; a third of them gzip, a third zstd
#   DIR/lake365_flat.csv: the same events in one file, with event_date
#   DIR/compressed/: a two-member gzip, a truncated gzip, a corrupt gzip, a
#     zstd file, and the plain file they were made from
#   DIR/written/: empty directories for the suites 'write', 'reporting', 'lake',
#     'parquet_write' and 'aggregates'
#   DIR/guarded/event_date=2024-01-01 ... 2024-01-05, __HIVE_DEFAULT_PARTITION__
#     and DIR/guarded_flags/ok=true, ok=false: partitions of two rows, the
#     directories event_date=2024-01-04 and ok=false unreadable, to prove
#     that a query they cannot match never lists them
#   DIR/looped/: a.csv and sub/b.csv, with symbolic links back up (loop -> .,
#     sub/up -> ..), for the suite 'discovery'
set -euo pipefail
dir=$1
lake="$dir/lake365"
# an unreadable directory cannot be removed by its owner
[ -d "$dir/guarded" ] && chmod -R u+rwX "$dir/guarded" "$dir/guarded_flags"
rm -rf "$lake" "$dir/compressed" "$dir/guarded" "$dir/guarded_flags"
mkdir -p "$lake" "$dir/compressed"

awk -v lake="$lake" -v flat="$dir/lake365_flat.csv" 'BEGIN {
    split("app_opened ritual_started ritual_completed journal_entry share", types, " ")
    print "user_id,event_type,event_date" > flat
    for (day = 0; day < 365; day++) {
        # 2024-01-01 plus day days (2024 is a leap year)
        d = day + 1; month = 1
        split("31 29 31 30 31 30 31 31 30 31 30 31", lengths, " ")
        while (d > lengths[month]) { d -= lengths[month]; month++ }
        date = sprintf("2024-%02d-%02d", month, d)
        path = lake "/event_date=" date
        system("mkdir -p \"" path "\"")
        file = path "/part-0.csv"
        print "user_id,event_type" > file
        for (i = 0; i <= day % 5; i++) {
            user = (day * 7 + i * 13) % 50 + 1
            type = types[(day + i) % 5 + 1]
            print user "," type > file
            print user "," type "," date > flat
        }
        close(file)
        files[day] = file
    }
    for (day = 0; day < 365; day++) {
        if (day % 3 == 1) system("gzip \"" files[day] "\"")
        else if (day % 3 == 2) system("zstd -q --rm \"" files[day] "\"")
    }
}'

cd "$dir/compressed"
printf 'user_id,event_type\n1,app_opened\n2,share\n3,journal_entry\n' > plain.csv
gzip -c plain.csv > one.csv.gz
{ gzip -c plain.csv; tail -n +2 plain.csv | gzip -c; } > two_members.csv.gz
zstd -q -c plain.csv > plain.csv.zst
head -c 40 one.csv.gz > truncated.csv.gz
{ head -c 20 one.csv.gz; printf 'not gzip at all'; tail -c +36 one.csv.gz; } > corrupt.csv.gz
printf 'user_id,event_type\n1,app_opened\n' > misnamed.csv.gz
gzip -c plain.csv > gzipped.data
chmod -R a+rX "$dir/lake365" "$dir/compressed" "$dir/lake365_flat.csv"

for day in 2024-01-01 2024-01-02 2024-01-03 2024-01-04 2024-01-05 __HIVE_DEFAULT_PARTITION__; do
    mkdir -p "$dir/guarded/event_date=$day"
    printf 'user_id,event_type\n1,app_opened\n2,share\n' >"$dir/guarded/event_date=$day/part-0.csv"
done
for ok in true false; do
    mkdir -p "$dir/guarded_flags/ok=$ok"
    printf 'user_id\n1\n' >"$dir/guarded_flags/ok=$ok/part-0.csv"
done
chmod -R a+rX "$dir/guarded" "$dir/guarded_flags"
chmod 000 "$dir/guarded/event_date=2024-01-04" "$dir/guarded_flags/ok=false"

rm -rf "$dir/looped"
mkdir -p "$dir/looped/sub"
printf 'user_id\n1\n' >"$dir/looped/a.csv"
printf 'user_id\n2\n3\n' >"$dir/looped/sub/b.csv"
ln -s . "$dir/looped/loop"
ln -s .. "$dir/looped/sub/up"
chmod -R a+rX "$dir/looped"

# empty directories the suite 'write' writes into
rm -rf "$dir/written"
mkdir -p "$dir/written/plain" "$dir/written/packed" "$dir/written/denied" "$dir/written/escaped" \
    "$dir/written/renamed" "$dir/written/notices" "$dir/written/single" "$dir/written/bom" \
    "$dir/written/nulls" "$dir/written/spread" "$dir/written/days"
# and those the suites 'parquet_write' and 'aggregates' write into
mkdir -p "$dir"/written/pq/{types,random,snappy,zstd,gzip,none,groups,parts,small,many,many_csv,two_a,two_b,altered,refused,aggregates,agg_coded,agg_lake,agg_corrupt}
chmod -R a+rwX "$dir/written"
