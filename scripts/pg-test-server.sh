#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the storage conformance tests.
#
#   scripts/pg-test-server.sh start   # init (first time) and start; prints the DSN
#   scripts/pg-test-server.sh dsn     # prints the DSN of the running server
#   scripts/pg-test-server.sh stop    # stops it and deletes its data
#
#   export PROFO_TEST_PG_DSN="$(scripts/pg-test-server.sh start)"
#
# The server listens on 127.0.0.1 only, trusts every local connection and runs
# with fsync off: test data, never real data. Settings (environment):
#   PROFO_PG_DIR   data, socket and log folder        (default /tmp/profo-pg)
#   PROFO_PG_PORT  first port to try                  (default 25432: below Linux's
#                  ephemeral range, where a client socket of a test may hold a port)
#   PROFO_PG_BIN   folder of initdb and pg_ctl        (default /usr/lib/postgresql/15/bin)
#   PROFO_PG_USER  OS user that runs it, when root    (default postgres; created if missing)
#   PROFO_PG_KEEP  set to 1 to keep the data on stop
set -euo pipefail

PG_BIN=${PROFO_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=${PROFO_PG_DIR:-/tmp/profo-pg}
FIRST_PORT=${PROFO_PG_PORT:-25432}
OWNER=${PROFO_PG_USER:-postgres}
DATA="$PG_DIR/data"
SOCKETS="$PG_DIR/sockets"
LOG="$PG_DIR/postgres.log"
PORT_FILE="$PG_DIR/port"

die() {
    echo "pg-test-server: $*" >&2
    exit 1
}

# PostgreSQL refuses to run as root: as root, run its tools as $OWNER.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd "$PG_DIR" && runuser -u "$OWNER" -- "$@")
    else
        (cd "$PG_DIR" && "$@")
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

is_running() {
    [ -f "$DATA/PG_VERSION" ] && as_owner "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

print_dsn() {
    echo "host=127.0.0.1 port=$(cat "$PORT_FILE") user=postgres dbname=postgres"
}

prepare_owner() {
    [ "$(id -u)" -eq 0 ] || return 0
    if ! id -u "$OWNER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$OWNER" ||
            die "cannot create the user $OWNER"
    fi
    chown "$OWNER" "$PG_DIR"
    as_owner test -w "$PG_DIR" ||
        die "$OWNER cannot write to $PG_DIR (is a parent folder closed to other users?); set PROFO_PG_DIR"
}

start() {
    [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
        die "no initdb/pg_ctl in $PG_BIN: install the postgresql package or set PROFO_PG_BIN"
    mkdir -p "$PG_DIR"
    if is_running; then
        print_dsn
        return 0
    fi
    prepare_owner
    if [ ! -f "$DATA/PG_VERSION" ]; then
        rm -rf "$DATA"
        as_owner "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync \
            >"$PG_DIR/initdb.log" 2>&1 || die "initdb failed; see $PG_DIR/initdb.log"
    fi
    as_owner mkdir -p "$SOCKETS"

    # A port nobody listens on may still be taken (a closing connection's
    # TIME_WAIT): a start that cannot bind tries the next port.
    local port=$FIRST_PORT
    while [ "$port" -lt $((FIRST_PORT + 100)) ]; do
        if ! port_in_use "$port"; then
            echo "$port" >"$PORT_FILE"
            rm -f "$LOG"
            if as_owner "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o \
                "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$SOCKETS \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
                >/dev/null 2>&1; then
                print_dsn
                return 0
            fi
            grep -q "could not bind\|could not create any TCP/IP sockets" "$LOG" ||
                die "the server did not start; see $LOG"
        fi
        port=$((port + 1))
    done
    die "no free port in $FIRST_PORT..$((FIRST_PORT + 99)); see $LOG"
}

stop() {
    if is_running; then
        as_owner "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null || die "the server did not stop; see $LOG"
    fi
    if [ "${PROFO_PG_KEEP:-0}" != 1 ] && [ -f "$DATA/PG_VERSION" ]; then
        rm -rf "$PG_DIR"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    dsn)
        is_running || die "not running; use: $0 start"
        print_dsn
        ;;
    *)
        echo "usage: $0 start|stop|dsn" >&2
        exit 2
        ;;
esac
