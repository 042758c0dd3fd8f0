"""Why official grading is refused, in words that hold (tryout finding 15: under
Landlock as root the message said "needs bubblewrap or Landlock, but this machine
offers only the landlock level"). Each refusal names its real cause on this machine
and what to do: the Python an unprivileged user cannot read, bubblewrap missing or
unable to run, no Landlock, Landlock refused in the child."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import SOLUTIONS

import grader.api
from grader.cli import main
from grader.i18n import render
from grader.sandbox import isolation as iso

ROOT = os.geteuid() == 0


@pytest.fixture
def python_under_root(monkeypatch):
    """Python installed in a folder other users cannot enter (/root/.pyenv)."""
    monkeypatch.setattr(iso, "unprivileged_can_run_python", lambda: False)
    monkeypatch.setattr(iso, "unreachable_for_others", lambda: Path("/root"))


@pytest.mark.skipif(not ROOT, reason="only a grader running as root must leave root")
def test_landlock_as_root_with_an_unreadable_python_says_so_and_how_to_fix_it(python_under_root, monkeypatch):
    monkeypatch.setattr(grader.api, "probe", lambda: iso.at_level("landlock"))  # RNNGRADE_ISOLATION=landlock
    result = CliRunner().invoke(main, ["grade", str(SOLUTIONS), "--solutions", str(SOLUTIONS), "--student", "s003",
                                       "--lang", "en"])
    assert result.exit_code == 2
    text = " ".join(result.stderr.split())
    assert "offers only the landlock level" not in text  # the contradiction of the finding
    assert "runs as root" in text and "cannot read the Python installation under /root" in text
    for fix in ("chmod o+x /root", "/usr/local", "apt-get install bubblewrap", "--allow-unisolated"):
        assert fix in text
    zh = CliRunner().invoke(main, ["grade", str(SOLUTIONS), "--solutions", str(SOLUTIONS), "--student", "s003",
                                   "--lang", "zh"])
    assert zh.exit_code == 2 and "无法读取位于 /root 下的 Python 安装" in zh.stderr


@pytest.mark.skipif(not ROOT, reason="only a grader running as root must leave root")
def test_the_portable_level_with_landlock_available_blames_the_python_not_landlock(python_under_root, monkeypatch):
    monkeypatch.setattr(iso, "landlock_abi", lambda: 4)
    monkeypatch.setattr(iso, "bubblewrap_status", lambda: "missing")
    refusal = iso.IsolationRefused("portable")
    assert refusal.reason == "root_python_unreadable" and refusal.params == {"path": "/root"}


@pytest.mark.parametrize("bubblewrap, abi, expected", [
    ("missing", 0, ["bubblewrap is not installed", "this Linux kernel has no Landlock"]),
    ("broken", 0, ["bubblewrap is installed but cannot create its namespaces", "no Landlock"]),
])
def test_without_bubblewrap_or_landlock_each_is_explained(monkeypatch, bubblewrap, abi, expected):
    monkeypatch.delenv("RNNGRADE_ISOLATION", raising=False)
    monkeypatch.setattr(iso, "bubblewrap_status", lambda: bubblewrap)
    monkeypatch.setattr(iso, "landlock_abi", lambda: abi)
    refusal = iso.IsolationRefused("portable")
    assert refusal.reason == "no_isolated_level"
    text = render(refusal.message(), "en")
    for part in expected:
        assert part in text
    assert "offers only the portable level" in text  # true here: neither stronger level works
    assert ("未安装 bubblewrap" if bubblewrap == "missing" else "无法在这里创建命名空间") in render(refusal.message(), "zh")


def test_a_forced_level_is_named_as_the_cause(monkeypatch):
    monkeypatch.setenv("RNNGRADE_ISOLATION", "portable")
    monkeypatch.setattr(iso, "bubblewrap_status", lambda: "forced")
    text = render(iso.IsolationRefused("portable").message(), "en")
    assert "RNNGRADE_ISOLATION turns bubblewrap off" in text and "RNNGRADE_ISOLATION=portable turns Landlock off" in text


def test_landlock_refused_in_the_child_is_its_own_reason():
    with pytest.raises(iso.IsolationRefused) as info:
        iso.check_confined(iso.at_level("landlock"), {"failed": ["landlock"]})
    assert info.value.reason == "landlock_failed"
    assert "refused the sandboxed child's Landlock rules" in render(info.value.message(), "en")


def test_every_reason_and_part_has_its_text():
    from grader.i18n import has

    for reason in ("root_python_unreadable", "no_isolated_level", "landlock_failed"):
        assert has(f"isolation.refused_because.{reason}")
    for part in ("bwrap_ok", "bwrap_missing", "bwrap_broken", "bwrap_forced", "landlock_available",
                 "landlock_missing", "landlock_not_linux", "landlock_forced"):
        assert has(f"isolation.part.{part}")
