"""Loading an app file twice in one process (tests, shipform.testing) creates its Apps twice, also when the app
file imports them from modules beside it; modules a virtualenv inside the app's folder holds are never dropped."""

from __future__ import annotations

import sys

from shipform.cli_apps import load_apps

LIBRARY = 'from shipform import App\napp = App("{name}", registry="ghcr.io/acme")\n'


def test_an_app_imported_from_a_module_beside_the_app_file_is_created_on_every_load(tmp_path):
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "__init__.py").write_text("")
    (tmp_path / "team" / "app.py").write_text(LIBRARY.format(name="team"))
    (tmp_path / "single.py").write_text(LIBRARY.format(name="single"))
    main = tmp_path / "main.py"
    main.write_text("from team.app import app as team\nfrom single import app as single\n")
    first = load_apps(main)
    second = load_apps(main)
    assert [a.name for a in first] == [a.name for a in second] == ["team", "single"]
    assert first[0] is not second[0]


def test_a_module_of_a_virtualenv_inside_the_folder_stays_imported(tmp_path):
    site = tmp_path / ".venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    (site / "vendored_thing.py").write_text("VALUE = 1\n")
    sys.path.insert(0, str(site))
    try:
        import vendored_thing  # noqa: F401  (imported before the load, as an installed package would be)

        (tmp_path / "app.py").write_text("import vendored_thing\n" + LIBRARY.format(name="shop"))
        load_apps(tmp_path / "app.py")
        assert "vendored_thing" in sys.modules
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("vendored_thing", None)
