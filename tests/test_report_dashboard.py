"""The class dashboard from a gradebook: any language from the same gradebook (the
gradebook stores message keys, not text), the students with links to their reports,
and failures grouped by cause (one line per cause, not one per check)."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from browser.reportkit import Page
from click.testing import CliRunner
from dashboardkit import STUDENTS, graded_class

from grader.cli import main
from grader.gradebook import SCHEMA_VERSION, Gradebook
from grader.report.dashboard import render_dashboard, root_causes
from grader.report.html import render_html
from grader.specs import all_exercises, wanted_functions

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return graded_class(tmp_path_factory.mktemp("dash"), lang="zh")


def test_a_gradebook_graded_in_chinese_renders_in_english(out, tmp_path):
    path = tmp_path / "dashboard.html"
    run = CliRunner().invoke(main, ["gradebook", str(out / "gradebook.sqlite"), "--dashboard", str(path),
                                    "--lang", "en"])
    assert run.exit_code == 0, run.output
    page = Page(path.read_text(encoding="utf-8"))
    assert page.tags("html")[0]["lang"] == "en"
    han = HAN.findall(page.text)
    assert han == [], f"Chinese left in the English dashboard: {''.join(han)[:40]}"
    assert "Why the class loses points" in page.text and "Quiz item analysis" in page.text
    zh = Page(render_dashboard(Gradebook(out / "gradebook.sqlite"), "zh"))
    assert "全班失分的原因" in zh.text and "测验题目分析" in zh.text
    assert "Why the class" not in zh.text


def test_every_student_is_listed_with_a_link_to_their_report(out, tmp_path):
    with Gradebook(out / "gradebook.sqlite") as book:
        beside = Page(render_dashboard(book, "en", out / "dashboard.html"))
        elsewhere = tmp_path / "deep" / "dash.html"
        far = Page(render_dashboard(book, "en", elsewhere))
    links = [a["href"] for a in beside.tags("a") if a.get("href", "").endswith(".html")]
    assert sorted(links) == [f"reports/{s}.html" for s in STUDENTS]
    assert all((out / link).is_file() for link in links)
    for a in far.tags("a"):
        if a.get("href", "").endswith(".html"):
            assert (elsewhere.parent / a["href"]).resolve().is_file()


def test_failures_are_grouped_by_cause(out):
    with Gradebook(out / "gradebook.sqlite") as book:
        rows = book.failed_checks()
        causes = root_causes(rows)
    dave = [r for r in rows if r["student"] == "dave" and r["kind"] != "quiz"]
    assert len(dave) > 150  # the stubs fail nearly every check ...
    dave_causes = [c for c in causes if "dave" in c.students]
    functions = {r["func"] for r in dave}
    # ... for one cause per function: at most as many causes as graded functions (the
    # specs' functions, so the bound follows the assignment as exercises are added)
    graded = set(wanted_functions(all_exercises()))
    assert functions <= graded and len(graded) < len(dave) / 3
    assert len(dave_causes) <= len(functions)
    labels = [c.key for c in causes]
    assert len(labels) == len(set(labels))
    # a named mistake is one cause, whatever checks it fails
    erin = [c for c in causes if "erin" in c.students and c.key[0] == "mistake"]
    assert erin and all(len(c.checks) >= 1 for c in erin)
    assert sum(len(c.checks) for c in causes) >= len({r["check"] for r in rows if r["kind"] != "quiz"})


def test_the_stored_result_renders_the_report_again(out):
    with Gradebook(out / "gradebook.sqlite") as book:
        result = book.result("alice")
    assert result is not None and result.student == "alice"
    assert render_html(result, "zh") == (out / "reports" / "alice.html").read_text(encoding="utf-8")
    assert "Grading report" in render_html(result, "en")


def test_a_schema_2_gradebook_is_upgraded_and_still_renders(out, tmp_path):
    """Rows recorded before plain results (schema 4) keep their text (the batch's language) until graded again."""
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '2');
        CREATE TABLE submissions (student TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, grader_key TEXT NOT NULL,
            score REAL NOT NULL, max_score REAL NOT NULL, load_status TEXT NOT NULL, isolation TEXT NOT NULL,
            graded_at TEXT NOT NULL, seconds REAL NOT NULL, results_json TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'graded', detail TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '', student_id TEXT NOT NULL DEFAULT '');
        CREATE TABLE checks (student TEXT NOT NULL, check_id TEXT NOT NULL, exercise TEXT NOT NULL,
            kind TEXT NOT NULL, points REAL NOT NULL, max_points REAL NOT NULL, status TEXT NOT NULL,
            mistakes TEXT NOT NULL, title TEXT NOT NULL, PRIMARY KEY (student, check_id));
        INSERT INTO submissions VALUES ('zoe', 'fp', 'gk', 1, 2, 'loaded', 'bubblewrap', 't', 1, '{}',
                                        'graded', '', 'zoe', 'zoe');
        INSERT INTO checks VALUES ('zoe', 'relu.forward', 'relu', 'value', 0, 1, 'failed', '', 'relu_forward：旧标题');
        INSERT INTO checks VALUES ('zoe', 'relu.mutation', 'relu', 'mutation', 1, 1, 'passed', '', '不修改输入');
    """)
    db.commit()
    db.close()
    with Gradebook(old) as book:
        assert book.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        page = Page(render_dashboard(book, "en"))
        assert "relu_forward：旧标题" in page.text  # as stored, one cause for that check
        [cause] = root_causes(book.failed_checks())
        assert cause.key == ("check", "relu.forward")
    # graded again into the same (upgraded) gradebook: keys, and the other language
    with Gradebook(out / "gradebook.sqlite") as new:
        row = new.db.execute("SELECT title_json FROM checks WHERE student = 'bob' LIMIT 1").fetchone()
    assert json.loads(row[0])["$msg"]


def test_the_statistics_command_prints_one_line_per_cause(out):
    run = CliRunner().invoke(main, ["gradebook", str(out / "gradebook.sqlite"), "--lang", "en"])
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    assert "5 students" in lines[0]
    # main's class statistics (distribution, exercises, hardest checks...) come first; the
    # causes after them, at most ten, one line each (not one per check)
    causes = lines[lines.index("The causes of failure that affect the most students:") + 1:]
    assert 0 < len(causes) <= 10 and len(set(causes)) == len(causes), causes
    assert any("not implemented yet" in line for line in causes)
