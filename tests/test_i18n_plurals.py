"""Plural forms in the message catalogues: a count chooses its words in each language
(``{n:# student|# students}``), and the catalogue refuses a text with the wrong
number of forms."""

from __future__ import annotations

import pytest

from grader.i18n import CatalogError, Message, _flatten, catalog, render


def _render(text_en: str, text_zh: str, **params) -> tuple[str, str]:
    out: dict = {}
    _flatten({"t": {"en": text_en, "zh": text_zh}}, "", out, "test.toml")
    catalog().update(out)
    try:
        return render(Message("t", params), "en"), render(Message("t", params), "zh")
    finally:
        del catalog()["t"]


@pytest.mark.parametrize("n, en", [(0, "0 students"), (1, "1 student"), (2, "2 students"), (21, "21 students"),
                                   (1.0, "1.0 students"), (1.5, "1.5 students"),
                                   ("1", "1 student"), ("3", "3 students"), ("n/a", "n/a students")])
def test_a_count_chooses_its_english_form(n, en):
    assert _render("{n:# student|# students}", "{n} 名学生", n=n) == (en, f"{n} 名学生")


def test_several_counts_in_one_text_and_ordinary_fields_beside_them():
    en, zh = _render("{a:# pair|# pairs} among {b:# student|# students}; {c:.1f}", "{b} 名学生中 {a} 对；{c:.1f}",
                     a=1, b=3, c=0.25)
    assert en == "1 pair among 3 students; 0.2" and zh == "3 名学生中 1 对；0.2"


def test_a_parameter_cannot_inject_plural_forms_or_fields():
    en, _ = _render("{n:# file|# files}: {name}", "{n} 个文件：{name}", n=1, name="{n:x|y} #")
    assert en == "1 file: {n:x|y} #"


@pytest.mark.parametrize("en, zh", [("{n:a|b|c}", "{n}"), ("{n}", "{n:a|b}"), ("{n:#|a|b}", "{n}")])
def test_the_catalogue_refuses_the_wrong_number_of_forms(en, zh):
    with pytest.raises(CatalogError, match="plural form"):
        _flatten({"t": {"en": en, "zh": zh}}, "", {}, "test.toml")


def test_every_catalogue_text_with_forms_renders_both_forms():
    import string

    from grader.i18n import _plural_fields

    checked = 0
    for key, texts in catalog().items():
        if not _plural_fields(texts["en"]):
            continue
        names = {f for _, f, _, _ in string.Formatter().parse(texts["en"]) if f}
        one, two = (render(Message(key, {name: n for name in names}), "en") for n in (1, 2))
        assert one != two and "|" not in one + two, key
        checked += 1
    assert checked >= 30  # the count messages of the whole catalogue (tryout finding 17)


@pytest.mark.parametrize("key, params, en", [
    ("batch.mistake_count", {"id": 4, "name": "x", "count": 1}, "known mistake 4 (x): 1 student"),
    ("batch.export.written", {"path": "m.csv", "graded": 1, "blank": 0, "missing": 1},
     "Wrote m.csv: 1 grade, 0 left blank (no hand-in, or not graded), 1 graded submission with no row in that file."),
    ("similarity.notes_count", {"n": 1}, "1 student has files that could not be compared;"),
    ("intake.link", {"count": 1, "files": "a"}, "1 symbolic link was not followed and was skipped: a."),
    ("report.points_of", {"points": 0.5, "max_points": 1}, "0.5 / 1 point"),
    ("terminal.same_cause", {"n": 2}, "(2 checks fail for this reason)"),
])
def test_the_counts_the_tryout_found_read_right(key, params, en):
    assert en in render(Message(key, params), "en")
    render(Message(key, params), "zh")
