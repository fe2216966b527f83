"""`shipform lock list`: every digest of the lock file, wherever it is (each Environment's entries, the built
section, and a section the file gains later without a change to the listing), with the App whose build workflow
must have signed it."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write_sources
from lock.helpers import invoke
from shipform.delivery.lock import LOCK_FILE
from shipform.delivery.lock_entries import digests, repository

A, B, C = ("sha256:" + c * 64 for c in "abc")
INPUTS = "a" * 40 + "+" + "b" * 40
APPS = '''
from shipform import App, Build, Environment, WebService
for name in ("shop", "orders"):
    app = App(name, registry="127.0.0.1:5000/acme", version="1.0.0")
    env = Environment(app, "dev", local=True)
    WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
    WebService(env, "proxy", image="nginx:1.27.3", port=8080)
'''


def lock_folder(tmp_path: Path) -> Path:
    write_sources(tmp_path)
    (tmp_path / "app.py").write_text(APPS)
    (tmp_path / LOCK_FILE).write_text(json.dumps({
        "environments": {"dev": {"127.0.0.1:5000/acme/shop-api:1.0.0": A, "nginx:1.27.3": B,
                                 "127.0.0.1:5000/acme/orders-api:1.0.0": C}},
        "built": {"127.0.0.1:5000/acme/shop-api": {"digest": A, "inputs": INPUTS}}}))
    return tmp_path


def test_every_digest_is_listed_with_the_app_whose_build_signs_it(tmp_path):
    folder = lock_folder(tmp_path)
    result = invoke("lock", "list", str(folder / "app.py"))
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines() == [
        f"built\t127.0.0.1:5000/acme/shop-api@{A}\tshop",
        f"environments.dev\t127.0.0.1:5000/acme/orders-api:1.0.0@{C}\torders",  # two Apps share the folder's lock
        f"environments.dev\t127.0.0.1:5000/acme/shop-api:1.0.0@{A}\tshop",
        f"environments.dev\tnginx:1.27.3@{B}\t-",  # third-party: it need only exist
    ]
    assert invoke("lock", "list", str(folder / "app.py"), "--app", "orders").stdout == result.stdout


def test_an_unknown_app_is_refused_naming_the_apps(tmp_path):
    folder = lock_folder(tmp_path)
    result = invoke("lock", "list", str(folder / "app.py"), "--app", "shp")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: shop, orders: '--app' is not an App of the app file, got 'shp'. Fix: "
                                     "pass --app with one of the names before it")


def test_without_a_lock_file_nothing_is_listed(tmp_path):
    folder = lock_folder(tmp_path)
    (folder / LOCK_FILE).unlink()
    result = invoke("lock", "list", str(folder / "app.py"))
    assert result.exit_code == 0 and result.stdout == ""


def test_a_damaged_lock_file_is_refused_as_synth_refuses_it(tmp_path):
    folder = lock_folder(tmp_path)
    (folder / LOCK_FILE).write_text('{"environments": {"dev": {"nginx:1.27.3": "sha256:abc"}}}')
    result = invoke("lock", "list", str(folder / "app.py"))
    assert result.exit_code == 1
    assert "environments.dev.nginx:1.27.3' must be 'sha256:' followed by 64 lowercase hex digits" in result.stderr


def test_a_section_added_later_is_listed_by_the_same_rule():
    """A future section of image digests (base images, say) is found whether it maps an image to its digest or to
    an object holding one, and nested objects name the section by their path."""
    data = {"note": "x", "bases": {"python:3.12-slim": A, "golang:1.23": {"digest": B, "resolved": "2026-12-01"}},
            "environments": {"prod": {"nginx:1.27.3": C}},
            "built": {"ghcr.io/acme/shop-api": {"digest": A, "inputs": INPUTS, "revision": "c" * 40}}}
    assert sorted(digests(data)) == [("bases", "golang:1.23", B), ("bases", "python:3.12-slim", A),
                                     ("built", "ghcr.io/acme/shop-api", A), ("environments.prod", "nginx:1.27.3", C)]


def test_the_repository_of_an_image_keeps_a_registry_port():
    assert repository("127.0.0.1:5000/acme/shop-api:1.0.0") == "127.0.0.1:5000/acme/shop-api"
    assert repository("127.0.0.1:5000/acme/shop-api") == "127.0.0.1:5000/acme/shop-api"
    assert repository("postgres:16@" + A) == "postgres"
