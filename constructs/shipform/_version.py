"""shipform's version, in a module of its own: the repository facts name it in CI's install step, and importing
the package's ``__init__`` for it would make an import circle."""

__version__ = "0.1.0"
