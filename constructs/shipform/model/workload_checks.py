"""A workload's props, checked one by one as the construct is created (env, secrets, writable folders, accepted
risks), and what they add up to, checked once the tree is complete (secret files and mounts that collide, the
user a team's own Dockerfile runs as). Functions of plain values: the workload hands over what it has, and
``path`` is its construct path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from shipform import spec
from shipform.errors import ShipformError
from shipform.model.build import Build
from shipform.model.config import refuse_secret_shape
from shipform.values import checks, pod_security, reach_risks
from shipform.values.secret_ref import SecretRef


def check_env(path: str, env: Mapping[str, str]) -> dict[str, str]:
    """Plain variables: valid names, and no credential by its name or its shape."""
    for name, value in env.items():
        checks.env_name(path, "env", name)
        path_to_secret_file = name.endswith("_FILE") and isinstance(value, str) and value.startswith("/")
        if checks.SECRET_NAME.search(name) and not path_to_secret_file:
            raise ShipformError(path, f"env.{name}", "looks like a credential; literal values would land "
                                "in generated files", "<redacted>",
                                f"pass secrets={{'{name}': SecretRef('<secret>', '<key>')}} instead")
        if isinstance(value, str):
            refuse_secret_shape(path, f"env.{name}", value, name)
    return dict(env)


def check_risks(path: str, risks: Mapping[str, str]) -> tuple[spec.AcceptedRisk, ...]:
    """Scanner check ids, Pod Security rules (values/pod_security.py) or risks of reach (values/reach_risks.py),
    each with the reason in one line; a rule stands for the scanner checks that report it, which are accepted with
    its reason where not named apart."""
    named = (*pod_security.BY_NAME, *reach_risks.NAMES)
    for check, reason in risks.items():
        if check not in named and not checks.matches(r"CKV2?_[A-Z0-9]+_[0-9]+|KSV-?[0-9]{3,4}", check):
            near = next((r for r in named if r.lower() == str(check).lower()), None)
            raise ShipformError(path, "accepted_risks", "keys must be checkov (CKV_...) or trivy (KSV-...) "
                                "check ids, a Pod Security rule (" + ", ".join(pod_security.BY_NAME) + ") or a "
                                "risk of reach (" + ", ".join(reach_risks.NAMES) + ")",
                                check, f"write '{near}'" if near else "write e.g. {'CKV_K8S_22': '<why>'} or "
                                "{'readOnlyRootFilesystem': '<why>'}")
        if not checks.is_stated_reason(reason, commas=False):
            raise ShipformError(path, f"accepted_risks.{check}", "must say why, in one line without ','",
                                reason, "write the reason the risk is accepted, e.g. 'nginx writes its cache'")
    stated = dict(risks)
    for name, reason in risks.items():
        rule = pod_security.BY_NAME.get(name)
        stated.update({c: reason for c in rule.written if c not in risks} if rule else {})
    return tuple(spec.AcceptedRisk(check, reason) for check, reason in sorted(stated.items()))


def writable_root_error(path: str, read_only_root_filesystem: bool, risks: Sequence[spec.AcceptedRisk]) -> None:
    """A writable root filesystem is a relaxation that states its reason (as the Pod Security rule of the same
    name, or the scanner checks that report it)."""
    rule = pod_security.BY_NAME["readOnlyRootFilesystem"]
    if read_only_root_filesystem is False and rule.name not in pod_security.accepted({r.check for r in risks}):
        raise ShipformError(path, "read_only_root_filesystem", "is False, a relaxation of the hardened pod that "
                            "must state its reason", False, "pass accepted_risks={'readOnlyRootFilesystem': "
                            f"'<why the root must be writable>'}} (written for checkov and trivy as "
                            f"{', '.join(rule.written)}), or keep the root read-only and list the folders the "
                            "app writes in writable_paths=[...]")


def check_secrets(path: str, secrets: Mapping[str, SecretRef], env: Mapping[str, str]) -> dict[str, SecretRef]:
    """Secret references under valid variable names that ``env`` does not set too."""
    for name, ref in secrets.items():
        checks.env_name(path, "secrets", name)
        ref.validate(path, f"secrets.{name}")
        if name in env:
            raise ShipformError(path, f"secrets.{name}", "is also set in env", name, "keep it in one place")
    return dict(secrets)


def check_writable_paths(path: str, folders: Sequence[str]) -> list[str]:
    """Absolute folders, each its own emptyDir: names must be distinct DNS labels, mounts distinct."""
    seen: dict[str, str] = {}
    for i, folder in enumerate(folders):
        prop = f"writable_paths[{i}]"
        if not folder.startswith("/") or folder == "/" or ".." in folder.split("/") or not folder.isprintable():
            raise ShipformError(path, prop, "must be an absolute folder other than '/'", folder,
                                "pass e.g. ['/tmp', '/var/cache/app']")
        folder = checks.mount_point(path, prop, folder.rstrip("/"))
        volume = spec.scratch_volume_name(folder)
        if not checks.is_dns_label(volume):
            raise ShipformError(path, prop, f"makes the volume name '{volume}', longer than 63 characters "
                                "or not a DNS label", folder, "use a shorter folder of plain letters and digits")
        if volume in seen:
            raise ShipformError(path, prop, f"is the same folder or volume as '{seen[volume]}'", folder,
                                "list each writable folder once")
        seen[volume] = folder
    return list(seen.values())


def file_collisions(path: str, secrets: Mapping[str, SecretRef]) -> list[ShipformError]:
    """Two different Secret keys mounted at one /run/secrets/<name>.<key> path: one would hide the other."""
    seen: dict[str, SecretRef] = {}
    for name, ref in secrets.items():
        other = seen.setdefault(ref.file_name, ref)
        if other != ref:
            return [ShipformError(path, f"secrets.{name}", f"is mounted at /run/secrets/{ref.file_name}, "
                                  f"as is {other}", f"{ref}", "rename the Secret or the key so the two differ "
                                  "in their '<name>.<key>' file name")]
    return []


def mount_collisions(path: str, mounts: Iterable[str], has_secrets: bool, writable_paths: Sequence[str],
                     files: Iterable[str]) -> list[ShipformError]:
    """Writable folders may not be where secrets or data are mounted (``mounts``: the volumes'; the API server
    refuses two mounts at one path); config files may not be mounted at a folder already mounted, nor inside the
    secrets."""
    taken = set(mounts) | ({"/run/secrets"} if has_secrets else set())
    for i, folder in enumerate(writable_paths):
        if folder in taken:
            return [ShipformError(path, f"writable_paths[{i}]", "is already a mount of the workload "
                                  "(its secrets or data)", folder, "pick another writable folder")]
    taken |= set(writable_paths)
    for file in files:
        if file in taken or (file.startswith("/run/secrets/") and has_secrets):
            return [ShipformError(path, f"files.{file}", "is already a mount of the workload (a writable "
                                  "folder, its secrets or data)", file, "mount the file somewhere else")]
    return []


def team_user_errors(path: str, build: Build | None, root: Path, run_as_user: int,
                     run_as_group: int) -> list[ShipformError]:
    """A team's own Dockerfile must end as the numeric user every platform runs the workload as."""
    if build is None or build.preset != "dockerfile":
        return []
    user = build.team_user(root)
    if user in (str(run_as_user), f"{run_as_user}:{run_as_group}"):
        return []
    return [ShipformError(path, "build.dockerfile", f"runs as USER {user or '(none: root)'}, but the workload "
                          f"runs as {run_as_user}:{run_as_group} (runAsUser, compose user)", user,
                          f"end the Dockerfile with USER {run_as_user}:{run_as_group}, or pass "
                          "run_as_user= and run_as_group= to match it (numeric, not root)")]
