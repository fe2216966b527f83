"""A Django app on mysqlclient, with no package named by the app: shipform finds mysqlclient in
requirements.txt, so the build stage compiles it against Debian's MySQL client headers and the final image loads
the client library. Built with buildah from the real PyPI packages, run with the usual hardening: it gets healthy
(its health view imports the driver, which loads libmariadb) and stops on SIGTERM."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from containers.one_service import assert_healthy, assert_stops_on_sigterm, build_service, running

pytestmark = pytest.mark.containers

SITE = {
    "requirements.txt": "Django==5.1.4\nmysqlclient==2.2.6\ngunicorn==23.0.0\n",
    "manage.py": "",
    "site_app/__init__.py": "",
    "site_app/settings.py": """
        SECRET_KEY = "only-for-this-test"
        DEBUG = False
        ALLOWED_HOSTS = ["*"]
        ROOT_URLCONF = "site_app.urls"
        INSTALLED_APPS = []
        DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "shop", "HOST": "db"}}
    """,
    "site_app/urls.py": """
        from django.http import JsonResponse
        from django.urls import path


        def healthz(request):
            import MySQLdb  # loads libmariadb.so.3 from the runtime image

            return JsonResponse({"driver": MySQLdb.version_info[0]})


        urlpatterns = [path("healthz", healthz)]
    """,
    "site_app/wsgi.py": """
        import os

        from django.core.wsgi import get_wsgi_application

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_app.settings")
        application = get_wsgi_application()
    """,
}


def test_a_django_app_on_mysqlclient_builds_and_serves_healthy(rig, standins, tmp_path: Path):
    for name, text in SITE.items():
        (tmp_path / "site" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "site" / name).write_text(textwrap.dedent(text).lstrip())
    dockerfile, tag = build_service(rig, tmp_path, """
        from shipform import *
        app = App("django", registry="ghcr.io/acme", version="1.0.0")
        dev = Environment(app, "dev", local=True)
        WebService(dev, "site", build=Build.python("site", ["gunicorn", "--bind", "0.0.0.0:8000",
                   "site_app.wsgi"]), port=8000, health=Health.http("/healthz"))
    """, "site", tmp_path / "site")
    assert "default-libmysqlclient-dev" in dockerfile and "libmariadb3" in dockerfile
    with running(rig, tag, "shipform-django-site") as name:
        assert_healthy(rig, name)
        # The build tools stayed in the build stage.
        assert rig.podman("exec", name, "sh", "-c", "command -v gcc || test -e /usr/bin/gcc",
                          check=False).returncode != 0
        assert_stops_on_sigterm(rig, name)
