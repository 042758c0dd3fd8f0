"""What ``rnngrade similarity`` prints never contradicts itself (tryout finding 22):
"1 pairs share code" followed by "No two students share code"; "10 pairs share code"
listing 9 without saying why; a progress label left in a log without its line.
Every case of what a listing can leave out says so in one sentence."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.similarity import PairView
from grader.similarity.render import render_html, terminal_lines


@dataclass
class _Student:
    student: str
    notes: list = field(default_factory=list)


class _Class:
    """Just what the terminal list reads of a comparison: students, scored pairs, and no
    reference section (``reference_copies`` None: compared without a reference)."""

    reference_copies = None

    def __init__(self, scores: list[float], students: int = 6) -> None:
        self.students = [_Student(f"s{i}") for i in range(students)]
        self.pairs = [PairView(i + 1, "s0", f"s{i + 1}", s, s, 10, 2, None, 0.0, ()) for i, s in enumerate(scores)]

    def count(self, min_score: float = 0.0) -> int:
        return sum(p.score >= min_score for p in self.pairs) if min_score > 0 else len(self.pairs)

    def top(self, n: int | None = None, min_score: float = 0.0) -> list[PairView]:
        return self.pairs[: min(self.count(min_score), n if n is not None else len(self.pairs))]


def _lines(scores: list[float], top: int = 20, min_score: float = 0.1, lang: str = "en") -> list[str]:
    lines = terminal_lines(_Class(scores), lang, top, min_score)  # type: ignore[arg-type]
    # The listing of pairs ends before the reference section, which says once that no
    # reference was compared (this fake class has none).
    assert "--solutions" in lines[-1]
    return lines[:-1]


def test_one_pair_below_the_floor_is_not_called_no_pair():
    lines = _lines([0.05])
    assert lines[0] == "6 students compared; 1 pair shares code."
    assert "No two students share code" not in " ".join(lines)
    assert lines[-1] == ("No pair scores 0.1 or more: the pair that shares code shares only a few fingerprints, "
                         "as happens by chance (--min-score 0 lists it).")


def test_no_pair_at_all_says_so():
    lines = _lines([])
    assert lines[0] == "6 students compared; 0 pairs share code."
    assert lines[-1].startswith("No two students share code beyond the starter code")


def test_a_list_cut_by_the_floor_says_how_many_are_left_out():
    lines = _lines([0.9, 0.5, 0.3, 0.05])
    assert lines[0] == "6 students compared; 4 pairs share code."
    assert sum(1 for line in lines if "↔" in line) == 3
    assert lines[-1] == ("1 more pair shares less code (a score below 0.1) and is not listed "
                         "(--min-score 0 lists it).")


def test_a_list_cut_by_top_and_by_the_floor_says_both():
    lines = _lines([0.9, 0.5, 0.3, 0.05, 0.01], top=2)
    assert "Listed: the best 2 of the 3 pairs scoring 0.1 or more (--top shows more)." in lines
    assert "2 more pairs share less code (a score below 0.1) and are not listed (--min-score 0 lists them)." in lines


def test_a_complete_list_adds_nothing():
    lines = _lines([0.9, 0.5])
    assert not any(line.startswith(("Listed", "No pair", "1 more", "2 more")) for line in lines[3:])


@pytest.mark.parametrize("scores", [[0.05], [0.9, 0.05]])
def test_the_chinese_lines_say_the_same(scores):
    text = " ".join(_lines(scores, lang="zh"))
    assert f"{len(scores)} 对学生有共同代码" in text and ("没有得分达到 0.1" in text or "另有 1 对" in text)


def test_no_progress_label_lands_in_a_log(tmp_path):
    folder = tmp_path / "class"
    for name in ("alice", "bob"):
        (folder / name).mkdir(parents=True)
        (folder / name / "layers.py").write_text("def relu_forward(x):\n    return x * (x > 0), x\n")
    result = CliRunner().invoke(main, ["similarity", str(folder), "--lang", "en", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "Reading the submissions" not in result.output  # not a terminal: no bar, no stray label
    assert result.output.startswith("2 students compared;")


def test_the_page_says_what_its_table_leaves_out(tmp_path):
    from similarity_class import build_class

    from grader.similarity import compare_class

    result = compare_class(build_class(tmp_path / "class"), jobs=1)
    page = render_html(result, "en", min_score=0.99)
    below = len(result.pairs) - result.count(0.99)
    assert below > 0 and f"and {'is' if below == 1 else 'are'} not listed" in page
