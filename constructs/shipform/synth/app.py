"""App (a cdk8s.App) and Environment (a cdk8s.Chart) as users create them: the model's roots, plus
what cdk8s calls at synth time."""

from __future__ import annotations

from typing import Any

from shipform.model.stage import AppBase, EnvironmentBase, synth_deferred
from shipform.synth.kubernetes import environment_manifests
from shipform.synth.pipeline import synth_app


class App(AppBase):
    __doc__ = AppBase.__doc__

    def synth(self) -> None:
        """Validate, render and write every output under ``<outdir>/<name>/`` (a no-op while the CLI
        collects apps: it synthesizes them itself, with its own options)."""
        if synth_deferred():
            return
        synth_app(self)


class Environment(EnvironmentBase):
    __doc__ = EnvironmentBase.__doc__

    def to_json(self) -> list[Any]:
        """Foreign cdk8s objects (ApiObjects, cdk8s-plus) first, then shipform's objects, which never cross
        into jsii one by one: that keeps synth fast however many objects there are."""
        return environment_manifests(self, self.to_spec())
