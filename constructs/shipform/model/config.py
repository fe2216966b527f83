"""A workload's configuration: ``config={NAME: value}`` as environment variables and ``files={mount path:
source}`` mounted read-only, both from one immutable ConfigMap whose name ends in a hash of its content.

Values are checked when the construct is made; the files are read at synth time (never in constructors), so
an app file can be imported before its config files exist."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from shipform import spec
from shipform.errors import ShipformError
from shipform.values import checks
from shipform.values.secret_ref import SecretRef
from shipform.write import reading

CONFIG_MAP_LIMIT = 1_000_000
"""Bytes of values and files together: the API server stores a ConfigMap whole in one etcd entry of at most
1 MiB, which its metadata shares."""


def check_values(path: str, values: Mapping[str, str], env: Mapping[str, str],
                 secrets: Mapping[str, SecretRef]) -> dict[str, str]:
    for name, value in values.items():
        checks.env_name(path, "config", name)
        if checks.SECRET_NAME.search(name):
            raise ShipformError(path, f"config.{name}", "looks like a credential; configuration lands in generated "
                                "files and in a ConfigMap anyone in the namespace may read", "<redacted>",
                                f"pass secrets={{'{name}': SecretRef('<secret>', '<key>')}} instead")
        refuse_secret_shape(path, f"config.{name}", value, name)
        for other, names in (("env", env), ("secrets", secrets)):
            if name in names or (other == "secrets" and name.removesuffix("_FILE") in names):
                raise ShipformError(path, f"config.{name}", f"is also set in {other}", name, "keep it in one place")
    return dict(values)


def refuse_secret_shape(path: str, prop: str, value: str, name: str = "<NAME>") -> None:
    """A value that is a credential by its shape, whatever its name: it must arrive by reference."""
    shape = checks.secret_shape(value)
    if shape is not None:
        raise ShipformError(path, prop, f"contains {shape}; it would land in generated files", "<redacted>",
                            f"put it in a Secret and pass secrets={{'{name}': SecretRef('<secret>', '<key>')}} "
                            f"(mounted at /run/secrets/<secret>.<key>, its path in {name}_FILE)")


def check_files(path: str, files: Mapping[str, str]) -> dict[str, str]:
    """``{mount path: source}``: absolute file paths of plain characters, sources relative to the app folder."""
    keys = file_keys(files)
    for mount_path, source in files.items():
        prop = f"files.{mount_path}"
        if not checks.is_plain_path(mount_path):
            raise ShipformError(path, "files", "keys must be absolute file paths of letters, digits, '.', '_' and "
                                "'-'", mount_path, "write e.g. {'/etc/app/config.yaml': 'config/app.yaml'}")
        checks.mount_point(path, prop, mount_path)
        if len(keys[mount_path]) > 253:
            raise ShipformError(path, prop, "is longer than a ConfigMap key may be (253 with its prefix)",
                                mount_path, "mount the file at a shorter path")
        if not source or Path(source).is_absolute() or "\0" in source:
            raise ShipformError(path, prop, "must name a file relative to the app file's folder", source,
                                "write e.g. 'config/app.yaml'")
        if not source.isprintable() or source != source.strip():
            # The name is written into the image's ignore file, one rule a line: a newline would add a rule.
            raise ShipformError(path, prop, "must name a file without control characters or spaces at its ends",
                                source, "rename the file, e.g. 'config/app.yaml'")
    return dict(files)


def file_keys(mount_paths: Iterable[str]) -> dict[str, str]:
    """The ConfigMap key of each mounted file: 'file' and the path with '/' as '-' ('/etc/app.yaml' is
    'file-etc-app.yaml'; the '-' keeps it apart from the env keys, which have none). Where two paths would share
    that key ('/etc/a-b' and '/etc-a/b'), each of them spells its path out instead, '.' after 'file', '/' as '_-' and
    '_' as '__' ('file._-etc_-a-b', 'file._-etc-a_-b'): no other path has that key, nor any path the plain one."""
    plain = {mount_path: "file" + mount_path.replace("/", "-") for mount_path in mount_paths}
    shared = Counter(plain.values())
    return {mount_path: key if shared[key] == 1 else "file." + mount_path.replace("_", "__").replace("/", "_-")
            for mount_path, key in plain.items()}


def read_files(path: str, root: Path, files: Mapping[str, str]) -> tuple[spec.ConfigFile, ...]:
    """The files, read now: each inside the app folder, UTF-8 text, no credential in it, all within the
    ConfigMap limit."""
    result = []
    base = root.resolve()
    keys = file_keys(files)
    for mount_path, source in files.items():
        prop = f"files.{mount_path}"
        file = (root / source).resolve()
        if not file.is_relative_to(base):
            raise ShipformError(path, prop, "leads outside the app's folder", source,
                                "keep config files inside the folder of the app file (or pass App(root=...))")
        named = file.relative_to(base).as_posix()  # through symlinks: the name the image's ignore file lists
        if not named.isprintable() or named != named.strip():
            raise ShipformError(path, prop, "leads to a file named with control characters or spaces at its ends",
                                named, "rename the file, e.g. 'config/app.yaml'")
        if not file.is_file():
            raise ShipformError(path, prop, "is not a file", str(file), "create it or fix the path (relative to "
                                "the app file)")
        try:
            content = reading.read_bytes(file).decode("utf-8")
        except UnicodeDecodeError:
            raise ShipformError(path, prop, "is not UTF-8 text; a ConfigMap holds text", source,
                                "mount text files only (binary data belongs in the image or a volume)") from None
        except OSError as err:
            raise ShipformError(path, prop, f"cannot be read ({err.strerror})", str(file),
                                "make the file readable") from None
        refuse_secret_shape(path, prop, content)
        result.append(spec.ConfigFile(keys[mount_path], mount_path, file, content))
    return tuple(result)


def config_spec(name: str, values: Mapping[str, str], files: tuple[spec.ConfigFile, ...],
                path: str) -> spec.Config | None:
    if not values and not files:
        return None
    data = {**values, **{f.key: f.content for f in files}}
    size = sum(len(k.encode()) + len(v.encode()) for k, v in data.items())
    if size > CONFIG_MAP_LIMIT:
        raise ShipformError(path, "config/files", f"come to {size} bytes; a ConfigMap holds at most about 1 MB",
                            size, "mount large files from a volume or bake static ones into the image")
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]
    return spec.Config(f"{name}-config-{digest}", tuple(values.items()), files)
