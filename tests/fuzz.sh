#!/usr/bin/env bash
# tests/fuzz.sh: build the libFuzzer harnesses of tests/fuzz/ (clang,
# AddressSanitizer, UndefinedBehaviorSanitizer) and run each one on its
# committed seed corpus, tests/fuzz/corpus/NAME/.
#
#   bash tests/fuzz.sh                       each fuzzer for 20 seconds (CI)
#   bash tests/fuzz.sh --seconds N [NAME...] each (or the named) for N seconds
#   bash tests/fuzz.sh --runs N [NAME...]    each for N executions
#   bash tests/fuzz.sh --long [NAME...]      the documented long run: 10M each
#   bash tests/fuzz.sh --timeout N ...       an input may take N seconds, not 10
#                                            (a loaded machine starves fuzzers)
#   bash tests/fuzz.sh --fork N ...          N processes fuzz, libFuzzer's fork
#                                            mode (-fork=N): one run, one count
#   bash tests/fuzz.sh --build               build only (and tests/fuzz/build/parquet_dump)
# --runs or --long with --seconds stops at whichever comes first; so does a
# SIGUSR1 sent to a fuzzer, which then still reports its count.
#
# A crash, sanitizer report, leak, timeout or out-of-memory fails the fuzzer,
# and the input that did it is kept under tests/fuzz/build/artifacts/
# (replay it with tests/fuzz/build/NAME FILE).  New inputs found are not
# added to the committed corpus.  Ends with `fuzz: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZERS=(csv_reader_fuzz decompress_fuzz paths_fuzz parquet_footer_fuzz parquet_pages_fuzz
         parquet_encode_fuzz)
seconds=20
seconds_given=false
timeout=10
fork=
runs=
build_only=false
selected=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; seconds_given=true; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --long) runs=10000000; shift ;;
        --timeout) timeout=$2; shift 2 ;;
        --fork) fork=$2; shift 2 ;;
        --build) build_only=true; shift ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) selected+=("$1"); shift ;;
    esac
done
[ ${#selected[@]} -gt 0 ] || selected=("${FUZZERS[@]}")

CC=${FUZZ_CC:-clang}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
# clang and its fuzzer runtime come with tests/setup.sh's packages
if ! command -v "$CC" >/dev/null || [ ! -x "$PG_CONFIG" ] ||
   ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
     "$CC" -x c -fsanitize=fuzzer -fuse-ld=lld -o /dev/null - 2>/dev/null; then
    bash tests/setup.sh
fi

BUILD=tests/fuzz/build
mkdir -p "$BUILD/obj" "$BUILD/artifacts"
PGINC=$("$PG_CONFIG" --includedir-server)
PGLIB=$("$PG_CONFIG" --pkglibdir)
# the server's own flags where they matter (-fwrapv), assertions on, and
# sections the linker drops when no harness calls them
CFLAGS=(-g -O1 -fno-omit-frame-pointer -fwrapv -fno-strict-aliasing
        -fsanitize=address,undefined -fno-sanitize-recover=all
        -DUSE_ASSERT_CHECKING -D_GNU_SOURCE -ffunction-sections -fdata-sections
        -isystem "$PGINC" -Isrc -Itests/fuzz -Wall -Wno-unused-command-line-argument)

compile() {     # compile SOURCE OBJECT [FLAGS...]
    local src=$1 obj=$2; shift 2
    if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ src/ritual.h -nt "$obj" ] ||
       [ tests/fuzz/shim.h -nt "$obj" ] || [ tests/fuzz.sh -nt "$obj" ]; then
        "$CC" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link "$@" -c "$src" -o "$obj"
    fi
}

compile tests/fuzz/shim.c "$BUILD/obj/shim.o"
# the reader's buffer sizes become variables each input sets
compile src/readers/csv/csv_reader.c "$BUILD/obj/csv_reader.o" -include tests/fuzz/shim.h \
    -DREAD_CHUNK_SIZE=fuzz_read_chunk_size -DPREFIX_BUFFER_SIZE=fuzz_prefix_buffer_size
compile src/readers/decompress.c "$BUILD/obj/decompress.o" -include tests/fuzz/shim.h \
    -DCOMPRESSED_BUFFER_SIZE=fuzz_compressed_buffer_size
for f in lake/dir_cache lake/discovery lake/partitions fdw/options; do
    compile "src/$f.c" "$BUILD/obj/${f#*/}.o"
done
EXTENSION_OBJS=("$BUILD"/obj/{csv_reader,decompress,dir_cache,discovery,partitions,options}.o)
for f in thrift metadata footer values names page page_buffers codecs rle delta encodings column; do
    compile "src/readers/parquet/$f.c" "$BUILD/obj/parquet_$f.o"
    EXTENSION_OBJS+=("$BUILD/obj/parquet_$f.o")
done
# the writer's encodings, decoded by the reader (parquet_encode_fuzz)
compile src/writers/compress.c "$BUILD/obj/writer_compress.o"
compile src/writers/parquet/encode.c "$BUILD/obj/writer_encode.o"
EXTENSION_OBJS+=("$BUILD/obj/writer_compress.o" "$BUILD/obj/writer_encode.o")
compile tests/fuzz/parquet_columns.c "$BUILD/obj/parquet_columns.o"
LIBS=("$PGLIB/libpgcommon.a" "$PGLIB/libpgport.a" -lcsv -lz -lzstd -lsnappy -llz4 -lbrotlidec -lm)
for name in "${FUZZERS[@]}"; do
    compile "tests/fuzz/$name.c" "$BUILD/obj/$name.o"
    "$CC" "${CFLAGS[@]}" -fsanitize=fuzzer -fuse-ld=lld -Wl,--gc-sections -Wl,--wrap=read -Wl,--wrap=lseek \
        -o "$BUILD/$name" "$BUILD/obj/$name.o" "$BUILD/obj/shim.o" \
        "$BUILD/obj/parquet_columns.o" "${EXTENSION_OBJS[@]}" "${LIBS[@]}"
done
# the values column.c reads, printed (tests/parquet_pages.sh compares them with DuckDB's)
compile tests/fuzz/parquet_dump.c "$BUILD/obj/parquet_dump.o"
"$CC" "${CFLAGS[@]}" -fsanitize=fuzzer-no-link -fuse-ld=lld -Wl,--gc-sections -Wl,--wrap=read -Wl,--wrap=lseek \
    -o "$BUILD/parquet_dump" "$BUILD/obj/parquet_dump.o" "$BUILD/obj/shim.o" \
    "$BUILD/obj/parquet_columns.o" "${EXTENSION_OBJS[@]}" "${LIBS[@]}"
$build_only && { echo "fuzz: built ${FUZZERS[*]} in $BUILD"; exit 0; }

# the harnesses write every input to a file: in memory when there is /dev/shm
work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
for name in "${selected[@]}"; do
    [ -x "$BUILD/$name" ] || { echo "fuzz.sh: no fuzzer $name" >&2; exit 2; }
    mkdir -p "$work/$name/corpus" "$work/$name/tmp"
    limit=()
    [ -n "$runs" ] && limit+=(-runs="$runs")
    [ -n "$fork" ] && limit+=(-fork="$fork")
    if [ -z "$runs" ] || $seconds_given; then limit+=(-max_total_time="$seconds"); fi
    # paths_fuzz's inputs are option values and paths in which each '@'
    # (the scratch tree) and each escape grows, so that 1 kB inputs already
    # pass MAXPGPATH; src/lake/discovery.c, src/lake/partitions.c and
    # src/fdw/options.c keep no buffer of fixed size, and longer inputs only
    # walk the tree again, at a quarter of the speed
    max_len=4096
    [ "$name" = paths_fuzz ] && max_len=1024
    started=$(date +%s)
    # new inputs go to the scratch corpus (first), the seeds stay as committed;
    # a small quarantine and short allocation stacks make AddressSanitizer
    # several times faster here, and it still finds use after free
    if TMPDIR="$work/$name/tmp" \
        ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=8:malloc_context_size=5} \
        "$BUILD/$name" "${limit[@]}" -timeout="$timeout" \
        -rss_limit_mb=2048 -max_len=$max_len -print_final_stats=1 \
        -artifact_prefix="$BUILD/artifacts/$name-" \
        "$work/$name/corpus" "tests/fuzz/corpus/$name" >"$work/$name/log" 2>&1; then
        status=ok
        passed=$((passed + 1))
    else
        status=FAILED
        failed=$((failed + 1))
    fi
    if [ -n "$fork" ]; then
        # the parent runs no input itself (its final count is 0); its
        # progress lines count every process's
        execs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$work/$name/log" | tail -1)
    else
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name/log" | tail -1)
    fi
    echo "fuzz: $name: $status, ${execs:-?} executions in $(( $(date +%s) - started ))s"
    if [ $status = FAILED ]; then
        grep -E '^(fuzz:|==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$work/$name/log" | head -20 || true
        sed -n 's/.*Test unit written to \(.*\)/fuzz: reproducer: \1/p' "$work/$name/log"
        cp "$work/$name/log" "$BUILD/artifacts/$name.log"
        echo "fuzz: full log: $BUILD/artifacts/$name.log"
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
