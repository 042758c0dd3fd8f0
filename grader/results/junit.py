"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, GitHub actions
that read JUnit): one testsuite per exercise, one testcase per graded item."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..checks.model import FAILED, PASSED, PENDING
from ..fileio import write_atomic
from ..i18n import render_lenient as render
from ..results import Result
from ..untrusted import clean
from .text import check_output


def _safe(text: str) -> str:
    """Student text as XML 1.0 can carry it: :func:`grader.untrusted.clean` escapes every
    control character, lone surrogate and non-character (the ones XML forbids among them)."""
    return clean(text)


def to_junit(result: Result, lang: str) -> str:
    root = ET.Element("testsuites", name="rnngrade", tests=str(len(result.checks)),
                      failures=str(sum(c.status == FAILED for c in result.checks)),
                      time=f"{result.seconds:.3f}")
    for ex in result.exercises:
        suite = ET.SubElement(root, "testsuite", name=ex.exercise.name, tests=str(len(ex.results)),
                              failures=str(sum(c.status == FAILED for c in ex.results)),
                              skipped=str(sum(c.status == PENDING for c in ex.results)))
        for c in ex.results:
            case = ET.SubElement(suite, "testcase", classname=f"rnngrade.{ex.exercise.name}",
                                 name=_safe(render(c.title, lang)))
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="points", value=f"{c.points:g}/{c.max_points:g}")
            if c.status == PENDING:  # not counted yet: skipped, with the reason
                first = render(c.messages[0], lang) if c.messages else str(c.status)
                ET.SubElement(case, "skipped", message=_safe(first[:500]))
            elif c.status != PASSED:
                text = check_output(c, lang)
                first = render(c.messages[0], lang) if c.messages else str(c.status)
                failure = ET.SubElement(case, "failure", message=_safe(first[:500]), type=str(c.kind))
                failure.text = _safe(text)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(result: Result, path: Path | str, lang: str) -> None:
    write_atomic(Path(path), to_junit(result, lang))
