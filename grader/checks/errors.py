"""What an exception raised by student code means: the cause behind Python's words.

The child reports an exception as ``{"kind", "type", "message", "traceback"}``
(text, cleaned by the parent). Most are explained well enough by Python itself;
these are not, and each gets a message that says what happened and what to do:

* **starter code** - a function whose body is still the template (CS231n's
  ``pass`` between ``# TODO`` lines, returning None or raising a NameError on a
  name it never assigned): "not implemented yet", like ``raise NotImplementedError``;
* **a numpy API that numpy removed or renamed** - ``np.float``, ``np.asscalar``,
  ``np.reshape(a, newshape=...)``, ``np.array(x, copy=False)``...: code written for
  the numpy most public solutions were written for, which the grader's numpy no
  longer runs. The explanation names the API, its replacement and the numpy
  version that grades (:func:`numpy_api`);
* **a product of mismatched shapes** where one factor is a weight argument read the
  wrong way round (``x @ W.T``, ``dout @ W`` where ``dout @ W.T`` is due): the
  transposed weight (mistake 33, :func:`transposed_weight`);
* **an (N, D) input that cannot be combined with an (N,) array**: a statistic taken
  per sample (axis 1) where one per feature (axis 0) is due (mistake 34,
  :func:`reduced_over_the_wrong_axis`).

Nothing here changes a verdict: it only chooses the words of a failure.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..i18n import Message, msg
from ..mistakes import Mistake

Finding = tuple[list[Message], list[str]]

# Removed or renamed numpy APIs: name -> (what to use instead, the numpy release that removed it).
REMOVED = {
    "float": ("float (or np.float64)", "1.24"), "int": ("int (or np.int64)", "1.24"),
    "bool": ("bool (or np.bool_)", "1.24"), "object": ("object", "1.24"), "str": ("str", "1.24"),
    "long": ("int", "1.24"), "unicode": ("str", "1.24"), "complex": ("complex (or np.complex128)", "1.24"),
    "asscalar": ("a.item()", "1.23"), "float_": ("np.float64", "2.0"), "complex_": ("np.complex128", "2.0"),
    "unicode_": ("np.str_", "2.0"), "string_": ("np.bytes_", "2.0"), "NaN": ("np.nan", "2.0"),
    "NAN": ("np.nan", "2.0"), "Inf": ("np.inf", "2.0"), "Infinity": ("np.inf", "2.0"),
    "infty": ("np.inf", "2.0"), "PINF": ("np.inf", "2.0"), "NINF": ("-np.inf", "2.0"), "PZERO": ("0.0", "2.0"),
    "NZERO": ("-0.0", "2.0"), "product": ("np.prod", "2.0"), "cumproduct": ("np.cumprod", "2.0"),
    "sometrue": ("np.any", "2.0"), "alltrue": ("np.all", "2.0"), "round_": ("np.round", "2.0"),
    "msort": ("np.sort(a, axis=0)", "2.0"), "int0": ("np.intp", "2.0"), "uint0": ("np.uintp", "2.0"),
    "bool8": ("np.bool_", "2.0"), "cast": ("np.asarray(a, dtype=...)", "2.0"),
    "find_common_type": ("np.result_type", "2.0"), "mat": ("np.asmatrix", "2.0"),
    "issubclass_": ("issubclass", "2.0"), "safe_eval": ("ast.literal_eval", "2.0"),
    "in1d": ("np.isin", "2.4"), "trapz": ("np.trapezoid", "2.4"), "row_stack": ("np.vstack", "2.4"),
    "random_integers": ("rng.integers(low, high + 1)", "2.4"),
}
# Methods of ndarray that numpy 2.0 removed.
REMOVED_METHODS = {"ptp": "np.ptp(a)", "newbyteorder": "a.view(a.dtype.newbyteorder())", "itemset": "a[index] = value"}
# Keyword arguments that numpy removed: (function, keyword) -> (what to write instead, release).
REMOVED_KEYWORDS = {("reshape", "newshape"): ("np.reshape(a, shape) or a.reshape(shape)", "2.4")}

_NO_ATTRIBUTE = re.compile(r"module 'numpy(?:\.\w+)*' has no attribute '(\w+)'")
_REMOVED_IN = re.compile(r"`np\.(\w+)` was removed in the NumPy ([\d.]+) release")
_NO_METHOD = re.compile(r"'numpy\.ndarray' object has no attribute '(\w+)'")
_KEYWORD = re.compile(r"(\w+)\(\) got an unexpected keyword argument '(\w+)'")
_COPY_FALSE = "Unable to avoid copy while creating an array as requested"


def numpy_version() -> str:
    return str(np.__version__)


def numpy_api(err: dict[str, Any]) -> Message | None:
    """The removed or renamed numpy API an error comes from, explained (None if none)."""
    kind, text = str(err.get("type", "")), str(err.get("message", ""))
    found: tuple[str, str, str] | None = None  # (what, instead, removed in)
    if kind == "AttributeError":
        m = _REMOVED_IN.search(text) or _NO_ATTRIBUTE.search(text)
        if m and m.group(1) in REMOVED:
            instead, release = REMOVED[m.group(1)]
            found = (f"np.{m.group(1)}", instead, release)
        m = _NO_METHOD.search(text)
        if m and m.group(1) in REMOVED_METHODS:
            found = (f"a.{m.group(1)}()", REMOVED_METHODS[m.group(1)], "2.0")
    elif kind == "TypeError":
        m = _KEYWORD.search(text)
        if m and (m.group(1), m.group(2)) in REMOVED_KEYWORDS:
            instead, release = REMOVED_KEYWORDS[(m.group(1), m.group(2))]
            found = (f"np.{m.group(1)}(..., {m.group(2)}=...)", instead, release)
    elif kind == "ValueError" and _COPY_FALSE in text:
        found = ("np.array(x, copy=False)", "np.asarray(x)", "2.0")
    if found is None:
        return None
    what, instead, release = found
    return msg("diagnosis.numpy_api", api=what, instead=instead, release=release, version=numpy_version())


def call_problem(func: str, err: dict[str, Any]) -> Message | None:
    """A message that explains a failed call better than Python's own words (None
    when Python's words will do): starter code, a removed numpy API."""
    if err.get("kind") == "not_implemented" and err.get("type") == "starter":
        said = str(err.get("message") or "")
        if said and said != "None":
            return msg("diagnosis.starter_raised", func=func, error=said)
        return msg("diagnosis.starter", func=func)
    api = numpy_api(err)
    if api is not None:
        return msg("diagnosis.numpy_api_call", func=func, explanation=api, type=err.get("type", ""),
                   message=err.get("message", ""))
    return None


# ------------------------------------------------------------------ transposed weights
_MATMUL = re.compile(r"size (\d+) is different from (\d+)")
_DOT = re.compile(r"shapes \(([\d, ]+)\) and \(([\d, ]+)\) not aligned: (\d+) \(dim \d+\) != (\d+) \(dim \d+\)")
_BROADCAST = re.compile(r"operands could not be broadcast together with shapes \(([\d, ]+)\) \(([\d, ]+)\)")


def _weights(inputs: dict[str, Any]) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of every 2-D non-square weight among the inputs (and in dict inputs)."""
    out = []
    for name, value in inputs.items():
        values = value.items() if isinstance(value, dict) else [(name, value)]
        for key, v in values:
            if isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[0] != v.shape[1] \
                    and str(key)[:1] in "Ww":
                out.append((str(key), tuple(v.shape)))
    return out


def transposed_weight(err: dict[str, Any], inputs: dict[str, Any] | None) -> Finding:
    """Mistake 33 when a product failed on sizes that a weight argument has, the
    other way round: ``x @ W.T`` (or ``dout @ W`` where ``dout @ W.T`` is due)."""
    if not inputs or err.get("type") != "ValueError":
        return [], []
    text = str(err.get("message", ""))
    m = _MATMUL.search(text)
    sizes = {int(m.group(1)), int(m.group(2))} if m else set()
    d = _DOT.search(text)
    if d:
        sizes = {int(d.group(3)), int(d.group(4))}
    if len(sizes) != 2:
        return [], []
    names = [name for name, shape in _weights(inputs) if set(shape) == sizes]
    if not names:
        return [], []
    return [msg("diagnosis.transposed_product", name=names[0], shape=str(dict(_weights(inputs))[names[0]])),
            msg(f"mistake.{Mistake.WEIGHT_TRANSPOSED}.found")], [Mistake.WEIGHT_TRANSPOSED]


def reduced_over_the_wrong_axis(err: dict[str, Any], inputs: dict[str, Any] | None) -> Finding:
    """Mistake 34 when an (N, D) input could not be combined with an (N,) array: a
    statistic taken over axis 1 (per sample) where axis 0 (over the batch) is due."""
    if not inputs or err.get("type") != "ValueError":
        return [], []
    m = _BROADCAST.search(str(err.get("message", "")))
    if not m:
        return [], []
    shapes = [tuple(int(n) for n in part.replace(" ", "").split(",") if n) for part in m.groups()]
    for value in inputs.values():
        if isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[0] != value.shape[1]:
            n, d = value.shape
            if (n, d) in shapes and (n,) in shapes:
                return [msg("diagnosis.axis_broadcast", n=n, d=d),
                        msg(f"mistake.{Mistake.WRONG_REDUCTION_AXIS}.found")], [Mistake.WRONG_REDUCTION_AXIS]
    return [], []


def explain(err: dict[str, Any], inputs: dict[str, Any] | None = None) -> Finding:
    """Known mistakes an error points to (for the messages after the call's own)."""
    for finding in (transposed_weight(err, inputs), reduced_over_the_wrong_axis(err, inputs)):
        if finding[1]:
            return finding
    return [], []
