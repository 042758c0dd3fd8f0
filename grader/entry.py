"""The ``rnngrade`` program: :mod:`grader.cli`, with a grade's children launched first.

A grade from the command line waits, before its first check, both for its sandboxed
children to start (bubblewrap, an interpreter, numpy: ~80 ms of CPU each) and for this
process to import the grader. The command line's own layer (click and the commands'
definitions) takes ~20 ms to import before any command runs; ``rnngrade grade``
launches its children before that (:func:`grader.sandbox.prelaunch.launch_early`), so
they use the second core meanwhile, and the grade takes them
(:func:`grader.sandbox.prelaunch.take`). Any other command, and a grade asked for its
help, goes straight to :mod:`grader.cli`. Children launched for a grade that never runs
(the command line refused its arguments) are stopped on the way out.

Imports only the standard library before the children are launched.
"""

from __future__ import annotations

import sys

_HELP = frozenset({"--help", "-h"})


def grades(args: list[str]) -> bool:
    """``args`` (the command line after the program's name) run ``rnngrade grade``, not
    its help. Options before ``grade`` belong to the group (``--help``, ``--version``)."""
    if not args or args[0] != "grade":
        return False
    for arg in args[1:]:
        if arg == "--":
            return True
        if arg in _HELP:
            return False
    return True


def main() -> None:
    """Run the command line; for a grade, with its children launched first."""
    if not grades(sys.argv[1:]):
        from .cli import main as cli

        cli()
        return
    import gc

    gc.disable()  # the start makes no garbage worth a collection: on again before grading (cli._settle_collector)
    try:
        from .sandbox.prelaunch import launch_early
        from .split import wanted

        launch_early(second=wanted())
        from .cli import main as cli

        cli()
    except KeyboardInterrupt:  # Ctrl-C before click runs the command: said as click says it inside one
        sys.stderr.write("Aborted!\n")
        sys.exit(1)
    finally:
        launched = sys.modules.get("grader.sandbox.prelaunch")
        if launched is not None:
            launched.discard_early()  # only those no grade took (a grade takes them at once)
