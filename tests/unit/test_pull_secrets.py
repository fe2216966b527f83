"""Private images are pulled with the Environment's pull secret (``Environment(pull_secret=PullSecret(...))``): every
ServiceAccount shipform creates in a namespace that holds workloads names it; an ExternalSecret makes it, a
kubernetes.io/dockerconfigjson Secret, where the Environment's Secrets come from a store; otherwise the kubectl script
creates it from standard input; compose needs none; GHCR without one gets a warning."""

from __future__ import annotations

import base64
import json

import cdk8s
import kubernetes_validate

from conftest import assert_match_crd_schemas, exec_app, write_sources
from shipform.render.external_secrets import pull_notes
from shipform.render.secret_commands import kubectl_create_commands
from unit.test_secret_scripts import env_spec, run

APP = '''
from shipform import *
app = App("shop", registry="ghcr.io/acme")
dev = Environment(app, "dev", local=True, domain="dev.example.com")
prod = Environment(app, "prod", domain="example.com", {props}
                   unpinned_images="a test app: its images are never pushed", tls_issuer=Issuer(name="internal-ca"),
                   data_storage=DataStorage("ebs.csi.aws.com"))
for env in (dev, prod):
    front = SecureNamespace(env, "front")
    back = SecureNamespace(env, "back", accepts_from=[front])
    SecureNamespace(env, "quiet")  # no workloads: pulls nothing
    db = StatefulDB(back, "db", engine="postgres", version="16")
    WebService(front, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000, connects_to=[db])
'''
SYNCED = APP.format(props='secret_store=SecretStore("vault"), pull_secret=PullSecret("ghcr-pull"),')
BY_HAND = APP.format(props='pull_secret=PullSecret("ghcr-pull"),')
EXISTING = APP.format(props='secret_store=SecretStore("vault"), pull_secret=PullSecret("ghcr-pull", existing=True),')
NONE = APP.format(props="")


def objects(tmp_path, source: str, env: str = "prod") -> list[dict]:
    write_sources(tmp_path)
    app = exec_app(source, tmp_path)
    return cdk8s.Testing.synth(next(e for e in app.environments if e.name == env))


def test_every_service_account_in_a_namespace_with_workloads_names_the_pull_secret(tmp_path):
    accounts = [m for m in objects(tmp_path, SYNCED) if m["kind"] == "ServiceAccount"]
    pulling = [m for m in accounts if m["metadata"]["namespace"] != "quiet"]
    assert {m["metadata"]["name"] for m in pulling} >= {"api", "db", "default"}
    assert all(m["imagePullSecrets"] == [{"name": "ghcr-pull"}] for m in pulling)
    assert all(m["automountServiceAccountToken"] is False for m in accounts)  # unchanged
    assert all("imagePullSecrets" not in m for m in accounts if m["metadata"]["namespace"] == "quiet")
    # Every pod names its own ServiceAccount, so none pulls as an account without the secret.
    pods = [m["spec"]["template"]["spec"] for m in objects(tmp_path, SYNCED) if m["kind"] in ("Deployment",
                                                                                                "StatefulSet")]
    assert pods and all(p["serviceAccountName"] in {a["metadata"]["name"] for a in pulling} for p in pods)


def test_a_store_syncs_it_as_a_docker_config_secret_in_each_namespace_that_pulls(tmp_path):
    found = [m for m in objects(tmp_path, SYNCED) if m["kind"] == "ExternalSecret"
             and m["metadata"]["name"] == "ghcr-pull"]
    assert sorted(m["metadata"]["namespace"] for m in found) == ["back", "front"]
    for m in found:
        assert m["spec"]["secretStoreRef"] == {"name": "vault", "kind": "SecretStore"}
        assert m["spec"]["target"] == {
            "name": "ghcr-pull", "creationPolicy": "Owner",
            "template": {"type": "kubernetes.io/dockerconfigjson", "engineVersion": "v2",
                         "data": {".dockerconfigjson": "{{ .config | toString }}"}}}
        assert m["spec"]["data"] == [{"secretKey": "config",
                                      "remoteRef": {"key": "shop/prod/ghcr-pull", "property": ".dockerconfigjson"}}]
    assert_match_crd_schemas(found)


def test_an_existing_pull_secret_is_only_named(tmp_path):
    made = objects(tmp_path, EXISTING)
    assert [m for m in made if m["kind"] == "ExternalSecret" and m["metadata"]["name"] == "ghcr-pull"] == []
    assert all(m["imagePullSecrets"] == [{"name": "ghcr-pull"}] for m in made if m["kind"] == "ServiceAccount"
               and m["metadata"]["namespace"] != "quiet")
    lines = kubectl_create_commands(env_spec(tmp_path, EXISTING, "prod"))
    assert "# ghcr-pull: the image pull secret, made by the platform in back, front: nothing to create" in lines


def test_the_script_creates_it_from_standard_input_as_a_docker_config_secret(tmp_path):
    config = json.dumps({"auths": {"ghcr.io": {"auth": base64.b64encode(b"bot:ghp_token-value").decode()}}})
    lines = kubectl_create_commands(env_spec(tmp_path, BY_HAND, "prod"))
    given = {"SHIPFORM_SECRET_GHCR_PULL_DOCKERCONFIGJSON": config, "SHIPFORM_SECRET_DB_PASSWORD": "x"}
    done, calls, _ = run(lines, tmp_path, given)  # run fails if the config is in any program's argv
    assert done.returncode == 0, done.stderr
    pulls = [c for c in calls if c.manifest is not None and c.manifest["metadata"]["name"] == "ghcr-pull"]
    assert sorted(c[1] for c in pulls) == ["back", "front"]
    for call in pulls:
        assert call == ["-n", call[1], "create", "-f", "-"]
        assert call.manifest is not None and call.manifest["type"] == "kubernetes.io/dockerconfigjson"
        assert base64.b64decode(call.manifest["data"][".dockerconfigjson"]).decode() == config
        kubernetes_validate.validate(call.manifest, "1.33.0", strict=True)


def test_the_script_stops_while_the_docker_config_is_unset(tmp_path):
    done, calls, _ = run(kubectl_create_commands(env_spec(tmp_path, BY_HAND, "prod")), tmp_path)
    assert done.returncode != 0 and calls == []
    assert "unset SHIPFORM_SECRET_GHCR_PULL_DOCKERCONFIGJSON: the docker config JSON of ghcr-pull" in done.stderr


def test_ghcr_without_a_pull_secret_is_a_warning_with_the_fix(tmp_path):
    write_sources(tmp_path)
    notes = pull_notes(exec_app(NONE, tmp_path).to_spec())
    assert notes == ["shop/prod: warning: its images are pulled from ghcr.io/acme without credentials: GHCR makes "
                     "the packages of a private repository private, and its pods would not start (ImagePullBackOff). "
                     "Fix: Environment(pull_secret=PullSecret('<name>')), a kubernetes.io/dockerconfigjson Secret; "
                     "nothing if the packages are public"]
    assert pull_notes(exec_app(BY_HAND.replace('App("shop"', 'App("other"'), tmp_path).to_spec()) == []


def test_a_secure_namespace_may_have_its_own(tmp_path):
    source = SYNCED.replace('back = SecureNamespace(env, "back", accepts_from=[front])',
                            'back = SecureNamespace(env, "back", accepts_from=[front], '
                            'pull_secret=None if env is dev else PullSecret("ecr-pull", existing=True))')
    made = objects(tmp_path, source)
    names = {(m["metadata"]["namespace"], m["metadata"]["name"]): m.get("imagePullSecrets") for m in made
             if m["kind"] == "ServiceAccount"}
    assert names[("front", "api")] == names[("front", "default")] == [{"name": "ghcr-pull"}]
    assert names[("back", "db")] == names[("back", "default")] == [{"name": "ecr-pull"}]
    assert [(m["metadata"]["namespace"], m["metadata"]["name"]) for m in made if m["kind"] == "ExternalSecret"
            and m["metadata"]["name"].endswith("-pull")] == [("front", "ghcr-pull")]  # ecr-pull is the platform's
