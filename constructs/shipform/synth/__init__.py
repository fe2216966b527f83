"""The glue between the model and the outputs: App and Environment as cdk8s sees them, and the synth
pipeline (validate, produce the spec, render every file, write or check)."""
