"""The synth pipeline (validate, produce the spec once, render every file, write or check), the diff of a synth
against the committed output, and cdk8s.yaml as the cdk8s CLI reads it.

Importing this package installs the pipeline into the model's App and Environment: ``App.synth()`` and
``Environment.to_json()`` (which cdk8s calls) run it. ``from shipform import App, Environment`` imports it, so
users never do."""

from __future__ import annotations

from typing import Any

from shipform.model.collecting import running_script
from shipform.model.stage import App, Environment, install_synthesizer
from shipform.synth import script
from shipform.synth.kubernetes import environment_manifests
from shipform.synth.pipeline import synth_app


class _Pipeline:
    def synth(self, app: App) -> None:
        """``python app.py``: the notes `shipform synth` prints (images without a digest, servers reached at
        public addresses only) are printed here too, and run as the program the app's problems end it as the CLI
        does (synth.script)."""
        notes: list[str] = []
        if running_script():
            script.synth_reported(app, lambda: synth_app(app, notes=notes))
        else:
            synth_app(app, notes=notes)
        for note in notes:
            print(note)

    def script_started(self, apps: list[App]) -> None:
        script.started(apps)

    def manifests(self, environment: Environment) -> list[Any]:
        return environment_manifests(environment, environment.to_spec())


install_synthesizer(_Pipeline())
