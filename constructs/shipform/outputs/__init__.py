"""Renderers: everything that turns the construct tree into files."""
