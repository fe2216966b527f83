"""Every statement ``.trivyignore.yaml`` makes about a deployer Role is true of that Role's rules: checked here
against the verbs and resources of the rendered Roles (the reference apps in dist/ and Roles built by hand),
by reading the Role directly, not through the code that wrote the statement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO
from shipform.render.accepted_risks import role_statement

READ = {"get", "list", "watch"}
WRITE = {"create", "update", "patch", "delete"}
# What runs a pod (so may mount any Secret of its namespace), by API group.
POD_MAKERS = {("", "pods"), ("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"),
              ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs"), ("argoproj.io", "rollouts"),
              ("keda.sh", "scaledjobs"), ("serving.knative.dev", "services")}


def grants(role: dict[str, Any], verbs: set[str] | None, group: str, resource: str) -> bool:
    """Whether the Role grants any of ``verbs`` (None: any verb) on the resource, wildcards included."""
    return any((verbs is None and rule.get("verbs")) or "*" in rule.get("verbs", [])
               or bool(verbs and verbs & set(rule.get("verbs", [])))
               for rule in role.get("rules", [])
               if set(rule.get("apiGroups", [])) & {group, "*"} and set(rule.get("resources", [])) & {resource, "*"})


def check(statement: str, role: dict[str, Any]) -> None:
    """Each claim the statement makes, against the Role; and what the Role grants that the statement must say."""
    text = " ".join(statement.split())
    namespace = role["metadata"]["namespace"]
    assert f"in namespace {namespace} only" in text
    reads_secrets = grants(role, READ, "", "secrets")
    if "cannot get, list or watch" in text:
        assert not reads_secrets
    if "no verb on Secrets" in text:
        assert not grants(role, None, "", "secrets")
    assert ("may read Secrets" in text) == reads_secrets
    assert "cannot read Secrets" not in text  # the old claim, false for anyone who may create a pod
    makes_pods = any(grants(role, WRITE, group, resource) for group, resource in POD_MAKERS)
    mounts = f"a pod it creates may mount any Secret of namespace {namespace}"
    assert (mounts in text) == makes_pods, "a Role that may create pods must say it can mount the Secrets"
    if "cannot change RBAC" in text:
        assert not any(grants(role, WRITE, "rbac.authorization.k8s.io", r)
                       for r in ("roles", "rolebindings", "clusterroles", "clusterrolebindings"))
    if "the namespace, its quota or its limits" in text:
        assert "cannot change" in text
        assert not any(grants(role, WRITE, "", r) for r in ("namespaces", "resourcequotas", "limitranges"))


def role_statements() -> list[tuple[Path, str, str]]:
    """(Role file, check, statement) for every deployer Role of every app in dist/."""
    found = []
    for ignore in sorted((REPO / "dist").glob("*/.trivyignore.yaml")):
        for entry in yaml.safe_load(ignore.read_text())["misconfigurations"]:
            found += [(ignore.parent / path, entry["id"], entry["statement"]) for path in entry["paths"]
                      if "/role-" in path]
    return found


def test_the_reference_apps_accept_their_deployer_roles_with_statements():
    assert {check_id for _, check_id, _ in role_statements()} >= {"KSV-0048", "KSV-0056"}


@pytest.mark.parametrize(("path", "check_id", "statement"), role_statements(),
                         ids=lambda v: v.name if isinstance(v, Path) else None)
def test_every_statement_on_a_deployer_role_is_true_of_its_rules(path, check_id, statement):
    role = yaml.safe_load(path.read_text())
    assert role["kind"] == "Role"
    check(statement, role)


def role(*rules: tuple[str, str, list[str]]) -> dict[str, Any]:
    return {"kind": "Role", "metadata": {"name": "deployer", "namespace": "team"},
            "rules": [{"apiGroups": [g], "resources": [r], "verbs": v} for g, r, v in rules]}


ALL = sorted(READ | WRITE)


@pytest.mark.parametrize("rules", [
    [("apps", "deployments", ALL)],                       # workloads: may mount every Secret
    [("", "services", ALL)],                              # networking only: mounts nothing
    [("apps", "deployments", ALL), ("", "secrets", ["get"])],  # reads Secrets: must say so
    [("", "services", ALL), ("", "secrets", ["deletecollection"])],  # a verb on Secrets, none that reads
    [("*", "*", ["*"])],                                  # everything: no "cannot" at all
    [("", "services", ALL), ("rbac.authorization.k8s.io", "rolebindings", ["create"])],
])
def test_the_statement_follows_the_rules_it_is_written_for(rules):
    built = role(*rules)
    statement = role_statement("workloads", built)
    check(statement, built)
    if rules == [("*", "*", ["*"])]:
        assert "cannot" not in statement


def test_a_deployer_that_deploys_workloads_is_said_to_reach_the_namespaces_secrets():
    statement = role_statement("workloads", role(("apps", "deployments", ALL)))
    assert "whoever holds this Role can read every Secret of that namespace that way" in statement
    assert "It has no verb on Secrets" in statement
