"""Canvas without Canvas's own gradebook export as the roster is refused, as Moodle
without participant numbers is, with a message that says why and what to do; the
explicit --canvas-sis-ids writes the graded ids as SIS User IDs."""

from __future__ import annotations

import csv
import io

from click.testing import CliRunner
from test_course_gradebook import _record

from grader.cli import main
from grader.gradebook import Gradebook


def test_canvas_without_a_canvas_roster_is_refused_like_moodle(tmp_path):
    book = tmp_path / "g.sqlite"
    with Gradebook(book) as gb:
        _record(gb, "2023001", {"relu.forward": (3, 4)})
    for lang, words in (("en", ["No Canvas import file written", "SIS User ID", "--roster canvas.csv",
                                "--canvas-sis-ids"]),
                        ("zh", ["未写入 Canvas 导入文件", "--roster canvas.csv", "--canvas-sis-ids"])):
        run = CliRunner().invoke(main, ["gradebook", str(book), "--canvas", str(tmp_path / "c.csv"),
                                        "--csv", str(tmp_path / "plain.csv"), "--lang", lang])
        assert run.exit_code == 2, run.output
        for word in words:
            assert word in run.output, (word, run.output)
        assert not (tmp_path / "c.csv").exists() and (tmp_path / "plain.csv").is_file()  # the others still written
        moodle = CliRunner().invoke(main, ["gradebook", str(book), "--moodle", str(tmp_path / "m.csv"), "--lang", lang])
        assert moodle.exit_code == run.exit_code == 2  # the same behaviour as Moodle's
    told = CliRunner().invoke(main, ["gradebook", str(book), "--canvas", str(tmp_path / "c.csv"), "--canvas-sis-ids",
                                     "--lang", "en"])
    assert told.exit_code == 0, told.output
    rows = list(csv.reader(io.StringIO((tmp_path / "c.csv").read_text())))
    assert rows[2][:3] == ["", "", "2023001"] and rows[2][-1] == "3"
