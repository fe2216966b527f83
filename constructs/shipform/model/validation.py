"""Every problem an App's construct tree has, reported at once: the errors of constructs that could not be built
(recorded while the CLI runs the app file: see model/construction.py), each Environment's own checks and each
construct's. Synth and the commands that read the app's spec (the lock file's) run it first; names and clashes of
the objects are checked once they are planned (synth.handles)."""

from __future__ import annotations

from collections.abc import Callable

from shipform.errors import ShipformError, raise_all
from shipform.model.construction import BrokenConstructUsed, shown
from shipform.model.ownership import ownership_errors
from shipform.model.stage import App


def validate(app: App) -> None:
    """Raise the problems of the app's constructs, all of them at once; return when there is none."""
    errors: list[ShipformError] = list(app.construction_errors)
    if not app.environments:
        errors.append(ShipformError(app.name, "environments", "the app has none", 0,
                                    "add Environment(app, 'dev', local=True)"))
    for env in app.environments:
        errors.extend(_checked(env.check))
        where = {m.path: m.created_at for m in env.members}
        for member in env.members:
            for err in _checked(member.check):
                created = where.get(err.path)
                err.location = err.location or (shown(created) if created else None)
                errors.append(err)
    if not errors:  # namespaces are read from the constructs, which must be sound
        errors.extend(ownership_errors([app]))
    raise_all(errors)


def _checked(check: Callable[[], list[ShipformError]]) -> list[ShipformError]:
    """The errors of one check; none when it reached a broken construct, whose own error is recorded already
    (a client of a service that could not be built, say), so the rest of the tree is still checked."""
    try:
        return check()
    except BrokenConstructUsed:
        return []
