"""`shipform synth` reports every construct's problems in one run, each line after the file and line that created
the construct; a constructor used directly still raises at once. Nearest matches for Literals and folders, the
construct created in the App, the field behind a differing Dockerfile, and a removed prop's replacement."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from conftest import write_sources
from shipform.cli import cli
from shipform.errors import ShipformError

HEAD = '''from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True)
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    write_sources(tmp_path)
    (tmp_path / "services" / "api").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def errors_of(project, body: str) -> list[str]:
    (project / "app.py").write_text(HEAD + body)
    result = CliRunner().invoke(cli, ["synth", "app.py", "--outdir", "out"], catch_exceptions=False)
    assert result.exit_code == 1 and "Traceback" not in result.stderr + result.stdout, result.stderr
    assert not (project / "out").exists()
    return result.stderr.removeprefix("error: ").splitlines()


def test_three_mistakes_in_three_constructs_are_three_lines_of_one_run(project):
    lines = errors_of(project, 'api = WebService(dev, "api", image="nginx:1.27.3", port=70000)\n'
                               'db = StatefulDB(dev, "db", engine="postgresql", version="16.4")\n'
                               'WebService(dev, "web", image="nginx:1.27.3", port=80, replica=2, connects_to=[api])\n')
    assert lines == [
        "app.py:4: shop/dev/api: 'port' must be 1-65535, got 70000. Fix: pass the TCP port the process listens on",
        "app.py:5: shop/dev/db: 'engine' must be one of 'postgres', 'mysql', 'mariadb', 'redis', 'mongodb', got "
        "'postgresql'. Fix: did you mean 'postgres'? pass one of 'postgres', 'mysql', 'mariadb', 'redis', 'mongodb'",
        "app.py:6: shop/dev/web: 'replica' is not a prop of WebService, got 2. Fix: did you mean 'replicas'?",
    ]


def test_prop_errors_and_the_trees_own_problems_come_together(project):
    build = 'Build.python("services/apii", ["python", "a.py"])'
    lines = errors_of(project, 'WebService(dev, "api", image="nginx:1.27.3", port=0)\n'
                               f'WebService(dev, "w", build={build}, port=80)\n')
    assert lines[0].startswith("app.py:4: shop/dev/api: 'port' must be 1-65535")
    assert lines[1] == (f"app.py:5: shop/dev/w: 'build.context' is not a folder, got "
                        f"'{project / 'services/apii'}'. Fix: did you mean 'services/api'? create the folder or fix "
                        "the path (relative to the app file)")


def test_a_construct_made_in_the_app_is_named(project):
    lines = errors_of(project, 'WebService(app, "stray", image="nginx:1.27.3", port=80)\n')
    assert lines == ["app.py:4: shop/stray: 'scope' must be an Environment or a construct inside one, but 'stray' is "
                     "created in the App 'shop'. Fix: create 'stray' inside an Environment, e.g. with "
                     "Environment(app, 'dev') as its scope, or in a construct within one"]


def test_using_a_broken_construct_stops_with_the_errors_so_far_and_no_traceback(project):
    lines = errors_of(project, 'ns = SecureNamespace(dev, "team", quota=None)\n'
                               'WebService(ns, "inner", image="nginx:1.27.3", port=80)\n'
                               'api = WebService(dev, "api", image="nginx:1.27.3", port=0)\n'
                               'WebService(dev, "web", image="nginx:1.27.3", port=80, connects_to=[api.on("http")])\n')
    assert [line.split(": '")[0] for line in lines] == ["app.py:4: shop/dev/team", "app.py:6: shop/dev/api"]
    assert lines[0].endswith("'quota' must be a Quota, not None. Fix: leave quota out for its default, or pass "
                             "quota=Quota(cpu='4', memory='8Gi', cpu_limit='8', memory_limit='16Gi')")


def test_the_field_behind_a_different_dockerfile_is_named(project):
    health = 'health=Health.http("/h", host="{}.example.com")'
    lines = errors_of(project, 'prod = Environment(app, "prod", unpinned_images="a test app: never pushed")\n'
                               f'WebService(dev, "api", build=Build.python("py", ["a"]), port=80, '
                               f'{health.format("dev")})\n'
                               f'WebService(prod, "api", build=Build.python("py", ["a"]), port=80, '
                               f'{health.format("prod")})\n')
    assert len(lines) == 1
    assert lines[0].startswith("app.py:6: shop/prod/api: 'build' renders a different Dockerfile than shop/dev/api: "
                               "its health differs (RUN here has '")
    assert '"Host": "prod.example.com"' in lines[0] and '"Host": "dev.example.com"' in lines[0]


def test_a_constructor_used_directly_raises_at_once(project):
    from shipform import App, Environment, StatefulDB

    dev = Environment(App("shop", registry="ghcr.io/acme"), "dev", local=True)
    with pytest.raises(ShipformError) as caught:
        StatefulDB(dev, "db", engine="postgres", version="16.4", url_env=False)  # type: ignore[call-arg]
    assert str(caught.value) == (
        "shop/dev/db: 'url_env' is no longer a prop of StatefulDB, got False. Fix: password_env replaced it: leave it "
        "out (clients read <PREFIX>_PASSWORD_FILE and get <PREFIX>_URL without the password), or pass "
        "password_env='<why clients need the password in an env var>'")


def run_python(project, body: str) -> list[str]:
    """``python app.py`` in the project, as a user runs the file: exit 1, no traceback, nothing written."""
    import os
    import subprocess
    import sys

    (project / "app.py").write_text(HEAD + body)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run([sys.executable, "app.py"], cwd=project, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout, result.stderr
    assert not (project / "dist").exists() and not (project / ".github").exists()
    return result.stderr.removeprefix("error: ").splitlines()


@pytest.mark.slow
def test_python_app_py_reports_every_mistake_of_one_run_as_the_cli_does(project):
    body = ('api = WebService(dev, "api", image="nginx:1.27.3", port=70000)\n'
            'db = StatefulDB(dev, "db", engine="postgresql", version="16.4")\n'
            'WebService(dev, "web", image="nginx:1.27.3", port=80, replica=2, connects_to=[api])\n')
    lines = run_python(project, body + "app.synth()\n")
    assert lines == errors_of(project, body)
    assert [line.split(": ")[0] for line in lines] == ["app.py:4", "app.py:5", "app.py:6"]


@pytest.mark.slow
@pytest.mark.parametrize(("body", "expected"), [
    # A broken construct used, then an Environment refused: the program stops there, with every error so far.
    ('api = WebService(dev, "api", image="nginx:1.27.3", port=0)\n'
     'WebService(dev, "web", image="nginx:1.27.3", port=80, connects_to=[api.on("http")])\n'
     'app.synth()\n', ["app.py:4: shop/dev/api: 'port' must be 1-65535"]),
    ('api = WebService(dev, "api", image="nginx:1.27.3", port=0)\n'
     'Environment(app, "Prod")\n'
     'app.synth()\n', ["app.py:4: shop/dev/api: 'port' must be 1-65535", "app.py:5: shop/Prod: 'name' must be"]),
    # No App.synth() at all: the errors are still said, at exit.
    ('api = WebService(dev, "api", image="nginx:1.27.3", port=0)\n', ["app.py:4: shop/dev/api: 'port' must be"]),
])
def test_python_app_py_stopped_early_still_reports_each_problem_at_its_line(project, body, expected):
    lines = run_python(project, body)
    assert len(lines) == len(expected)
    assert all(line.startswith(start) for line, start in zip(lines, expected, strict=True))
