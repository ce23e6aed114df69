# tests/ssl.sh: TLS for a throwaway cluster; sourced (after tests/cluster.sh).
# shellcheck shell=bash
#
# ssl_make_ca DIR [NAME]          a self-signed CA: DIR/ca-key.pem, DIR/server-ca.pem
# ssl_make_server_cert DIR        DIR/server-cert.pem and DIR/server-key.pem, signed
#                                 by the CA, for 127.0.0.1 and localhost and the
#                                 names in SSL_SERVER_SAN (e.g.
#                                 "DNS:db.example.com, IP:203.0.113.7")
# ssl_make_client_cert DIR USER   DIR/client-cert.pem (CN=USER), its key as PKCS-8
#                                 PEM (DIR/client-key.pem, what Looker Studio
#                                 takes) and PKCS-8 DER (DIR/client-key.pk8,
#                                 what pgJDBC takes)
# ssl_make_all DIR USER           the three above
# ssl_enable DIR                  ssl = on in the cluster of tests/cluster.sh,
#                                 with DIR's server files, and a restart
# ssl_allow_role ROLE DB [cert|nocert] [ADDRESS]
#                                 pg_hba: ROLE may only connect to DB over TLS
#                                 from ADDRESS (default 127.0.0.1/32) with a
#                                 scram password (and with "cert", a client
#                                 certificate whose CN is ROLE)
# ssl_reload                      reload the configuration, wait until it is
#                                 loaded
# ssl_print_looker_files DIR      the files Looker Studio asks for
#
# The server's copies of its key and certificates live in the data directory,
# owned by the server's OS user, the key with mode 0600.  Keys are made
# without a passphrase: these are test and demo certificates.

SSL_DAYS=${SSL_DAYS:-825}

ssl_openssl() {
    command -v openssl >/dev/null || { echo "ssl: openssl is not installed" >&2; return 1; }
    openssl "$@" 2>>"${SSL_LOG:-/dev/null}" \
        || { echo "ssl: openssl $1 failed${SSL_LOG:+ (see $SSL_LOG)}" >&2; return 1; }
}

ssl_make_ca() {
    local dir=$1 name=${2:-ritual test CA}
    mkdir -p "$dir"
    ssl_openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
        -out "$dir/ca-key.pem"
    chmod 600 "$dir/ca-key.pem"
    ssl_openssl req -new -x509 -sha256 -days "$SSL_DAYS" -key "$dir/ca-key.pem" \
        -subj "/CN=$name" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$dir/server-ca.pem"
}

# ssl_sign DIR NAME SUBJECT EXTFILE: DIR/NAME-key.pem and DIR/NAME-cert.pem
ssl_sign() {
    local dir=$1 name=$2 subject=$3 ext=$4
    ssl_openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
        -out "$dir/$name-key.pem"
    chmod 600 "$dir/$name-key.pem"
    ssl_openssl req -new -sha256 -key "$dir/$name-key.pem" -subj "$subject" \
        -out "$dir/$name.csr"
    ssl_openssl x509 -req -sha256 -days "$SSL_DAYS" -in "$dir/$name.csr" \
        -CA "$dir/server-ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial \
        -extfile "$ext" -out "$dir/$name-cert.pem"
    rm -f "$dir/$name.csr" "$ext"
}

ssl_make_server_cert() {
    local dir=$1
    [ -f "$dir/server-ca.pem" ] || { echo "ssl: no CA in $dir (run ssl_make_ca first)" >&2; return 1; }
    cat >"$dir/server.ext" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost${SSL_SERVER_SAN:+, $SSL_SERVER_SAN}
EXT
    ssl_sign "$dir" server "/CN=127.0.0.1" "$dir/server.ext"
}

ssl_make_client_cert() {
    local dir=$1 user=$2
    [ -f "$dir/server-ca.pem" ] || { echo "ssl: no CA in $dir (run ssl_make_ca first)" >&2; return 1; }
    [ -n "$user" ] || { echo "ssl: ssl_make_client_cert needs a user name" >&2; return 1; }
    cat >"$dir/client.ext" <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
EXT
    ssl_sign "$dir" client "/CN=$user" "$dir/client.ext"
    # genpkey writes PKCS-8 PEM ("BEGIN PRIVATE KEY") already; say so plainly
    ssl_openssl pkcs8 -topk8 -nocrypt -in "$dir/client-key.pem" -out "$dir/client-key.pem.tmp"
    mv "$dir/client-key.pem.tmp" "$dir/client-key.pem"
    ssl_openssl pkcs8 -topk8 -nocrypt -in "$dir/client-key.pem" -outform DER \
        -out "$dir/client-key.pk8"
    chmod 600 "$dir/client-key.pem" "$dir/client-key.pk8"
}

ssl_make_all() {
    ssl_make_ca "$1" && ssl_make_server_cert "$1" && ssl_make_client_cert "$1" "$2"
}

ssl_enable() {
    local dir=$1 data="${CLUSTER_DIR:-}/data" f
    if [ -z "${CLUSTER_DIR:-}" ] || [ ! -d "$data" ]; then
        echo "ssl: no cluster (start one with tests/cluster.sh)" >&2
        return 1
    fi
    for f in server-cert.pem server-key.pem server-ca.pem; do
        [ -f "$dir/$f" ] || { echo "ssl: $dir/$f is missing" >&2; return 1; }
        cp "$dir/$f" "$data/$f"
    done
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$data/server-cert.pem" "$data/server-key.pem" "$data/server-ca.pem"
    fi
    chmod 600 "$data/server-key.pem"
    chmod 644 "$data/server-cert.pem" "$data/server-ca.pem"
    cat >>"$data/postgresql.conf" <<CONF
# TLS (tests/ssl.sh)
ssl = on
ssl_cert_file = 'server-cert.pem'
ssl_key_file = 'server-key.pem'
ssl_ca_file = 'server-ca.pem'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
CONF
    server_ctl -D "$data" -l "$CLUSTER_DIR/server.log" -w restart >/dev/null \
        || { echo "ssl: the cluster did not restart with ssl = on" >&2; tail -5 "$CLUSTER_DIR/server.log" >&2; return 1; }
}

# Lines for ROLE go first in pg_hba.conf, so they win over the trust lines
# that the throwaway cluster has for everyone else.
ssl_allow_role() {
    local role=${1:-} db=${2:-} cert=${3:-nocert} address=${4:-127.0.0.1/32}
    local hba="${CLUSTER_DIR:?no cluster (start one with tests/cluster.sh)}/data/pg_hba.conf" opts=""
    case "$cert" in
        cert) opts=" clientcert=verify-full" ;;
        nocert) ;;
        *) role="" ;;
    esac
    if [ -z "$role" ] || [ -z "$db" ]; then
        echo "ssl: usage: ssl_allow_role ROLE DB [cert|nocert] [ADDRESS]" >&2
        return 1
    fi
    {
        echo "# $role: TLS, scram password${opts:+ and client certificate} only (tests/ssl.sh)"
        echo "hostssl $db $role $address scram-sha-256$opts"
        echo "host all $role all reject"
        echo "local all $role reject"
        cat "$hba"
    } >"$hba.new"
    cat "$hba.new" >"$hba" && rm -f "$hba.new"
    ssl_reload
}

# Reload the configuration and wait until the server says it has (a reload
# is asynchronous, and pg_hba_file_rules shows the file, not what is loaded).
ssl_reload() {
    local log="$CLUSTER_DIR/server.log" before
    before=$(grep -c 'received SIGHUP' "$log" 2>/dev/null || true)
    server_ctl -D "$CLUSTER_DIR/data" reload >/dev/null
    for _ in $(seq 1 100); do
        if [ "$(grep -c 'received SIGHUP' "$log" 2>/dev/null || true)" -gt "${before:-0}" ]; then
            if psql -X -At -c "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL" \
                | grep -qx 0; then
                sleep 0.2   # the log line comes first; give the reload a moment
                return 0
            fi
            echo "ssl: pg_hba.conf has errors:" >&2
            psql -X -At -c "SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "ssl: the server did not reload its configuration (see $log)" >&2
    return 1
}

ssl_print_looker_files() {
    local dir=$1
    echo "Looker Studio: tick 'Enable SSL' and upload"
    echo "  Server certificate:  $dir/server-ca.pem  (the CA that signed the server's certificate)"
    if [ -f "$dir/client-cert.pem" ]; then
        echo "tick 'Enable client authentication' and upload"
        echo "  Client certificate:  $dir/client-cert.pem"
        echo "  Client private key:  $dir/client-key.pem  (PKCS-8, as Looker Studio requires)"
        echo "psql:  sslmode=verify-full sslrootcert=$dir/server-ca.pem sslcert=$dir/client-cert.pem sslkey=$dir/client-key.pem"
        echo "JDBC:  ?sslmode=verify-full&sslrootcert=$dir/server-ca.pem&sslcert=$dir/client-cert.pem&sslkey=$dir/client-key.pk8"
    else
        echo "psql:  sslmode=verify-full sslrootcert=$dir/server-ca.pem"
        echo "JDBC:  ?sslmode=verify-full&sslrootcert=$dir/server-ca.pem"
    fi
}
