"""rnngrade: an auto-grader for a course unit on recurrent neural networks.

The library API is :func:`grade`; the ``rnngrade`` command is a thin layer over it.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "grade"]


def __getattr__(name: str):
    # Lazy: ``import grader`` stays cheap (the CLI imports submodules as needed).
    if name == "grade":
        from .api import grade

        return grade
    raise AttributeError(name)
