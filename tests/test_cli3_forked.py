"""A function run in a forked copy of the process (grader/forked.py), and ``rnngrade grade
--html`` rendering its report that way while it writes the summary and results.json: the
same bytes, the same failures, the same exit status as rendered in line."""

from __future__ import annotations

import os
import pickle
import threading

import pytest
from click.testing import CliRunner

from grader import forked
from grader.cli import main


def test_the_value_comes_back_from_the_copy():
    job = forked.start(lambda a, b: (os.getpid(), a + b), 2, 3)
    assert job.forked
    pid, value = job.result()
    assert value == 5 and pid != os.getpid()


def test_what_the_copy_changes_stays_there():
    seen: list[int] = []
    job = forked.start(lambda: seen.append(1) or len(seen))
    assert job.result() == 1
    assert seen == []


def test_what_the_function_raises_is_raised_here_with_the_copys_traceback():
    def broken():
        raise ValueError("no report today")

    job = forked.start(broken)
    with pytest.raises(ValueError, match="no report today") as caught:
        job.result()
    assert any("forked copy" in note and "broken" in note for note in caught.value.__notes__)


def test_an_exception_that_cannot_be_pickled_is_still_raised():
    class Local(Exception):  # defined here: pickle cannot find it by name
        pass

    def broken():
        raise Local("x")

    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(Local("x"))
    with pytest.raises(RuntimeError, match="Local"):
        forked.start(broken).result()


def test_a_copy_that_dies_without_an_answer_is_replaced_by_a_run_here():
    parent = os.getpid()

    def dies_in_the_copy():
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        return "here"

    job = forked.start(dies_in_the_copy)
    assert job.forked
    assert job.result() == "here"


def test_no_fork_when_asked_or_while_another_thread_runs():
    assert not forked.start(os.getpid, fork=False).forked
    assert forked.start(os.getpid, fork=False).result() == os.getpid()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        job = forked.start(os.getpid)
        assert not job.forked and job.result() == os.getpid()  # run here, when asked for
    finally:
        stop.set()
        other.join()


def test_a_cancelled_copy_is_stopped_and_collected():
    job = forked.start(threading.Event().wait)  # would wait for ever
    pid = job._pid
    job.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # collected already


# ---------------------------------------------------------------------------- the command
@pytest.fixture
def graded_once(monkeypatch, sample_selfcheck_result):
    """``grade --sample`` with the session's grade of the sample: these tests are about
    what the command writes, not about grading again."""
    from grader import api, split
    from grader.sandbox import prelaunch

    monkeypatch.setattr(prelaunch, "prelaunch", lambda *a, **k: None)
    monkeypatch.setattr(api, "grade", lambda *a, **k: sample_selfcheck_result)
    monkeypatch.setattr(split, "wanted", lambda: True)  # a free core, whatever this machine's load
    return sample_selfcheck_result


def test_the_report_is_forked_only_where_a_grade_would_split(graded_once, tmp_path, monkeypatch):
    from grader import split

    made: list[bool] = []
    start = forked.start

    def recorded(*args, **kw):
        job = start(*args, **kw)
        made.append(job.forked)
        return job

    monkeypatch.setattr(forked, "start", recorded)
    assert _grade(tmp_path / "free").exit_code == 0
    monkeypatch.setattr(split, "wanted", lambda: False)  # the cores busy: no copy to compete with them
    assert _grade(tmp_path / "busy").exit_code == 0
    assert made == [True, False]
    assert (tmp_path / "free" / "r.html").read_bytes() == (tmp_path / "busy" / "r.html").read_bytes()


def _grade(tmp_path, lang="en", results="r.json"):
    args = ["grade", "--sample", "--lang", lang, "--results", str(tmp_path / results), "--html",
            str(tmp_path / "r.html")]
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_rendered_aside_is_the_report_rendered_in_line(graded_once, tmp_path, monkeypatch, lang):
    from grader.assignments.stage import student_view
    from grader.report.html import render_html

    aside = _grade(tmp_path / "forked", lang)
    assert aside.exit_code == 0, aside.output
    monkeypatch.setattr(forked, "_can_fork", lambda: False)
    inline = _grade(tmp_path / "in_line", lang)
    assert inline.exit_code == 0, inline.output
    assert aside.output.replace("/forked/", "/in_line/") == inline.output  # the same lines, in the same order
    for name in ("r.json", "r.html"):
        assert (tmp_path / "forked" / name).read_bytes() == (tmp_path / "in_line" / name).read_bytes()
    assert (tmp_path / "forked" / "r.html").read_text(encoding="utf-8") == render_html(student_view(graded_once),
                                                                                      lang)


@pytest.mark.parametrize("fork", [True, False])
def test_a_report_that_fails_to_render_fails_the_command_as_in_line(graded_once, tmp_path, monkeypatch, fork):
    from grader.report import html

    def broken(result, lang):
        raise KeyError("report.missing_text")

    monkeypatch.setattr(html, "render_html", broken)
    if not fork:
        monkeypatch.setattr(forked, "_can_fork", lambda: False)
    run = _grade(tmp_path)
    assert run.exit_code == 1
    assert isinstance(run.exception, KeyError) and "report.missing_text" in str(run.exception)
    assert (tmp_path / "r.json").exists()  # written before, as always
    assert not (tmp_path / "r.html").exists()
    assert "Score" in run.output


def test_results_that_cannot_be_written_stop_the_report_too(graded_once, tmp_path):
    (tmp_path / "file").write_text("")
    run = _grade(tmp_path, results="file/r.json")  # a file where its folder should be
    assert run.exit_code == 1 and isinstance(run.exception, OSError)
    assert not (tmp_path / "r.html").exists()  # not written, as when it rendered after the results


def test_the_idle_work_loads_the_reports_templates_before_the_copy_is_forked(tmp_path):
    from grader.cli import _report_imports
    from grader.report import html

    html.environment.cache_clear()
    _report_imports(None, tmp_path / "r.html")()
    loaded = set(html.environment().list_templates(filter_func=lambda n: n.startswith("partials/")))
    assert {"report.html.j2", *loaded} <= {t.name for t in html.environment().cache.values()}
    _report_imports(None, None)()  # nothing asked, nothing done
