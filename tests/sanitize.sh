#!/usr/bin/env bash
# tests/sanitize.sh: every test of ritual (tests/check.sh: the pg_regress
# suites and the shell tests) against a build of the extension with
# AddressSanitizer and UndefinedBehaviorSanitizer.
#
# In a temporary directory of its own it makes a private copy of the
# PostgreSQL installation named by PG_CONFIG (copy_installation of
# tests/cluster.sh), so that the system installation is never touched, and a
# copy of this source tree; it builds ritual.so there with
# -fsanitize=address,undefined (COPT, which PGXS adds to CFLAGS and LDFLAGS)
# and runs the copy's tests/check.sh with PG_CONFIG pointing at the private
# copy.  Every server the tests start gets the ASan runtime preloaded and the
# sanitizer options through RITUAL_SERVER_ENV (see tests/cluster.sh): reports
# go to files in a log directory, and ASan or UBSan abort the process at the
# first error.  The run fails if check.sh fails or if any report was written
# (they are printed).  Ends with a line "sanitize: N passed, M failed".
#
# Needs gcc with Debian's libasan and libubsan (as root, installs what is
# missing).  SANITIZE_KEEP=1 keeps the temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

export CC=${CC:-gcc}
SANITIZE_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
SOURCE_PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
finish() {
    echo "sanitize: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
die() {
    not_ok "$*"
    finish || true
    exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ritual-sanitize.XXXXXX")
chmod 755 "$WORK"
cleanup() {
    if [ -n "${SANITIZE_KEEP:-}" ] || [ "$failed" -ne 0 ]; then
        echo "sanitize: kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
started=$(date +%s)

# -- the compiler and its runtimes -------------------------------------------
if [ "$(id -u)" -eq 0 ] && [ "$CC" = gcc ]; then
    missing=()
    for p in gcc libasan8 libubsan1; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "sanitize: installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
    fi
fi
asan_runtime=$(readlink -f "$("$CC" -print-file-name=libasan.so)")
ubsan_runtime=$(readlink -f "$("$CC" -print-file-name=libubsan.so)")
[ -f "$asan_runtime" ] || die "$CC has no libasan.so (install libasan8)"
[ -f "$ubsan_runtime" ] || die "$CC has no libubsan.so (install libubsan1)"
ok "$CC $("$CC" -dumpfullversion) with the runtimes $asan_runtime and $ubsan_runtime"

# -- a private PostgreSQL installation ---------------------------------------
source tests/cluster.sh    # copy_installation
pg=$WORK/pg
PG_CONFIG=$(PG_CONFIG=$SOURCE_PG_CONFIG copy_installation "$pg") \
    || die "copying the installation of $SOURCE_PG_CONFIG failed"
export PG_CONFIG
unset PG_BIN    # tests/cluster.sh takes it from PG_CONFIG when sourced next
case "$("$PG_CONFIG" --pkglibdir)" in
    "$pg"/*) ok "a private copy of $("$PG_CONFIG" --version) in $pg" ;;
    *) die "the copy of PostgreSQL in $pg is not relocatable" ;;
esac

# -- the sources, built with the sanitizers -----------------------------------
# a copy of the tree (committed and uncommitted files, not what git ignores),
# so that the instrumented objects never mix with an ordinary build here
src=$WORK/src
mkdir -p "$src"
git -C "$repo" ls-files -z --cached --others --exclude-standard \
    | (cd "$repo" && xargs -0 tar cf - --no-recursion) | tar xf - -C "$src"
chmod -R a+rX "$src"
export COPT=$SANITIZE_FLAGS
(cd "$src" && bash tests/setup.sh) >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log"; die "building with $SANITIZE_FLAGS failed"; }
so="$("$PG_CONFIG" --pkglibdir)/ritual.so"
symbols=$(nm -D "$so")
if grep -q __asan_report <<<"$symbols" && grep -q __ubsan_handle <<<"$symbols"; then
    ok "ritual.so is instrumented by ASan and UBSan"
else
    die "$so has no ASan or UBSan calls"
fi

# -- the servers' environment -----------------------------------------------
# the runtimes first, then tests/sanitize_preload.c (why: see there)
"$CC" -shared -fPIC -O2 -Wall -o "$WORK/sanitize_preload.so" tests/sanitize_preload.c \
    || die "compiling tests/sanitize_preload.c failed"
for kind in ASAN UBSAN; do
    "$CC" -shared -fPIC -O1 -DCANARY_$kind $SANITIZE_FLAGS -o "$WORK/canary_$kind.so" \
        tests/sanitize_canary.c || die "compiling tests/sanitize_canary.c failed"
done
chmod a+rx "$WORK"/*.so
logs=$WORK/sanitizer-logs
mkdir -p "$logs"
chmod 1777 "$logs"
# detect_leaks=0: the server frees its memory contexts, not malloc'ed memory,
# when a process exits.  quarantine_size_mb=16: freed memory that ASan holds
# back (256 MB by default) would count in tests/robustness.sh's peak memory.
RITUAL_SERVER_ENV="LD_PRELOAD=$asan_runtime:$ubsan_runtime:$WORK/sanitize_preload.so"
RITUAL_SERVER_ENV+=" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:disable_coredump=1:quarantine_size_mb=16:log_path=$logs/asan"
RITUAL_SERVER_ENV+=" UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
export RITUAL_SERVER_ENV

# A server with the runtimes preloaded loads the instrumented library, and
# the reports of either sanitizer in a backend reach the log directory: the
# canaries of tests/sanitize_canary.c each kill the backend that loads them.
(
    source tests/cluster.sh
    trap cluster_stop EXIT
    cluster_start
    postmaster=$(head -1 "$CLUSTER_DIR/data/postmaster.pid")
    maps=$(cat "/proc/$postmaster/maps")
    grep -q "$asan_runtime" <<<"$maps" || { echo "no $asan_runtime in the postmaster"; exit 1; }
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION ritual" \
        -c "SELECT count(*) FROM pg_proc WHERE proname LIKE 'ritual%'" >/dev/null
    for kind in ASAN UBSAN; do
        psql -X -q -d postgres -c "LOAD '$WORK/canary_$kind.so'" && exit 1
        for _ in $(seq 120); do
            psql -X -q -d postgres -c "SELECT 1" >/dev/null 2>&1 && break
            sleep 0.5
        done
    done
) >"$WORK/preflight.log" 2>&1 || { cat "$WORK/preflight.log"; die "a server with the runtimes preloaded did not run ritual or the canaries"; }
ok "a server started with the runtimes preloaded runs the instrumented ritual"
mkdir -p "$WORK/canary-reports"
for f in "$logs"/*; do
    [ -f "$f" ] && mv "$f" "$WORK/canary-reports/"
done
canaries=$(cat "$WORK/canary-reports"/* 2>/dev/null || true)
if grep -q "AddressSanitizer: heap-buffer-overflow" <<<"$canaries" \
    && grep -q "runtime error: load of value 190" <<<"$canaries"; then
    ok "the canaries' ASan and UBSan reports reached $logs"
else
    die "the canaries' reports did not reach $logs (see $WORK/preflight.log, $WORK/canary-reports)"
fi

# -- every test --------------------------------------------------------------
set +e
# the copy has no .git: tests/upgrade.sh reads release 0.1 from this clone
(cd "$src" && GIT_DIR=$(git -C "$repo" rev-parse --absolute-git-dir) bash tests/check.sh) 2>&1 \
    | tee "$WORK/check.out"
status=${PIPESTATUS[0]}
set -e
counts=$(grep -E '^check: [0-9]+ passed, [0-9]+ failed$' "$WORK/check.out" | tail -1)
if [ -n "$counts" ]; then
    passed=$((passed + $(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$counts")))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$counts")))
fi
if [ "$status" -ne 0 ] && { [ -z "$counts" ] || [ "$failed" -eq 0 ]; }; then
    not_ok "tests/check.sh exited with status $status"
fi

# -- the sanitizers' reports --------------------------------------------------
reports=$(find "$logs" -type f -size +0c | sort)
if [ -z "$reports" ]; then
    ok "no sanitizer report in $(($(date +%s) - started)) seconds of tests"
else
    for f in $reports; do
        echo "=== $f"
        head -n 80 "$f"
    done
    not_ok "the sanitizers reported errors in $(wc -l <<<"$reports") processes (above)"
fi
finish
