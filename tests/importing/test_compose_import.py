"""Each rule of `shipform import compose`, on small compose files written here: what a service becomes, its
connections, its credentials, the comments for what is not carried over, and the files written. The app source is
checked as text and compiled; `test_import_then_synth` synthesizes one, and the corpus test real-world ones."""

from __future__ import annotations

import ast
import os
import stat
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shipform.cli import cli
from shipform.importing.importer import import_compose
from shipform.importing.interpolation import Variables
from shipform.importing.plan import ImportPlan
from shipform.importing.source import app_source
from shipform.importing.writing import write_import


def imported(root: Path, compose: str, files: dict[str, str] | None = None) -> tuple[str, ImportPlan]:
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "compose.yaml").write_text(textwrap.dedent(compose))
    plan = import_compose(root / "compose.yaml", root)
    source = app_source(plan, "compose.yaml", "app.secrets.env" if plan.secret_values else None)
    tree = ast.parse(source)  # valid Python whose imports are shipform's public API alone
    assert {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} == {"shipform"}
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import)]
    return source, plan


def targets(plan: ImportPlan, service: str) -> list[tuple[str, str | None]]:
    return [(c.target, c.port) for c in plan.services[service].connects]


# ------------------------------------------------------------------------------------------------- reading the file
@pytest.mark.parametrize(("text", "values", "expected"), [
    ("${A:-x}", {}, "x"), ("${A:-x}", {"A": ""}, "x"), ("${A-x}", {"A": ""}, ""), ("${A-x}", {}, "x"),
    ("${A:+y}", {"A": "1"}, "y"), ("${A:+y}", {}, ""), ("$$HOME", {}, "$HOME"), ("$A/b", {"A": "a"}, "a/b"),
    ("${A:-${B:-z}}", {}, "z"), ("${A?set it}", {"A": "v"}, "v"), ("${A?set it}", {}, ""), ("${", {}, "${"),
])
def test_interpolation_follows_compose(text: str, values: dict[str, str], expected: str) -> None:
    assert Variables(values).interpolate(text) == expected


def test_dotenv_beside_the_file_yaml_1_2_scalars_and_merge_keys(tmp_path: Path) -> None:
    source, plan = imported(tmp_path, """
        x-env: &env
          LOG_LEVEL: ${LEVEL:-info}
          ENABLED: yes
        services:
          api:
            image: ghcr.io/acme/api:${TAG}
            ports: ["22:22"]
            environment:
              <<: *env
              REGION: ${REGION}
        """, {".env": "TAG=1.2.3\nLEVEL='debug'\n"})
    api = plan.services["api"]
    assert api.image == "ghcr.io/acme/api:1.2.3"
    assert api.ports[0].number == 22  # not the base-60 number 1342 of YAML 1.1
    assert api.config == {"LOG_LEVEL": "debug", "ENABLED": "yes", "REGION": ""}
    assert plan.unset == ["REGION"] and "${REGION} is unset" in source


def test_env_file_values_under_environment(tmp_path: Path) -> None:
    _, plan = imported(tmp_path, """
        services:
          api: {image: "api:1.0", env_file: [base.env], environment: {MODE: override}}
        """, {"base.env": "MODE=base\nexport COLOR=\"blue\"  \n# a comment\nWORDS=a b # c\n"})
    assert plan.services["api"].config == {"MODE": "override", "COLOR": "blue", "WORDS": "a b"}


# ---------------------------------------------------------------------------------------- what a service becomes
@pytest.mark.parametrize(("image", "engine", "version"), [
    ("postgres:16-alpine", "postgres", "16"), ("docker.io/library/postgres:13", "postgres", "15"),
    ("postgres", "postgres", "17"), ("valkey/valkey:8.0", "redis", "7.4"), ("redis:7.2.4", "redis", "7.2"),
    ("mongo:7", "mongodb", "7.0"), ("mariadb:11.4", "mariadb", "11.4"), ("mysql:8", "mysql", "8.4"),
    ("bitnami/postgresql:16", "postgres", "16"),
])
def test_database_images_become_statefuldbs(tmp_path: Path, image: str, engine: str, version: str) -> None:
    source, plan = imported(tmp_path, f"""
        services:
          db:
            image: {image}
            environment: {{POSTGRES_DB: shop, POSTGRES_USER: shop, POSTGRES_PASSWORD: s3cret-value}}
            volumes: [data:/var/lib/postgresql/data, ./init.sql:/docker-entrypoint-initdb.d/init.sql]
        """)
    db = plan.services["db"]
    assert (db.kind, db.engine, db.version) == ("db", engine, version)
    assert f'StatefulDB(ns, "db", engine="{engine}", version="{version}"' in source
    assert "POSTGRES_PASSWORD: <redacted> is not imported: shipform generates the password" in source
    assert "s3cret-value" not in source


def test_queue_servers_become_externals(tmp_path: Path) -> None:
    source, plan = imported(tmp_path, """
        services:
          rabbitmq: {image: "rabbitmq:3-management"}
          api: {image: "api:1.0", depends_on: [rabbitmq]}
        """)
    assert 'External(ns, "rabbitmq", host="rabbitmq.invalid", port=5672, scheme="amqp")' in source
    assert targets(plan, "api") == [("rabbitmq", None)]


@pytest.mark.parametrize(("files", "build"), [
    ({"svc/requirements.txt": ""}, 'Build.python("svc", ["python", "-m", "svc"])'),
    ({"svc/package.json": "{}", "svc/package-lock.json": "{}"}, 'Build.node("svc", ["python", "-m", "svc"])'),
    ({"svc/go.mod": "module x\n"}, 'Build.go("svc", ["python", "-m", "svc"])'),
    ({"svc/Dockerfile": "FROM x\nUSER 1000:1000\n"}, 'Build.dockerfile("svc/Dockerfile", context="svc")'),
])
def test_built_services_get_the_preset_of_their_context(tmp_path: Path, files: dict[str, str], build: str) -> None:
    source, plan = imported(tmp_path, """
        services:
          svc: {build: ./svc, command: python -m svc, ports: ["8000:8000"]}
        """, files)
    assert build in source
    if "Dockerfile" in build:
        assert plan.services["svc"].run_as == (1000, 1000) and "run_as_user=1000" in source


def test_the_dockerfiles_command_when_compose_has_none(tmp_path: Path) -> None:
    _, plan = imported(tmp_path, """
        services:
          svc: {build: {context: svc}}
        """, {"svc/requirements.txt": "", "svc/Dockerfile": 'FROM python\nCMD ["gunicorn", "app:app"]\n'})
    assert plan.services["svc"].build and plan.services["svc"].build.command == ["gunicorn", "app:app"]


def test_a_dockerfile_running_as_root_runs_the_image_with_a_comment(tmp_path: Path) -> None:
    source, plan = imported(tmp_path, """
        services:
          svc: {build: ./svc, image: "acme/svc:2.0"}
        """, {"svc/Dockerfile": "FROM x\nCMD [\"run\"]\n"})
    assert plan.services["svc"].image == "acme/svc:2.0"
    assert ("# compose: svc.build.dockerfile: Dockerfile is not imported: the Dockerfile runs as USER (none: root)"
            in source)


def test_services_of_one_build_share_its_image(tmp_path: Path) -> None:
    source, plan = imported(tmp_path, """
        x-app: &app
          build: .
        services:
          web: {<<: *app, command: serve, ports: ["8000:8000"]}
          jobs: {<<: *app, command: work}
        """, {"requirements.txt": ""})
    assert plan.services["jobs"].image_of == "web"
    assert 'image_of=web' in source and 'command=["work"]' in source


@pytest.mark.parametrize(("image", "expected"), [("nginx", "nginx:unpinned"), ("nginx:latest", "nginx:unpinned"),
                                                 ("nginx:1.27.3", "nginx:1.27.3"), (":latest", "web:unpinned")])
def test_images_run_pinned_or_say_so(tmp_path: Path, image: str, expected: str) -> None:
    source, plan = imported(tmp_path, f"""
        services:
          web: {{image: "{image}"}}
        """)
    assert plan.services["web"].image == expected
    assert (expected == image) == ("# compose: web.image" not in source)


def test_one_offs_become_a_migration_or_a_job(tmp_path: Path) -> None:
    source, plan = imported(tmp_path, """
        services:
          db: {image: "postgres:16"}
          migrate: {image: "acme/api:1.0", command: alembic upgrade head, depends_on: [db]}
          api:
            image: acme/api:1.0
            ports: ["8000:8000"]
            depends_on: {db: {condition: service_healthy}, migrate: {condition: service_completed_successfully}}
          seed: {image: "acme/seed:1.0", restart: "no", command: seed, profiles: [tools]}
        """)
    assert plan.services["migrate"].kind == "migration"
    assert 'migrate=Migration(["alembic", "upgrade", "head"], connects_to=[db])' in source
    assert plan.services["seed"].kind == "job" and 'Job(ns, "seed"' in source
    assert "seed.profiles: ['tools']: shipform has no profiles; a one-off runs under compose's 'jobs' profile" in source


def test_health_checks_ports_volumes(tmp_path: Path) -> None:
    source, plan = imported(tmp_path, """
        services:
          api:
            build: api
            command: serve
            ports: ["8080:8000", "9090:9000/udp"]
            healthcheck: {test: ["CMD", "curl", "-f", "http://localhost:8000/healthz"], interval: 5s, timeout: 10s}
            volumes: [uploads:/srv/uploads, ./src:/app, /cache, {type: tmpfs, target: /run/app}]
          worker:
            image: acme/worker:1.0
            healthcheck: {test: "pgrep worker"}
          web:
            image: acme/web:1.0
            ports: ["8001:8000"]
        volumes: {uploads: {}}
        """, {"api/requirements.txt": ""})
    api = plan.services["api"]
    assert api.health == ("http", ["/healthz"], {"period_seconds": 5, "timeout_seconds": 4})
    assert api.public and [p.number for p in api.ports] == [8000]
    assert api.volumes == {"/srv/uploads": 'Volume(size="1Gi")'}
    assert api.writable_paths == ["/tmp", "/cache", "/run/app"]
    assert "api.ports: 9090:9000/udp is not imported: shipform serves TCP ports only, not udp" in source
    assert "api.volumes: ./src:/app is not imported: a bind mount" in source
    assert plan.services["worker"].health == ("exec", [["sh", "-c", "pgrep worker"]], {})
    assert not plan.services["web"].public  # the same port as api's, which compose publishes on 127.0.0.1
    assert "web.ports: 8000 is not imported: api is public on the same port" in source


@pytest.mark.parametrize("key, value", [
    ("privileged", "true"), ("cap_add", "[NET_ADMIN]"), ("network_mode", "host"), ("devices", '["/dev/fuse"]'),
    ("extra_hosts", '["host.docker.internal:host-gateway"]'), ("pid", "host"), ("security_opt", "[seccomp:unconfined]"),
    ("something_new", "1"),
])
def test_what_cannot_be_mapped_is_a_comment_and_the_rest_imports(tmp_path: Path, key: str, value: str) -> None:
    source, plan = imported(tmp_path, f"""
        services:
          api: {{image: "acme/api:1.0", {key}: {value}}}
        """)
    assert f"# compose: api.{key}: " in source and " is not imported: " in source
    assert plan.services["api"].image == "acme/api:1.0"


# ------------------------------------------------------------------------------------------------- connections
def test_connections_from_every_source_compose_has(tmp_path: Path) -> None:
    source, plan = imported(tmp_path, """
        services:
          db: {image: "postgres:16", networks: [back]}
          cache: {image: "redis:7.4", networks: [back]}
          search: {image: "acme/search:1.0", ports: ["9200:9200"]}
          api:
            image: acme/api:1.0
            ports: ["8000:8000", "9000:9000"]
            networks: [back, default]
            environment: {SEARCH_URL: "http://search:9200", WEB_HOST: web}
          web:
            image: acme/web:1.0
            ports: ["3000:3000"]
            links: ["api:backend"]
            environment: {METRICS: "api:9000"}
          mailer: {image: "acme/mailer:1.0", depends_on: {api: {condition: service_started}}}
        networks: {back: {}}
        """)
    assert set(targets(plan, "api")) == {("db", None), ("cache", None), ("search", None)}
    assert targets(plan, "web") == [("api", None)]  # links first; METRICS names the same pair
    assert targets(plan, "mailer") == [("api", None)]
    assert "# compose: api.environment: web is not imported: it would close a loop" in source


def test_a_named_port_is_used_when_the_environment_names_it(tmp_path: Path) -> None:
    source, plan = imported(tmp_path, """
        services:
          api: {image: "acme/api:1.0", ports: ["8000:8000", "9000:9000"]}
          web: {image: "acme/web:1.0", environment: {METRICS_ADDR: "api:9000"}}
        """)
    assert targets(plan, "web") == [("api", "port-9000")] and 'api.on("port-9000")' in source


def test_a_server_without_a_known_port_is_a_worker_and_the_edge_a_comment(tmp_path: Path) -> None:
    source, _ = imported(tmp_path, """
        services:
          queue-runner: {image: "acme/runner:1.0"}
          api: {image: "acme/api:1.0", depends_on: [queue-runner]}
        """)
    assert "# compose: api.depends_on: queue-runner is not imported: it serves no port shipform knows" in source
    assert 'Health.none("the compose file defines no health check")' in source


# -------------------------------------------------------------------------------------------------- credentials
def test_literal_credentials_become_secretrefs_and_only_the_secrets_file_holds_them(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        services:
          api:
            image: acme/api:1.0
            environment:
              API_TOKEN: tok-1234567890
              REDIS_AUTH: "it's-a-secret"
              DATABASE_URL: postgres://app:hunter2hunter2@db/app
              LOG_LEVEL: info
          db: {image: "postgres:16", environment: {POSTGRES_PASSWORD: pg-password-123}}
        """))
    written = write_import(tmp_path / "compose.yaml", tmp_path / "app.py")
    source = (tmp_path / "app.py").read_text()
    secrets = (tmp_path / "app.secrets.env").read_text()
    assert written == [tmp_path / "app.py", tmp_path / "app.secrets.env"]
    assert '"API_TOKEN": SecretRef("api-secrets", "api-token")' in source
    assert '"DATABASE_URL": SecretRef("api-secrets", "database-url")' in source
    assert '"LOG_LEVEL": "info"' in source
    for literal in ("tok-1234567890", "it's-a-secret", "hunter2hunter2", "pg-password-123"):
        assert literal not in source
    assert "SHIPFORM_SECRET_API_SECRETS_API_TOKEN='tok-1234567890'" in secrets
    assert "SHIPFORM_SECRET_API_SECRETS_REDIS_AUTH='it'\\''s-a-secret'" in secrets
    assert stat.S_IMODE(os.stat(tmp_path / "app.secrets.env").st_mode) == 0o600


# ---------------------------------------------------------------------------------------------- writing the files
def test_never_overwrites_without_force(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  api: {image: 'acme/api:1.0'}\n")
    (tmp_path / "app.py").write_text("mine\n")
    runner = CliRunner()
    result = runner.invoke(cli, ["import", "compose", str(tmp_path / "compose.yaml"), "-o", str(tmp_path / "app.py")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {tmp_path / 'app.py'}: '-o' exists; the import never overwrites a file")
    assert (tmp_path / "app.py").read_text() == "mine\n"
    result = runner.invoke(cli, ["import", "compose", str(tmp_path / "compose.yaml"), "-o", str(tmp_path / "app.py"),
                                 "--force"])
    assert result.exit_code == 0 and 'Worker(ns, "api"' in (tmp_path / "app.py").read_text()


def test_import_then_synth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        services:
          db: {image: "postgres:16", environment: {POSTGRES_PASSWORD: pg-password-123}}
          api:
            build: api
            command: gunicorn app:app
            ports: ["8000:8000"]
            environment: {DATABASE_URL: "postgresql://app:pg-password-123@db/app", SECRET_KEY: session-key-123}
        """))
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "requirements.txt").write_text("gunicorn\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\ndependencies = ["shipform"]\n')
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["import", "compose", "compose.yaml", "-o", "app.py"]).exit_code == 0
    result = runner.invoke(cli, ["synth", "app.py"])
    assert result.exit_code == 0, result.stderr
    output = "".join(p.read_text() for p in (tmp_path / "dist").rglob("*") if p.is_file())
    assert "pg-password-123" not in output and "session-key-123" not in output
    assert "api-secrets.secret-key" in output  # the reference, mounted as a file


def test_a_port_published_on_loopback_only_is_not_public(tmp_path: Path) -> None:
    source, plan = imported(tmp_path, """
        services:
          admin: {image: "acme/admin:1.0", ports: ["127.0.0.1:8080:8080"]}
          web: {image: "acme/web:1.0", ports: [{target: 3000, published: 3000, host_ip: "0.0.0.0"}]}
        """)
    assert not plan.services["admin"].public and plan.services["admin"].ports[0].number == 8080
    assert "admin.ports: published on the host's loopback only" in source
    assert plan.services["web"].public


def test_comments_cut_out_credentials_but_not_the_names_that_share_them(tmp_path: Path) -> None:
    source, _ = imported(tmp_path, """
        services:
          clickhouse:
            image: clickhouse/clickhouse-server
            environment: {CLICKHOUSE_USER: clickhouse, CLICKHOUSE_PASSWORD: clickhouse}
          api:
            image: acme/api:1.0
            labels: {note: "uses hunter2-hunter2"}
            environment: {API_TOKEN: hunter2-hunter2}
        """)
    assert "# compose: clickhouse.image: clickhouse/clickhouse-server is not imported" in source
    assert "hunter2-hunter2" not in source and "<redacted>" in source


def test_a_dockerfile_exposing_a_port_makes_a_server(tmp_path: Path) -> None:
    _, plan = imported(tmp_path, """
        services:
          api: {build: {context: ., dockerfile: api/Dockerfile}}
          web: {image: "acme/web:1.0", depends_on: [api]}
        """, {"api/Dockerfile": "FROM base AS base\nEXPOSE 80 9090/udp\nFROM base AS final\nCMD [\"run\"]\n"})
    assert plan.services["api"].kind == "web" and [p.number for p in plan.services["api"].ports] == [80]
    assert targets(plan, "web") == [("api", None)]
