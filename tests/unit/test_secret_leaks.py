"""No secret value reaches any output byte, whatever path it takes; local secret files stay local."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import exec_app, write_sources
from shipform.errors import InvalidApp
from shipform.synth.local_secrets import init_local, known_values, secrets_folder
from shipform.synth.pipeline import render, synth_app

LEAKY_APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True, domain="dev.example.com")
prod = Environment(app, "prod", replicas=2, domain="example.com", secret_store=SecretStore("vault"))
for env in (dev, prod):
    offsite = S3Target(bucket="acme-backups", credentials=SecretRef("backup-s3", "credentials"))
    db = StatefulDB(env, "db", engine="postgres", version="16", backup=Backup(schedule="@daily", to=offsite))
    cache = StatefulDB(env, "cache", engine="redis", version="7.4")
    legacy = StatefulDB(env, "legacy", engine="mysql", version="8.4", password=SecretRef("legacy-db", "pw"))
    api = WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
                     connects_to=[db, cache, legacy], secrets={"API_TOKEN": SecretRef("api", "token")},
                     migrate=Migration(["python", "-m", "migrate"]))
    CronJob(env, "report", schedule="@daily", image_of=api, command=["python", "-m", "report"], connects_to=[db])
'''


def build_app(folder: Path):
    write_sources(folder)
    return exec_app(LEAKY_APP, folder)


def test_random_secret_values_appear_in_no_output_byte(tmp_path):
    app = build_app(tmp_path)
    out = tmp_path / "out"
    created = init_local(app, out)
    values = known_values(app, out)
    assert len(created) == len(values) == 6  # db, cache, legacy (+ root) passwords, api token, S3 credentials
    synth_app(app, outdir=str(out))
    output = [p for p in (out / "shop").rglob("*") if p.is_file() and secrets_folder(app, out) not in p.parents]
    assert len(output) > 40
    for path in output:
        data = path.read_bytes()
        for value in values.values():
            assert value.encode() not in data, f"{path} leaks a secret"


def test_a_secret_value_planted_as_a_literal_fails_synth_and_writes_nothing(tmp_path):
    app = build_app(tmp_path)
    out = tmp_path / "out"
    synth_app(app, outdir=str(out))
    init_local(app, out)
    before = {p: p.read_bytes() for p in (out / "shop").rglob("*") if p.is_file()}
    token = known_values(app, out)["api.token"]
    api = next(w for w in app.local_environment.workloads if w.name == "api")
    api.env["GREETING"] = f"hello {token}"  # not named like a credential, so only the leak check can catch it
    with pytest.raises(InvalidApp, match=r"the value of secret 'api.token' would be written to") as caught:
        render(app, out)
    assert token not in str(caught.value)
    with pytest.raises(InvalidApp):
        synth_app(app, outdir=str(out))
    assert {p: p.read_bytes() for p in (out / "shop").rglob("*") if p.is_file()} == before


def test_init_local_is_private_idempotent_and_survives_synth(tmp_path):
    app = build_app(tmp_path)
    out = tmp_path / "out"
    first = init_local(app, out)
    folder = secrets_folder(app, out)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in first)
    values = known_values(app, out)
    assert init_local(app, out) == []  # never overwrites
    synth_app(app, outdir=str(out))
    synth_app(app, outdir=str(out))
    assert known_values(app, out) == values  # the writer leaves files it does not own alone
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (out / "shop" / "compose" / ".gitignore").read_text().endswith("secrets/\n")


def test_secrets_cli(tmp_path):
    write_sources(tmp_path)
    app_file = tmp_path / "app.py"
    app_file.write_text(LEAKY_APP)
    shipform = Path(sys.executable).with_name("shipform")
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run([str(shipform), "secrets", "init-local", str(app_file), "--outdir", str(tmp_path / "o")],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "shop: 6 local secret file(s) created" in result.stdout
    printed = subprocess.run([str(shipform), "secrets", "kubectl", str(app_file), "--env", "dev"],
                             capture_output=True, text=True, env=env, cwd=tmp_path).stdout.splitlines()
    assert printed[0].startswith("kubectl -n shop create secret generic api --from-literal=token=")
    assert len(printed) == 5
