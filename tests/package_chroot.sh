#!/usr/bin/env bash
# tests/package_chroot.sh: the packages on a fresh Debian 12.
#
#   bash tests/package_chroot.sh ../postgresql-15-ritual_*.deb ../ritual-tools_*.deb
#
# Makes a minimal Debian 12 with debootstrap, installs the given packages
# there with `apt install ./FILE.deb` (apt fetches PostgreSQL 15 and the
# libraries from Debian's mirror, $DEBIAN_MIRROR), starts the cluster that
# the postgresql-15 package made, in a network namespace of its own, and
# runs CREATE EXTENSION and a generated export read and reported.  Needs
# root, debootstrap and the network; it downloads about 100 MB and takes
# minutes, so tests/check.sh does not run it (tests/package.sh installs the
# packages in a private copy of PostgreSQL instead).
# Prints "package_chroot: N passed, M failed".
set -euo pipefail
export LC_ALL=C

[ "$(id -u)" -eq 0 ] || { echo "package_chroot: run as root" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: $0 PACKAGE.deb..." >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source tests/need_packages.sh
need_packages debootstrap
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

work=$(mktemp -d "${TMPDIR:-/tmp}/ritual-chroot.XXXXXX")
chroot=$work/debian12
# never remove the chroot while something is mounted in it
cleanup() {
    local m
    for m in "$chroot/dev/shm" "$chroot/proc"; do
        if mountpoint -q "$m" && ! umount "$m"; then
            echo "package_chroot: $m is still mounted; $work is left" >&2
            return
        fi
    done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
passed=0
failed=0
source tests/run_test.sh

mkdir "$work/debs"
cp "$@" "$work/debs/"
version=$(sed -n "s/^default_version = '\([^']*\)'$/\1/p" ritual.control)

echo "package_chroot: debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$chroot" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
cat >"$chroot/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SOURCES
cp /etc/resolv.conf "$chroot/etc/resolv.conf"
# packages may not start services in the chroot; the test starts the cluster
printf '#!/bin/sh\nexit 101\n' >"$chroot/usr/sbin/policy-rc.d"
chmod 755 "$chroot/usr/sbin/policy-rc.d"
mkdir -p "$chroot/dev/shm" "$chroot/ritual"
mount -t proc proc "$chroot/proc"
mount -t tmpfs tmpfs "$chroot/dev/shm"
cp "$work"/debs/*.deb tests/report_export.sql "$chroot/ritual/"

apt_install() {
    chroot "$chroot" apt-get update -qq
    chroot "$chroot" sh -c 'cd /ritual && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends ./*.deb'
    chroot "$chroot" dpkg -l postgresql-15-ritual | grep "^ii  postgresql-15-ritual "
}
run_test apt_installs_the_packages_on_debian_12 apt_install

# as the packages left it: the extension, the generator on the PATH
check_extension() {
    unshare --net chroot "$chroot" sh -ec '
        pg_ctlcluster 15 main start
        ritual-generate --out /ritual/export --users 40 --days 20 --seed 3 >/dev/null
        chmod -R a+rX /ritual
        cd /ritual
        su postgres -c "psql -X -q -At -v ON_ERROR_STOP=1 -v export=/ritual/export" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION ritual;
SELECT extversion FROM pg_extension WHERE extname = '\''ritual'\'';
\i report_export.sql
SELECT count(*) FROM ritual.raw_events;
SELECT count(*) > 0 FROM ritual.daily_activity;
SQL
        pg_ctlcluster 15 main stop' >"$work/psql.out" 2>&1 || { cat "$work/psql.out"; return 1; }
    cat "$work/psql.out"
    local rows
    rows=$(perl -MJSON::PP -0777 -ne 'for (@{decode_json($_)->{files}})
        { print $_->{rows} if $_->{kind} eq "events" }' "$chroot/ritual/export/manifest.json")
    [ "$(tr '\n' ' ' <"$work/psql.out")" = "$version $rows t " ]
}
run_test extension_works_on_debian_12 check_extension

echo "package_chroot: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
