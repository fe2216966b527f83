"""The writer owns only what its manifest lists, removes stale owned files and swaps output atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipform.write import writer


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_stale_owned_files_are_removed_and_unowned_files_untouched(tmp_path):
    out = tmp_path / "shop"
    writer.write_output(out, {"a.yaml": "a\n", "k8s/old.yaml": "old\n"})
    (out / "k8s" / "mine.txt").write_text("user notes\n")
    (out / "empty-dir").mkdir()
    inode = (out / "k8s" / "mine.txt").stat().st_ino
    writer.write_output(out, {"a.yaml": "a2\n"})
    assert tree(out) == {".shipform-manifest.json": writer.manifest_text({"a.yaml": ""}).encode(),
                         "a.yaml": b"a2\n", "k8s/mine.txt": b"user notes\n"}
    assert (out / "k8s" / "mine.txt").stat().st_ino == inode  # the very same file, not a copy
    assert (out / "empty-dir").is_dir()


def test_a_failure_while_staging_leaves_the_old_output(tmp_path, monkeypatch):
    out = tmp_path / "shop"
    writer.write_output(out, {"a.yaml": "a\n", "b.yaml": "b\n"})
    before = tree(out)
    real_write = Path.write_text
    calls = {"n": 0}

    def failing_write(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing_write)
    with pytest.raises(OSError, match="disk full"):
        writer.write_output(out, {"a.yaml": "new a\n", "b.yaml": "new b\n"})
    monkeypatch.undo()
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop"]  # no stage left behind


def test_a_crash_between_the_two_renames_is_repaired(tmp_path):
    out = tmp_path / "shop"
    writer.write_output(out, {"a.yaml": "a\n"})
    out.rename(tmp_path / ".shop.old")  # as if the process died right after moving the old output away
    writer.write_output(out, {"a.yaml": "a2\n"})
    assert (out / "a.yaml").read_text() == "a2\n"
    assert not (tmp_path / ".shop.old").exists()


def test_manifest_lists_exactly_the_owned_files(tmp_path):
    out = tmp_path / "shop"
    writer.write_output(out, {"z.yaml": "z\n", "a/b.yaml": "b\n"})
    assert writer.read_manifest(out) == ["a/b.yaml", "z.yaml"]


def test_files_are_world_readable(tmp_path):
    out = tmp_path / "shop"
    writer.write_output(out, {"a.yaml": "a\n"})
    assert os.stat(out).st_mode & 0o777 == 0o755
