"""aquasecurity/trivy-action's stand-in.

``scan-type: config`` runs the real trivy (the dev extra's wheel, 0.76.0 instead of the action's v0.70.0) the
way the action's entrypoint does (inputs as TRIVY_* variables, one YAML ``trivyignores`` file as the ignore
file), offline: the checks are the ones built into trivy (TRIVY_SKIP_CHECK_UPDATE).

``scan-type: image`` cannot be done here: trivy's vulnerability database is downloaded from a registry this
machine does not reach. The stand-in says so in the log and does the closest real thing: it reads every layer
of the image (``image-ref`` from the loopback registry, or the ``input`` archive) and reports a CRITICAL
finding, fixed in a later version, for each file whose path ends in ``PLANTED_MARKER``; with ``exit-code``
set the step fails then, as trivy does on a finding at or above ``severity``. Tests plant the marker to prove a
scan can stop a build; no real vulnerability is ever looked for.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from act.tools.common import fail, folder, run, say, value

PLANTED_MARKER = "shipform-act/planted-critical-vulnerability"
DB_NOTE = ("trivy stand-in: the vulnerability database cannot be downloaded on this machine, so NO vulnerability "
           f"scan was done; only the planted marker ({PLANTED_MARKER}) is looked for in the image's layers")
OFFLINE = {"TRIVY_SKIP_CHECK_UPDATE": "true", "TRIVY_SKIP_VERSION_CHECK": "true", "TRIVY_DISABLE_TELEMETRY": "true",
           "TRIVY_SKIP_DB_UPDATE": "true", "TRIVY_QUIET": "true"}


def trivy_env() -> dict[str, str]:
    """The TRIVY_* variables the action's entrypoint sets from its inputs (only inputs given and not default)."""
    env = dict(os.environ, **OFFLINE)
    mapping = {"exit-code": "TRIVY_EXIT_CODE", "severity": "TRIVY_SEVERITY", "format": "TRIVY_FORMAT",
               "output": "TRIVY_OUTPUT", "skip-dirs": "TRIVY_SKIP_DIRS", "skip-files": "TRIVY_SKIP_FILES",
               "ignore-unfixed": "TRIVY_IGNORE_UNFIXED", "trivy-config": "TRIVY_CONFIG",
               "scanners": "TRIVY_SCANNERS", "timeout": "TRIVY_TIMEOUT"}
    for name, variable in mapping.items():
        if value(name):
            env[variable] = value(name)
    ignores = [f for f in value("trivyignores").replace(",", " ").split() if f]
    for path in ignores:
        if not Path(path).is_file():
            fail(f"ERROR: cannot find ignorefile '{path}'.")
    if ignores:
        env["TRIVY_IGNOREFILE"] = ignores[0] if len(ignores) == 1 else _joined(ignores)
    return env


def _joined(files: list[str]) -> str:
    if any(f.endswith((".yml", ".yaml")) for f in files):
        fail("ERROR: Multiple YAML ignore files provided. Only one YAML file is supported.")
    joined = Path(tempfile.mkstemp(prefix="trivyignores-")[1])
    joined.write_text("".join(Path(f).read_text() for f in files))
    return str(joined)


def scan_config() -> int:
    trivy = folder("TOOLS") / "trivy"
    target = value("scan-ref") or "."
    say(f"real trivy ({trivy}) config scan of {target}, offline (built-in checks)")
    return subprocess.run([str(trivy), "config", target], env=trivy_env()).returncode


def layer_files(layout: Path) -> list[str]:
    """Every path in every layer of the single image in an OCI layout folder."""
    index = json.loads((layout / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((layout / "blobs" / "sha256" / manifest_digest).read_text())
    names = []
    for layer in manifest["layers"]:
        with tarfile.open(layout / "blobs" / "sha256" / layer["digest"].split(":")[1]) as tar:
            names += [member.name for member in tar.getmembers()]
    return names


def scan_image() -> int:
    print(f"::warning::{DB_NOTE}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        layout = Path(tmp) / "layout"
        if value("input"):
            source = value("input")
            # trivy's --input takes an OCI layout folder as well as an oci or docker archive
            transport = ("oci" if Path(source).is_dir() else
                         "oci-archive" if _is_oci_archive(Path(source)) else "docker-archive")
            run(["skopeo", "copy", "--quiet", f"{transport}:{source}", f"oci:{layout}"])
        elif value("image-ref"):
            run(["skopeo", "copy", "--quiet", f"docker://{value('image-ref')}", f"oci:{layout}"])
        else:
            fail("image scan needs image-ref or input")
        planted = [n for n in layer_files(layout) if n.rstrip("/").endswith(PLANTED_MARKER)]
    severities = (value("severity") or "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL").upper().split(",")
    findings = [name for name in planted if "CRITICAL" in severities]
    for name in findings:
        print(f"CRITICAL  PLANTED-MARKER  {name}  (a test's planted finding; fixed version: 1.0.1)")
    print(f"Total: {len(findings)} (CRITICAL: {len(findings)}) [planted markers only: see the warning above]")
    return int(value("exit-code") or "0") if findings else 0


def _is_oci_archive(path: Path) -> bool:
    with tarfile.open(path) as tar:
        return "oci-layout" in tar.getnames()


def main() -> int:
    scan_type = value("scan-type") or "image"
    if scan_type == "config":
        return scan_config()
    if scan_type == "image":
        return scan_image()
    fail(f"scan-type {scan_type!r}: the stand-in runs config scans (real trivy) and image scans (planted marker "
         "only); others need the vulnerability database, which cannot be downloaded here")


if __name__ == "__main__":
    raise SystemExit(main())
