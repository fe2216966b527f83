"""Files an app names are read only when they are regular files: a FIFO lock file hung synth forever (open waits for
a writer), and a device may never end. Every reader goes through shipform.write.reading, which refuses FIFOs,
sockets and devices before reading a byte; each case here fails within seconds or the alarm fails the test."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import exec_app, write_sources
from shipform.delivery.lock import read_lock
from shipform.errors import InvalidApp, ShipformError
from shipform.synth.pipeline import synth_app
from shipform.write import reading
from unit.bad_inputs import PREAMBLE


@contextlib.contextmanager
def within(seconds: int = 10) -> Iterator[None]:
    """Fail instead of hanging (a read of a FIFO without a writer never returns)."""
    def hung(*_: object) -> None:
        raise AssertionError(f"still reading after {seconds}s: a special file was opened and read")
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_sources(tmp_path)
    return tmp_path


def fifo(path: Path) -> Path:
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    return path


def synth_error(folder: Path, snippet: str) -> str:
    with within():
        try:
            synth_app(exec_app(PREAMBLE + snippet, folder), str(folder / "out"))
        except InvalidApp as err:
            return str(err).replace(str(folder), "<app folder>")
    pytest.fail("synth did not refuse the special file")


def test_the_reader_refuses_fifos_sockets_devices_and_folders(tmp_path):
    with within():
        with pytest.raises(reading.NotRegularFile, match="not a regular file"):
            reading.read_bytes(fifo(tmp_path / "pipe"))
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(tmp_path / "sock"))
            with pytest.raises(reading.NotRegularFile):
                reading.read_bytes(tmp_path / "sock")
        with pytest.raises(reading.NotRegularFile):
            reading.read_bytes("/dev/zero")
        with pytest.raises(IsADirectoryError):
            reading.read_bytes(tmp_path)
        (tmp_path / "file").write_text("text\n")
        (tmp_path / "link").symlink_to(tmp_path / "pipe")
        with pytest.raises(reading.NotRegularFile):
            reading.read_text(tmp_path / "link")
        assert reading.read_text(tmp_path / "file") == "text\n"
        assert reading.is_special(tmp_path / "link") and not reading.is_special(tmp_path / "file")


def test_a_fifo_lock_file_is_refused_not_waited_for(tmp_path):
    with within(), pytest.raises(ShipformError) as err:
        read_lock(fifo(tmp_path / "shipform.lock.json"))
    assert str(err.value).endswith("shipform.lock.json: 'environments' cannot be read: not a regular file (a FIFO, "
                                   "socket or device). Fix: correct the file, or delete it and run `shipform lock` "
                                   "(CI records the images it builds again on its next build)")


def test_a_fifo_lock_file_beside_the_app_fails_synth(folder):
    fifo(folder / "shipform.lock.json")
    assert "'environments' cannot be read: not a regular file" in synth_error(
        folder, 'WebService(dev, "api", image="nginx:1.27.3", port=80)')


def test_an_included_fifo_is_refused(folder):
    fifo(folder / "k8s.yaml")
    assert synth_error(folder, 'dev.include("k8s.yaml")') == (
        "shop/dev: 'include' cannot be read (not a regular file (a FIFO, socket or device)), got 'k8s.yaml'. "
        "Fix: include a UTF-8 YAML file")


def test_a_fifo_config_file_is_refused(folder):
    fifo(folder / "config" / "pipe.yaml")
    assert "'files./etc/app.yaml' is not a file" in synth_error(
        folder, 'WebService(dev, "api", image="nginx:1.27.3", port=80, files={"/etc/app.yaml": "config/pipe.yaml"})')


def test_a_fifo_dockerignore_is_refused(folder):
    fifo(folder / "py" / ".dockerignore")
    assert ("'build.context' .dockerignore is not a regular file (a FIFO, socket or device)"
            in synth_error(folder, 'WebService(dev, "api", build=Build.python("py", ["x"]), port=80)'))


def test_a_fifo_lockfile_of_a_preset_is_refused(folder):
    fifo(folder / "py" / "requirements.txt")
    assert ("'build' requirements.txt in the build context is not a regular file"
            in synth_error(folder, 'WebService(dev, "api", build=Build.python("py", ["x"]), port=80)'))


def test_a_fifo_dockerfile_is_refused(folder):
    fifo(folder / "own" / "Dockerfile")
    assert "'build.dockerfile' is not a file inside the app's folder" in synth_error(
        folder, 'WebService(dev, "api", build=Build.dockerfile("own/Dockerfile"), port=80)')


def test_a_fifo_cdk8s_yaml_is_refused(tmp_path, monkeypatch):
    from shipform.synth.cdk8s_config import read_config

    monkeypatch.chdir(tmp_path)
    fifo(tmp_path / "cdk8s.yaml")
    with within(), pytest.raises(ShipformError, match="cannot be read: not a regular file"):
        read_config("app", "correct it")
