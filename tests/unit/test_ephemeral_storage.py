"""Local disk is a resource like CPU and memory: every container of the committed output requests (and is
limited to) its own share plus every emptyDir it mounts, so a large scratch volume (a backup's dump waiting for
its upload) is reserved on the node instead of filling it; every namespace's quota bounds it and counts the
objects that take room in etcd."""

from __future__ import annotations

import functools

import pytest
import yaml

from conftest import DIST
from shipform.values.quantity import Memory

OWN_SHARE = 64 * 2**20
TREES = sorted(p for p in DIST.iterdir() if p.is_dir())


@functools.cache
def objects(tree) -> list[dict]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [o for path in sorted((tree / "k8s").rglob("*.yaml"))
            for o in yaml.load_all(path.read_text(), Loader=loader) if isinstance(o, dict)]


def pod_specs(tree):
    for o in objects(tree):
        spec = o.get("spec") or {}
        template = (spec.get("jobTemplate") or {}).get("spec", spec).get("template")
        if template:
            yield f"{o['kind']}/{o['metadata']['name']}", template["spec"]


def size(quantity: str) -> int:
    return Memory.parse("test", "size", quantity).bytes


@pytest.mark.parametrize("tree", TREES, ids=lambda p: p.name)
def test_every_container_reserves_its_share_and_its_empty_dirs(tree):
    checked = 0
    for name, pod in pod_specs(tree):
        empty_dirs = {v["name"]: size(v["emptyDir"]["sizeLimit"]) for v in pod.get("volumes", []) if "emptyDir" in v}
        for c in [*pod.get("initContainers", []), *pod["containers"]]:
            requested = c["resources"]["requests"]["ephemeral-storage"]
            assert requested == c["resources"]["limits"]["ephemeral-storage"], (name, c["name"])
            mounted = sum(empty_dirs.get(m["name"], 0) for m in c.get("volumeMounts", []))
            assert size(requested) == OWN_SHARE + mounted, (name, c["name"], requested, mounted)
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("tree", TREES, ids=lambda p: p.name)
def test_every_namespace_quota_bounds_disk_and_object_counts(tree):
    quotas = [o for o in objects(tree) if o["kind"] == "ResourceQuota"]
    assert quotas
    for quota in quotas:
        hard = quota["spec"]["hard"]
        assert hard["requests.ephemeral-storage"] == hard["limits.ephemeral-storage"]
        assert {"configmaps", "secrets", "services"} <= set(hard)


def test_the_quota_refuses_more_disk_or_objects_than_it_holds(new_app):
    from shipform import Backup, InvalidApp, Quota, S3Target, SecretRef, SecureNamespace, StatefulDB, WebService
    from shipform.testing import synthesize

    app, dev, _ = new_app()
    ns = SecureNamespace(dev, "team", quota=Quota(ephemeral_storage="10Gi", services=2, secrets=1))
    StatefulDB(ns, "db", engine="postgres", version="16", storage="20Gi", backup=Backup(
        schedule="@daily", to=S3Target("acme-backups", credentials=SecretRef("s3", "credentials"),
                                       restore_credentials=SecretRef("s3-read", "credentials"))))
    WebService(ns, "api", image="nginx:1.27.3", port=80, public=True, host="api.example.com")
    with pytest.raises(InvalidApp) as caught:
        synthesize(app)
    problems = {e.prop: str(e) for e in caught.value.problems}
    # The backup's and the restore's 20Gi of dump space each, the database's 256Mi and the API's 128Mi, each of the
    # last two twice at peak (a rollout's surge pod); the database has two Services and the API one; the
    # database's password, the S3 keys, the TLS certificate and the one cert-manager issues it through make four
    # Secrets, five with the restore's S3 keys.
    assert "at least 41Gi" in problems["quota.ephemeral_storage"] and "at least 3" in problems["quota.services"]
    assert "at least 5" in problems["quota.secrets"]  # and the restore's S3 keys


def _database_with_dump_space(new_app, quota=None):
    """A 50Gi database whose backup dumps to an emptyDir (its upload's waiting room) as large as the database."""
    from shipform import Backup, S3Target, SecretRef, SecureNamespace, StatefulDB

    app, dev, _ = new_app()
    ns = SecureNamespace(dev, "team", **({} if quota is None else {"quota": quota}))
    StatefulDB(ns, "db", engine="postgres", version="16", storage="50Gi", backup=Backup(
        schedule="@daily", to=S3Target("acme-backups", credentials=SecretRef("s3", "credentials"),
                                       restore_credentials=SecretRef("s3-read", "credentials"))))
    return app


def test_the_default_quota_holds_a_backups_dump_space_whatever_the_databases_size(new_app):
    from shipform.testing import synthesize

    files = synthesize(_database_with_dump_space(new_app))
    hard = yaml.safe_load(files["k8s/dev/resourcequota-team-quota.yaml"])["spec"]["hard"]
    # 50Gi for logs and writable paths, plus the 50Gi the dump may take before its upload and the 50Gi a restore
    # fetches it into.
    assert hard["requests.ephemeral-storage"] == hard["limits.ephemeral-storage"] == "150Gi"


def test_a_quota_given_too_small_for_the_dump_space_says_so(new_app):
    from shipform import InvalidApp, Quota
    from shipform.testing import synthesize

    with pytest.raises(InvalidApp) as caught:
        synthesize(_database_with_dump_space(new_app, Quota(ephemeral_storage="50Gi")))
    assert str(caught.value) == (
        "shop/dev/team: 'quota.ephemeral_storage' is smaller than the workloads need at peak (103168Mi, of which "
        "100Gi are sized emptyDirs: a backup's dump space is its database's storage size), got '50Gi'. Fix: raise "
        "quota.ephemeral_storage to at least 103168Mi, or leave it out: the default holds the sized emptyDirs besides "
        "its 50Gi")
