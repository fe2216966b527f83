"""The lock file: deterministic bytes, a round trip through the disk, and one clear line per problem of a damaged
file (never a traceback)."""

from __future__ import annotations

import json

import pytest

from shipform.delivery.lock import LOCK_FILE, NOTE, dump_lock, parse_lock, read_lock, read_lock_document, write_lock
from shipform.errors import InvalidApp
from shipform.write.output_error import OutputError

A, B, C = ("sha256:" + c * 64 for c in "abc")


def test_the_text_is_sorted_indented_and_ends_with_a_newline():
    lock = {"prod": {"redis:7.4.1": B, "postgres:16.6-bookworm": A}, "dev": {"postgres:16.6-bookworm": A}, "qa": {}}
    text = dump_lock(lock)
    assert text == (
        '{\n'
        '  "environments": {\n'
        '    "dev": {\n'
        f'      "postgres:16.6-bookworm": "{A}"\n'
        '    },\n'
        '    "prod": {\n'
        f'      "postgres:16.6-bookworm": "{A}",\n'
        f'      "redis:7.4.1": "{B}"\n'
        '    }\n'
        '  },\n'
        f'  "note": {json.dumps(NOTE)}\n'
        '}\n')
    reordered = {"prod": {"postgres:16.6-bookworm": A, "redis:7.4.1": B}, "dev": {"postgres:16.6-bookworm": A}}
    assert dump_lock(dict(reversed(reordered.items()))) == text
    assert parse_lock(text, LOCK_FILE) == reordered


def test_write_then_read_round_trips_and_rewrites_the_same_bytes(tmp_path):
    path = tmp_path / LOCK_FILE
    assert read_lock(path) == {}
    lock = {"prod": {"ghcr.io/acme/shop-api:1.4.2": C, "localhost:5000/tools:1": A}}
    write_lock(path, lock)
    first = path.read_bytes()
    write_lock(path, json.loads(json.dumps(lock)))
    assert path.read_bytes() == first and read_lock(path) == lock
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_FILE]  # no temporary file left


def test_the_lock_is_never_written_through_a_symlink(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("{}\n")
    (tmp_path / LOCK_FILE).symlink_to(target)
    with pytest.raises(OutputError, match="is a symlink and shipform never writes through one"):
        write_lock(tmp_path / LOCK_FILE, {"prod": {"redis:7.4.1": A}})
    assert target.read_text() == "{}\n"


def test_a_lock_that_cannot_be_written_is_one_line(tmp_path):
    (tmp_path / "app.py").write_text("")
    with pytest.raises(OutputError) as err:  # a file where the app's folder should be
        write_lock(tmp_path / "app.py" / LOCK_FILE, {"prod": {"redis:7.4.1": A}})
    assert "\n" not in str(err.value) and str(err.value).startswith(f"cannot write {tmp_path}/app.py/{LOCK_FILE}: ")
    assert ". Fix: " in str(err.value)


GOOD = {"note": "x", "environments": {"prod": {"redis:7.4.1": A}}}

BAD = {
    "not JSON": (b'{"environments": {"prod": {"redis:7.4.1": "' + A.encode() + b'",}}}',
                 ["'environments' cannot be read: the file is not valid JSON (line 1, column"]),
    "not UTF-8": (b'{"note": "\xff"}', ["the file is not UTF-8 text (byte 10)"]),
    "conflict markers": (f'{{"environments": {{"prod": {{\n<<<<<<< HEAD\n"redis:7.4.1": "{A}"\n=======\n'
                         f'"redis:7.4.1": "{B}"\n>>>>>>> main\n}}}}}}\n'.encode(),
                         ["the file has git conflict markers"]),
    "an array": (b"[]", ["the file holds a JSON array, not an object"]),
    "duplicate keys": (json.dumps(GOOD).replace('"prod": {', f'"prod": {{"redis:7.4.1": "{B}", ').encode(),
                       ["the key 'redis:7.4.1' appears twice in one object"]),
    "unknown key": (json.dumps({**GOOD, "digests": {}}).encode(), ["'digests' is not a key of the lock file"]),
    "no environments": (b'{"note": "x"}', ["'environments' is missing"]),
    "environments a list": (b'{"environments": []}',
                            ["'environments' must map each Environment to its images' digests, not be a JSON array"]),
    "an environment a string": (b'{"environments": {"prod": "sha256:x"}}',
                                ["'environments.prod' must map image references to digests, not be a JSON string"]),
    "key with a digest": (json.dumps({"environments": {"prod": {f"redis:7.4.1@{A}": A}}}).encode(),
                          ["'environments.prod' has a key that is not an image reference 'name:tag'"]),
    "key without a tag": (json.dumps({"environments": {"prod": {"redis": A}}}).encode(),
                          ["got 'redis'"]),
    # re.match with '$' took both (and `lock record` wrote such a digest): values are matched whole now.
    "digest ending in a newline": (json.dumps({"environments": {"prod": {"redis:7.4.1": A + "\n"}}}).encode(),
                                   ["'environments.prod.redis:7.4.1' must be 'sha256:' followed by 64 lowercase hex"]),
    "tag ending in a newline": (json.dumps({"environments": {"prod": {"redis:7.4.1\n": A}}}).encode(),
                                ["'environments.prod' has a key that is not an image reference 'name:tag'"]),
    "two bad digests": (json.dumps({"note": 1, "environments": {"prod": {
        "redis:7.4.1": "sha256:abc", "postgres:16": A.upper()}}}).encode(),
        ["'note' must be a string, not a JSON number",
         "'environments.prod.redis:7.4.1' must be 'sha256:' followed by 64 lowercase hex digits, got 'sha256:abc'",
         "'environments.prod.postgres:16' must be 'sha256:' followed by 64 lowercase hex digits"]),
    "bases a list": (json.dumps({**GOOD, "bases": []}).encode(),
                     ["'bases' must map each base image 'name:tag' to its digest, not be a JSON array"]),
    "a base with a digest in its key": (json.dumps({**GOOD, "bases": {f"python:3.12.8-slim-bookworm@{A}": A}}).encode(),
                                        ["'bases' has a key that is not an image reference 'name:tag' (without a "
                                         "digest)"]),
    "a base without a tag": (json.dumps({**GOOD, "bases": {"python": A}}).encode(),
                             ["'bases' has a key that is not an image reference 'name:tag' (without a digest), "
                              "got 'python'"]),
    "a base's bad digest": (json.dumps({**GOOD, "bases": {"golang:1.23.4-bookworm": "sha256:abc",
                                                          "python:3.12.8-slim-bookworm": None}}).encode(),
                            ["'bases.golang:1.23.4-bookworm' must be 'sha256:' followed by 64 lowercase hex digits, "
                             "got 'sha256:abc'",
                             "'bases.python:3.12.8-slim-bookworm' must be 'sha256:' followed by 64 lowercase hex"]),
}


@pytest.mark.parametrize("case", BAD)
def test_a_damaged_lock_file_is_one_line_per_problem(tmp_path, case):
    content, expected = BAD[case]
    path = tmp_path / LOCK_FILE
    path.write_bytes(content)
    with pytest.raises(InvalidApp) as err:
        read_lock(path)
    problems = [str(p) for p in err.value.problems]
    assert len(problems) == len(expected)
    for line, fragment in zip(problems, expected, strict=True):
        assert "\n" not in line and line.startswith(f"{path}: '") and fragment in line, line
        assert ". Fix: " in line


def test_the_bases_section_reads_back_as_written_and_old_files_read_as_before(tmp_path):
    path = tmp_path / LOCK_FILE
    bases = {"python:3.12.8-slim-bookworm": B, "golang:1.23.4-bookworm": A}
    write_lock(path, {"prod": {"redis:7.4.1": A}}, None, bases)
    text = path.read_text()
    assert text.index('"bases"') < text.index('"environments"')  # sorted keys, like every other section
    assert list(json.loads(text)["bases"]) == sorted(bases)
    assert read_lock_document(path) == ({"prod": {"redis:7.4.1": A}}, {}, bases)
    assert dump_lock({"prod": {"redis:7.4.1": A}}, None, {}) == dump_lock({"prod": {"redis:7.4.1": A}})
    assert '"bases"' not in dump_lock({"prod": {"redis:7.4.1": A}})  # none: no section
    path.write_text(json.dumps(GOOD))  # a file from before the section existed
    assert read_lock_document(path) == ({"prod": {"redis:7.4.1": A}}, {}, {})


def test_a_folder_where_the_lock_file_goes_is_one_line(tmp_path):
    (tmp_path / LOCK_FILE).mkdir()
    with pytest.raises(InvalidApp, match=r"'environments' cannot be read: it is a folder\. Fix: "):
        read_lock(tmp_path / LOCK_FILE)
