"""The lock file's ``built`` section: `shipform lock record --inputs/--revision` writes what each image was built
from, a record of the same inputs changes nothing, images the app no longer builds leave the file, CI can skip
images the branch head no longer builds, and lock files written before the section existed read as they did."""

from __future__ import annotations

import json

import pytest

from lock.helpers import invoke
from lock.test_pin_and_commands import API, PG, app_file
from shipform.delivery.lock import LOCK_FILE, dump_lock, parse_lock, read_lock_file, write_lock
from shipform.delivery.lock_built import Built
from shipform.errors import InvalidApp

A, B = ("sha256:" + c * 64 for c in "ab")
TREE, BLOB, IGNORE, COMMIT = ("1" * 40, "2" * 40, "3" * 40, "4" * 40)
INPUTS = f"{TREE}+{BLOB}"
NAME = API.rsplit(":", 1)[0]


def record(path, *args):
    return invoke("lock", "record", str(path), "--env", "dev", *args)


def test_record_writes_the_inputs_and_the_same_inputs_again_change_nothing(tmp_path):
    path = app_file(tmp_path)
    result = record(path, f"{NAME}@{A}", "--inputs", f"{NAME}={INPUTS}", "--revision", f"{NAME}={COMMIT}")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{tmp_path / LOCK_FILE}: 2 change(s) written", f"  + dev {API} {A}",
                                          f"  + built {NAME} {A} from {INPUTS}"]
    data = json.loads((tmp_path / LOCK_FILE).read_text())
    assert data["built"] == {NAME: {"digest": A, "inputs": INPUTS, "revision": COMMIT}}
    assert list(data) == ["built", "environments", "note"]
    again = record(path, f"{NAME}@{A}", "--inputs", f"{NAME}={INPUTS}")  # a build that reused the digest
    assert again.stdout == f"{tmp_path / LOCK_FILE}: up to date, nothing written\n"
    assert read_lock_file(tmp_path / LOCK_FILE)[1] == {NAME: Built(A, INPUTS, COMMIT)}  # the revision stays
    newer = record(path, f"{NAME}@{B}", "--inputs", f"{NAME}={INPUTS}+{IGNORE}")
    assert newer.stdout.splitlines()[1:] == [f"  ~ dev {API} {A} -> {B}",
                                             f"  ~ built {NAME} {A} -> {B} from {INPUTS}+{IGNORE}"]


def test_promote_and_lock_keep_the_built_section(tmp_path):
    path = app_file(tmp_path)
    record(path, f"{NAME}@{A}", "--inputs", f"{NAME}={INPUTS}")
    assert invoke("promote", str(path), "--from", "dev", "--to", "prod").exit_code == 0
    environments, built = read_lock_file(tmp_path / LOCK_FILE)
    assert environments["prod"] == {API: A} and built == {NAME: Built(A, INPUTS)}


def test_images_the_app_no_longer_runs_or_builds_leave_the_file(tmp_path):
    path = app_file(tmp_path)
    gone = "ghcr.io/acme/shop-mailer"
    write_lock(tmp_path / LOCK_FILE, {"dev": {f"{gone}:1.4.2": B, "ghcr.io/acme/shop-api:1.4.1": B, PG: B}},
               {gone: Built(B, INPUTS), NAME: Built(B, INPUTS)})
    result = record(path, f"{NAME}@{A}", "--inputs", f"{NAME}={INPUTS}")
    assert result.exit_code == 0, result.output
    environments, built = read_lock_file(tmp_path / LOCK_FILE)
    assert environments == {"dev": {API: A, PG: B}} and built == {NAME: Built(A, INPUTS)}
    assert f"  - built {gone} {B}" in result.stdout.splitlines()


def test_ci_may_skip_images_the_branch_head_no_longer_builds(tmp_path):
    path = app_file(tmp_path)
    gone = f"ghcr.io/acme/shop-mailer@{B}"
    refused = record(path, f"{NAME}@{A}", gone)
    assert refused.exit_code == 1 and "is not an image the app builds in dev" in refused.stderr
    result = record(path, "--skip-not-built", f"{NAME}@{A}", gone, "--inputs", f"ghcr.io/acme/shop-mailer={INPUTS}")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"{gone}: skipped, not an image the app builds in dev"
    assert read_lock_file(tmp_path / LOCK_FILE)[0] == {"dev": {API: A}}


@pytest.mark.parametrize(("args", "message"), [
    (["--inputs", f"{NAME}"], "'--inputs' must be IMAGE=VALUE (the image's name, without a tag), got "),
    (["--inputs", f"{NAME}=abc"], f"'--inputs {NAME}' must be '<tree>+<blob>'"),
    (["--inputs", f"{NAME}={TREE}"], f"'--inputs {NAME}' must be '<tree>+<blob>'"),
    (["--revision", f"{NAME}=HEAD"], f"'--revision {NAME}' must be a full commit name"),
    (["--inputs", f"ghcr.io/acme/other={INPUTS}"], "'--inputs' names no image given as IMAGE@DIGEST"),
], ids=["no-equals", "not-hex", "one-part", "revision", "other-image"])
def test_bad_inputs_are_one_line_and_write_nothing(tmp_path, args, message):
    path = app_file(tmp_path)
    result = record(path, f"{NAME}@{A}", *args)
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1, result.output
    assert not (tmp_path / LOCK_FILE).exists()


def test_a_lock_file_without_the_section_reads_and_writes_as_before():
    old = dump_lock({"dev": {API: A}})
    assert '"built"' not in old and dump_lock({"dev": {API: A}}, {}) == old
    assert parse_lock(old, LOCK_FILE) == {"dev": {API: A}}


@pytest.mark.parametrize(("built", "message"), [
    ([], "'built' must map each built image's name to its digest and inputs, not be a JSON array"),
    ({"ghcr.io/acme/x:1": {"digest": A, "inputs": INPUTS}}, "'built' has a key that is not an image name"),
    ({NAME: "x"}, f"'built.{NAME}' must be an object with 'digest' and 'inputs', not a JSON string"),
    ({NAME: {"digest": "sha256:1", "inputs": INPUTS}}, f"'built.{NAME}.digest' must be 'sha256:'"),
    ({NAME: {"digest": A}}, f"'built.{NAME}.inputs' must be '<tree>+<blob>'"),
    ({NAME: {"digest": A, "inputs": INPUTS, "from": "x"}}, f"'built.{NAME}.from' is not a key of a built image"),
], ids=["array", "tagged", "string", "digest", "inputs", "unknown"])
def test_a_damaged_built_section_is_one_line_per_problem(built, message):
    raw = json.dumps({"environments": {}, "built": built})
    with pytest.raises(InvalidApp) as err:
        parse_lock(raw, LOCK_FILE)
    assert str(err.value).startswith(f"{LOCK_FILE}: {message}"), str(err.value)
