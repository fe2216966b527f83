"""The benchmark's app: N services in a realistic mix, in 2 or 3 Environments, all outputs.

Per Environment: 70% WebServices built from source (Build.python, an HTTP health check, every 10th public,
each connecting to the previous one and to a database), 15% Workers built from source (an exec health
check, connecting to a web service and a database), 10% CronJobs running a web service's image against a
database, 5% StatefulDBs (postgres and redis by turns; at least one). Environments: ``dev`` (local, so
compose too), ``prod`` (3 replicas) and, with three, ``stage`` (2 replicas), each with a domain.

``bench/synth_scale.py`` imports ``build_app``; run as an app file (``shipform synth bench/bench_app.py``) it
reads SHIPFORM_BENCH_N, SHIPFORM_BENCH_ENVIRONMENTS and SHIPFORM_BENCH_ROOT (the folder holding the build
context that ``write_sources`` made)."""

from __future__ import annotations

import os
from pathlib import Path

from shipform import App, Build, CronJob, DataStorage, Environment, Health, Issuer, StatefulDB, WebService, Worker

CONTEXT = "services/py"
NEVER_PUSHED = "the benchmark app: its images are never pushed"


def write_sources(root: Path) -> None:
    """The one build context every built service uses (each still gets a Dockerfile of its own), in a folder that
    declares shipform (what CI installs)."""
    (root / CONTEXT).mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text("shipform\n")
    (root / CONTEXT / "requirements.txt").write_text("gunicorn==23.0.0\nflask==3.1.0\n")


def mix(n: int) -> dict[str, int]:
    databases = max(1, n * 5 // 100)
    crons, workers = n * 10 // 100, n * 15 // 100
    return {"web": n - databases - crons - workers, "worker": workers, "cron": crons, "db": databases}


def build_app(n: int, root: Path, environments: int = 2) -> App:
    write_sources(root)
    app = App("bench", registry="ghcr.io/acme", version="1.0.0", root=root, workflows="output")
    envs = [Environment(app, "dev", local=True, domain="dev.bench.example.com"),
            Environment(app, "prod", replicas=3, domain="bench.example.com", unpinned_images=NEVER_PUSHED,
                        tls_issuer=Issuer(name="internal-ca"), data_storage=DataStorage("ebs.csi.aws.com"))]
    if environments == 3:
        envs.append(Environment(app, "stage", replicas=2, domain="stage.bench.example.com",
                                unpinned_images=NEVER_PUSHED, tls_issuer=Issuer(name="internal-ca"),
                                data_storage=DataStorage("ebs.csi.aws.com")))
    counts = mix(n)
    for env in envs:
        dbs = [StatefulDB(env, f"db-{i:04d}", engine="redis" if i % 2 else "postgres",
                          version="7.4" if i % 2 else "16", storage="1Gi") for i in range(counts["db"])]
        webs: list[WebService] = []
        for i in range(counts["web"]):
            previous = webs[-1:] if webs else []
            webs.append(WebService(env, f"web-{i:04d}", port=10000 + i, health=Health.http("/healthz"),
                                   build=Build.python(CONTEXT, ["gunicorn", "-b", f"0.0.0.0:{10000 + i}", "app:app"]),
                                   connects_to=[*previous, dbs[i % len(dbs)]], public=i % 10 == 0))
        for i in range(counts["worker"]):
            Worker(env, f"worker-{i:04d}", build=Build.python(CONTEXT, ["python", "-m", "worker"]),
                   health=Health.exec(["python", "-m", "worker.healthcheck"]),
                   connects_to=[webs[i % len(webs)], dbs[i % len(dbs)]])
        for i in range(counts["cron"]):
            CronJob(env, f"cron-{i:04d}", schedule=f"{i % 60} 3 * * *", image_of=webs[i % len(webs)],
                    command=["python", "-m", "report"], connects_to=[dbs[i % len(dbs)]])
    return app


if __name__ == "__main__":
    build_app(int(os.environ["SHIPFORM_BENCH_N"]), Path(os.environ["SHIPFORM_BENCH_ROOT"]),
              int(os.environ.get("SHIPFORM_BENCH_ENVIRONMENTS", "2")))
