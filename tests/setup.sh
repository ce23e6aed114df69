#!/usr/bin/env bash
# tests/setup.sh: install what ritual needs on Debian 12 (when run as root)
# and build and install the extension.  Called by check.sh and demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(postgresql-15 postgresql-server-dev-15 postgresql-contrib libcsv-dev
          zlib1g-dev libzstd-dev zstd openssl make gcc
          libipc-run-perl postgresql-15-cron
          clang lld libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages: ${missing[*]} (run as root to install them)" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
make -s PG_CONFIG="$PG_CONFIG"
if [ "$(id -u)" -eq 0 ]; then
    make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
else
    sudo make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
fi
