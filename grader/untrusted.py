"""Text from outside the grader, made safe to write anywhere.

Strings that come from the sandboxed child (printed output, exception messages,
warnings, the names it reports) or from the file system (file and folder names,
answer sheets) may hold anything:

* lone surrogates (``"\\ud800"``, or ``"\\udcff"`` for a file-name byte that is not
  UTF-8): no UTF-8 writer accepts them, so one such character would stop
  results.json, the report, JUnit, the CSV and the gradebook;
* terminal control sequences: OSC (set the window title, hyperlinks), CSI (colours,
  clear the screen, move the cursor), ``ESC c`` (reset), the alternate screen, BEL,
  NUL, the 8-bit C1 controls (``"\\x9b"`` is a CSI on many terminals), a lone CR that
  overwrites the line it is on;
* invisible characters that reorder or hide text (bidirectional overrides and
  isolates, the Unicode line and paragraph separators, a byte-order mark inside text).

:func:`clean` is the one function that makes such a string safe. It is applied at
every boundary where outside text enters the grader (the sandbox session, the
submission snapshot, the answer sheet, the class folder) and again at every sink that
writes text (terminal summary, results.json, JUnit, the HTML report and dashboard,
the gradebook and every CSV export), so a string that slipped past one boundary is
still caught. It is idempotent (cleaning twice changes nothing more) and keeps
ordinary text, tabs and newlines as they are:

* a valid surrogate pair is joined into its character; a lone surrogate from the
  ``\\udc80``-``\\udcff`` range (a byte that was not UTF-8) is shown as ``\\xNN``, any
  other lone surrogate becomes U+FFFD;
* ``"\\r\\n"`` becomes ``"\\n"``;
* every other control or format character above is shown as a visible escape
  (``\\x1b``, ``\\x07``, ``\\x9b``, ``\\u202e``), so the student sees what their output
  held and no terminal, browser or spreadsheet acts on it.
"""

from __future__ import annotations

import os
import re
from typing import Any

# One pattern, first alternative wins: a surrogate pair, CRLF, then every unsafe code point.
_UNSAFE = re.compile(
    "([\ud800-\udbff][\udc00-\udfff])"  # a valid pair (only from surrogatepass-style decoding)
    "|(\r\n)"
    "|([\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 except TAB and LF, DEL, C1
    "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"  # bidi marks, overrides, isolates; separators
    "\ufeff\ufff9-\ufffb\ufffe\uffff"  # BOM inside text, interlinear annotations, non-characters
    "\ud800-\udfff])"  # lone surrogates
)

# Every character any alternative above starts with, as one class: searching a long text
# (a whole report) for these is ten times faster than for the alternatives, and when none
# is there the text is already clean.
_FIRST = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                    "\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]")


def _replace(mo: re.Match[str]) -> str:
    pair, crlf, single = mo.groups()
    if pair is not None:
        hi, lo = ord(pair[0]), ord(pair[1])
        return chr(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
    if crlf is not None:
        return "\n"
    code = ord(single)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # surrogateescape: the byte that was not UTF-8
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def clean(text: str | bytes | os.PathLike[str] | None) -> str:
    """``text`` with nothing a writer, a terminal, a browser or a spreadsheet could
    trip over (see the module docstring). Bytes and paths are decoded as file names
    are (UTF-8, undecodable bytes shown as ``\\xNN``); ``None`` is ``""``."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = os.fsdecode(text) if isinstance(text, (bytes, os.PathLike)) else str(text)
    if _FIRST.search(text) is None:
        return text
    return _UNSAFE.sub(_replace, text)


def clean_tree(value: Any) -> Any:
    """Every string of a JSON-like value (dict keys included) through :func:`clean`;
    tuples become lists, other values are returned as they are."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {(clean(k) if isinstance(k, str) else k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_tree(v) for v in value]
    return value


# In JSON written with ensure_ascii=False the C0 controls appear only as escapes, of
# which only TAB's and LF's are clean. Every backslash in such text starts an escape,
# so once the escaped backslashes (pairs) are removed, a backslash before r, b, f or u
# is a control character of the value.
_UNCLEAN_ESCAPE = re.compile(r"\\[rbfu]")


def json_is_clean(text: str) -> bool:
    """Does no string of the value ``text`` encodes (``json.dumps(..., ensure_ascii=False)``)
    hold anything :func:`clean` would change? Decides at the speed of a regular
    expression over the text what :func:`clean_tree` decides by walking the value (a
    batch records a few hundred kilobytes per student). False is safe: it may also be
    said of a clean value, never True of an unclean one."""
    return _FIRST.search(text) is None and _UNCLEAN_ESCAPE.search(text.replace("\\\\", "")) is None


CSV_MAX_BYTES = 16 << 20  # a roster or a list of hand-in times: far more than any class needs


def read_csv_rows(path: str | os.PathLike[str]) -> list[list[str]]:
    """The non-empty rows of an instructor's CSV file (UTF-8 with or without a byte-order
    mark; comma, semicolon or tab separated, as sniffed), every cell cleaned and
    stripped. Raises ValueError with a one-line reason when the file cannot be read or
    is larger than :data:`CSV_MAX_BYTES` (read at most that plus one byte)."""
    import csv
    import io

    try:
        with open(path, "rb") as f:
            data = f.read(CSV_MAX_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"{os.fspath(path)}: {exc.strerror or exc}") from exc
    if len(data) > CSV_MAX_BYTES:
        raise ValueError(f"{os.fspath(path)}: larger than {CSV_MAX_BYTES >> 20} MB")
    text = data.decode("utf-8-sig", errors="replace")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [[clean(c).strip() for c in r] for r in csv.reader(io.StringIO(text), dialect)]
    return [r for r in rows if any(r)]
