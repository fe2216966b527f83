"""Native dependencies come from the resolved dependencies the image installs, by exact (PEP 503) name: a
Django app on mysqlclient gets the headers to build it and the library to load it, a wheel that bundles its
library gets nothing, and a dev-only dependency changes nothing."""

from __future__ import annotations

import textwrap

import pytest

from shipform import Build, WebService
from shipform.model.native_packages import python_packages
from shipform.testing import synthesize

UV_LOCK = '''
version = 1
requires-python = ">=3.12"

[[package]]
name = "shop"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "django" }, { name = "psycopg" }]

[package.dev-dependencies]
dev = [{ name = "mysqlclient" }]

[[package]]
name = "django"
version = "5.1.4"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "asgiref" }]

[[package]]
name = "asgiref"
version = "3.8.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "psycopg"
version = "3.2.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "mysqlclient"
version = "2.2.6"
source = { registry = "https://pypi.org/simple" }
'''

UV_PSYCOPG_BINARY = '''source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
binary = [{ name = "psycopg-binary" }]

[[package]]
name = "psycopg-binary"
version = "3.2.3"
'''

POETRY_LOCK = '''
[[package]]
name = "PyCairo"
version = "1.27.0"
groups = ["main"]

[[package]]
name = "python_ldap"
version = "3.4.4"
groups = ["dev"]

[[package]]
name = "uWSGI"
version = "2.0.28"
category = "main"
'''


@pytest.mark.parametrize(("files", "layout", "expected"), [
    ({"requirements.txt": "Django==5.1.4\nmysqlclient==2.2.6  # the MySQL driver\ngunicorn==23.0.0\n"},
     "requirements.txt", (("mysqlclient",), ("gcc", "pkg-config", "default-libmysqlclient-dev"), ("libmariadb3",))),
    # A wheel with libpq inside, and names that only contain a known one: nothing.
    ({"requirements.txt": "psycopg2-binary==2.9.10\nmy-psycopg2-tools==1.0\n# psycopg2==2.9.10\n"},
     "requirements.txt", ((), (), ())),
    # Included files count; spelling is normalized.
    ({"requirements.txt": "-r base.txt\nflask==3.1.0\n", "base.txt": "Psycopg2 == 2.9.10 ; python_version >= '3.9'\n"},
     "requirements.txt", (("psycopg2",), ("gcc", "libpq-dev"), ("libpq5",))),
    # psycopg 3 with its binary extra bundles libpq.
    ({"requirements.txt": "psycopg==3.2.3\npsycopg-binary==3.2.3\n"}, "requirements.txt", ((), (), ())),
    # ... and so does the extra that installs it, however the requirement is spelled.
    ({"requirements.txt": "psycopg[binary]==3.2.3\n"}, "requirements.txt", ((), (), ())),
    ({"requirements.txt": "Psycopg [ pool , Binary ] >= 3.2 ; python_version >= '3.9'\n"}, "requirements.txt",
     ((), (), ())),
    # Other extras leave psycopg loading the system's libpq; its C extension is compiled against it.
    ({"requirements.txt": "psycopg[pool]==3.2.3\n"}, "requirements.txt", (("psycopg",), (), ("libpq5",))),
    ({"requirements.txt": "psycopg[c]==3.2.3\n"}, "requirements.txt",
     (("psycopg", "psycopg-c"), ("gcc", "libpq-dev"), ("libpq5",))),
    # Pipfile.lock: an entry's extras count too.
    ({"Pipfile.lock": '{"default": {"psycopg": {"extras": ["binary"], "version": "==3.2.3"}}}'}, "Pipfile.lock",
     ((), (), ())),
    # uv: a dependency's extra installs that package's optional dependencies.
    ({"uv.lock": UV_LOCK.replace('{ name = "psycopg" }', '{ name = "psycopg", extra = ["binary"] }')
      .replace('version = "3.2.3"\n', 'version = "3.2.3"\n' + UV_PSYCOPG_BINARY, 1),
      "pyproject.toml": "[project]\nname = 'shop'\n"}, "uv.lock", ((), (), ())),
    # uv: what `uv sync --no-dev` installs (the dev group's mysqlclient is not in the image).
    ({"uv.lock": UV_LOCK, "pyproject.toml": "[project]\nname = 'shop'\n"}, "uv.lock",
     (("psycopg",), (), ("libpq5",))),
    # poetry: the main group only (poetry 2 groups, poetry 1 categories).
    ({"poetry.lock": POETRY_LOCK, "pyproject.toml": ""}, "poetry.lock",
     (("pycairo", "uwsgi"), ("gcc", "pkg-config", "libcairo2-dev"), ("libcairo2",))),
])
def test_packages_come_from_the_resolved_dependencies(tmp_path, files, layout, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    assert python_packages("shop/dev/api", tmp_path, layout) == expected


def test_a_django_app_on_mysqlclient_gets_its_packages_and_keeps_the_apps_own(new_app, app_root):
    (app_root / "dj").mkdir()
    (app_root / "dj" / "requirements.txt").write_text("Django==5.1.4\nmysqlclient==2.2.6\ngunicorn==23.0.0\n")
    app, dev, _ = new_app()
    WebService(dev, "site", build=Build.python("dj", ["gunicorn", "site.wsgi"], build_packages=["gettext"],
                                                runtime_packages=["gettext-base"]), port=8000)
    text = synthesize(app)["docker/site/Dockerfile"]
    assert "# requirements.txt resolves mysqlclient: the Debian packages to build it" in text
    assert "--no-install-recommends 'tini=0.19.0-1*' gettext gcc pkg-config default-libmysqlclient-dev \\" in text
    assert "--no-install-recommends gettext-base libmariadb3 \\" in text


@pytest.mark.parametrize(("name", "text"), [
    ("uv.lock", "version = 1\n[[package\n"), ("poetry.lock", "[[package]]\nname = 7\n"),
    ("pdm.lock", "package = 'not a list of tables'\n"), ("Pipfile.lock", '{"default": ['),
])
def test_a_damaged_lockfile_is_one_error_naming_the_file_and_the_fix(new_app, app_root, name, text):
    from shipform import InvalidApp

    (app_root / "api").mkdir()
    (app_root / "api" / name).write_text(text)
    (app_root / "api" / ("Pipfile" if name == "Pipfile.lock" else "pyproject.toml")).write_text("")
    app, dev, _ = new_app()
    WebService(dev, "api", build=Build.python("api", ["python", "-m", "api"]), port=8000)
    with pytest.raises(InvalidApp) as caught:
        synthesize(app)
    assert str(caught.value).startswith(f"shop/dev/api: 'build' {name} cannot be read (")
    assert caught.value.problems[0].fix.startswith("write it again with `")
