"""Scoped GitOps: each Argo CD Application is in an AppProject of its own that admits only the app's repository,
its Environment's namespaces on its destination and the kinds its output holds (cluster-scoped objects by name);
each Flux Kustomization applies as a ServiceAccount whose Roles grant exactly those kinds; private repositories
through a Secret; two Environments never own one namespace on one cluster."""

from __future__ import annotations

import pytest
import yaml

from conftest import DIST, assert_match_crd_schemas
from shipform import App, Destination, Environment, SecureNamespace, Subject, WebService
from shipform.errors import ShipformError
from shipform.model.ownership import cross_app_errors
from shipform.spec.kinds import group_of, is_cluster_scoped, resource_of
from shipform.testing import synthesize

APPLY = ["get", "list", "watch", "create", "update", "patch", "delete"]


def load(folder) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted(folder.rglob("*.yaml")) if p.name != "kustomization.yaml"]


def of(files: dict[str, str], prefix: str) -> list[dict]:
    return [yaml.safe_load(t) for p, t in sorted(files.items()) if p.startswith(prefix)]


def kinds_in(objects: list[dict]) -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
    """(group, kind) of the namespaced objects, (group, kind, name) of the cluster-scoped ones."""
    namespaced = {(group_of(o["apiVersion"]), o["kind"]) for o in objects
                  if not is_cluster_scoped(o["apiVersion"], o["kind"])}
    cluster = {(group_of(o["apiVersion"]), o["kind"], o["metadata"]["name"]) for o in objects
               if is_cluster_scoped(o["apiVersion"], o["kind"])}
    return namespaced, cluster


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_app_project_admits_exactly_the_repository_namespaces_and_kinds_of_the_output(env):
    output = load(DIST / "shop" / "k8s" / env)
    project = yaml.safe_load((DIST / "shop" / "gitops" / "argocd" / f"appproject-argocd-shop-{env}.yaml").read_text())
    namespaced, cluster = kinds_in(output)
    spec = project["spec"]
    assert {(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]} == namespaced
    # prod's own: its Namespace, the ClusterImagePolicies that admit its images and the StorageClass that keeps its
    # database's volume (dev is local: none).
    policies = {("policy.sigstore.dev", "ClusterImagePolicy", f"shop-prod-{role}")
                for role in ("provenance", "signature", "third-party")} if env == "prod" else set()
    storage = {("storage.k8s.io", "StorageClass", "shop-prod-data")} if env == "prod" else set()
    # prod renders its PriorityClasses (priority_classes=True), each admitted by name; dev has none to admit.
    priorities = {("scheduling.k8s.io", "PriorityClass", f"shop-prod-{tier}") for tier in
                  ("data", "serving", "background")} if env == "prod" else set()
    assert {(k["group"], k["kind"], k["name"]) for k in spec["clusterResourceWhitelist"]} == cluster == {
        ("", "Namespace", "shop"), *policies, *storage, *priorities}
    assert spec["sourceRepos"] == ["https://github.com/acme/shop.git"]
    where = {"name": "prod"} if env == "prod" else {"server": "https://kubernetes.default.svc"}
    assert spec["destinations"] == [{**where, "namespace": "shop"}]
    assert ("rbac.authorization.k8s.io", "ClusterRoleBinding") not in {(k["group"], k["kind"])
                                                                       for k in spec["clusterResourceWhitelist"]}
    assert_match_crd_schemas([project])


def test_each_application_is_in_its_own_project_on_its_destination():
    for env, where in (("dev", {"server": "https://kubernetes.default.svc"}), ("prod", {"name": "prod"})):
        application = yaml.safe_load((DIST / "shop" / "gitops" / "argocd" /
                                      f"application-argocd-shop-{env}.yaml").read_text())
        assert application["spec"]["project"] == f"shop-{env}"
        # Argo CD admits an Application only if its destination namespace is one of the project's.
        assert application["spec"]["destination"] == {**where, "namespace": "shop"}


def test_a_cluster_scoped_kind_is_admitted_only_when_the_output_has_one(new_app, app_root):
    (app_root / "reader.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: shop-reader\n"
        "rules:\n  - apiGroups: ['']\n    resources: ['nodes']\n    verbs: ['get']\n")
    app, dev, prod = new_app(repository="https://github.com/acme/shop.git")
    prod.include("reader.yaml")
    for env in (dev, prod):
        WebService(env, "api", image="nginx:1.27.3", port=80)
    app.environments.remove(dev)  # dev and prod own namespace shop on the same cluster
    files = synthesize(app)
    project = of(files, "gitops/argocd/appproject-argocd-shop-prod")[0]["spec"]
    assert [k for k in project["clusterResourceWhitelist"] if k["kind"] != "ClusterImagePolicy"] == [
        {"group": "", "kind": "Namespace", "name": "shop"},
        {"group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "shop-reader"}]


def test_the_flux_kustomization_impersonates_an_account_granted_exactly_what_the_output_holds():
    flux = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
            for o in load(DIST / "orders" / "gitops" / "flux" / "prod")}
    output = load(DIST / "orders" / "k8s" / "prod")
    kustomization = flux[("Kustomization", "flux-system", "orders-prod")]
    assert kustomization["spec"]["serviceAccountName"] == "flux-orders-prod"
    # The image policies' Kustomization (k8s/prod/admission/) applies as the same account.
    assert flux[("Kustomization", "flux-system", "orders-prod-admission")]["spec"]["serviceAccountName"] \
        == "flux-orders-prod"
    account = flux[("ServiceAccount", "flux-system", "flux-orders-prod")]
    assert account["automountServiceAccountToken"] is False
    for namespace in ("billing", "logging", "notify", "sales"):
        role = flux[("Role", namespace, "flux-orders-prod")]
        applied = {(g, r) for rule in role["rules"] if rule["verbs"] == APPLY
                   for g in rule["apiGroups"] for r in rule["resources"]}
        held = {resource_of(o["apiVersion"], o["kind"]) for o in output
                if o["metadata"].get("namespace") == namespace}
        assert applied == held  # every kind in the namespace, nothing else
        reads = {(g, r) for rule in role["rules"] if rule["verbs"] == ["get", "list", "watch"]
                 for g in rule["apiGroups"] for r in rule["resources"]}
        if namespace not in ("logging", "notify"):  # a DaemonSet's or Knative Service's health is in its own status
            assert {("apps", "replicasets"), ("", "pods")} <= reads  # what Flux's health checks read
        assert all("*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"] for rule in role["rules"])
        binding = flux[("RoleBinding", namespace, "flux-orders-prod")]
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "flux-orders-prod",
                                        "namespace": "flux-system"}]
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                      "name": "flux-orders-prod"}
        assert flux[("Namespace", None, namespace)] in output  # created with the Role, as the output has it
    cluster_role = flux[("ClusterRole", None, "flux-orders-prod")]
    by_name = ["get", "create", "update", "patch", "delete"]
    admission = "admissionregistration.k8s.io"
    assert cluster_role["rules"] == [
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": by_name,
         "resourceNames": ["billing", "logging", "notify", "sales"]},
        # The logging namespace's host-access policy and the log shipper's ClusterRole and binding: by name.
        {"apiGroups": [admission], "resources": ["validatingadmissionpolicies"], "verbs": by_name,
         "resourceNames": ["logging-host-access"]},
        {"apiGroups": [admission], "resources": ["validatingadmissionpolicybindings"], "verbs": by_name,
         "resourceNames": ["logging-host-access"]},
        {"apiGroups": ["policy.sigstore.dev"], "resources": ["clusterimagepolicies"], "verbs": by_name,
         "resourceNames": [f"orders-prod-{role}" for role in ("provenance", "signature", "third-party")]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterrolebindings"], "verbs": by_name,
         "resourceNames": ["logging-logs"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": by_name,
         "resourceNames": ["logging-logs"]},
        # The StorageClass that keeps the databases' volumes: by its name too.
        {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": by_name,
         "resourceNames": ["orders-prod-data"]},
        # What the shipper's ClusterRole grants: RBAC lets only an account holding it create it.
        {"apiGroups": [""], "resources": ["namespaces", "pods"], "verbs": ["get", "list", "watch"]}]
    # Every cluster-scoped object of the output (k8s/prod/admission/ among it), by name.
    assert {(*resource_of(o["apiVersion"], o["kind"]), o["metadata"]["name"]) for o in output
            if is_cluster_scoped(o["apiVersion"], o["kind"])} \
        == {(rule["apiGroups"][0], rule["resources"][0], name) for rule in cluster_role["rules"]
            for name in rule.get("resourceNames", ())}
    assert_match_crd_schemas([kustomization])


def test_the_flux_role_holds_the_rules_of_the_roles_the_output_creates(new_app):
    app, dev, _ = new_app(repository="https://github.com/acme/shop.git")
    app.environments[:] = [dev]
    stage = Environment(app, "stage", gitops="flux")
    team = SecureNamespace(stage, "team", viewers=[Subject.group("devs")])
    WebService(team, "api", image="nginx:1.27.3", port=80)
    files = synthesize(app)
    role = of(files, "gitops/flux/role-team-flux-shop-stage")[0]
    viewer = yaml.safe_load(files["k8s/stage/role-team-viewer.yaml"])
    assert {"pods/log", "events"} <= {r for rule in viewer["rules"] for r in rule["resources"]}
    held = {(g, r, v) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]
            for v in rule["verbs"]}
    wanted = {(g, r, v) for rule in viewer["rules"] for g in rule["apiGroups"] for r in rule["resources"]
              for v in rule["verbs"]}
    assert wanted <= held  # else the API server refuses to let it create the viewer Role


def test_bindings_to_roles_the_output_does_not_create_get_bind_on_those_names_only(new_app):
    app, dev, _ = new_app(repository="https://github.com/acme/shop.git")
    app.environments[:] = [dev]
    ns = SecureNamespace(dev, "team", viewers=[Subject.group("devs")])
    WebService(ns, "api", image="nginx:1.27.3", port=80)
    env = Environment(app, "stage", gitops="flux")
    team = SecureNamespace(env, "team2", deployers=[Subject.service_account("flux-system", "flux-shop-stage")])
    WebService(team, "api", image="nginx:1.27.3", port=80)
    files = synthesize(app)
    role = of(files, "gitops/flux/role-team2-flux-shop-stage")[0]
    assert not [r for r in role["rules"] if "bind" in r["verbs"]]  # the deployer Role is the output's own


def test_a_private_repository_is_cloned_with_its_secret(new_app):
    app, dev, _ = new_app(repository="git@github.com:acme/shop.git", repository_secret="shop-git")
    app.environments[:] = [dev]
    Environment(app, "stage", gitops="flux", namespace="stage")
    files = synthesize(app)
    repository = of(files, "gitops/flux/gitrepository-")[0]
    assert repository["spec"]["secretRef"] == {"name": "shop-git"}
    # Flux reads ssh:// URLs only: git's scp-like form is rewritten to it.
    assert repository["spec"]["url"] == "ssh://git@github.com/acme/shop.git"
    assert_match_crd_schemas([repository])


def test_a_named_flux_destination_puts_its_objects_in_that_cluster_s_folder():
    files = sorted(p.name for p in (DIST / "orders" / "gitops" / "flux" / "prod").iterdir())
    assert "gitrepository-flux-system-orders.yaml" in files
    assert not list((DIST / "orders" / "gitops" / "flux").glob("*.yaml"))


def test_two_environments_owning_one_namespace_on_one_cluster_are_refused(new_app):
    app, dev, prod = new_app(repository="https://github.com/acme/shop.git")
    for env in (dev, prod):
        WebService(env, "api", image="nginx:1.27.3", port=80)
    with pytest.raises(ShipformError) as err:
        synthesize(app)
    assert str(err.value) == (
        "shop/prod: 'destination' puts namespace 'shop' on the in-cluster server, where shop/dev owns it already: "
        "both would apply its objects and fight over them (each prunes and undoes what the other applies), got "
        "'shop'. Fix: give one of shop/dev and shop/prod another cluster (destination=Destination(name='prod'), or "
        "cluster= with gitops='kubectl') or another namespace (SecureNamespace(env, '<name>'), "
        "Environment(namespace=...))")


def test_argo_cd_s_in_cluster_name_is_the_in_cluster_server(new_app):
    app, dev, _ = new_app(repository="https://github.com/acme/shop.git")
    other = Environment(app, "other", destination=Destination(name="in-cluster"))
    for env in (dev, other):
        WebService(env, "api", image="nginx:1.27.3", port=80)
    app.environments.remove(app.environments[1])  # prod
    with pytest.raises(ShipformError, match="on the in-cluster server, where shop/dev owns it already"):
        synthesize(app)


def test_distinct_destinations_or_namespaces_may_share_namespace_names(new_app):
    app, dev, prod = new_app(repository="https://github.com/acme/shop.git")
    app.environments.remove(prod)
    elsewhere = Environment(app, "elsewhere", destination=Destination(server="https://prod.example.com:6443"))
    moved = Environment(app, "moved", namespace="moved")
    for env in (dev, elsewhere, moved):
        WebService(env, "api", image="nginx:1.27.3", port=80)
    files = synthesize(app)
    assert of(files, "gitops/argocd/application-argocd-shop-elsewhere")[0]["spec"]["destination"] == {
        "server": "https://prod.example.com:6443", "namespace": "shop"}


def test_without_a_repository_nothing_shipform_renders_applies_the_environments(new_app):
    app, dev, prod = new_app()
    for env in (dev, prod):
        WebService(env, "api", image="nginx:1.27.3", port=80)
    assert "k8s/prod/namespace-shop.yaml" in synthesize(app)


def test_environments_of_apps_synthesized_together_are_checked_against_each_other(app_root):
    apps = []
    for name in ("shop", "blog"):
        app = App(name, registry="ghcr.io/acme", root=app_root, repository=f"https://github.com/acme/{name}.git")
        env = Environment(app, "prod", namespace="web")
        WebService(env, "api", image="nginx:1.27.3", port=80)
        apps.append(app)
    errors = cross_app_errors(apps)
    assert [str(e) for e in errors] == [
        "blog/prod: 'destination' puts namespace 'web' on the in-cluster server, where shop/prod owns it already: "
        "both would apply its objects and fight over them (each prunes and undoes what the other applies), got "
        "'web'. Fix: give one of shop/prod and blog/prod another cluster (destination=Destination(name='prod'), or "
        "cluster= with gitops='kubectl') or another namespace (SecureNamespace(env, '<name>'), "
        "Environment(namespace=...))"]
    assert cross_app_errors(apps[:1]) == []


def test_the_cli_refuses_apps_whose_environments_share_a_namespace(tmp_path):
    from typer.testing import CliRunner

    from shipform.cli import cli

    (tmp_path / "app.py").write_text(
        "from shipform import App, Environment, WebService\n"
        "for name in ('shop', 'blog'):\n"
        "    app = App(name, registry='ghcr.io/acme', repository=f'https://github.com/acme/{name}.git')\n"
        "    env = Environment(app, 'prod', namespace='web')\n"
        "    WebService(env, 'api', image='nginx:1.27.3', port=80)\n")
    result = CliRunner().invoke(cli, ["synth", str(tmp_path / "app.py"), "--outdir", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "blog/prod: 'destination' puts namespace 'web' on the in-cluster server, where shop/prod" in result.output
    assert not (tmp_path / "out").exists()
