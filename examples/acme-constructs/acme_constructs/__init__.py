"""Acme's platform standards as shipform constructs, written once by the platform team and imported by every
product repository.

- :class:`HardenedApi` is a WebService with Acme's defaults (port 8000, HTTP health at /healthz, resources sized
  for a small Python API); every prop can still be passed and wins over the default.
- :class:`PythonApiWithDb` is a composite: an API built from a Python folder plus its own PostgreSQL database,
  migrated before each release and backed up nightly. Its parts are ``.api`` and ``.db``; other workloads
  connect to ``.api`` like to any WebService. Used twice, its objects are named from its path below the
  namespace (``orders-api``, ``orders-db``, ``carts-api``, ...), so each instance is apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

from constructs import Construct

from shipform import (
    Backup,
    Build,
    Ha,
    Health,
    Migration,
    Resources,
    S3Target,
    StatefulDB,
    WebService,
    WebServiceProps,
    Worker,
)

__all__ = ["HardenedApi", "PythonApiWithDb"]

API_PORT = 8000


class HardenedApi(WebService):
    """A WebService with Acme's defaults; any prop given wins. ``port`` defaults to 8000."""

    def __init__(self, scope: Construct, id: str, **props: Unpack[WebServiceProps]) -> None:
        if "port" not in props and "ports" not in props:
            props["port"] = API_PORT
        props.setdefault("health", Health.http("/healthz"))
        props.setdefault("resources", Resources("100m", "192Mi", "500m", "384Mi"))
        super().__init__(scope, id, **props)


class PythonApiWithDb(Construct):
    """An API built from the Python folder ``source`` running ``command``, with a PostgreSQL database of its own.

    ``connects_to`` adds what the API calls besides its database; ``migrate`` is the command a Job runs before
    each release (none by default); ``api`` holds any other WebService prop for the API (a :class:`HardenedApi`),
    e.g. ``api={"public": True}``; ``backup_to`` is the bucket the database's nightly dumps go to (required outside
    a local Environment); ``ha`` makes the database a highly available CloudNativePG cluster (its nightly backup
    then is barman's, to the same bucket).
    """

    def __init__(self, scope: Construct, id: str, *, source: str, command: Sequence[str],
                 connects_to: Sequence[WebService | StatefulDB | Worker] = (), migrate: Sequence[str] = (),
                 storage: str = "10Gi", api: WebServiceProps | None = None,
                 backup_to: S3Target | None = None, ha: Ha | None = None) -> None:
        super().__init__(scope, id)
        self.db = StatefulDB(self, "db", engine="postgres", version="16", storage=storage,
                             backup=Backup(schedule="0 3 * * *", retention=7, to=backup_to), ha=ha)
        props: WebServiceProps = {**(api or {}), "build": Build.python(source, list(command)),
                                  "connects_to": [self.db, *connects_to],
                                  "migrate": Migration(list(migrate)) if migrate else None}
        self.api = HardenedApi(self, "api", **props)
