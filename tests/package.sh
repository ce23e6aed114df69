#!/usr/bin/env bash
# tests/package.sh: the Debian package and the PGXN metadata.
#
# Builds postgresql-15-ritual and ritual-tools with dpkg-buildpackage in a
# copy of the tree (the repository stays clean), checks what the packages
# hold, that every place naming the version agrees (ritual.control,
# META.json, debian/changelog, the packages, README.md), that META.json is
# valid PGXN metadata, and that apt can install the packages here.  Then it
# installs them in a private copy of PostgreSQL 15 without any ritual file
# of its own (the system PostgreSQL is never touched) and runs, as the
# packages left them: CREATE EXTENSION, a generated export read through
# ritual_fdw and reported, and an update from each earlier release with
# ALTER EXTENSION ... UPDATE.
#
# As root on Debian 12 it installs what the build needs.  Prints "ok - NAME"
# or "not ok - NAME", then "package: N passed, M failed".
set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source tests/need_packages.sh
need_packages debhelper dpkg-dev help2man postgresql-server-dev-all postgresql-15 libcsv-dev \
    zlib1g-dev libzstd-dev libsnappy-dev liblz4-dev libbrotli-dev make gcc git

work=$(mktemp -d "${TMPDIR:-/tmp}/ritual-package.XXXXXX")
chmod 755 "$work"
PG_CONFIG=$work/pg/lib/postgresql/15/bin/pg_config
PG_BIN=$work/pg/lib/postgresql/15/bin
# not the cluster of a caller (tests/check.sh): the trap below stops this one only
unset CLUSTER_DIR
source tests/cluster.sh
trap 'cluster_stop; rm -rf "$work"' EXIT

passed=0
failed=0
source tests/run_test.sh

# the version, as ritual.control says, and as PGXN wants it (X.Y.Z)
version=$(sed -n "s/^default_version = '\([^']*\)'$/\1/p" ritual.control)
semver=$version
[[ $semver =~ ^[0-9]+\.[0-9]+$ ]] && semver=$version.0
debversion=$(dpkg-parsechangelog -l debian/changelog -S Version)
# the releases before it: the changelog's older entries (upstream part)
releases=$(sed -n 's/^ritual (\([^)]*\)).*/\1/p' debian/changelog | sed '1d; s/-[^-]*$//')
echo "package: version $version (Debian $debversion, PGXN $semver)"

# the tree as git sees it (tracked and new files, nothing ignored)
mkdir "$work/src" "$work/src/ritual"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done \
    | tar --null -T - -cf - | tar -xf - -C "$work/src/ritual"

build_packages() {
    (cd "$work/src/ritual" && env -u PG_CONFIG DEB_BUILD_OPTIONS="nocheck noddebs" \
        dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 \
        || { tail -40 "$work/build.log"; return 1; }
    ls "$work/src/"*.deb
}
run_test builds_with_dpkg_buildpackage build_packages
ext_deb=$work/src/postgresql-15-ritual_${debversion}_$(dpkg --print-architecture).deb
tools_deb=$work/src/ritual-tools_${debversion}_$(dpkg --print-architecture).deb
# stop here, counting the reason as one more failure
give_up() {
    echo "package: $1"
    echo "package: $passed passed, $((failed + 1)) failed"
    exit 1
}
[ -f "$ext_deb" ] && [ -f "$tools_deb" ] || give_up "no packages to test"
dpkg-deb -x "$ext_deb" "$work/ext"
dpkg-deb -x "$tools_deb" "$work/tools"

# the extension package: the module, the control file, the install script
# of this version and an update script to it from each release, no other
check_extension_contents() {
    local lib=$work/ext/usr/lib/postgresql/15/lib ext=$work/ext/usr/share/postgresql/15/extension
    local old expected
    test -f "$lib/ritual.so"
    cmp ritual.control "$ext/ritual.control"
    expected="ritual--$version.sql"
    for old in $releases; do
        expected+=$'\n'"ritual--$old--$version.sql"
    done
    diff <(sort <<<"$expected") <(cd "$ext" && ls ritual--*.sql | sort)
    dpkg-deb -f "$ext_deb" Depends | grep -q 'postgresql-15'
    # the libraries of Parquet's codecs, found by dpkg-shlibdeps
    for lib in libsnappy1v5 liblz4-1 libbrotli1 libzstd1 zlib1g; do
        dpkg-deb -f "$ext_deb" Depends | grep -q "$lib" || { echo "Depends lacks $lib"; return 1; }
    done
}
run_test extension_package_holds_module_control_and_scripts check_extension_contents

check_tools_contents() {
    test -x "$work/tools/usr/bin/ritual-generate"
    test -f "$work/tools/usr/share/man/man1/ritual-generate.1.gz"
    "$work/tools/usr/bin/ritual-generate" --help | grep -q '^Usage:'
}
run_test tools_package_holds_the_generator check_tools_contents

# one version everywhere: X.Y in the control file, the changelog (the
# upstream part), the packages and the README; X.Y.0 in META.json
check_versions() {
    local meta_version provides_version readme_version
    meta_version=$(perl -MJSON::PP -0777 -ne 'print decode_json($_)->{version}' META.json)
    provides_version=$(perl -MJSON::PP -0777 -ne 'print decode_json($_)->{provides}{ritual}{version}' META.json)
    readme_version=$(sed -n 's/^Current version: \**\([0-9][0-9.]*\)\**\( .*\)\{0,1\}$/\1/p' README.md)
    echo "ritual.control $version; META.json $meta_version, provides $provides_version;" \
        "debian/changelog $debversion; README.md '$readme_version'"
    [ -n "$version" ]
    [ "$meta_version" = "$semver" ]
    [ "$provides_version" = "$semver" ]
    [ "${debversion%-*}" = "$version" ]
    [ "$(dpkg-deb -f "$ext_deb" Version)" = "$debversion" ]
    [ "$(dpkg-deb -f "$tools_deb" Version)" = "$debversion" ]
    [ "$readme_version" = "$version" ]
}
run_test one_version_everywhere check_versions

run_test meta_json_is_valid_pgxn_metadata perl tests/pgxn_meta.pl --root . META.json

# the validator must reject what PGXN rejects, or the test above proves nothing
check_validator_rejects() {
    local bad=$work/bad.json
    perl -MJSON::PP -0777 -ne '$m = decode_json($_); $m->{version} = "0.2";
        delete $m->{license}; $m->{provides}{ritual}{file} = "missing.sql";
        print encode_json($m)' META.json >"$bad"
    if perl tests/pgxn_meta.pl --root . "$bad" >"$work/bad.out"; then
        echo "accepted: $(cat "$bad")"
        return 1
    fi
    cat "$work/bad.out"
    grep -q '/version: "0.2" is not a semantic version' "$work/bad.out"
    grep -q '/license: is required' "$work/bad.out"
    grep -q '/provides/ritual/file: "missing.sql" does not exist' "$work/bad.out"
}
run_test validator_rejects_bad_metadata check_validator_rejects

# apt resolves the packages' dependencies on this system (a simulation:
# nothing is installed, the system PostgreSQL keeps its files)
check_apt_simulation() {
    apt-get install --simulate "$ext_deb" "$tools_deb" >"$work/apt.out" 2>&1 \
        || { cat "$work/apt.out"; return 1; }
    grep -E '^Inst (postgresql-15-ritual|ritual-tools) ' "$work/apt.out"
    [ "$(grep -cE '^Inst (postgresql-15-ritual|ritual-tools) ' "$work/apt.out")" -eq 2 ]
}
run_test apt_can_install_the_packages check_apt_simulation

# A private PostgreSQL 15 (bin, lib, share copied from the system's, which
# finds its lib and share directories next to its bin) without the ritual
# files a `make install` may have left there, plus what the packages hold.
make_private_postgresql() {
    mkdir -p "$work/pg/lib/postgresql" "$work/pg/share/postgresql"
    cp -a /usr/lib/postgresql/15 "$work/pg/lib/postgresql/"
    cp -a /usr/share/postgresql/15 "$work/pg/share/postgresql/"
    rm -rf "$work/pg/lib/postgresql/15/lib/ritual.so" "$work/pg/lib/postgresql/15/lib/bitcode/ritual" \
        "$work/pg/lib/postgresql/15/lib/bitcode/ritual.index.bc" \
        "$work/pg/share/postgresql/15/extension/ritual"[.-]*
    cp -a "$work/ext/usr/." "$work/pg/"
    cp -a "$work/tools/usr/bin" "$work/pg/"
    chmod -R a+rX "$work/pg"
    [ "$("$PG_CONFIG" --pkglibdir)" = "$work/pg/lib/postgresql/15/lib" ]
}
run_test private_postgresql_with_the_packages make_private_postgresql

cluster_start || give_up "no cluster with the packages"
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# CREATE EXTENSION from the package, an export written by the packaged
# generator read through ritual_fdw (every row of the manifest) and reported
export_dir=$work/export
check_fresh_install() {
    "$work/pg/bin/ritual-generate" --out "$export_dir" --users 40 --days 20 --seed 3 >/dev/null
    chmod -R a+rX "$export_dir"
    local rows
    rows=$(perl -MJSON::PP -0777 -ne 'for (@{decode_json($_)->{files}})
        { print $_->{rows} if $_->{kind} eq "events" }' "$export_dir/manifest.json")
    sql -d postgres -c "CREATE DATABASE fresh"
    sql -d fresh -c "CREATE EXTENSION ritual"
    [ "$(sql -d fresh -c "SELECT extversion FROM pg_extension WHERE extname = 'ritual'")" = "$version" ]
    sql -d fresh -v export="$export_dir" -f tests/report_export.sql
    [ "$(sql -d fresh -c "SELECT count(*) FROM ritual.raw_events")" = "$rows" ]
    [ "$(sql -d fresh -c "SELECT count(*) > 0 FROM ritual.daily_activity")" = t ]
}
run_test fresh_install_reads_and_reports check_fresh_install

# Every version of the changelog before this one is a release (tagged vX.Y,
# see release_commit): its install script, made by its own Makefile, goes next to
# the packaged files (as if that release had been installed before), and
# ALTER EXTENSION ... UPDATE must reach this version with the packaged
# update scripts and the packaged module.
check_updates() {
    local old commit
    for old in $releases; do
        commit=$(release_commit "$old") || return 1
        rm -rf "$work/old" && mkdir "$work/old"
        git archive "$commit" | tar -xf - -C "$work/old"
        make -s -C "$work/old" PG_CONFIG="$PG_CONFIG" "ritual--$old.sql"
        cp "$work/old/ritual--$old.sql" "$work/pg/share/postgresql/15/extension/"
        sql -d postgres -c "CREATE DATABASE update_from_${old//./_}"
        sql -d "update_from_${old//./_}" -c "CREATE EXTENSION ritual VERSION '$old'" \
            -c "ALTER EXTENSION ritual UPDATE"
        [ "$(sql -d "update_from_${old//./_}" -c "SELECT extversion FROM pg_extension
              WHERE extname = 'ritual'")" = "$version" ]
        sql -d "update_from_${old//./_}" -v export="$export_dir" -f tests/report_export.sql
        rm "$work/pg/share/postgresql/15/extension/ritual--$old.sql"
    done
}
run_test update_from_each_release check_updates

echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
