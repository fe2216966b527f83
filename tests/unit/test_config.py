"""Configuration (config= and files=): the ConfigMap's name follows its content, so a change rolls the pods
and leaves the old ConfigMap for GitOps to prune; the files stay out of the image; the size limit holds."""

from __future__ import annotations

import os
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import exec_app, write_sources
from shipform.errors import InvalidApp
from shipform.synth.pipeline import render

SOURCE = """
from shipform import *
app = App("shop", registry="ghcr.io/acme", version="1.0.0")
dev = Environment(app, "dev", local=True)
prod = Environment(app, "prod", gitops="flux", unpinned_images="a test app: its images are never pushed")
for env in (dev, prod):
    WebService(env, "api", build=Build.python("py", ["gunicorn", "app:app"]), port=8000,
               config={"LOG_LEVEL": "@level@"}, files={"/etc/app/app.yaml": "config/app.yaml"},
               migrate=Migration(["python", "-m", "migrate"]))
"""


def rendered(folder, level="info"):
    return render(exec_app(SOURCE.replace("@level@", level), folder), folder / "out")


def config_maps(files, env):
    return sorted(p for p in files if p.startswith(f"k8s/{env}/configmap-"))


@pytest.fixture
def folder(tmp_path):
    write_sources(tmp_path)
    return tmp_path


def test_a_changed_value_is_a_new_config_map_and_a_new_pod_template(folder):
    before, after = rendered(folder), rendered(folder, "debug")
    old, new = config_maps(before, "prod"), config_maps(after, "prod")
    assert len(old) == len(new) == 1 and old != new  # under Flux the migration runs in the pod: one ConfigMap
    old_name = old[0].removeprefix("k8s/prod/configmap-shop-").removesuffix(".yaml")
    new_name = new[0].removeprefix("k8s/prod/configmap-shop-").removesuffix(".yaml")
    deployment = after["k8s/prod/deployment-shop-api.yaml"]
    assert deployment.count(f"name: {new_name}\n") == 3 and old_name not in deployment  # env, init step, volume
    assert f"configmap-shop-{new_name}.yaml" in after["k8s/prod/kustomization.yaml"]
    assert "immutable: true\n" in after[new[0]]


def test_a_changed_file_is_a_new_config_map_too(folder):
    before = config_maps(rendered(folder), "dev")
    (folder / "config" / "app.yaml").write_text("log_level: debug\n")
    assert config_maps(rendered(folder), "dev") != before


def test_the_same_content_gives_the_same_name_in_every_run(folder):
    assert config_maps(rendered(folder), "prod") == config_maps(rendered(folder), "prod")


def test_compose_mounts_the_apps_own_file(folder):
    import yaml

    files = rendered(folder)
    doc = yaml.safe_load(files["compose/compose.yaml"])
    (config,) = doc["services"]["api"]["configs"]
    assert config["target"] == "/etc/app/app.yaml"
    source = os.path.normpath(folder / "out" / "shop" / "compose" / doc["configs"][config["source"]]["file"])
    assert os.path.samefile(source, folder / "config" / "app.yaml")
    assert doc["services"]["api"]["environment"] == {"LOG_LEVEL": "info"}


def test_files_inside_the_build_context_stay_out_of_the_image(folder):
    (folder / "py" / "settings.toml").write_text("[app]\nname = 'shop'\n")
    source = SOURCE.replace('"config/app.yaml"}', '"config/app.yaml", "/etc/app/settings.toml": "py/settings.toml"}')
    files = render(exec_app(source.replace("@level@", "info"), folder), folder / "out")
    ignore = files["docker/api/Dockerfile.dockerignore"]
    assert ignore.endswith("never baked into the image.\n/settings.toml\n")
    assert "app.yaml" not in ignore  # outside the context: never copied anyway


def test_more_than_a_config_map_holds_is_refused(folder):
    (folder / "config" / "big.json").write_text("x" * 1_000_001)
    source = SOURCE.replace('"config/app.yaml"', '"config/big.json"').replace("@level@", "info")
    with pytest.raises(InvalidApp) as err:
        render(exec_app(textwrap.dedent(source), folder), folder / "out")
    problem = err.value.problems[0]
    assert problem.path == "shop/dev/api" and problem.prop == "config/files" and problem.value > 1_000_000


def test_the_projects_own_dockerignore_comes_first_so_no_rule_of_it_readmits_a_secret(folder):
    (folder / "py" / ".dockerignore").write_text("# ours\nbuild/\n!.env\n")
    files = rendered(folder)
    ignore = files["docker/api/Dockerfile.dockerignore"]
    assert ignore.index("build/\n!.env\n") < ignore.index("**/.env\n")
    assert "# ours" not in ignore


def test_paths_that_would_share_a_key_each_get_their_own(folder):
    """'/etc/a-b' and '/etc-a/b' both made the ConfigMap key 'file-etc-a-b', so '/etc/a-b' silently got the
    second file. Those two now spell their paths out ('/' as '_-'); a path whose key is its own keeps it."""
    import yaml

    source = SOURCE.replace('files={"/etc/app/app.yaml": "config/app.yaml"}',
                            'files={"/etc/a-b": "config/app.yaml", "/etc-a/b": "config/extra.yaml", '
                            '"/etc/app/app.yaml": "config/app.yaml"}')
    files = render(exec_app(source, folder), folder / "out")
    data = yaml.safe_load(files[config_maps(files, "dev")[0]])["data"]
    assert {k for k in data if k.startswith("file")} == {"file._-etc_-a-b", "file._-etc-a_-b", "file-etc-app-app.yaml"}
    assert data["file._-etc_-a-b"] == (folder / "config" / "app.yaml").read_text()
    assert data["file._-etc-a_-b"] == (folder / "config" / "extra.yaml").read_text()
    pod = yaml.safe_load(files["k8s/dev/deployment-shop-api.yaml"])["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["subPath"] for m in pod["containers"][0]["volumeMounts"] if "subPath" in m}
    assert mounts == {"/etc/a-b": "file._-etc_-a-b", "/etc-a/b": "file._-etc-a_-b",
                      "/etc/app/app.yaml": "file-etc-app-app.yaml"}


def test_keys_are_unique_for_every_set_of_paths():
    """The spelled-out keys are a prefix code ('_' as '__', '/' as '_-' after 'file.'), so no two paths share one."""
    from shipform.model.config import file_keys

    paths = ["/a_-b", "/a_/b", "/a/_b", "/a-/b", "/a/-b", "/a-b", "/a/b", "/a__b", "/a_b", "/a._b", "/a/._b"]
    keys = file_keys(paths)
    assert len(set(keys.values())) == len(paths)
    assert keys["/a_b"] == "file-a_b" and keys["/a-b"] == "file._-a-b" and keys["/a/b"] == "file._-a_-b"


@pytest.mark.slow
@settings(max_examples=200, database=None, deadline=None)
@given(paths=st.lists(st.from_regex(r"(/[a-z_.-]{1,3}){1,3}", fullmatch=True), unique=True, max_size=8))
def test_no_two_paths_share_a_key(paths):
    from shipform.model.config import file_keys

    keys = file_keys(paths)
    assert len(set(keys.values())) == len(paths)
    assert all(key == "file" + p.replace("/", "-") for p, key in keys.items() if not key.startswith("file."))
