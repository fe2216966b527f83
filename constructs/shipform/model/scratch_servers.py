"""Throwaway database servers a restore drill starts inside its own container, from the engine's own image: one
table row per engine that offers drills, no if-chains elsewhere.

Each server is made fresh in the folder ``$WORK`` (data, socket, logs), listens on 127.0.0.1:``$SCRATCH_PORT``
only (nothing outside the pod reaches it, and its NetworkPolicy admits nothing anyway) and knows no production
password: its users log in without one, which the loopback-only listener makes harmless. Every snippet is POSIX sh
run by :func:`shipform.model.drill.drill_script`; ``fail`` (defined there) stops the drill with a message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScratchServer:
    """How a drill makes, starts and asks a scratch server of one engine."""

    prepare: str
    """Shell lines run before the server starts: the data folder made ($WORK/data), or checks of the dump."""
    server: str
    """The server's command line, run in the background (its output goes to $WORK/server.log)."""
    ready: str
    """A command that succeeds once the server takes connections."""
    setup: str
    """Shell lines that give it the application's user ($DB_USER) and database ($DB_NAME), empty, owned by the
    user, as the production server has them; empty where the engine has neither (redis)."""
    query: str
    """A command that runs the check "$DRILL_CHECK" as the application's user and prints its result."""
    default_check: str
    """The check a drill runs unless told another: it proves the restored data holds what an application keeps."""


POSTGRES_NSS_WRAPPER = "\n".join([
    # initdb and postgres refuse a user ID without a name; a pod's own UID has none. As the image's entrypoint
    # does, name it through nss_wrapper (which the official image ships) for this drill only.
    'if ! getent passwd "$(id -u)" >/dev/null 2>&1; then',
    "  for wrapper in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do",
    '    [ -s "$wrapper" ] || continue',
    '    printf \'postgres:x:%s:%s::%s:/bin/false\\n\' "$(id -u)" "$(id -g)" "$WORK" > "$WORK/passwd"',
    '    printf \'postgres:x:%s:\\n\' "$(id -g)" > "$WORK/group"',
    '    export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD="$WORK/passwd" NSS_WRAPPER_GROUP="$WORK/group"',
    "    break",
    "  done",
    "fi",
])

SCRATCH_SERVERS: dict[str, ScratchServer] = {
    "postgres": ScratchServer(
        prepare=POSTGRES_NSS_WRAPPER + "\n"
                'initdb -D "$WORK/data" -U postgres --auth=trust >"$WORK/init.log" 2>&1 \\\n'
                '  || fail "initdb could not make the scratch server: $(tail -n 5 "$WORK/init.log")"',
        server='postgres -D "$WORK/data" -c listen_addresses=127.0.0.1 -p "$SCRATCH_PORT" -k "$WORK"',
        ready='pg_isready -q -h 127.0.0.1 -p "$SCRATCH_PORT"',
        # psql's variables quote the names (:"user"), whatever they hold.
        setup='psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$SCRATCH_PORT" -U postgres -d postgres \\\n'
              '  -v user="$DB_USER" -v db="$DB_NAME" <<\'SQL\'\n'
              'CREATE ROLE :"user" LOGIN;\n'
              'CREATE DATABASE :"db" OWNER :"user";\n'
              "SQL",
        query='psql -X -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$SCRATCH_PORT" -U "$DB_USER" -d "$DB_NAME" '
              '-c "$DRILL_CHECK"',
        default_check="SELECT count(*) FROM pg_catalog.pg_tables "
                      "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    ),
    "mariadb": ScratchServer(
        # mariadb-dump ends a complete dump with this line: a dump cut short at a statement's end would restore
        # without an error.
        prepare='tail -n 1 "$DUMP" | grep -q "^-- Dump completed" \\\n'
                '  || fail "the dump $DUMP is incomplete: its last line is not \'-- Dump completed ...\'"\n'
                "mariadb-install-db --no-defaults --rpm --auth-root-authentication-method=normal --skip-test-db \\\n"
                '  --datadir="$WORK/data" >"$WORK/init.log" 2>&1 \\\n'
                '  || fail "mariadb-install-db could not make the scratch server: $(tail -n 5 "$WORK/init.log")"',
        server='mariadbd --no-defaults --datadir="$WORK/data" --socket="$WORK/mysqld.sock" --bind-address=127.0.0.1 '
               '\\\n  --port="$SCRATCH_PORT" --skip-name-resolve --skip-log-bin --pid-file="$WORK/mysqld.pid"',
        ready='mariadb-admin --no-defaults --socket="$WORK/mysqld.sock" -u root ping --silent >/dev/null 2>&1',
        setup='mariadb --no-defaults --socket="$WORK/mysqld.sock" -u root -e "CREATE DATABASE \\`$DB_NAME\\`;\n'
              "  CREATE USER '$DB_USER'@'%'; GRANT ALL ON \\`$DB_NAME\\`.* TO '$DB_USER'@'%';\"",
        query='MYSQL_PWD="" mariadb --no-defaults -h 127.0.0.1 -P "$SCRATCH_PORT" -u "$DB_USER" -N -B "$DB_NAME" '
              '-e "$DRILL_CHECK"',
        default_check="SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    ),
    "redis": ScratchServer(
        # The dump's checksum and structure, before the restore makes it the server's base.
        prepare='redis-check-rdb "$DUMP" >"$WORK/check.log" 2>&1 \\\n'
                '  || fail "the dump $DUMP is not a sound RDB file: $(tail -n 3 "$WORK/check.log")"\n'
                'mkdir "$WORK/data"',
        server='redis-server --bind 127.0.0.1 --port "$SCRATCH_PORT" --dir "$WORK/data" --appendonly yes '
               '--save ""',
        ready='[ "$(redis-cli -h 127.0.0.1 -p "$SCRATCH_PORT" ping 2>/dev/null)" = PONG ]',
        setup="",
        # The check is a command and its arguments, split on spaces (no glob: set -f; the query runs in a command
        # substitution, a shell of its own). redis-cli prints an error reply and succeeds: an error fails here.
        query='set -f; REPLY="$(redis-cli -h 127.0.0.1 -p "$SCRATCH_PORT" $DRILL_CHECK)" \\\n'
              '  && case "$REPLY" in ERR*|WRONGTYPE*|NOPERM*) echo "$REPLY" >&2; exit 1 ;; esac && echo "$REPLY"',
        default_check="DBSIZE",
    ),
}
"""The engines a restore drill is offered for: the ones its tests restore into real servers."""
