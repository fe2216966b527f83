"""A user's repository, as a team would have it: two Apps (shop with services api and web, orders with api),
each service a tiny Go web server built with shipform's Go preset, both Apps made with a local construct library
(``acme_lib``, installed with the project), a pyproject.toml declaring shipform and a dev extra with pytest, a
test, docs, and the synthesized output (dist/, .github/workflows/) committed. The test's working clone pushes to
the bare remote as a developer would; helpers make the commits the scenarios need."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from act.remote import Remote

REPO = Path(__file__).resolve().parents[2]
SERVICES = {"shop": ["api", "web"], "orders": ["api"]}
VERSIONS = {"shop": "1.0.0", "orders": "2.0.0"}
DEVELOPER = {"GIT_AUTHOR_NAME": "Dee Veloper", "GIT_AUTHOR_EMAIL": "dee@example.com",
             "GIT_COMMITTER_NAME": "Dee Veloper", "GIT_COMMITTER_EMAIL": "dee@example.com"}

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "acme-platform"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["shipform"]

[project.optional-dependencies]
dev = ["pytest"]

[tool.hatch.build.targets.wheel]
packages = ["acme_lib"]
"""

LIBRARY = '''\
"""Acme's construct library: every service is a small Go web server."""

from shipform import Build, Health, WebService


def go_service(scope, name: str) -> WebService:
    return WebService(scope, name, build=Build.go(f"services/{name}"), port=8080, health=Health.http("/healthz"))
'''

APP = '''\
from acme_lib import go_service

from shipform import App, Destination, Environment

app = App("{name}", registry="{registry}", version="{version}", repository="https://github.com/{full_name}.git")
SERVICES = {services!r}
# A new repository: prod runs the images by tag until their first promotion, and says so.
envs = [Environment(app, "dev", local=True),
        Environment(app, "prod", unpinned_images="a new repository: nothing promoted to prod yet",
                    destination=Destination(name="prod"))]  # its own cluster: dev owns the same namespace
for env in envs:
    for service in SERVICES:
        go_service(env, service)

if __name__ == "__main__":
    app.synth()
'''

MAIN = '''\
"""Every App of the repository, for `shipform synth` without arguments (cdk8s.yaml names this file)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from orders.app import app as orders  # noqa: E402
from shop.app import app as shop  # noqa: E402

if __name__ == "__main__":
    for app in (shop, orders):
        app.synth()
'''

GO_MAIN = '''\
package main

import "net/http"

const greeting = "{greeting}"

func main() {{
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {{ _, _ = w.Write([]byte("ok")) }})
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {{ _, _ = w.Write([]byte(greeting)) }})
	_ = http.ListenAndServe(":8080", nil)
}}
'''

TEST = '''\
from acme_lib import go_service


def test_the_library_imports():
    assert callable(go_service)
'''


class UserRepo:
    """The developer's clone of ``remote`` at ``path``; the Apps push images to ``registry`` (host/namespace)."""

    def __init__(self, path: Path, remote: Remote, registry: str):
        self.path = path
        self.remote = remote
        self.registry = registry
        self.services = {app: list(names) for app, names in SERVICES.items()}

    # --- making it -----------------------------------------------------------------------------------------

    def create(self) -> UserRepo:
        self.path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.git("remote", "add", "origin", str(self.remote.path))
        self.write("pyproject.toml", PYPROJECT)
        self.write("acme_lib/__init__.py", LIBRARY)
        self.write("cdk8s.yaml", "language: python\napp: python apps/main.py\noutput: dist\n")
        self.write("apps/main.py", MAIN)
        self.write("tests/test_library.py", TEST)
        self.write("docs/README.md", "# Acme platform\n")
        self.write(".gitignore", "__pycache__/\n*.egg-info/\n")
        for app, names in self.services.items():
            self.write_app(app)
            for service in names:
                self.write_service(app, service, f"hello from {app}-{service}")
        self.synth()
        self.commit("Two apps, their services and the synthesized output")
        self.push()
        return self

    def write(self, relative: str, text: str) -> None:
        path = self.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def write_app(self, app: str) -> None:
        self.write(f"apps/{app}/app.py", APP.format(name=app, registry=self.registry, version=VERSIONS[app],
                                                    full_name=self.remote.full_name, services=self.services[app]))

    def write_service(self, app: str, service: str, greeting: str) -> None:
        self.write(f"apps/{app}/services/{service}/go.mod", "module example.com/service\n\ngo 1.23\n")
        self.write(f"apps/{app}/services/{service}/main.go", GO_MAIN.format(greeting=greeting))

    def synth(self) -> None:
        """``shipform synth`` of every App (this worktree's shipform), as the developer runs it before committing."""
        self.shipform("synth")

    def shipform(self, *args: str) -> str:
        """The shipform CLI (this worktree's) in the clone, as the developer runs it."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "constructs"), str(self.path)])}
        proc = subprocess.run([sys.executable, "-c", "from shipform.cli import main; main()", *args],
                              cwd=self.path, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise AssertionError(f"shipform {' '.join(args)} failed in the user's repository:\n{proc.stdout}"
                                 f"{proc.stderr}")
        return proc.stdout

    # --- git -----------------------------------------------------------------------------------------------

    def git(self, *args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, capture_output=True, text=True,
                              env={**os.environ, **DEVELOPER})
        if proc.returncode != 0:
            raise AssertionError(f"`git {' '.join(args)}` exited {proc.returncode}: {proc.stderr}")
        return proc.stdout.strip()

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def push(self, ref: str = "main") -> str:
        """Push ``ref`` (a branch or a tag) to the remote as the developer; the remote's new head."""
        target = ref if ref.startswith("refs/") else (f"refs/tags/{ref}" if self.is_tag(ref) else f"refs/heads/{ref}")
        self.git("push", "-q", "origin", f"{ref}:{target}")
        return self.head()

    def is_tag(self, name: str) -> bool:
        return subprocess.run(["git", "rev-parse", "-q", "--verify", f"refs/tags/{name}"], cwd=self.path,
                              capture_output=True).returncode == 0

    def pull(self) -> str:
        """Catch up with the remote's main (after the bot recorded digests)."""
        self.git("fetch", "-q", "origin", "main")
        self.git("reset", "-q", "--hard", "origin/main")
        return self.head()

    # --- the commits the scenarios make --------------------------------------------------------------------

    def docs_change(self, text: str = "More words.\n") -> str:
        with (self.path / "docs" / "README.md").open("a") as docs:
            docs.write(text)
        return self.commit("Docs: more words")

    def change_service(self, app: str, service: str, greeting: str) -> str:
        self.write_service(app, service, greeting)
        self.synth()  # a source change leaves the output as it is; synth anyway, as a developer would
        return self.commit(f"{app}-{service}: say {greeting!r}")

    def remove_service(self, app: str, service: str) -> str:
        self.services[app].remove(service)
        self.write_app(app)
        shutil.rmtree(self.path / "apps" / app / "services" / service)
        self.synth()
        return self.commit(f"{app}: remove the {service} service")

    def make_stale(self) -> str:
        """A commit whose committed output is not what the apps synthesize (a hand edit of a manifest)."""
        manifest = self.path / "dist" / "shop" / "k8s" / "dev" / "service-shop-api.yaml"
        manifest.write_text(manifest.read_text() + "# edited by hand\n")
        return self.commit("Edit a generated manifest by hand")

    def break_tests(self) -> str:
        """A commit whose tests fail (the output is fresh: only CI's test step can stop it)."""
        self.write("tests/test_library.py", TEST + "\n\ndef test_a_regression():\n    assert 1 + 1 == 3\n")
        return self.commit("A test that fails")

    def add_image_workload(self, app: str, name: str, image: str) -> str:
        """A Worker running the third-party ``image`` in every Environment of ``app``; locked (``shipform lock``
        reads its digest from the registry), synthesized and committed."""
        path = self.path / "apps" / app / "app.py"
        worker = (f"\nfrom shipform import Health, Worker  # noqa: E402\n\nfor env in envs:\n    Worker(env, {name!r}, "
                  f"image={image!r}, command=['sleep', 'infinity'], health=Health.none('a vendor tool'))\n")
        path.write_text(path.read_text().replace("\nif __name__", worker + "\nif __name__", 1))
        self.shipform("lock", f"apps/{app}/app.py")
        self.synth()
        return self.commit(f"{app}: run {image}")

    def tag(self, name: str) -> str:
        self.git("tag", name)
        return self.head()
