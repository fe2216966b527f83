"""No secret value reaches any output byte, whatever path it takes; local secret files stay local."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from conftest import exec_app, write_sources
from shipform.delivery.local_secrets import init_local, known_values, referenced_files, secrets_folder
from shipform.errors import InvalidApp
from shipform.synth.pipeline import render, synth_app
from shipform.write.output_error import OutputError

LEAKY_APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True, domain="dev.example.com")
prod = Environment(app, "prod", replicas=2, domain="example.com", secret_store=SecretStore("vault"),
                   unpinned_images="a test app: its images are never pushed", tls_issuer=Issuer(name="internal-ca"),
                   data_storage=DataStorage("ebs.csi.aws.com"))
for env in (dev, prod):
    offsite = S3Target(bucket="acme-backups", credentials=SecretRef("backup-s3", "credentials"),
                       restore_credentials=SecretRef("restore-s3", "credentials"))
    db = StatefulDB(env, "db", engine="postgres", version="16", backup=Backup(schedule="@daily", to=offsite))
    cache = StatefulDB(env, "cache", engine="redis", version="7.4")
    legacy = StatefulDB(env, "legacy", engine="mysql", version="8.4", password=SecretRef("legacy-db", "pw"))
    api = WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
                     connects_to=[db, cache, legacy], secrets={"API_TOKEN": SecretRef("api", "token")},
                     migrate=Migration(["python", "-m", "migrate"], connects_to=[db, legacy]))
    CronJob(env, "report", schedule="@daily", image_of=api, command=["python", "-m", "report"], connects_to=[db])
'''


TOKEN = {"SHIPFORM_SECRET_API_TOKEN": "api-token-from-its-provider"}
"""The value of the one key LEAKY_APP holds from outside shipform, as the user would export it."""


def build_app(folder: Path):
    write_sources(folder)
    return exec_app(LEAKY_APP, folder)


def test_random_secret_values_appear_in_no_output_byte(tmp_path):
    app = build_app(tmp_path)
    out = tmp_path / "out"
    synth_app(app, outdir=str(out))
    created = init_local(app, out, TOKEN)
    values = known_values(app, out)
    # db, cache (its own and its backup user's), legacy (db and legacy + root) passwords, api token; no S3 keys:
    # compose keeps dumps locally
    assert len(created) == len(values) == 8
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
    init_local(app, out, TOKEN)
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
    synth_app(app, outdir=str(out))
    first = init_local(app, out, TOKEN)
    folder = secrets_folder(app, out)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in first)
    values = known_values(app, out)
    assert init_local(app, out, {"SHIPFORM_SECRET_API_TOKEN": "another-value"}) == []  # never overwrites
    synth_app(app, outdir=str(out))
    synth_app(app, outdir=str(out))
    assert known_values(app, out) == values  # the writer leaves files it does not own alone
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (out / "shop" / "compose" / ".gitignore").read_text().endswith("secrets/\n")


def test_secrets_cli(tmp_path, monkeypatch):
    write_sources(tmp_path)
    app_file = tmp_path / "app.py"
    app_file.write_text(LEAKY_APP)
    monkeypatch.chdir(tmp_path)
    out = str(tmp_path / "o")
    assert invoke("synth", str(app_file), "--outdir", out).exit_code == 0
    result = invoke("secrets", "init-local", str(app_file), "--outdir", out)
    # The api token comes from outside shipform: not made up, and the command fails naming it.
    assert result.exit_code == 1
    assert "shop: 7 local secret file(s) created" in result.stdout
    assert result.stderr == (f"error: {Path(out) / 'shop/compose/secrets/api.token'}: Secret api, key token, read by "
                             f"shop/api (API_TOKEN_FILE), is a value from outside shipform, never generated. Fix: "
                             f"export SHIPFORM_SECRET_API_TOKEN with it and run `shipform secrets init-local` again, "
                             f"or write it into that file\n")
    result = invoke("secrets", "init-local", str(app_file), "--outdir", out, env=TOKEN)
    assert result.exit_code == 0, result.stderr
    assert "shop: 1 local secret file(s) created" in result.stdout
    assert (Path(out) / "shop/compose/secrets/api.token").read_text() == TOKEN["SHIPFORM_SECRET_API_TOKEN"]
    printed = invoke("secrets", "kubectl", str(app_file), "--env", "dev")
    assert printed.exit_code == 0 and printed.stderr == ""
    lines = printed.stdout.splitlines()
    assert lines[:2] == ["# Secrets of app 'shop', Environment 'dev': a random value for each key shipform owns (its "
                         "databases' passwords), the same in every namespace; every other value from a "
                         "SHIPFORM_SECRET_* variable you set; no value is a command's argument", "set -eu"]
    assert lines[5] == 'missing=""'
    assert """printf '%s\\n' '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api", "namespace": "shop"}, \
"type": "Opaque", "data": {"token": "'"$(shipform_base64 "$SHIPFORM_SECRET_API_TOKEN")"'"}}' | kubectl -n shop create \
-f -""" in lines
    assert not any(line.startswith(("API_TOKEN=", "SHIPFORM_SECRET_API_TOKEN=")) for line in lines)
    assert sum(line.endswith("| kubectl -n shop create -f -") for line in lines) == 4  # api, cache, db, legacy-db
    assert [line for line in lines if line.startswith("kubectl ")] == [
        "kubectl -n shop create secret generic backup-s3 --from-file=credentials=/path/to/aws-credentials",
        "kubectl -n shop create secret generic restore-s3 --from-file=credentials=/path/to/aws-credentials"]


def invoke(*args: str, env: dict[str, str] | None = None):
    from typer.testing import CliRunner

    from shipform.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


# init-local writes only where synth put the .gitignore, and never through a symlink.


def synthesized(tmp_path: Path):
    app = build_app(tmp_path)
    out = tmp_path / "out"
    synth_app(app, outdir=str(out))
    return app, out


def test_init_local_refuses_an_outdir_synth_did_not_write(tmp_path, monkeypatch):
    app, out = synthesized(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError) as caught:
        init_local(app, tmp_path / "dist")  # synth went to --outdir out: nothing keeps secrets out of git in dist/
    assert str(caught.value).endswith("Fix: run `shipform synth` first, with the same --outdir")
    assert "\n" not in str(caught.value) and not (tmp_path / "dist").exists()
    gitignore = out / "shop" / "compose" / ".gitignore"
    gitignore.write_text("# my own\n")
    with pytest.raises(OutputError, match=r"compose/\.gitignore is missing or not shipform's"):
        init_local(app, out)
    gitignore.unlink()
    with pytest.raises(OutputError, match=r"compose/\.gitignore is missing or not shipform's"):
        init_local(app, out)
    assert not secrets_folder(app, out).exists()


@pytest.mark.parametrize("link", ["compose/secrets", "compose"])
def test_init_local_never_writes_through_a_symlinked_folder(tmp_path, link):
    app, out = synthesized(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(out / "shop" / "compose", elsewhere)  # with the .gitignore, as if it were the real folder
    (elsewhere / "secrets").mkdir()
    elsewhere.chmod(0o755)
    (elsewhere / "secrets").chmod(0o755)
    target = elsewhere if link == "compose" else elsewhere / "secrets"
    planted = out / "shop" / link
    shutil.rmtree(planted, ignore_errors=True)
    planted.unlink(missing_ok=True)
    planted.symlink_to(target, target_is_directory=True)
    with pytest.raises(OutputError) as caught:
        init_local(app, out)
    assert str(caught.value).startswith(f"{planted} is not a folder (a symlink, or a file in the way)")
    assert list((elsewhere / "secrets").iterdir()) == []
    assert stat.S_IMODE((elsewhere / "secrets").stat().st_mode) == 0o755 and planted.is_symlink()


def test_init_local_never_writes_through_a_symlinked_secret_file(tmp_path):
    app, out = synthesized(tmp_path)
    folder = secrets_folder(app, out)
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "api.token").symlink_to(outside / "created-through-the-link")  # dangling: open() would create it
    with pytest.raises(OutputError) as caught:
        init_local(app, out)
    assert str(caught.value).startswith(f"{folder / 'api.token'}: a symlink to nothing, and shipform never writes "
                                        f"through a symlink. Fix: remove it")
    assert list(outside.iterdir()) == [] and list(folder.iterdir()) == [folder / "api.token"]
    (outside / "kept-elsewhere").write_text("a password kept elsewhere\n")
    (outside / "kept-elsewhere").chmod(0o600)
    (folder / "api.token").unlink()
    (folder / "api.token").symlink_to(outside / "kept-elsewhere")  # a secret the user keeps elsewhere: left alone
    created = init_local(app, out)
    assert len(created) == len(referenced_files(app)) - 1 and folder / "api.token" not in created
    assert list(outside.iterdir()) == [outside / "kept-elsewhere"]
    assert stat.S_IMODE((outside / "kept-elsewhere").stat().st_mode) == 0o600  # no chmod through the link either
    assert (outside / "kept-elsewhere").read_text() == "a password kept elsewhere\n"


def test_an_unknown_environment_is_an_error_naming_the_known_ones(tmp_path, monkeypatch):
    write_sources(tmp_path)
    app_file = tmp_path / "leaky.py"
    app_file.write_text(LEAKY_APP)
    monkeypatch.chdir(tmp_path)
    result = invoke("secrets", "kubectl", str(app_file), "--env", "nope")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == "error: no Environment 'nope' in shop. Fix: pass --env with one of dev, prod\n"
