"""A caller that runs a submission in *this* process: for tests of trusted code.

:class:`InProcessCaller` implements the same :class:`~grader.calls.Caller`
protocol as the :class:`~grader.sandbox.session.Sandbox` and keeps the child's
semantics exactly, because it runs the child harness's own code
(:mod:`grader.sandbox.child`, imported as a module): modules loaded the same way,
arguments and results through the same wire encoding (so every argument is a
private copy, a student's cache stays behind a handle, numbers come back as arrays),
``NotImplementedError`` reported as not implemented, numpy's error state and
warnings per call, arguments after the call on request, and substituting calls
whose callbacks reach ``serve`` directly. What it does not do is isolate anything:
no limits, no timeouts, no protection from hostile code. Use it only for code you
trust (the reference and its mutants), where it grades a submission about ten
times faster than a child process.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..calls import Call, CallOutcome, CallStatus, Serve, resolve_earlier
from . import child
from .isolation import Isolation
from .protocol import callback_answer, decode_value, encode_value
from .session import Limits, LoadReport, ModuleEntry, Sandbox, decode_outcome

LEVEL = "in-process"


class InProcessCaller:
    """Run ``wanted`` functions of the submission at ``root`` in this process.

    Same constructor and life cycle as :class:`~grader.sandbox.session.Sandbox`
    (``start`` loads, ``close`` forgets); ``limits`` and ``isolation`` are ignored."""

    generation = 1

    def __init__(self, root: Path, modules: list[ModuleEntry], wanted: list[str],
                 limits: Limits | None = None, isolation: Isolation | None = None) -> None:
        self.root = Path(root)
        self.modules = modules
        self.wanted = wanted
        self.isolation = Isolation(LEVEL, hides_files=False, drops_privileges=False)
        self.restarts = 0
        self.load_report: LoadReport | None = None
        self._functions: dict[str, list[Any]] = {}
        self._loaded: list[Any] = []
        self._files: set[str] = set()
        self._handles: list[int] = []
        self._table: Any = None  # the child's finder table for this submission

    def __enter__(self) -> InProcessCaller:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ loading
    def start(self) -> LoadReport:
        entries = []
        for m in self.modules:
            entry: dict[str, Any] = {"module": m.module, "path": str(self.root / m.relpath), "display": m.relpath}
            if m.cells is not None:
                entry["cells"] = m.cells
            entries.append(entry)
        before_files = set(child._student_files)
        output = io.StringIO()
        with self._installed(fresh=True), contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            functions, reports, listed = child._load_submission({"modules": entries, "wanted": self.wanted})
        self._functions = functions
        self._files = set(child._student_files) - before_files | {e["path"] for e in entries}
        modules = [Sandbox._clean_module_report(r) for r in reports]
        listed = {k: v for k, v in listed.items() if k in self.wanted}
        self.load_report = LoadReport(ok=True, status="loaded", modules=modules, functions=listed,
                                      output=output.getvalue())
        return self.load_report

    @contextlib.contextmanager
    def _installed(self, fresh: bool = False) -> Iterator[None]:
        """The submission's modules in ``sys.modules`` and its folder on ``sys.path``
        while its code runs, as in the child; the test process's own modules (the
        reference loaded by the parent, say) are put back afterwards."""
        saved_modules = sys.modules.copy()
        saved_student = list(child._student_modules)
        saved_table = child._table[0]
        child._student_modules[:] = [] if fresh else self._loaded
        root = str(self.root)
        sys.path.append(root)
        if not fresh:
            child._table[0] = self._table
            child.install_finder()
            for mod in self._loaded:
                sys.modules[mod.__name__] = mod
        try:
            yield
        finally:
            if fresh:
                self._loaded = list(child._student_modules)
                self._table = child._table[0]
            child._student_modules[:] = saved_student
            child._table[0] = saved_table
            child.remove_finder()
            if root in sys.path:
                sys.path.remove(root)
            for name in sys.modules.keys() - saved_modules.keys():  # one set, built in C
                del sys.modules[name]
            sys.modules.update(saved_modules)

    def close(self) -> None:
        for hid in self._handles:
            child._handles.pop(hid, None)
        self._handles.clear()

    # -------------------------------------------------------------------- calls
    def call(self, call: Call) -> CallOutcome:
        return self.call_many([call])[0]

    def call_many(self, calls: list[Call], serve: Serve | None = None) -> list[CallOutcome]:
        with self._installed():
            done: list[CallOutcome] = []
            for c in calls:  # a chained call (calls.Earlier) on what the calls before it kept
                resolved = resolve_earlier(c, done)
                done.append(CallOutcome(CallStatus.SKIPPED) if resolved is None else self._one(resolved, serve))
            return done

    def _one(self, call: Call, serve: Serve | None) -> CallOutcome:
        arrays: list[np.ndarray] = []
        wire = {
            "func": call.func,
            "args": [encode_value(a, arrays) for a in call.args],
            "kwargs": {k: encode_value(v, arrays) for k, v in call.kwargs.items()},
            "keep": list(call.keep),
            "return_args": call.return_args,
            "errstate": call.errstate or {"all": "warn"},
            "substitute": list(call.substitute) if serve is not None else [],
            "release": [h.id for h in call.release],
        }
        violated: list[str] = []

        def bridge(header: dict[str, Any], out: list[np.ndarray]) -> tuple[dict[str, Any], list[np.ndarray]]:
            name = header.get("callback")
            if serve is None or name not in call.substitute:
                violated.append(str(name))  # the sandbox would end the child here
                return {"status": "error", "message": "protocol violation"}, []
            args = decode_value(header.get("args"), out, self.generation)
            kwargs = decode_value(header.get("kwargs"), out, self.generation)
            return callback_answer(serve, name, args, kwargs)

        first_handle = child._next_handle[0]
        output = io.StringIO()
        start = time.monotonic()
        child._callback[0] = bridge
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                header, out = child._serve_call(self._functions, wire, arrays)
        finally:
            child._callback[0] = None
        self._handles.extend(range(first_handle, child._next_handle[0]))
        if violated:
            return CallOutcome(CallStatus.PROTOCOL, output=output.getvalue())
        return decode_outcome(header, out, self.generation, output.getvalue()[: Limits.output_keep_bytes],
                              time.monotonic() - start)
