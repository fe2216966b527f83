"""Local, git-ignored secret files for compose, and the check that no secret value reaches any output."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.stage import App
from shipform.render import secret_commands
from shipform.render.compose import COMPOSE_DIR, LOCAL_SECRETS_DIR
from shipform.render.compose_names import local_names
from shipform.values.secret_ref import SecretRef
from shipform.write import reading
from shipform.write.output_error import OutputError, os_error
from shipform.write.writer import output_lock, owner_line

MIN_CHECKED_LENGTH = 8
"""Shorter values would match by chance; generated values are 43 characters."""


def secrets_folder(app: App, outdir: Path) -> Path:
    return outdir / app.name / COMPOSE_DIR / LOCAL_SECRETS_DIR


def local_spec(app: App) -> spec.Environment | None:
    env = app.local_environment
    return None if env is None else env.to_spec()


def referenced_files(app: App, local: spec.Environment | None = None) -> list[str]:
    """The secret files compose mounts (``local``: the local Environment's spec, when the caller has it)."""
    local = local or local_spec(app)
    return [] if local is None else sorted({f.ref.file_name for w in local.workloads for f in w.secret_files})


def certificate_hosts(local: spec.Environment | None) -> dict[str, list[str]]:
    """{TLS Secret: the compose service names of the servers that present it}."""
    if local is None:
        return {}
    names = local_names(local)
    return {secret: sorted({names[(w.namespace, w.name)] for w in servers})
            for secret, servers in local.certificates().items()}


def init_local(app: App, outdir: Path, environ: Mapping[str, str] | None = None) -> list[Path]:
    """Create every secret file compose references that does not exist yet and whose value shipform knows: a random
    value for a key shipform owns (a database's password), a local certificate for a database's TLS, and for a value
    from outside shipform (a third-party API key) what its ``SHIPFORM_SECRET_*`` variable in ``environ`` (default:
    the process environment) holds; a value from outside that is unset is never made up (:func:`unset_files` names
    them). The folder is private to its owner; the files are readable so a container's non-root user can read
    the bind-mounted copy.

    Only into an app folder `shipform synth` wrote, whose compose/.gitignore keeps the secrets out of git;
    never through a symlink (the folders are opened with O_NOFOLLOW, the files created with O_EXCL), and
    an existing name of any kind is left alone."""
    app_dir = outdir / app.name
    compose_dir = app_dir / COMPOSE_DIR
    folder = secrets_folder(app, outdir)
    if not outdir.is_dir():
        raise _not_synthesized(app_dir)
    with output_lock(app_dir):  # never into a folder a synth is swapping out
        return _init_local(app, app_dir, compose_dir, folder, os.environ if environ is None else environ)


def _init_local(app: App, app_dir: Path, compose_dir: Path, folder: Path, environ: Mapping[str, str]) -> list[Path]:
    try:
        fds: list[int] = []
        try:
            fds.append(_open_folder(app_dir))
            fds.append(_open_folder(compose_dir, fds[-1]))
            _require_gitignore(app, compose_dir, fds[-1])
            with contextlib.suppress(FileExistsError):
                os.mkdir(LOCAL_SECRETS_DIR, 0o700, dir_fd=fds[-1])
            fds.append(_open_folder(folder, fds[-1]))
            os.fchmod(fds[-1], 0o700)
            local = local_spec(app)
            names = referenced_files(app, local)
            dangling = [folder / name for name in names if _dangling(name, fds[-1])]
            if dangling:
                raise OutputError(f"{', '.join(map(str, dangling))}: a symlink to nothing, and shipform never "
                                  f"writes through a symlink. Fix: remove it (init-local then creates the file) "
                                  f"or create what it points to")
            certificates = certificate_hosts(local)
            values = _known_values(local, environ)
            created = [folder / name for name in names if name in values and _create(name, fds[-1], values[name])]
            for secret, hosts in certificates.items():
                created += [folder / name for name in _create_certificate(secret, hosts, fds[-1])]
            return sorted(created)
        finally:
            for fd in fds:
                os.close(fd)
    except OSError as err:
        raise os_error(err, "create local secrets in", err.filename or folder) from err


def _known_values(local: spec.Environment | None, environ: Mapping[str, str]) -> dict[str, bytes | None]:
    """{secret file: its content, None for a random one} of the files init-local may create (certificates apart):
    the keys shipform owns, and the values from outside that their variables hold."""
    if local is None:
        return {}
    known: dict[str, bytes | None] = {ref.file_name: None for ref in local.owned_secrets()}
    for (name, key), variable in secret_commands.asked_variables(local).items():
        if environ.get(variable):
            known[SecretRef(name, key).file_name] = environ[variable].encode("utf-8")
    return known


def unset_files(app: App, outdir: Path, local: spec.Environment | None = None) -> list[str]:
    """One line per secret file compose needs that is missing and holds a value from outside shipform: where it
    goes, what it is, and how to provide it."""
    local = local or local_spec(app)
    if local is None:
        return []
    folder = secrets_folder(app, outdir)
    lines = []
    for (name, key), variable in sorted(secret_commands.asked_variables(local).items()):
        path = folder / SecretRef(name, key).file_name
        if not (path.exists() or path.is_symlink()):
            lines.append(f"{path}: Secret {name}, key {key}, read by {secret_commands.readers(local, (name, key))}, "
                         f"is a value from outside shipform, never generated. Fix: export {variable} with it and run "
                         f"`shipform secrets init-local` again, or write it into that file")
    return lines


def _not_synthesized(path: Path) -> OutputError:
    return OutputError(f"{path} does not exist: local secrets go only into an app folder `shipform synth` wrote, "
                       f"whose compose/.gitignore keeps them out of git. Fix: run `shipform synth` first, with the "
                       f"same --outdir")


def _open_folder(path: Path, parent_fd: int | None = None) -> int:
    """A real folder, never a symlink (opened relative to its parent's descriptor when given)."""
    name: str | Path = path.name if parent_fd is not None else path
    try:
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
    except FileNotFoundError:
        raise _not_synthesized(path) from None
    except OSError as err:
        if err.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        raise OutputError(f"{path} is not a folder (a symlink, or a file in the way); shipform never writes "
                          f"secrets through a symlink. Fix: replace it with a real folder (run `shipform synth` "
                          f"first, with the same --outdir)") from None


def _require_gitignore(app: App, compose_dir: Path, compose_fd: int) -> None:
    """The .gitignore shipform writes next to compose.yaml, which keeps the secrets folder out of git."""
    try:
        fd = os.open(".gitignore", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=compose_fd)
        with os.fdopen(fd, "rb") as handle:
            lines = handle.read(64 * 1024).decode("utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    if not (lines and lines[0].startswith(owner_line(app.name))
            and f"{LOCAL_SECRETS_DIR}/" in lines):
        raise OutputError(f"{compose_dir / '.gitignore'} is missing or not shipform's, so nothing keeps local "
                          f"secrets out of git there. Fix: run `shipform synth` first, with the same --outdir")


def _dangling(name: str, folder_fd: int) -> bool:
    """A symlink to nothing: creating the file would mean writing through it."""
    try:
        if not stat.S_ISLNK(os.lstat(name, dir_fd=folder_fd).st_mode):
            return False
    except FileNotFoundError:
        return False
    try:
        os.stat(name, dir_fd=folder_fd)
    except OSError:  # missing, or a loop of links
        return True
    return False


def _create(name: str, folder_fd: int, content: bytes | None = None) -> bool:
    """Create the secret file ``name`` with ``content`` (default: a random value); False if anything of that name
    exists."""
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                     dir_fd=folder_fd)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(fd, 0o644)
        handle.write(content if content is not None else (secrets.token_urlsafe(32) + "\n").encode("utf-8"))
    return True


def _create_certificate(secret: str, hosts: list[str], folder_fd: int) -> list[str]:
    """A local CA and a server certificate for ``hosts`` (and localhost), as ``<secret>.tls.crt``, ``.tls.key``
    and ``.ca.crt``, made with openssl; nothing when any of the three exists already."""
    keys = list(spec.TLS_FILES.values())
    names = [f"{secret}.{key}" for key in keys]
    if any(_exists(name, folder_fd) for name in names):
        return []
    with tempfile.TemporaryDirectory() as scratch:
        made = _openssl_certificate(Path(scratch), [*hosts, "localhost"])
        for name, key in zip(names, keys, strict=True):
            _create(name, folder_fd, (made / key).read_bytes())
    return names


def _openssl_certificate(folder: Path, hosts: list[str]) -> Path:
    """ca.crt, tls.crt and tls.key in ``folder``: a CA of its own (never trusted beyond these files) signs a server
    certificate for ``hosts``, valid for two years."""
    if shutil.which("openssl") is None:
        raise OutputError("openssl is not installed, and the local databases that take TLS only need a certificate. "
                          "Fix: install openssl (e.g. `apt-get install openssl`), then run `shipform secrets "
                          "init-local` again")
    sans = ",".join(f"DNS:{host}" for host in hosts) + ",IP:127.0.0.1"

    def openssl(*args: str) -> None:
        result = subprocess.run(["openssl", *args], cwd=folder, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise OutputError(f"openssl {args[0]} failed: {result.stderr.strip()[-300:]}. Fix: check the openssl "
                              f"installation")

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "730",
            "-subj", "/CN=shipform local CA", "-keyout", "ca.key", "-out", "ca.crt")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={hosts[0]}",
            "-keyout", "tls.key", "-out", "tls.csr")
    (folder / "san.ext").write_text(f"subjectAltName={sans}\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "730",
            "-extfile", "san.ext", "-out", "tls.crt")
    return folder


def _exists(name: str, folder_fd: int) -> bool:
    try:
        os.lstat(name, dir_fd=folder_fd)
    except FileNotFoundError:
        return False
    return True


def known_values(app: App, outdir: Path) -> dict[str, str]:
    folder = secrets_folder(app, outdir)
    values = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            value = reading.read_text(path, errors="replace").strip() if path.is_file() else ""
            if len(value) >= MIN_CHECKED_LENGTH:
                values[path.name] = value
    return values


def leak_errors(app_name: str, files: dict[str, str], values: dict[str, str]) -> list[ShipformError]:
    """A secret value in an output file is an error, whatever put it there."""
    return [ShipformError(app_name, "secrets", f"the value of secret '{name}' would be written to {path}",
                          "<redacted>", "pass it as a SecretRef, never as a literal value")
            for name, value in values.items() for path, text in files.items() if value in text]
