"""Every problem an App's construct tree has, reported at once: each Environment's own checks and each construct's.
Synth and the commands that read the app's spec (the lock file's) run it first; names and clashes of the objects
are checked once they are planned (synth.handles)."""

from __future__ import annotations

from shipform.errors import ShipformError, raise_all
from shipform.model.stage import App


def validate(app: App) -> None:
    """Raise the problems of the app's constructs, all of them at once; return when there is none."""
    errors: list[ShipformError] = []
    if not app.environments:
        errors.append(ShipformError(app.name, "environments", "the app has none", 0,
                                    "add Environment(app, 'dev', local=True)"))
    for env in app.environments:
        errors.extend(env.check())
        for member in env.members:
            errors.extend(member.check())
    raise_all(errors)
