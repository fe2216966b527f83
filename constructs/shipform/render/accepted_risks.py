"""Accepted risks where trivy reads them: ``.trivyignore.yaml`` at the root of the app's output, one entry
per check with the files it is accepted for and the statement why. (checkov reads its accepted risks from
annotations on the objects themselves; the workload renderer writes those.)"""

from __future__ import annotations

import textwrap
from typing import Any

from shipform import spec
from shipform.render import image_policy
from shipform.render.gitops_objects import controller_manifests
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
READ = {"get", "list", "watch"}
# (API group, resource) of the kinds whose objects run pods: whoever may create one may mount any Secret of the
# namespace into its pod and read it there, whatever the Role says about Secrets themselves.
POD_MAKERS = {("", "pods"), ("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"),
              ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs"), ("argoproj.io", "rollouts"),
              ("keda.sh", "scaledjobs"), ("serving.knative.dev", "services")}
RBAC_RESOURCES = {("rbac.authorization.k8s.io", r) for r in ("roles", "rolebindings")}
GUARD_RESOURCES = {("", "namespaces"), ("", "resourcequotas"), ("", "limitranges")}


def granted(manifest: dict[str, Any], verbs: set[str] | None) -> set[tuple[str, str]]:
    """(API group, resource) pairs a Role grants any of ``verbs`` on (None: any verb at all); a '*' verb is
    every verb, a '*' group or resource stays '*' (see :func:`covers`)."""
    return {(group, resource) for rule in manifest.get("rules", []) if rule.get("verbs")
            and (verbs is None or verbs & set(rule["verbs"]) or "*" in rule["verbs"])
            for group in rule.get("apiGroups", []) for resource in rule.get("resources", [])}


def covers(pairs: set[tuple[str, str]], wanted: set[tuple[str, str]]) -> bool:
    """Whether any of ``wanted`` is among ``pairs``, wildcards included."""
    return any((g, r) in pairs or (g, "*") in pairs or ("*", r) in pairs or ("*", "*") in pairs
               for g, r in wanted)


DEPLOYER = "The deployer Role lets its subjects (the GitOps controller or CI that applies this output)"
FLUX = ("The Role Flux applies this Environment as (the ServiceAccount its Kustomization names in "
        "serviceAccountName, which kustomize-controller impersonates) lets it")


def role_statement(what: str, manifest: dict[str, Any], who: str = DEPLOYER) -> str:
    """What a Role that applies the output grants, each sentence derived from its rules, so that every one of them
    is true of the Role it is accepted for (tests/unit/test_role_statements.py checks each against the Role)."""
    namespace = manifest["metadata"]["namespace"]
    writable, readable = granted(manifest, WRITE), granted(manifest, READ)
    text = (f"{who} create, update and delete the {what} shipform emits, in namespace {namespace} only; deploying "
            "them is its purpose.")
    secrets = {("", "secrets")}
    if covers(readable | writable, secrets):
        text += " It may read Secrets through the API."
    elif covers(granted(manifest, None), secrets):
        text += " It cannot get, list or watch Secrets through the API."
    else:
        text += " It has no verb on Secrets: it cannot get, list or watch them through the API."
    if covers(writable, POD_MAKERS):
        text += (f" It may create workloads, and a pod it creates may mount any Secret of namespace {namespace}: "
                 "whoever holds this Role can read every Secret of that namespace that way.")
    cannot = [name for name, kinds in (("RBAC", RBAC_RESOURCES), ("the namespace, its quota or its limits",
                                                                  GUARD_RESOURCES)) if not covers(writable, kinds)]
    if cannot:
        text += f" It cannot change {' or '.join(cannot)}."
    if covers(writable, RBAC_RESOURCES):
        text += (" It may create and change the Roles and RoleBindings of the output, none granting more than it holds "
                 "(the API server refuses any that would).")
    return text


def role_risks(path: str, manifest: dict[str, Any], who: str = DEPLOYER) -> list[tuple[str, str, str]]:
    """(check, file, statement) for one of shipform's Roles that apply the output; nothing for any other
    object."""
    labels = manifest.get("metadata", {}).get("labels", {})
    if manifest.get("kind") != "Role" or labels.get("app.kubernetes.io/managed-by") != "shipform":
        return []
    writable = {resource for _, resource in granted(manifest, WRITE)}
    return [(check, path, role_statement(what, manifest, who)) for check, kinds, what in ROLE_CHECKS
            if writable & kinds]


GUARDED = ("Every namespace of this Environment holds a LimitRange and a ResourceQuota (limitrange-*.yaml and "
           "resourcequota-*.yaml in this folder). trivy evaluates these checks one file at a time and reports them "
           "on every object it reads next to such a file; none of these objects is a namespace without them.")


def folder_risks(app: spec.App) -> list[tuple[str, str, str]]:
    """Checks trivy reports on whole folders: namespace guards (only where every namespace has them) and
    trusted registries (what admits each Environment's images: its ClusterImagePolicies, or why it has none)."""
    risks = [("KSV-0125", f"k8s/{env.name}/**", image_policy.statement(env)) for env in app.environments]
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
    """Lines of at most 100 characters (a block scalar in YAML), so the file stays readable and lint-clean; never
    broken at a hyphen (a name such as shop-prod-signature stays whole)."""
    return "\n".join(textwrap.wrap(statement, 100, break_on_hyphens=False)) + "\n"


def files(app: spec.App, context: Context) -> dict[str, str]:
    entries: dict[tuple[str, str], list[str]] = {}
    for env in app.environments:
        for manifest in context.manifests[env.name]:
            for check, path, statement in role_risks(f"k8s/{env.name}/{file_name(manifest)}", manifest):
                entries.setdefault((check, statement), []).append(path)
    for written, manifest in controller_manifests(app, context).items():
        for check, path, statement in role_risks(written, manifest, FLUX):
            entries.setdefault((check, statement), []).append(path)
    for check, path, statement in folder_risks(app) + workload_risks(app):
        entries.setdefault((check, statement), []).append(path)
    if not entries:
        return {}
    doc = {"misconfigurations": [{"id": check, "paths": sorted(paths), "statement": wrapped(statement)}
                                 for (check, statement), paths in sorted(entries.items())]}
    return {IGNORE_FILE: context.marker + dump(doc)}
