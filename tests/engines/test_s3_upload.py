"""The generated offsite-backup upload script, run with the AWS CLI against a local S3 server (moto) on
loopback that enforces IAM: with keys that may only put objects under the prefix, it uploads the newest dump,
encrypted at rest, and needs nothing more (old dumps expire by the bucket's lifecycle rule, not by the job)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shipform.model.backup import upload_script

pytestmark = pytest.mark.engines
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The calls made before IAM is enforced: the bucket, an upload-only user and an administrator, with their keys.
SETUP_CALLS = 7
UPLOAD_ONLY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::backups/shop/prod/*"}]})
EVERYTHING = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture
def s3_endpoint(tmp_path):
    port = free_port()
    server = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


def credentials_file(path: Path, key: dict) -> Path:
    path.write_text(f"[default]\naws_access_key_id = {key['AccessKeyId']}\n"
                    f"aws_secret_access_key = {key['SecretAccessKey']}\n")
    return path


def test_upload_only_keys_upload_each_dump_encrypted_and_can_do_nothing_else(tmp_path, s3_endpoint):
    base = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(tmp_path),
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    aws = [str(BIN / "aws"), "--endpoint-url", s3_endpoint]

    def call(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([*aws, *args], env=env or base, capture_output=True, text=True, timeout=60)

    assert call("s3", "mb", "s3://backups").returncode == 0
    keys = {}
    for user, policy in (("uploader", ("put-user-policy", "--policy-name", "upload", "--policy-document", UPLOAD_ONLY)),
                         ("admin", ("put-user-policy", "--policy-name", "all", "--policy-document", EVERYTHING))):
        assert call("iam", "create-user", "--user-name", user).returncode == 0
        assert call("iam", policy[0], "--user-name", user, *policy[1:]).returncode == 0
        keys[user] = json.loads(call("iam", "create-access-key", "--user-name", user).stdout)["AccessKey"]
    admin = {**base, "AWS_ACCESS_KEY_ID": keys["admin"]["AccessKeyId"],
             "AWS_SECRET_ACCESS_KEY": keys["admin"]["SecretAccessKey"]}
    uploader = {k: v for k, v in base.items() if not k.startswith("AWS_")} | {
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials_file(tmp_path / "credentials", keys["uploader"])),
        "AWS_DEFAULT_REGION": "us-east-1"}
    backups = tmp_path / "backups"
    backups.mkdir()
    env = {**uploader, "S3_ENDPOINT": s3_endpoint, "S3_BUCKET": "backups", "S3_PREFIX": "shop/prod",
           "BACKUP_DIR": str(backups), "BACKUP_PREFIX": "db", "S3_SSE": "AES256"}
    for stamp in ("20261101T030000Z", "20261102T030000Z"):
        dump = backups / f"db-{stamp}.dump"
        dump.write_bytes(f"dump of {stamp}".encode())
        os.utime(dump, (time.time(), time.time()))
        time.sleep(0.05)  # the newest file by modification time is the one uploaded
        result = subprocess.run(["sh", "-c", upload_script()], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert f"backup uploaded: s3://backups/shop/prod/db-{stamp}.dump" in result.stdout
    listing = call("s3", "ls", "s3://backups/shop/prod/", env=admin)
    assert sorted(line.split()[-1] for line in listing.stdout.splitlines()) == [
        "db-20261101T030000Z.dump", "db-20261102T030000Z.dump"]
    head = json.loads(call("s3api", "head-object", "--bucket", "backups", "--key", "shop/prod/db-20261102T030000Z.dump",
                           env=admin).stdout)
    assert head["ServerSideEncryption"] == "AES256"
    # The keys are good for nothing else: reading, listing, deleting, or writing outside the prefix.
    for args in (("s3", "ls", "s3://backups/shop/prod/"), ("s3", "rm", "s3://backups/shop/prod/db-20261101T030000Z.dump"),
                 ("s3", "cp", str(backups / "db-20261101T030000Z.dump"), "s3://backups/elsewhere/db.dump"),
                 ("s3", "cp", "s3://backups/shop/prod/db-20261101T030000Z.dump", str(tmp_path / "stolen"))):
        denied = call(*args, env=uploader)
        assert denied.returncode != 0 and ("AccessDenied" in denied.stderr or "(403)" in denied.stderr), args
