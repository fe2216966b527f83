"""Paths come from the project, not the shell: a real project (git, cdk8s.yaml or not, the app in a subfolder,
its output committed) synthesized from a subfolder, from another folder, by `python app.py` elsewhere and into a
scratch --outdir inside and outside the repository. Each run leaves the repository's files (the committed dist/
and .github/workflows/ above all) as they must be, compared by a hash of the whole tree."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from conftest import exec_app

pytestmark = pytest.mark.slow

SHIPFORM = Path(sys.executable).with_name("shipform")
APP = '''from shipform import App, Environment, WebService
app = App("demo", registry="ghcr.io/acme", repository="https://github.com/acme/demo.git")
dev = Environment(app, "dev", local=True)
WebService(dev, "web", image="nginx:1.27.3", port=80)
app.synth()
'''


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(SHIPFORM), *args] if args[0] != "python" else [sys.executable, *args[1:]]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"} | {"CDK8S_OUTDIR": ""})


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` but git's, by relative path: the sha256 of its bytes."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts[:1]}


@pytest.fixture(params=["cdk8s.yaml", "git root"])
def project(request, tmp_path) -> Path:
    """proj/ (a git repository) with the app in proj/apps/app.py and its output committed: proj/dist/demo/ and
    proj/.github/workflows/demo-*.yaml; the project root is marked by cdk8s.yaml, or is the git root."""
    root = tmp_path / "proj"
    (root / "apps" / "sub").mkdir(parents=True)
    (root / "apps" / "app.py").write_text(APP)
    (root / "requirements.txt").write_text("shipform\n")
    if request.param == "cdk8s.yaml":
        (root / "cdk8s.yaml").write_text("language: python\napp: python apps/app.py\noutput: dist\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    first = run("synth", "apps/app.py", cwd=root)
    assert first.returncode == 0, first.stderr
    assert (root / "dist" / "demo" / "k8s" / "dev").is_dir()
    assert (root / ".github" / "workflows" / "demo-ci.yaml").is_file()
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "output"], cwd=root,
                   check=True)
    return root


def test_synth_from_a_subfolder_checks_and_writes_the_projects_output(project):
    before = tree(project)
    apps = project / "apps"
    given = [] if (project / "cdk8s.yaml").exists() else ["app.py"]  # else apps/main.py would be the default
    check = run("synth", *given, "--check", cwd=apps)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("up to date: demo")
    (project / "dist" / "demo" / "k8s" / "dev" / "kustomization.yaml").unlink()
    again = run("synth", "../app.py", cwd=apps / "sub")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == f"demo: 1 file(s) written to {project / 'dist' / 'demo'}/"
    assert tree(project) == before  # the same files, GitOps objects and workflows included; no apps/sub/dist/


def test_synth_from_another_folder_writes_the_projects_output(project, tmp_path):
    before = tree(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "dist" / "demo" / "compose" / "compose.yaml").unlink()
    result = run("synth", str(project / "apps" / "app.py"), cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert tree(project) == before and not any(elsewhere.iterdir())


def test_python_app_py_from_another_folder_writes_where_shipform_synth_does(project, tmp_path):
    before = tree(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "dist" / "demo" / "compose" / "compose.yaml").unlink()
    (project / ".github" / "workflows" / "demo-ci.yaml").unlink()
    result = run("python", str(project / "apps" / "app.py"), cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert tree(project) == before and not any(elsewhere.iterdir())


def test_a_scratch_outdir_outside_the_repository_keeps_the_workflows_in_it(project, tmp_path):
    before = tree(project)
    scratch = tmp_path / "scratch"
    result = run("synth", "apps/app.py", "--outdir", str(scratch), cwd=project)
    assert result.returncode == 0, result.stderr
    assert tree(project) == before  # the committed workflows are not rewritten
    assert (scratch / "demo" / ".github" / "workflows" / "demo-ci.yaml").is_file()
    assert f"demo: the workflows stay in {scratch / 'demo' / '.github' / 'workflows'}/ (the output folder is outside " \
           f"the repository {project})" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["proj", "scratch"]


def test_a_scratch_outdir_inside_the_repository_keeps_the_workflows_in_it(project):
    before = tree(project)
    result = run("synth", "apps/app.py", "--outdir", "preview", cwd=project)
    assert result.returncode == 0, result.stderr
    after = tree(project)
    assert {rel: digest for rel, digest in after.items() if not rel.startswith("preview/")} == before
    assert "preview/demo/.github/workflows/demo-ci.yaml" in after
    assert "(the output folder is not the project's output dist)" in result.stdout
    assert result.stdout.splitlines()[0].endswith("file(s) written to preview/demo/")


def test_an_empty_outdir_is_refused_and_writes_nothing(project):
    before = tree(project)
    (project / "dist" / "demo" / "compose" / "compose.yaml").unlink()
    stale = tree(project)
    result = run("synth", "apps/app.py", "--outdir", "", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == "error: --outdir must name a folder, got ''. Fix: pass e.g. --outdir dist, or leave " \
                            "--outdir out to write the project's output\n"
    assert tree(project) == stale != before


def test_check_names_each_file_with_its_folder(project):
    ci = project / ".github" / "workflows" / "demo-ci.yaml"
    ci.write_text(ci.read_text() + "# a hand edit\n")
    result = run("synth", "app.py", "--check", cwd=project / "apps")
    assert result.returncode == 1
    assert f"  ~ {ci}\n" in result.stderr  # not the bare '~ demo-ci.yaml'


def test_check_counts_what_it_does_not_list(capsys):
    from shipform.console import CHECK_LISTED, Level, configure, synth_done

    folder = Path.cwd() / "dist" / "demo"
    lines = [f"~ k8s/dev/f{i:03}.yaml" for i in range(CHECK_LISTED + 7)]
    with pytest.raises(typer.Exit):
        configure(Level.NORMAL)
        synth_done({"demo": {folder: lines, Path.cwd() / ".github" / "workflows": []}}, [], check=True)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"demo: {CHECK_LISTED + 7} file(s) differ from a fresh synth"
    assert err[1] == "  ~ dist/demo/k8s/dev/f000.yaml"
    assert err[CHECK_LISTED] == f"  ~ dist/demo/k8s/dev/f{CHECK_LISTED - 1:03}.yaml"
    assert err[CHECK_LISTED + 1] == "  ... and 7 more"


def test_the_app_file_is_found_when_jsii_is_imported_through_a_symlink(tmp_path, monkeypatch):
    """A venv whose lib/ is a symlink: jsii's __file__ names the link, the frames the real files. App.root must be
    the app's folder, not jsii's."""
    import jsii

    real = Path(jsii.__file__).resolve().parent
    link = tmp_path / "venv-lib" / "jsii"
    link.parent.mkdir()
    link.symlink_to(real, target_is_directory=True)
    monkeypatch.setattr(jsii, "__file__", str(link / "__init__.py"))
    folder = tmp_path / "proj"
    folder.mkdir()
    app = exec_app(APP.replace("app.synth()\n", ""), folder)
    assert app.source_file == folder.resolve() / "app.py" and app.root == folder.resolve()
