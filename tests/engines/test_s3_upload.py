"""The generated offsite-backup upload script, run with the AWS CLI against a local S3 server (moto) on
loopback: it uploads the newest dump and keeps only the newest RETENTION objects."""

from __future__ import annotations

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


@pytest.fixture
def s3_endpoint(tmp_path):
    port = free_port()
    server = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
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


def test_upload_keeps_the_newest_dumps_in_the_bucket(tmp_path, s3_endpoint):
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    backups = tmp_path / "backups"
    backups.mkdir()
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_DEFAULT_REGION": "us-east-1",
           "S3_ENDPOINT": s3_endpoint, "S3_BUCKET": "backups", "S3_PREFIX": "shop/prod",
           "BACKUP_DIR": str(backups), "BACKUP_PREFIX": "db", "RETENTION": "2"}
    aws = [str(BIN / "aws"), "--endpoint-url", s3_endpoint]
    subprocess.run([*aws, "s3", "mb", "s3://backups"], env=env, check=True, capture_output=True)
    # Another database whose name starts with this one's ("db-audit") shares the bucket and the prefix.
    neighbour = tmp_path / "db-audit-20261101T030000Z.dump"
    neighbour.write_bytes(b"the audit database")
    subprocess.run([*aws, "s3", "cp", str(neighbour), "s3://backups/shop/prod/"], env=env, check=True,
                   capture_output=True)
    for stamp in ("20261101T030000Z", "20261102T030000Z", "20261103T030000Z"):
        dump = backups / f"db-{stamp}.dump"
        dump.write_bytes(f"dump of {stamp}".encode())
        os.utime(dump, (time.time(), time.time()))
        time.sleep(0.05)  # the newest file by modification time is the one uploaded
        result = subprocess.run(["sh", "-c", upload_script()], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert f"backup uploaded: s3://backups/shop/prod/db-{stamp}.dump" in result.stdout
    listing = subprocess.run([*aws, "s3", "ls", "s3://backups/shop/prod/"], env=env, check=True,
                             capture_output=True, text=True).stdout
    assert sorted(line.split()[-1] for line in listing.splitlines()) == [
        "db-20261102T030000Z.dump", "db-20261103T030000Z.dump", "db-audit-20261101T030000Z.dump"]
