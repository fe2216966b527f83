"""How shipform's construct and synth time grow with the number of services, against a YAML-writing floor.

For each N (default 10, 100, 300) it builds an App with two Environments (``dev``: local with a domain;
``prod``: replicas=3 with a domain), each holding N WebServices on the prebuilt image nginx:1.27.3, ports
10000 + i (distinct: compose publishes the public ones), an HTTP health check, every service connecting to the
previous one and every 10th one public. Then it measures:

- construct_s: building the App, Environments and WebServices (a fresh cdk8s App per N);
- synth_s: ``shipform.synth.pipeline.synth_app`` (validate, render every file, write the output folder);
- per_service_ms: (construct_s + synth_s) / (2 * N);
- floor_s: dumping the same data (each env's objects rendered from its spec plus the compose document, deep-copied
  to plain dicts beforehand) with PyYAML's C dumper, one file per object; ratio = (construct_s + synth_s) / floor_s.

It also prints how long ``import shipform.synth.app`` takes (it starts Node through jsii) and the process wall time
from the top of this file. Output goes to temporary folders that are removed afterwards. Run it with:

    .venv/bin/python bench/synth_scale.py            # N = 10, 100, 300
    .venv/bin/python bench/synth_scale.py 10 1000    # any Ns
"""

import time

PROCESS_START = time.perf_counter()

import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import yaml  # noqa: E402

t0 = time.perf_counter()
import shipform.synth.app  # noqa: E402, F401 (timed: it starts Node)

IMPORT_S = time.perf_counter() - t0

from shipform import App, Environment, Health, WebService  # noqa: E402
from shipform.render import compose  # noqa: E402
from shipform.render.k8s import environment_objects  # noqa: E402
from shipform.synth.pipeline import synth_app  # noqa: E402


def build_app(n: int, root: Path) -> App:
    app = App("bench", registry="ghcr.io/acme", version="1.0.0", root=root)
    dev = Environment(app, "dev", local=True, domain="dev.bench.example.com")
    prod = Environment(app, "prod", replicas=3, domain="bench.example.com")
    for env in (dev, prod):
        prev = None
        for i in range(n):
            prev = WebService(env, f"svc-{i:04d}", image="nginx:1.27.3", port=10000 + i,
                              health=Health.http("/healthz"),
                              connects_to=[prev] if prev else [], public=i % 10 == 0)
    return app


def plain(value: Any) -> Any:
    """A deep copy made of builtin types only (the compose document holds a str subclass, Quoted)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def floor_documents(app: App, outdir: Path) -> list[dict]:
    """The rendered data as plain dicts: every shipform manifest of every env, plus the compose document."""
    app_spec = app.to_spec()
    docs = [plain(m) for env in app_spec.environments for m in environment_objects(env)]
    app_dir = (outdir / app.name).resolve()
    doc = compose.compose_document(app_spec, app_dir / compose.COMPOSE_DIR, app_dir / "docker")
    if doc is not None:
        docs.append(plain(doc))
    return docs


def dump_floor(docs: list[dict], folder: Path) -> float:
    start = time.perf_counter()
    for i, doc in enumerate(docs):
        text = yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False)
        (folder / f"{i:06d}.yaml").write_text(text, encoding="utf-8")
    return time.perf_counter() - start


def run(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="shipform-bench-") as tmp:
        root, out, floor_dir = Path(tmp, "root"), Path(tmp, "out"), Path(tmp, "floor")
        for folder in (root, floor_dir):
            folder.mkdir()
        start = time.perf_counter()
        app = build_app(n, root)
        construct_s = time.perf_counter() - start
        start = time.perf_counter()
        synth_app(app, outdir=str(out))
        synth_s = time.perf_counter() - start
        files = sum(1 for p in (out / app.name).rglob("*") if p.is_file())
        docs = floor_documents(app, out)
        objects = len(docs) - (app.local_environment is not None)
        floor_s = dump_floor(docs, floor_dir)
    total = construct_s + synth_s
    return {"N": n, "services": 2 * n, "objects": objects, "files": files, "construct_s": construct_s,
            "synth_s": synth_s, "per_service_ms": 1000 * total / (2 * n), "floor_s": floor_s,
            "ratio": total / floor_s}


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10, 100, 300]
    print(f"import shipform.synth.app (starts Node via jsii): {IMPORT_S:.3f} s")
    columns = ["N", "services", "objects", "files", "construct_s", "synth_s", "per_service_ms", "floor_s", "ratio"]
    print("  ".join(f"{c:>14}" for c in columns))
    for n in sizes:
        row = run(n)
        print("  ".join(f"{row[c]:>14.3f}" if isinstance(row[c], float) else f"{row[c]:>14}" for c in columns),
              flush=True)
    print(f"whole process wall time (from the top of this file, imports included): "
          f"{time.perf_counter() - PROCESS_START:.3f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
