"""The database engines StatefulDB supports: one table row each, no if-chains elsewhere.

Health and backup commands are shell-free where the engine allows; where a shell is needed (to read a
password from a file without putting it on a command line) it is POSIX sh, which every engine image has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

EngineName = Literal["postgres", "mysql", "mariadb", "redis", "mongodb"]


@dataclass(frozen=True)
class Engine:
    name: EngineName
    image: str
    """Image reference template; {tag} is the exact version tag."""
    versions: dict[str, str]
    """Supported major (or major.minor) versions and the exact tag each pins."""
    port: int
    data_path: str
    writable_paths: tuple[str, ...]
    """Folders the engine writes besides its data (emptyDir/tmpfs under a read-only root)."""
    compose_uid: int
    """UID in compose: a fresh named volume takes the owner of the image's data folder, so engines whose
    folder is not world-writable run as the image's own user (999) there; Kubernetes uses fsGroup instead."""
    url_scheme: str
    server_env: dict[str, str] = field(default_factory=dict)
    """Server environment; {user}, {database} and {password_file} are filled in."""
    url_path: str = "/{database}"
    health: tuple[str, ...] = ()
    """Exec-form health command; {user}, {database} and {port} are filled in."""
    command: tuple[str, ...] = ()
    """Overrides the image command when the engine needs it (e.g. to read its password from a file)."""
    dump: str = ""
    """POSIX sh that writes one dump to "$BACKUP_FILE", reading the connection from DB_* variables."""
    dump_suffix: str = "dump"
    has_user: bool = True
    has_database: bool = True
    """False for engines without named databases (redis): clients get no ``<PREFIX>_NAME``."""
    root_password: bool = False
    """True when the image also needs a root password (a separate key, 'root-password', of the same Secret)."""
    init: tuple[str, str] | tuple[()] = ()
    """(file name, content) of a script the image's entrypoint runs once on an empty data folder, from
    INIT_DIR: it creates the application's own user with access to its database only."""
    start: tuple[str, ...] = ()
    """How the image starts the server (its entrypoint and command), run after the init script is in place."""
    reserved_users: tuple[str, ...] = ()
    """Names the engine keeps for itself; the application's user may not take them."""
    backup_password: bool = False
    """True when the health check and the dump log in as a user of the engine's own with a password of its own
    (the key 'backup-password' of the password's Secret, in $DB_BACKUP_PASSWORD_FILE), not as the application's."""
    queue_reader: QueueReader | None = None
    """The user KEDA reads the length of a queue as (Worker(scale_on=Queue(on=db))); None where KEDA reads none."""
    tls: EngineTls | None = None
    """How the engine serves TLS only (StatefulDB(tls=...)); None where shipform does not offer it."""
    client_tls: ClientTls | None = None
    """How a client's URL asks for TLS to a server of this engine that shipform does not run (External)."""
    backup_user: str | None = None
    """The user the dump logs in as, one of the engine's own that may only read (its password is the key
    'backup-password', see ``backup_password``); None: the application's user."""
    restore: str = ""
    """POSIX sh that restores the dump "$DUMP" into the database $DB_NAME, logged in as the application's user
    from the DB_* variables; or, with ``restore_offline``, into the data folder $DATA_DIR."""
    restore_offline: bool = False
    """The dump is restored into the data folder of the stopped server (redis: an RDB file), not through it."""


@dataclass(frozen=True)
class QueueReader:
    """A user of the engine's own that may read the length of the queues KEDA scales Workers by, and nothing else:
    ``setup`` (shell lines run before the server starts, after its other users are written) adds it with the
    password in $DB_QUEUE_READER_PASSWORD_FILE and access to the keys that ``keys`` makes of the queues' names."""

    user: str
    setup: str
    """{keys} is filled in with ``keys(names)``."""
    keys: Callable[[Sequence[str]], str]


@dataclass(frozen=True)
class EngineTls:
    """TLS from a Secret's tls.crt, tls.key and ca.crt, mounted as files: {tls_cert}, {tls_key} and {tls_ca} are
    filled in with their paths (the same in every container that mounts them); health checks and dumps read the
    CA's path from $DB_TLS_CA_FILE, which the server and the backup have (their lines stay short)."""

    prelude: str
    """Shell lines run before the server starts (a private copy of the key, an access file)."""
    server_args: tuple[str, ...]
    """Appended to the command's last line, the one that execs the server, each on a line of its own (a path long
    as a Secret's name could be makes one line too long to read, and for yamllint)."""
    health: tuple[str, ...]
    """The health check over TLS."""
    dump: str
    """The backup's dump over TLS, verifying the server against the CA."""
    url_scheme: str
    url_query: str
    """Appended to the clients' URL: how their driver verifies the server with the CA file."""
    server: str = ""
    """For an engine the image starts itself (no start script): the server program the arguments follow."""
    restore: str = ""
    """The restore over TLS, verifying the server against the CA."""


@dataclass(frozen=True)
class ClientTls:
    """TLS in the URL a client gets for a server outside the cluster (External(engine=..., tls=True)), in the
    terms of the engine's own connection strings: the scheme, and the query that asks for TLS (``encrypt``: the
    driver's own check of the server's certificate, which for postgres and mysql is none) or, with the CA of the
    authority that signed the server's certificate, for TLS that verifies the server's name against it
    (``verify``; {ca} is the CA file's path)."""

    url_scheme: str
    encrypt: str
    verify: str


# MySQL's URI-like connection strings (MySQL Shell, the X DevAPI connectors) take ssl-mode and ssl-ca.
MYSQL_CLIENT_TLS = ClientTls("mysql", "?ssl-mode=REQUIRED", "?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}")
MYSQL_VERIFY = "?ssl-mode=VERIFY_IDENTITY&ssl-ca={tls_ca}"
"""The URL's query for a mysql or mariadb server shipform runs with TLS: the CA, and the name checked against it."""
MYSQL_TLS_SERVER_ARGS = ("--ssl-cert={tls_cert}", "--ssl-key={tls_key}", "--ssl-ca={tls_ca}",
                         "--require-secure-transport=ON")
"""mysqld's and mariadbd's TLS options (the same in both): TCP connections must use TLS."""

PASSWORD = '"$(cat "$DB_PASSWORD_FILE")"'
MARIADB_BACKUP_USER = (
    # Sourced by the image's entrypoint once, on an empty data folder, after it made the application's user: its
    # docker_process_sql runs SQL as root over the socket. The password goes in on standard input, quoted for SQL.
    'backup_password="$(cat "$DB_BACKUP_PASSWORD_FILE")" || backup_password=""\n'
    'if [ -z "$backup_password" ]; then\n'
    '  echo "DB_BACKUP_PASSWORD_FILE is missing, unreadable or empty" >&2\n'
    '  exit 1\n'
    'fi\n'
    "quoted=\"$(printf '%s' \"$backup_password\" | sed -e 's/\\\\/\\\\\\\\/g' -e \"s/'/\\\\\\\\'/g\")\"\n"
    "docker_process_sql <<SQL\n"
    "CREATE USER 'backup'@'%' IDENTIFIED BY '$quoted';\n"
    "GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT ON \\`{database}\\`.* TO 'backup'@'%';\n"
    "GRANT SELECT ON mysql.proc TO 'backup'@'%';\n"
    "SQL\n")
"""MariaDB's backup user: it may read the application's database (tables, views, triggers, events, and routines
through mysql.proc) and write nothing."""
INIT_DIR = "/docker-entrypoint-initdb.d"
"""Where the official images look for set-up scripts; a writable emptyDir/tmpfs under the read-only root."""

_REDIS_GLOB = frozenset("*?[]\\")
_REDIS_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/@#%+=,-()<>!&|;^~`$")


def redis_key_pattern(name: str) -> str:
    """An ACL key pattern that matches the key ``name`` alone, as one argument of a redis.conf line: the glob's
    special characters escaped with a backslash, then every byte the line could misread (quotes, backslashes,
    anything beyond printable ASCII) written as \\xHH in a double-quoted argument, so the shell's single quotes
    around it hold no quote either. Redis refuses key patterns with spaces; the Queue refuses such names."""
    escaped = "".join("\\" + c if c in _REDIS_GLOB else c for c in name)
    return '"~' + "".join(c if c in _REDIS_PLAIN else "".join(f"\\x{b:02x}" for b in c.encode())
                          for c in escaped) + '"'


ENGINES: dict[str, Engine] = {
    "postgres": Engine(
        "postgres", "postgres:{tag}-bookworm", {"15": "15.10", "16": "16.6", "17": "17.2"}, 5432,
        "/var/lib/postgresql/data", ("/var/run/postgresql", "/tmp", INIT_DIR), 10001, "postgresql",
        server_env={"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD_FILE": "{root_password_file}",
                    # A subfolder: a fresh volume's root may hold lost+found, which initdb refuses.
                    "PGDATA": "/var/lib/postgresql/data/pgdata"},
        health=("pg_isready", "-U", "{user}", "-d", "{database}", "-h", "127.0.0.1", "-p", "{port}"),
        # The application's own login owns its database; the superuser stays with the platform team.
        # psql reads the password from the file itself (backticks run in psql, not on a command line).
        init=("10-app-user.sql", "\\set app_password `cat \"$DB_PASSWORD_FILE\"`\n"
              # psql ignores a failing backtick command: refuse an empty password instead of creating a
              # login without one (the script runs once, on an empty data folder).
              "SELECT :'app_password' = '' AS app_password_missing \\gset\n"
              "\\if :app_password_missing\n"
              "DO $fail$BEGIN RAISE EXCEPTION 'DB_PASSWORD_FILE is missing, unreadable or empty'; END$fail$;\n"
              "\\endif\n"
              "CREATE ROLE \"{user}\" LOGIN PASSWORD :'app_password';\n"
              "CREATE DATABASE \"{database}\" OWNER \"{user}\";\n"
              "REVOKE ALL ON DATABASE \"{database}\" FROM PUBLIC;\n"
              "REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;\n"
              "REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;\n"
              # Backups dump as a login that may read every table and write nothing (pg_read_all_data).
              "\\set backup_password `cat \"$DB_BACKUP_PASSWORD_FILE\"`\n"
              "SELECT :'backup_password' = '' AS backup_password_missing \\gset\n"
              "\\if :backup_password_missing\n"
              "DO $fail$BEGIN RAISE EXCEPTION 'DB_BACKUP_PASSWORD_FILE is missing, unreadable or empty'; END$fail$;\n"
              "\\endif\n"
              "CREATE ROLE backup LOGIN PASSWORD :'backup_password';\n"
              "GRANT pg_read_all_data TO backup;\n"
              "GRANT CONNECT ON DATABASE \"{database}\" TO backup;\n"),
        start=("docker-entrypoint.sh", "postgres"),
        dump=f'PGPASSWORD={PASSWORD} pg_dump -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" '
             '\\\n  --format=custom --file="$BACKUP_FILE"',
        root_password=True, reserved_users=("postgres", "backup"), backup_password=True, backup_user="backup",
        restore=f'PGPASSWORD={PASSWORD} pg_restore -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" '
                '\\\n  --clean --if-exists --no-owner --no-acl --single-transaction --exit-on-error "$DUMP"',
        # The key must be private to the server's user: a copy on the tmpfs. Connections over TCP must use TLS
        # (hostssl only); the socket inside the container stays as the image has it.
        tls=EngineTls(
            prelude="install -m 0600 {tls_key} /tmp/server.key\n"
                    "printf '%s\\n' 'local all all trust' 'hostssl all all all scram-sha-256' > /tmp/pg_hba.conf",
            server_args=("-c ssl=on", "-c ssl_cert_file={tls_cert}", "-c ssl_key_file=/tmp/server.key",
                         "-c hba_file=/tmp/pg_hba.conf"),
            health=("pg_isready", "-U", "{user}", "-d", "{database}", "-h", "127.0.0.1", "-p", "{port}"),
            dump=f'PGSSLMODE=verify-full PGSSLROOTCERT="$DB_TLS_CA_FILE" PGPASSWORD={PASSWORD} pg_dump '
                 '-h "$DB_HOST" -p "$DB_PORT" \\\n  -U "$DB_USER" -d "$DB_NAME" --format=custom --file="$BACKUP_FILE"',
            url_scheme="postgresql", url_query="?sslmode=verify-full&sslrootcert={tls_ca}",
            restore=f'PGSSLMODE=verify-full PGSSLROOTCERT="$DB_TLS_CA_FILE" PGPASSWORD={PASSWORD} pg_restore '
                    '-h "$DB_HOST" -p "$DB_PORT" \\\n  -U "$DB_USER" -d "$DB_NAME" --clean --if-exists --no-owner '
                    '--no-acl --single-transaction --exit-on-error "$DUMP"'),
        client_tls=ClientTls("postgresql", "?sslmode=require", "?sslmode=verify-full&sslrootcert={ca}"),
    ),
    "mysql": Engine(
        "mysql", "mysql:{tag}", {"8.0": "8.0.40", "8.4": "8.4.3"}, 3306, "/var/lib/mysql",
        ("/var/run/mysqld", "/tmp"), 999, "mysql",
        server_env={"MYSQL_USER": "{user}", "MYSQL_DATABASE": "{database}", "MYSQL_PASSWORD_FILE": "{password_file}",
                    "MYSQL_ROOT_PASSWORD_FILE": "{root_password_file}"},
        health=("mysqladmin", "ping", "-h", "127.0.0.1", "-P", "{port}", "--silent"),
        dump=f'MYSQL_PWD={PASSWORD} mysqldump -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" --single-transaction '
             '\\\n  --routines "$DB_NAME" > "$BACKUP_FILE"',
        dump_suffix="sql", root_password=True, reserved_users=("root",), client_tls=MYSQL_CLIENT_TLS,
        restore=f'MYSQL_PWD={PASSWORD} mysql -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" "$DB_NAME" < "$DUMP"',
        # As mariadb: TCP connections must use TLS; the health check asks over the server's socket. mysqldump
        # verifies the server's certificate and its name (VERIFY_IDENTITY).
        tls=EngineTls(
            prelude="", server="mysqld",
            server_args=MYSQL_TLS_SERVER_ARGS,
            health=("mysqladmin", "ping", "--silent"),
            dump=f'MYSQL_PWD={PASSWORD} mysqldump -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" '
                 '--ssl-mode=VERIFY_IDENTITY \\\n  --ssl-ca="$DB_TLS_CA_FILE" --single-transaction --routines '
                 '"$DB_NAME" > "$BACKUP_FILE"',
            url_scheme="mysql", url_query=MYSQL_VERIFY,
            restore=f'MYSQL_PWD={PASSWORD} mysql -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" '
                    '--ssl-mode=VERIFY_IDENTITY \\\n  --ssl-ca="$DB_TLS_CA_FILE" "$DB_NAME" < "$DUMP"'),
    ),
    "mariadb": Engine(
        "mariadb", "mariadb:{tag}", {"10.11": "10.11.10", "11.4": "11.4.4"}, 3306, "/var/lib/mysql",
        ("/run/mysqld", "/tmp", INIT_DIR), 999, "mysql",
        server_env={"MARIADB_USER": "{user}", "MARIADB_DATABASE": "{database}",
                    "MARIADB_PASSWORD_FILE": "{password_file}",
                    "MARIADB_ROOT_PASSWORD_FILE": "{root_password_file}"},
        health=("mariadb-admin", "ping", "-h", "127.0.0.1", "-P", "{port}", "--silent"),
        dump=f'MYSQL_PWD={PASSWORD} mariadb-dump -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" --single-transaction '
             '\\\n  --routines "$DB_NAME" > "$BACKUP_FILE"',
        dump_suffix="sql", root_password=True, reserved_users=("root", "backup"), backup_password=True,
        backup_user="backup", init=("10-backup-user.sh", MARIADB_BACKUP_USER),
        start=("docker-entrypoint.sh", "mariadbd"),
        restore=f'MYSQL_PWD={PASSWORD} mariadb -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" "$DB_NAME" < "$DUMP"',
        # TCP connections must use TLS; the health check asks over the server's socket inside the container.
        tls=EngineTls(
            prelude="", server="mariadbd",
            server_args=MYSQL_TLS_SERVER_ARGS,
            health=("mariadb-admin", "ping", "--silent"),
            dump=f'MYSQL_PWD={PASSWORD} mariadb-dump -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" --ssl '
                 '--ssl-ca="$DB_TLS_CA_FILE" \\\n  --ssl-verify-server-cert --single-transaction --routines '
                 '"$DB_NAME" > "$BACKUP_FILE"',
            url_scheme="mysql", url_query=MYSQL_VERIFY,
            restore=f'MYSQL_PWD={PASSWORD} mariadb -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" --ssl '
                    '--ssl-ca="$DB_TLS_CA_FILE" \\\n  --ssl-verify-server-cert "$DB_NAME" < "$DUMP"'),
        client_tls=MYSQL_CLIENT_TLS,
    ),
    "redis": Engine(
        "redis", "redis:{tag}-bookworm", {"7.2": "7.2.6", "7.4": "7.4.1"}, 6379, "/data", ("/tmp",), 999, "redis",
        url_path="/0",
        # ACL users in a config file on the tmpfs (each password as its SHA-256, never on a command line): the
        # default user is off; the application's user may run every command but the admin and dangerous ones
        # (CONFIG, FLUSHALL, DEBUG, SHUTDOWN, ACL, MODULE, KEYS, ...) and those that drop or kill every script or
        # function (EVAL and FCALL stay); 'backup', with a password of its own, may only PING and replicate, which
        # is what the health check and `redis-cli --rdb` need.
        command=("sh", "-c", "\n".join([
            "set -eu",
            'sha() { p="$(cat "$1")"; [ -n "$p" ] || { echo "the password file $1 is empty" >&2; exit 1; }',
            '  printf %s "$p" | sha256sum | cut -d " " -f 1; }',
            'APP="$(sha "$DB_PASSWORD_FILE")"',
            'BACKUP="$(sha "$DB_BACKUP_PASSWORD_FILE")"',
            "printf '%s\\n' 'user default off' \\",
            '  "user {user} on #$APP ~* &* +@all -@admin -@dangerous -script|flush -script|kill -function|flush \\',
            '-function|delete -function|restore" \\',
            '  "user backup on #$BACKUP resetchannels +ping +sync +psync +replconf" > /tmp/redis.conf',
            "exec redis-server /tmp/redis.conf --dir /data --appendonly yes --port {port}"])),
        health=("sh", "-c", 'REDISCLI_AUTH="$(cat "$DB_BACKUP_PASSWORD_FILE")" redis-cli --user backup -h 127.0.0.1 '
                            '-p {port} ping | grep -q PONG'),
        dump=f'REDISCLI_AUTH={PASSWORD} redis-cli --user backup -h "$DB_HOST" -p "$DB_PORT" --rdb "$BACKUP_FILE"',
        dump_suffix="rdb", has_database=False, reserved_users=("default", "backup", "keda"), backup_password=True,
        backup_user="backup",
        # The server (appendonly yes) loads its append-only files, never dump.rdb: the dump becomes the base of a
        # fresh set of them (a base may be an RDB file), which replaces the old set whole.
        restore='NEW="$DATA_DIR/appendonlydir.restore" && rm -rf "$NEW" && mkdir "$NEW" \\\n'
                '  && cp "$DUMP" "$NEW/appendonly.aof.1.base.rdb" \\\n'
                '  && printf \'%s\\n\' \'file appendonly.aof.1.base.rdb seq 1 type b\' \\\n'
                '  > "$NEW/appendonly.aof.manifest" \\\n'
                '  && rm -rf "$DATA_DIR/appendonlydir" "$DATA_DIR/dump.rdb" && mv "$NEW" "$DATA_DIR/appendonlydir"',
        restore_offline=True,
        # KEDA's redis scaler logs in, sends PING, then EVAL of a script that asks the key's TYPE and, for a list,
        # its LLEN (kedacore/keda pkg/scalers/redis_scaler.go). A script runs only the commands its user may run,
        # on the keys its user may touch: 'keda' reads the type and length of the queues' lists, nothing else.
        # (Not %R~: Redis takes EVAL's keys as written to, so a read-only key pattern refuses the script.)
        queue_reader=QueueReader("keda", "\n".join([
            'KEDA="$(sha "$DB_QUEUE_READER_PASSWORD_FILE")"',
            "printf '%s\\n' \"user keda on #$KEDA resetchannels +ping +eval +type +llen \"{keys} >> /tmp/redis.conf"]),
            lambda names: "'" + " ".join(redis_key_pattern(name) for name in names) + "'"),
        # TLS only: no plain port at all; clients are not asked for certificates (they log in with a password).
        tls=EngineTls(
            prelude="",
            server_args=("--port 0 --tls-port {port}", "--tls-cert-file {tls_cert}", "--tls-key-file {tls_key}",
                         "--tls-ca-cert-file {tls_ca}", "--tls-auth-clients no"),
            health=("sh", "-c", 'REDISCLI_AUTH="$(cat "$DB_BACKUP_PASSWORD_FILE")" redis-cli --tls '
                                '--cacert "$DB_TLS_CA_FILE" --user backup -h 127.0.0.1 -p {port} ping | grep -q PONG'),
            dump=f'REDISCLI_AUTH={PASSWORD} redis-cli --tls --cacert "$DB_TLS_CA_FILE" --user backup -h "$DB_HOST" '
                 '-p "$DB_PORT" \\\n  --rdb "$BACKUP_FILE"',
            url_scheme="rediss", url_query="?ssl_ca_certs={tls_ca}"),
        # redis-py (and most clients) verify a rediss:// server against the system's CAs by default.
        client_tls=ClientTls("rediss", "", "?ssl_ca_certs={ca}"),
    ),
    "mongodb": Engine(
        "mongodb", "mongo:{tag}", {"7.0": "7.0.15", "8.0": "8.0.4"}, 27017, "/data/db",
        ("/data/configdb", "/tmp", INIT_DIR), 999, "mongodb",
        server_env={"MONGO_INITDB_ROOT_USERNAME": "root", "MONGO_INITDB_ROOT_PASSWORD_FILE": "{root_password_file}",
                    "MONGO_INITDB_DATABASE": "{database}"},
        health=("mongosh", "--quiet", "--norc", "--port", "{port}", "--eval",
                "quit(db.adminCommand('ping').ok ? 0 : 1)"),
        # The application's own user may read and write its database only; root stays with the platform team.
        init=("10-app-user.js", 'db.getSiblingDB("{database}").createUser({user: "{user}", '
              'pwd: require("fs").readFileSync(process.env.DB_PASSWORD_FILE, "utf8").trim(), '
              'roles: [{role: "readWrite", db: "{database}"}]});\n'),
        start=("docker-entrypoint.sh", "mongod"),
        # The password goes into a private config file, never onto the command line; the archive keeps the usual
        # mode, which the restore (a user of its own) reads.
        dump=f'(umask 077 && printf "password: %s\\n" {PASSWORD} > /tmp/mongodump.yaml) && mongodump '
             '\\\n  --config=/tmp/mongodump.yaml --host="$DB_HOST" --port="$DB_PORT" --username="$DB_USER" '
             '\\\n  --authenticationDatabase="$DB_NAME" --db="$DB_NAME" --gzip --archive="$BACKUP_FILE"',
        dump_suffix="archive.gz", root_password=True, reserved_users=("root",),
        restore=f'umask 077 && printf "password: %s\\n" {PASSWORD} > /tmp/mongorestore.yaml && mongorestore '
                '\\\n  --config=/tmp/mongorestore.yaml --host="$DB_HOST" --port="$DB_PORT" --username="$DB_USER" '
                '\\\n  --authenticationDatabase="$DB_NAME" --nsInclude="$DB_NAME.*" --drop --gzip --archive="$DUMP"',
        client_tls=ClientTls("mongodb", "?tls=true", "?tls=true&tlsCAFile={ca}"),
    ),
}


def fill(template: str, **values: object) -> str:
    """``{name}`` replaced by each value; other braces (JavaScript objects, shell) stay as they are."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def start_command(engine: Engine, tls: bool = False, queues: Sequence[str] = ()) -> tuple[str, ...]:
    """Write the init script into INIT_DIR, then start the server the way the image does. The script is
    data in a quoted here-document: nothing in it is expanded by the shell. With ``queues`` (the names of the
    queues KEDA reads) the engine's queue reader is added before the server starts. With ``tls`` the engine's TLS
    prelude runs first and its server arguments end the line that starts the server."""
    if engine.init:
        name, content = engine.init
        command: tuple[str, ...] = ("sh", "-c", f"cat > {INIT_DIR}/{name} <<'INIT'\n{content}INIT\n"
                                                f"exec {' '.join(engine.start)}")
    else:
        command = engine.command
    reader = engine.queue_reader if queues else None
    if reader is not None:
        shell, flag, script = command
        *lines, last = script.split("\n")
        command = (shell, flag, "\n".join([*lines, fill(reader.setup, keys=reader.keys(queues)), last]))
    if not tls or engine.tls is None:
        return command
    if not command:  # the image's entrypoint starts the server: name it, with the arguments
        return (engine.tls.server, *(word for line in engine.tls.server_args for word in line.split()))
    shell, flag, script = command
    *lines, last = script.split("\n")
    return (shell, flag, "\n".join([*lines, *filter(None, [engine.tls.prelude]),
                                    " \\\n  ".join([last, *engine.tls.server_args])]))
