"""Props are typed where editors and type checkers see them, documented once with their default, and
checked at run time with a did-you-mean; the app registry is a context, not module state."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, exec_app, write_sources
from shipform import InvalidApp, collect_apps
from shipform.model.broker import BrokerProps
from shipform.model.cron_job import CronJobProps
from shipform.model.event_sources import KafkaSourceProps, PingSourceProps
from shipform.model.external import ExternalProps
from shipform.model.job import JobProps
from shipform.model.long_running import LongRunningProps
from shipform.model.secure_namespace import SecureNamespaceProps
from shipform.model.stage import EnvironmentProps
from shipform.model.stateful_db import StatefulDBProps
from shipform.model.web_service import WebServiceProps
from shipform.synth.pipeline import render

MYPY = Path(sys.executable).with_name("mypy")
# mypy's cache of shipform's own modules outlives a run (it is keyed by their contents): only the app is new.
MYPY_CACHE = Path(sys.executable).parents[1] / "mypy-test-cache"
PROPS = [WebServiceProps, LongRunningProps, JobProps, CronJobProps, StatefulDBProps, SecureNamespaceProps,
         EnvironmentProps, ExternalProps, BrokerProps, PingSourceProps, KafkaSourceProps]
PREAMBLE = 'from shipform import *\napp = App("shop", registry="ghcr.io/acme")\ndev = Environment(app, "dev")\n'


def documented_keys(typed_dict: type) -> dict[str, str]:
    """{key: docstring} of one TypedDict class body (its bases are checked on their own)."""
    body = ast.parse(textwrap.dedent(inspect.getsource(typed_dict))).body[0]
    assert isinstance(body, ast.ClassDef)
    docs: dict[str, str] = {}
    for node, following in zip(body.body, [*body.body[1:], None], strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            is_doc = isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
            docs[node.target.id] = following.value.value if is_doc else ""  # type: ignore[union-attr]
    return docs


@pytest.mark.parametrize("props", sorted({base for p in PROPS for base in inspect.getmro(p)
                                          if base.__name__.endswith("Props")}, key=lambda p: p.__name__),
                         ids=lambda p: p.__name__)
def test_every_prop_is_documented_with_its_default_or_as_required(props):
    for key, doc in documented_keys(props).items():
        assert doc, f"{props.__name__}.{key} has no docstring"
        required = key in props.__required_keys__ or "(required)" in doc
        assert required or "Default:" in doc or "defaults" in doc, f"{props.__name__}.{key}: {doc!r}"


CONSTRUCTORS = [
    ('WebService(dev, "api", image="nginx:1.27.3", port=80, replica=2)', "replica", "did you mean 'replicas'?"),
    ('WebService(dev, "api", image="nginx:1.27.3", port=80, mounts=[])', "mounts", "known props:"),
    ('Worker(dev, "w", image="busybox:1.37.0", port=80)', "port", "known props:"),
    ('StatefulDB(dev, "db", engine="postgres", version="16", replicas=2)', "replicas", "known props:"),
    ('StatefulDB(dev, "db", engine="postgres", version="16", storag="1Gi")', "storag", "did you mean 'storage'?"),
    ('CronJob(dev, "c", image="busybox:1.37.0", schedule="@daily", time_zon="UTC")', "time_zon",
     "did you mean 'time_zone'?"),
    ('SecureNamespace(dev, "team", viewer=[])', "viewer", "did you mean 'viewers'?"),
    ('Environment(app, "prod", replica=3)', "replica", "did you mean 'replicas'?"),
    ('Broker(dev, "bus", eventing_namepsace="eventing")', "eventing_namepsace", "did you mean 'eventing_namespace'?"),
]


@pytest.mark.parametrize(("source", "prop", "fix"), CONSTRUCTORS, ids=[c[1] for c in CONSTRUCTORS])
def test_unknown_props_are_errors_with_a_did_you_mean(tmp_path, source, prop, fix):
    with pytest.raises(InvalidApp) as caught:
        exec_app(PREAMBLE + source, tmp_path)
    assert f"'{prop}' is not a prop of" in str(caught.value) and fix in str(caught.value)


@pytest.mark.slow
def test_mypy_sees_a_typo_and_a_wrong_type_in_an_app(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(PREAMBLE + 'WebService(dev, "api", image="nginx:1.27.3", port="80", replica=2)\n')
    result = subprocess.run([str(MYPY), "--strict", "--cache-dir", str(MYPY_CACHE), str(app)],
                            capture_output=True, text=True, cwd=REPO)
    assert 'Unexpected keyword argument "replica" for "WebService"; did you mean "replicas"?' in result.stdout
    assert 'Argument "port" to "WebService" has incompatible type "str"; expected "int"' in result.stdout


@pytest.mark.slow
def test_the_reference_app_type_checks_strictly():
    result = subprocess.run([str(MYPY), "--strict", "apps/shop/app.py"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout


def run(source: str, folder: Path) -> None:
    exec(compile(source, str(folder / "app.py"), "exec"), {"__file__": str(folder / "app.py")})


def test_two_collections_of_apps_do_not_see_each_other(tmp_path):
    with collect_apps() as outer:
        run(PREAMBLE.replace('"shop"', '"one"'), tmp_path)
        with collect_apps() as inner:
            run(PREAMBLE.replace('"shop"', '"two"'), tmp_path)
    with collect_apps() as later:
        pass
    assert [a.name for a in outer] == ["one"] and [a.name for a in inner] == ["two"] and later == []


def test_app_synth_is_deferred_only_inside_a_deferring_collection(tmp_path):
    write_sources(tmp_path)
    source = PREAMBLE + 'WebService(dev, "api", image="nginx:1.27.3", port=80)\napp.synth()\n'
    with collect_apps(defer_synth=True) as deferred:
        run(source.replace('registry=', f'outdir="{tmp_path / "deferred"}", registry='), tmp_path)
    assert len(deferred) == 1 and not (tmp_path / "deferred").exists()
    run(source.replace('registry=', f'outdir="{tmp_path / "written"}", registry='), tmp_path)
    assert (tmp_path / "written" / "shop" / "k8s" / "dev" / "kustomization.yaml").is_file()
    assert render(exec_app(source.replace("app.synth()", ""), tmp_path), tmp_path / "x")
