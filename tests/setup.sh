#!/usr/bin/env bash
# tests/setup.sh: install what ritual needs on Debian 12 (when run as root)
# and build and install the extension.  Called by check.sh and demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(postgresql-15 postgresql-server-dev-15 postgresql-contrib libcsv-dev
          zlib1g-dev libzstd-dev zstd libsnappy-dev liblz4-dev libbrotli-dev openssl make gcc
          libipc-run-perl postgresql-15-cron
          clang lld libclang-rt-14-dev)

source tests/need_packages.sh
need_packages "${packages[@]}"

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
make -s PG_CONFIG="$PG_CONFIG"
if [ "$(id -u)" -eq 0 ]; then
    make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
else
    sudo make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
fi
