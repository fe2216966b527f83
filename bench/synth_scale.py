"""The project's benchmark: how shipform's time grows with the number of services, against a YAML-writing
floor and against cdk8s-plus-33 driven from Python.

For each N (default 10, 100, 300, 1000) the app of ``bench/bench_app.py`` (70% WebServices built from source,
15% Workers, 10% CronJobs, 5% StatefulDBs) in 2 Environments (3 for N = 300), all outputs. Per N it prints:

- process_s, rss_mib: wall time and peak RSS of ``shipform synth bench/bench_app.py`` as a whole process
  (Python start, Node start through jsii, the app file, synth, writing);
- build_s, synth_s, check_s: in this process, building the App and its constructs, ``synth_app`` (validate,
  render every file, write the output folder), and ``synth_app(check=True)`` on that fresh output (render in
  memory and compare, as ``shipform synth --check`` does);
- files: files written;
- floor_s, x_floor: writing the same files from plain data, each YAML file's documents (loaded back from
  shipform's output beforehand) dumped with PyYAML's C dumper (CSafeDumper), the others as their text, with
  the cyclic garbage collector paused as shipform pauses it; and (build_s + synth_s) / floor_s;
- ms_per_service: (build_s + synth_s) per service per Environment;
- peer_process_s, peer_ms_per_service, peer_over_shipform: cdk8s-plus-33 (``bench/peer_cdk8s_plus.py``)
  building N web services (Deployment, Service, Ingress, HorizontalPodAutoscaler) in one Environment,
  Kubernetes YAML only, as a whole process; its build and synth time per service; and how many times
  shipform's time per service that is.

With both 100 and 1000 it also prints time(1000) / time(100) of build_s + synth_s (linear growth is 10).
Output goes to a temporary folder (``--tmp DIR`` to choose where; the file system matters: creating a file
costs microseconds on tmpfs and up to a millisecond on a busy disk) that is removed afterwards.

    .venv/bin/python bench/synth_scale.py                 # N = 10, 100, 300, 1000
    .venv/bin/python bench/synth_scale.py 10 200 --json   # any Ns; one JSON document for tracking

cdk8s-plus-33 comes with the ``bench`` extra (scripts/setup.sh installs it); without it the peer columns are
left out, saying so.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_app import build_app, mix  # noqa: E402

from shipform.synth.pipeline import cyclic_gc_paused, render, synth_app  # noqa: E402

SHIPFORM = Path(sys.executable).with_name("shipform")
COLUMNS = ["N", "envs", "services", "files", "process_s", "rss_mib", "build_s", "synth_s", "check_s", "floor_s",
           "x_floor", "ms_per_service", "peer_process_s", "peer_ms_per_service", "peer_over_shipform"]


def timed_process(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MiB, stdout) of a child process; stops the benchmark if the child fails.
    Output goes through files so that wait4 can reap the child and read its own resource usage."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(args, stdout=stdout, stderr=stderr, text=True, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if child.returncode:
            raise SystemExit(f"{' '.join(args)} failed ({child.returncode}):\n{stderr.read()}")
        return wall, usage.ru_maxrss / 1024, stdout.read()  # ru_maxrss is in KiB on Linux


def floor_seconds(files: dict[str, str], folder: Path) -> float:
    """Write the same files from plain data: YAML through PyYAML's C dumper, the rest as text."""
    documents = {rel: list(yaml.load_all(text, Loader=yaml.CSafeLoader)) if rel.endswith(".yaml") else text
                 for rel, text in files.items()}
    with cyclic_gc_paused():  # as shipform renders
        start = time.perf_counter()
        for rel, data in documents.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, str):
                target.write_text(data, encoding="utf-8")
            else:
                target.write_text(yaml.dump_all(data, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
        return time.perf_counter() - start


def has_peer() -> bool:
    return importlib.util.find_spec("cdk8s_plus_33") is not None


def run(n: int, tmp: Path) -> dict[str, Any]:
    envs = 3 if n == 300 else 2
    row: dict[str, Any] = {"N": n, "envs": envs, "services": n * envs, "mix": mix(n)}
    root, out = tmp / "root", tmp / "out"
    variables = {"SHIPFORM_BENCH_N": str(n), "SHIPFORM_BENCH_ENVIRONMENTS": str(envs),
                 "SHIPFORM_BENCH_ROOT": str(root)}
    build_app(1, root)  # the build context, before the process that reads it
    row["process_s"], row["rss_mib"], _ = timed_process(
        [str(SHIPFORM), "synth", str(BENCH / "bench_app.py"), "--outdir", str(tmp / "cli")], variables)

    start = time.perf_counter()
    app = build_app(n, root, envs)
    row["build_s"] = time.perf_counter() - start
    start = time.perf_counter()
    synth_app(app, outdir=str(out))
    row["synth_s"] = time.perf_counter() - start
    start = time.perf_counter()
    stale = [change for changes in synth_app(app, outdir=str(out), check=True).values() for change in changes]
    row["check_s"] = time.perf_counter() - start
    if stale:
        raise SystemExit(f"synth --check found a fresh output stale: {stale[:3]}")
    files = render(app, out)
    row["files"] = len(files)
    row["floor_s"] = floor_seconds(files, tmp / "floor")
    shipform_s = row["build_s"] + row["synth_s"]
    row["x_floor"] = shipform_s / row["floor_s"]
    row["ms_per_service"] = 1000 * shipform_s / row["services"]

    if has_peer():
        wall, _, stdout = timed_process([sys.executable, str(BENCH / "peer_cdk8s_plus.py"), str(n), str(tmp / "peer")])
        peer = json.loads(stdout)
        row["peer_process_s"] = wall
        row["peer_ms_per_service"] = 1000 * (peer["build_s"] + peer["synth_s"]) / peer["services"]
        row["peer_over_shipform"] = row["peer_ms_per_service"] / row["ms_per_service"]
    return row


def file_system(path: Path) -> str:
    """The type of the file system holding ``path`` (Linux: from /proc/mounts), else 'unknown'."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown"
    best = max((m for m in mounts if str(path.resolve()).startswith(m[1])), key=lambda m: len(m[1]), default=None)
    return best[2] if best else "unknown"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10, 100, 300, 1000])
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    parser.add_argument("--tmp", type=Path, default=None, help="where the temporary folder goes")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="shipform-bench-", dir=args.tmp) as tmp:
        fs = file_system(Path(tmp))
        if not args.json:
            print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
                  f"output on {fs}" + ("" if has_peer() else "; peer left out (pip install -e '.[bench]')"))
            print("  ".join(f"{c:>{max(len(c), 8)}}" for c in COLUMNS))
        for n in args.sizes:
            row = run(n, Path(tempfile.mkdtemp(dir=tmp)))
            rows.append(row)
            if not args.json:
                print("  ".join(_cell(row.get(c), max(len(c), 8)) for c in COLUMNS), flush=True)
    by_n = {r["N"]: r for r in rows}
    growth = None
    if 100 in by_n and 1000 in by_n:
        growth = ((by_n[1000]["build_s"] + by_n[1000]["synth_s"]) / (by_n[100]["build_s"] + by_n[100]["synth_s"]))
    if args.json:
        print(json.dumps({"python": platform.python_version(), "cpus": os.cpu_count(), "file_system": fs,
                          "rows": rows, "growth_1000_over_100": growth}, indent=2))
    elif growth is not None:
        print(f"time(1000) / time(100), build + synth: {growth:.2f}")


def _cell(value: Any, width: int) -> str:
    if value is None:
        return f"{'-':>{width}}"
    return f"{value:>{width}.3f}" if isinstance(value, float) else f"{value:>{width}}"


if __name__ == "__main__":
    main(sys.argv[1:])
