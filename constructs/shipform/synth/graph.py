"""`shipform graph`: the picture of every Environment of the apps (or one), from the spec a synth renders."""

from __future__ import annotations

from collections.abc import Sequence

from shipform.model.stage import App
from shipform.model.validation import validate
from shipform.render.graph import EnvironmentGraph, environment_graph
from shipform.render.graph_text import FORMATS


def app_graphs(apps: Sequence[App], environment: str | None = None) -> list[EnvironmentGraph]:
    """Each app's Environments in their order (only ``environment`` when given), validated first as synth does."""
    graphs = []
    for app in apps:
        validate(app)
        graphs += [environment_graph(env) for env in app.to_spec().environments
                   if environment in (None, env.name)]
    return graphs


def draw(apps: Sequence[App], environment: str | None, format: str) -> str:
    """The picture in ``format`` (a name of render.graph_text.FORMATS)."""
    return FORMATS[format](app_graphs(apps, environment))
