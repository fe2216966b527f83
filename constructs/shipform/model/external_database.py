"""The props of an External that is a database (``engine=``): its database, user and TLS, checked as a StatefulDB's
are, and refused on an External that names no engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shipform.errors import ShipformError
from shipform.model.engines import ClientTls, Engine
from shipform.values import checks
from shipform.values.secret_ref import SecretRef

DATABASE_PROPS = ("database", "user", "password", "password_env", "tls", "tls_ca")
"""What only a database has: on an External without engine= each is refused (it would change nothing)."""


@dataclass(frozen=True)
class Login:
    user: str
    database: str


def refuse_database_props(path: str, props: Mapping[str, object]) -> None:
    for prop in DATABASE_PROPS:
        if prop in props:
            raise ShipformError(path, prop, "applies to a database, and this External names no engine", props[prop],
                                f"pass engine='postgres' (or the engine the server runs), or drop {prop}")


def login(path: str, engine: Engine, props: Mapping[str, object], app_name: str) -> Login:
    """The user and database, by StatefulDB's rules; the app's name by default, as a StatefulDB has them."""
    database = props.get("database")
    if database is not None and not engine.has_database:
        raise ShipformError(path, "database", f"names a database, and {engine.name} has no named databases",
                            database, "drop database")
    user = props.get("user")
    return Login(checks.sql_name(path, "user", app_name if user is None else user, max_len=32),
                 checks.sql_name(path, "database", app_name if database is None else database))


def client_tls(path: str, engine: Engine, props: Mapping[str, object]) -> ClientTls | None:
    """How the URL asks for TLS (tls=True by default), or None for plain TCP (tls=False)."""
    tls, ca = props.get("tls", True), props.get("tls_ca")
    if isinstance(ca, SecretRef):
        ca.validate(path, "tls_ca")
        if not tls:
            raise ShipformError(path, "tls_ca", "verifies the server's certificate, and tls=False asks for no TLS",
                                ca, "drop tls=False (TLS is the default), or drop tls_ca")
    if not tls:
        return None
    if engine.client_tls is None:
        raise ShipformError(path, "tls", f"is not offered for {engine.name} yet", tls,
                            "pass tls=False (plain TCP, inside a network you trust)")
    return engine.client_tls
