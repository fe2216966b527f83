"""The synth pipeline (validate, produce the spec once, render every file, write or check), the diff of a synth
against the committed output, and cdk8s.yaml as the cdk8s CLI reads it.

Importing this package installs the pipeline into the model's App and Environment: ``App.synth()`` and
``Environment.to_json()`` (which cdk8s calls) run it. ``from shipform import App, Environment`` imports it, so
users never do."""

from __future__ import annotations

from typing import Any

from shipform.model.stage import App, Environment, install_synthesizer
from shipform.synth.kubernetes import environment_manifests
from shipform.synth.pipeline import synth_app


class _Pipeline:
    def synth(self, app: App) -> None:
        """``python app.py``: the notes `shipform synth` prints (images without a digest, servers reached at
        public addresses only) are printed here too."""
        notes: list[str] = []
        synth_app(app, notes=notes)
        for note in notes:
            print(note)

    def manifests(self, environment: Environment) -> list[Any]:
        return environment_manifests(environment, environment.to_spec())


install_synthesizer(_Pipeline())
