"""Accepted risks where trivy reads them: ``.trivyignore.yaml`` at the root of the app's output, one entry
per check with the files it is accepted for and the statement why. (checkov reads its accepted risks from
annotations on the objects themselves; the workload renderer writes those.)"""

from __future__ import annotations

import textwrap
from typing import Any

from shipform import spec
from shipform.render.objects import file_name
from shipform.render.output import Context
from shipform.write.yaml_dump import dump

IGNORE_FILE = ".trivyignore.yaml"

# trivy's checks on Roles that may change what they grant (verbs create/update/patch/delete); each fires on
# any Role that deploys such a kind, which is what the deployer Role is for.
ROLE_CHECKS = (
    ("KSV-0048", {"deployments", "statefulsets", "jobs", "cronjobs", "pods", "daemonsets", "replicasets"},
     "workloads"),
    ("KSV-0049", {"configmaps"}, "ConfigMaps"),
    ("KSV-0056", {"services", "networkpolicies", "ingresses", "endpoints", "endpointslices"},
     "Services, Ingresses and NetworkPolicies"),
)
WRITE = {"create", "update", "patch", "delete"}


def role_statement(what: str, namespace: str) -> str:
    return (f"The deployer Role lets its subjects (the GitOps controller or CI that applies this output) create, "
            f"update and delete the {what} shipform emits, in namespace {namespace} only; deploying them is its "
            "purpose. It cannot read Secrets or change RBAC, the namespace, its quota or its limits.")


def role_risks(path: str, manifest: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(check, file, statement) for one of shipform's deployer Roles; nothing for any other object."""
    labels = manifest.get("metadata", {}).get("labels", {})
    if manifest.get("kind") != "Role" or labels.get("app.kubernetes.io/managed-by") != "shipform":
        return []
    writable = {r for rule in manifest.get("rules", []) if WRITE & set(rule.get("verbs", []))
                for r in rule.get("resources", [])}
    namespace = manifest["metadata"]["namespace"]
    return [(check, path, role_statement(what, namespace)) for check, kinds, what in ROLE_CHECKS
            if writable & kinds]


GUARDED = ("Every namespace of this Environment holds a LimitRange and a ResourceQuota (limitrange-*.yaml and "
           "resourcequota-*.yaml in this folder). trivy evaluates these checks one file at a time and reports them "
           "on every object it reads next to such a file; none of these objects is a namespace without them.")
REGISTRIES = ("Which registries are trusted is an organisation's allow-list, enforced at admission; trivy's "
              "default list names none of them. Images here are the app's own (from its registry) or official "
              "images pinned by tag or digest.")


def folder_risks(app: spec.App) -> list[tuple[str, str, str]]:
    """Checks trivy reports on whole folders: namespace guards (only where every namespace has them) and
    trusted registries."""
    risks = [("KSV-0125", "k8s/**", REGISTRIES)]
    for env in app.environments:
        if env.namespaces and all(ns.guards is not None for ns in env.namespaces):
            risks += [(check, f"k8s/{env.name}/**", GUARDED) for check in ("KSV-0039", "KSV-0040")]
    if app.repository is not None:
        risks += [(check, "gitops/**", "Argo CD and Flux objects are not workloads; " + GUARDED.split(". ")[1])
                  for check in ("KSV-0039", "KSV-0040")]
    return risks


def workload_risks(app: spec.App) -> list[tuple[str, str, str]]:
    """trivy checks a workload accepts with its reason, for the files of its objects."""
    return [(normal(r.check), f"k8s/{env.name}/*-{w.namespace}-{w.name}.yaml", f"{w.path}: {r.reason}")
            for env in app.environments for w in env.workloads for r in w.accepted_risks if r.check.startswith("KSV")]


def normal(check: str) -> str:
    """trivy's ids as it prints them: KSV-0014 (accepted as KSV014 or KSV-014 too)."""
    return f"KSV-{int(check.removeprefix('KSV').lstrip('-')):04d}"


def wrapped(statement: str) -> str:
    """Lines of at most 100 characters (a block scalar in YAML), so the file stays readable and lint-clean."""
    return "\n".join(textwrap.wrap(statement, 100)) + "\n"


def files(app: spec.App, context: Context) -> dict[str, str]:
    entries: dict[tuple[str, str], list[str]] = {}
    for env in app.environments:
        for manifest in context.manifests[env.name]:
            for check, path, statement in role_risks(f"k8s/{env.name}/{file_name(manifest)}", manifest):
                entries.setdefault((check, statement), []).append(path)
    for check, path, statement in folder_risks(app) + workload_risks(app):
        entries.setdefault((check, statement), []).append(path)
    if not entries:
        return {}
    doc = {"misconfigurations": [{"id": check, "paths": sorted(paths), "statement": wrapped(statement)}
                                 for (check, statement), paths in sorted(entries.items())]}
    return {IGNORE_FILE: context.marker + dump(doc)}
