"""Pods restart when what they read as environment variables changes: a hash of their ConfigMap's data on the pod
template (shipform renders it), stakater Reloader's annotation naming the Secrets they read as env (shipform never
sees their values). Secrets mounted as files are refreshed by the kubelet and restart nothing."""

from __future__ import annotations

import hashlib
import json

import yaml

from conftest import exec_app, write_sources
from shipform.render.rotation import CONFIG_HASH, RELOAD
from shipform.synth.pipeline import render

APP = '''from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", unpinned_images="a test app", plain_databases="a test cluster",
                   data_storage=DataStorage("ebs.csi.aws.com"))
db = StatefulDB(prod, "db", engine="postgres", version="16", password_env="the ORM reads only DB_URL")
WebService(prod, "api", image="nginx:1.27.3", port=8000, connects_to=[db],
           config={{"LOG_LEVEL": "{level}", "PAGE_SIZE": "50"}})
WebService(prod, "web", image="nginx:1.27.3", port=3000, config={{"THEME": "dark"}},
           secrets={{"SESSION_KEY": SecretRef("web-secrets", "session-key")}})
Worker(prod, "mailer", image="busybox:1.37.0", command=["sleep", "1d"], health=Health.exec(["true"]))
CronJob(prod, "report", schedule="0 6 * * *", image="busybox:1.37.0", command=["true"], connects_to=[db],
        config={{"FORMAT": "pdf"}})
'''


def synthesized(tmp_path, level: str = "info") -> dict[str, str]:
    root = tmp_path / level
    write_sources(root)
    return render(exec_app(APP.format(level=level), root), root / "out")


def k8s(files: dict[str, str], name: str) -> dict:
    return yaml.safe_load(files[f"k8s/prod/{name}.yaml"])


def test_a_changed_config_value_changes_exactly_the_pods_that_read_it(tmp_path):
    before, after = synthesized(tmp_path, "info"), synthesized(tmp_path, "debug")
    changed = {p for p in before.keys() | after.keys() if p.startswith("k8s/prod/") and before.get(p) != after.get(p)}
    old_map = next(p for p in before if p.startswith("k8s/prod/configmap-shop-api-config-"))
    new_map = next(p for p in after if p.startswith("k8s/prod/configmap-shop-api-config-"))
    # The api's pods (their template), its ConfigMap (a new name) and the list of files: nothing else, byte for byte.
    assert changed == {"k8s/prod/deployment-shop-api.yaml", old_map, new_map, "k8s/prod/kustomization.yaml"}
    hashes = [k8s(files, "deployment-shop-api")["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH]
              for files in (before, after)]
    assert hashes[0] != hashes[1]
    assert synthesized(tmp_path, "info") == before  # the same config, the same hash: deterministic


def test_the_hash_is_of_the_data_the_pods_read(tmp_path):
    files = synthesized(tmp_path)
    config_map = next(yaml.safe_load(t) for p, t in files.items() if p.startswith("k8s/prod/configmap-shop-api-"))
    data = json.dumps(sorted(config_map["data"].items()), ensure_ascii=False, separators=(",", ":"))
    annotations = k8s(files, "deployment-shop-api")["spec"]["template"]["metadata"]["annotations"]
    assert annotations[CONFIG_HASH] == "sha256:" + hashlib.sha256(data.encode()).hexdigest()
    # A CronJob's run reads the ConfigMap current when it starts: no hash to roll anything.
    job_template = k8s(files, "cronjob-shop-report")["spec"]["jobTemplate"]["spec"]["template"]
    assert CONFIG_HASH not in job_template["metadata"].get("annotations", {})


def test_reloader_restarts_what_reads_a_secret_as_env_and_only_that(tmp_path):
    files = synthesized(tmp_path)
    api = k8s(files, "deployment-shop-api")
    env = {e["name"]: e for e in api["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "db-credentials"
    # Reloader reads its annotation on the workload's own metadata, not on the pod template.
    assert api["metadata"]["annotations"][RELOAD] == "db-credentials"
    assert RELOAD not in api["spec"]["template"]["metadata"].get("annotations", {})
    # Secrets as files (a projected volume, no subPath) are refreshed by the kubelet: no restart asked.
    web = k8s(files, "deployment-shop-web")
    assert "secretKeyRef" not in json.dumps(web["spec"]["template"]["spec"])
    assert RELOAD not in web["metadata"].get("annotations", {})
    assert RELOAD not in k8s(files, "deployment-shop-mailer")["metadata"].get("annotations", {})
    # Each run of a CronJob reads the Secret when it starts.
    assert RELOAD not in k8s(files, "cronjob-shop-report")["metadata"].get("annotations", {})
