#!/usr/bin/env bash
# tests/fuzz/make_seeds.sh: write the seed corpora of tests/fuzz/corpus/ from
# the test data in tests/data, and Parquet files DuckDB writes (installed
# from npm as tests/parquet.sh does); run from anywhere; the result is
# committed.
# Each seed is a harness's setting bytes followed by a test file; see the
# top comment of each harness for what the bytes mean.
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=tests/fuzz/corpus
# the inputs of findings (found-*) are kept as they are
found=$(mktemp -d)
[ ! -d "$corpus" ] || (cd "$corpus" && find . -name 'found-*' -exec cp --parents {} "$found" \;)
rm -rf "$corpus"
mkdir -p "$corpus"/{csv_reader_fuzz,decompress_fuzz,paths_fuzz,parquet_footer_fuzz,parquet_pages_fuzz,parquet_encode_fuzz}

# seed DIR NAME SETTING-BYTES FILE: the setting (printf escapes), then FILE
seed() {
    { printf "$3"; cat "$4"; } >"$corpus/$1/$2"
}

# the CSV reader: every test file with the defaults, and some with the
# setting it is written for, small chunks, short reads, units and ingest
plain='\0\0\0\0\0\0\100\200'
for f in tests/data/*.csv tests/data/hive/*/*/*.csv tests/data/lake/2024/*/*; do
    [ -r "$f" ] || continue
    seed csv_reader_fuzz "$(echo "${f#tests/data/}" | tr '/=' '__')" "$plain" "$f"
done
seed csv_reader_fuzz semicolon-options '\1\1\0\0\0\0\100\200' tests/data/semicolon.csv
seed csv_reader_fuzz escape-backslash '\0\0\1\0\0\0\100\200' tests/data/escape.csv
seed csv_reader_fuzz escape-backslash-chunks '\0\0\1\5\3\0\100\200' tests/data/escape.csv
seed csv_reader_fuzz quoting-chunks-units '\0\0\0\6\0\4\100\200' tests/data/quoting.csv
seed csv_reader_fuzz crlf-bom-reads-ingest '\0\0\0\3\1\10\100\140' tests/data/crlf_bom.csv
seed csv_reader_fuzz lone-cr-ingest '\0\0\0\0\0\10\100\200' tests/data/lone_cr_stray_quote.csv
seed csv_reader_fuzz events-gzip '\0\0\0\7\0\1\100\200' tests/data/events.csv
seed csv_reader_fuzz events-zstd-ingest '\0\0\0\4\0\12\100\200' tests/data/events.csv
seed csv_reader_fuzz unterminated-units '\0\0\0\2\0\4\40\300' tests/data/unterminated.csv
seed csv_reader_fuzz sample-head-units '\0\0\0\0\0\4\100\200' \
    <(head -c 3000 "$(ls tests/data/sample/*.csv | head -1)")

# the decompressors: gzip and zstd files of the test data, several members
# and frames, and cut short
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gzip -n -c tests/data/events.csv >"$work/events.gz"
{ gzip -n -c tests/data/quoting.csv; gzip -n -c tests/data/escape.csv; } >"$work/two.gz"
zstd -q -c tests/data/events.csv >"$work/events.zst"
{ zstd -q -c tests/data/quoting.csv; zstd -q -c tests/data/escape.csv; } >"$work/two.zst"
: | gzip -n -c >"$work/empty.gz"
: | zstd -q -c >"$work/empty.zst"
head -c 100 "$work/events.gz" >"$work/cut.gz"
head -c 60 "$work/events.zst" >"$work/cut.zst"
for f in "$work"/*.gz; do seed decompress_fuzz "gzip-$(basename "$f" .gz)" '\200\0\0' "$f"; done
for f in "$work"/*.zst; do seed decompress_fuzz "zstd-$(basename "$f" .zst)" '\201\0\0' "$f"; done
seed decompress_fuzz gzip-two-small-reads '\100\2\3' "$work/two.gz"
seed decompress_fuzz zstd-two-small-reads '\101\2\3' "$work/two.zst"

# paths: the partition directories of tests/data/hive, paths, and globs in
# the scratch tree ('@')
printf '\0event_date\0002024-03-01\0platform\0ios' >"$corpus/paths_fuzz/roundtrip-hive"
printf '\0platform\0web app\0k\0a/b%%c=d' >"$corpus/paths_fuzz/roundtrip-escapes"
printf '\0k\0\0x_y\0.\0' >"$corpus/paths_fuzz/roundtrip-null-dot"
find tests/data/hive -name '*.csv' | sort | while read -r f; do
    printf '\1%s' "/${f}" >"$corpus/paths_fuzz/parse-$(echo "${f#tests/data/hive/}" | tr '/=' '__')"
done
printf '\1/lake/k=%%41%%2F%%00%%zz/v=/w=__HIVE_DEFAULT_PARTITION__/f.csv' >"$corpus/paths_fuzz/parse-escapes"
i=0
for option in '@' '@/a.csv' '@/**/*.csv' '@/*/*/*' '@/_*' '@/.*.csv' '@/event_date=*/**' \
              '@/loop/**' '@/dangling' '@/nothing, @/a.csv' '@/comma?name.csv' '@/[[]br].csv' \
              '@/dir/**/c.csv.gz' '@/../tree/a.csv' '@//dir/./b.csv' 'relative' ' , '; do
    printf '\2%s' "$option" >"$corpus/paths_fuzz/discover-$i"
    printf '\200%s' "$option" >"$corpus/paths_fuzz/discover-missing-ok-$i"
    i=$((i + 1))
done

# the Parquet footer: the footers of tests/data/parquet (the bytes before
# the last eight; of a hostile file whose length lies, all between its first
# four bytes and its last eight)
for f in tests/data/parquet/*.parquet tests/data/parquet/hostile/*.parquet; do
    size=$(stat -c %s "$f")
    [ "$size" -ge 12 ] || continue
    len=$(tail -c 8 "$f" | head -c 4 | od -An -tu4 | tr -d ' ')
    [ "$len" -le $((size - 12)) ] || len=$((size - 12))
    name=$(echo "${f#tests/data/parquet/}" | tr '/' '_')
    tail -c $((len + 8)) "$f" | head -c "$len" >"$corpus/parquet_footer_fuzz/${name%.parquet}"
done
# the Parquet pages: the files of tests/data/parquet whole (mode byte 1,
# then 6 rows per read), and DuckDB's files of every codec, page version and
# encoding it writes, whole and chunk by chunk (tests/fuzz/make_parquet_seeds.mjs)
for f in tests/data/parquet/*.parquet tests/data/parquet/hostile/*.parquet; do
    [ "$(stat -c %s "$f")" -le 4094 ] || continue
    seed parquet_pages_fuzz "file-$(echo "${f#tests/data/parquet/}" | tr '/' '_')" '\1\5' "$f"
done
# the writer's encodings: widths 1, 7, 20 and 32, each codec, long runs,
# short ones and alternations, and a CSV file as values
seed parquet_encode_fuzz width1-runs '\0\0' <(printf '\1\17\0\17\1\3\0\0\1\0')
seed parquet_encode_fuzz width7-alternating '\6\5' <(printf '\1\0\2\0\1\0\2\0\3\0\177\0\1\0')
seed parquet_encode_fuzz width20-mixed '\23\12' <(printf '\377\17\0\0\12\1\13\2\377\0\200\17')
seed parquet_encode_fuzz width32-csv '\37\7' tests/data/events.csv
duck="$work/duckdb"
mkdir -p "$duck/out"
source tests/duckdb.sh
duckdb_install "$duck" tests/fuzz/make_parquet_seeds.mjs tests/parquet_crafted.mjs ||
    { echo "make_seeds: DuckDB could not be installed from npm" >&2; exit 1; }
(cd "$duck" && node make_parquet_seeds.mjs "$duck/out")
find "$duck/out" -type f ! -name '*.parquet' -exec cp {} "$corpus/parquet_pages_fuzz/" \;
cp -r "$found"/. "$corpus"/
rm -rf "$found"
echo "make_seeds: $(find "$corpus" -type f | wc -l) seeds in $corpus"
