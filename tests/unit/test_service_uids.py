"""Each service runs as a user of its own: a UID derived from the app's and the service's names (20000-59999),
distinct inside the App, the same in every synth, every Environment and every output (Dockerfile USER,
runAsUser/runAsGroup/fsGroup, compose ``user``); a migration runs as its service; engines keep their own user in
compose (the engines table); ``run_as_user=`` sets it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict

import pytest
import yaml

from conftest import DIST, REPO, manifests
from shipform import Build, Job, StatefulDB, WebService
from shipform.values.uids import FIRST_UID, UID_COUNT, assign_uids, derived_uid

APPS = sorted(p.name for p in DIST.iterdir() if p.is_dir())


def pod_users(app: str) -> dict[str, set[tuple[int, int, int | None]]]:
    """{workload name: {(runAsUser, runAsGroup, fsGroup)}} of every pod of the app's committed output."""
    found: dict[str, set[tuple[int, int, int | None]]] = defaultdict(set)
    for path in sorted((DIST / app / "k8s").rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            template = (doc or {}).get("spec", {}).get("template") or \
                (doc or {}).get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template")
            if template is None or "securityContext" not in template["spec"]:
                continue
            pod = template["spec"]["securityContext"]
            found[doc["metadata"]["name"]].add((pod["runAsUser"], pod["runAsGroup"], pod.get("fsGroup")))
            for c in [*template["spec"].get("initContainers", []), *template["spec"]["containers"]]:
                assert (c["securityContext"]["runAsUser"], c["securityContext"]["runAsGroup"]) == \
                    (pod["runAsUser"], pod["runAsGroup"]), (path, c["name"])
    return found


@pytest.mark.parametrize("app", APPS)
def test_every_service_of_the_reference_apps_runs_as_a_user_of_its_own(app):
    users = pod_users(app)
    assert len(users) >= 5
    by_uid: dict[int, set[str]] = defaultdict(set)
    for name, found in users.items():
        assert len(found) == 1, (name, found)  # the same in every Environment
        uid, gid, fs_group = next(iter(found))
        assert FIRST_UID <= uid < FIRST_UID + UID_COUNT and gid == uid and fs_group == uid, name
        by_uid[uid].add(name)
    # Only a migration shares a user: its service's (the same code, from the same image).
    shared = [names for names in by_uid.values() if len(names) > 1]
    assert all(len(n) == 2 and {m.removesuffix("-migrate") for m in n} == {min(n, key=len)} for n in shared), shared
    assert len(by_uid) == len({name.removesuffix("-migrate") for name in users})


@pytest.mark.parametrize("app", APPS)
def test_the_dockerfile_and_compose_say_the_same_user_as_the_pods(app):
    users = {name: next(iter(found))[0] for name, found in pod_users(app).items()}
    compose = yaml.safe_load((DIST / app / "compose" / "compose.yaml").read_text())["services"]
    engines = {"10001:10001", "999:999"}  # the engines' own users in compose (the engines table)
    for service, body in compose.items():
        if service in users and body["user"] not in engines:
            assert body["user"] == f"{users[service]}:{users[service]}", service
    for dockerfile in (DIST / app / "docker").glob("*/Dockerfile"):
        uid = users[dockerfile.parent.name]
        assert re.search(rf"^USER {uid}:{uid}$", dockerfile.read_text(), re.M), dockerfile


@pytest.mark.parametrize("app", APPS)
def test_the_users_are_the_same_in_every_synth(app):
    """What a fresh process derives (another PYTHONHASHSEED: the UID is SHA-256 of the names, not hash()) is what
    the committed output says."""
    users = {name: next(iter(found))[0] for name, found in pod_users(app).items()}
    names = sorted(n for n in users if not n.endswith("-migrate"))
    code = (f"from shipform.values.uids import assign_uids; import json; "
            f"print(json.dumps(assign_uids({app!r}, {names!r})))")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                             env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO / "constructs")}).stdout
        assert yaml.safe_load(out) == {n: users[n] for n in names}


def test_two_services_whose_names_meet_on_one_uid_get_two():
    seen: dict[int, str] = {}
    for n in (f"svc{i}" for i in range(5000)):
        if derived_uid("shop", n) in seen:
            pair = sorted((seen[derived_uid("shop", n)], n))
            break
        seen[derived_uid("shop", n)] = n
    uids = assign_uids("shop", reversed(pair))  # in name order, whatever order they come in
    assert uids[pair[0]] == derived_uid("shop", pair[0]) == derived_uid("shop", pair[1])
    assert uids[pair[1]] == uids[pair[0]] + 1
    # The next free one wraps within the range: with all but the last taken, any name gets the last.
    assert assign_uids("shop", ["x"], taken=range(FIRST_UID, FIRST_UID + UID_COUNT - 1)) == {
        "x": FIRST_UID + UID_COUNT - 1}


def test_a_prop_sets_the_user_and_the_derived_ones_step_aside(new_app):
    _, dev, _ = new_app()
    api_uid = derived_uid("shop", "api")
    WebService(dev, "web", image="nginx:1.27.3", port=80, run_as_user=api_uid)  # the UID api would take
    WebService(dev, "api", image="nginx:1.27.3", port=8080)
    db = StatefulDB(dev, "db", engine="redis", version="7.4")
    Job(dev, "seed", image="busybox:1.37.0", run_as_user=4242, run_as_group=4343)
    objects = manifests(dev)
    pod = {name: objects[(kind, name)]["spec"]["template"]["spec"]["securityContext"]
           for kind, name in (("Deployment", "web"), ("Deployment", "api"), ("StatefulSet", "db"), ("Job", "seed"))}
    assert pod["web"]["runAsUser"] == pod["web"]["fsGroup"] == api_uid
    assert pod["api"]["runAsUser"] == api_uid + 1  # the next free one
    assert (pod["seed"]["runAsUser"], pod["seed"]["runAsGroup"], pod["seed"]["fsGroup"]) == (4242, 4343, 4343)
    assert pod["db"]["runAsUser"] == assign_uids("shop", ["api", "db"], [api_uid, 4242])["db"]
    assert db.run_as_user == pod["db"]["runAsUser"]


def test_a_service_built_here_says_its_user_in_the_dockerfile_and_compose(new_app, tmp_path):
    from shipform.synth.pipeline import render

    app, dev, prod = new_app()
    for env in (dev, prod):
        WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000)
    files = render(app, tmp_path / "out")
    uid = derived_uid("shop", "api")
    assert f"USER {uid}:{uid}" in files["docker/api/Dockerfile"]
    assert f"useradd --system --uid {uid}" in files["docker/api/Dockerfile"]
    assert yaml.safe_load(files["compose/compose.yaml"])["services"]["api"]["user"] == f"{uid}:{uid}"
