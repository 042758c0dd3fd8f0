"""The child's harness compiled once and kept (grader.sandbox.harness): used only while
the cache is private and matches the sources; otherwise the child runs the source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.sandbox import harness as H
from grader.sandbox.session import Sandbox


@pytest.fixture()
def copy(tmp_path, monkeypatch):
    """The harness's sources in a folder of their own (its cache beside them)."""
    here = tmp_path / "site" / "pkg" / "sandbox"
    here.mkdir(parents=True)
    for name in ("child", *H.SIBLINGS):
        shutil.copy(H.HERE / f"{name}.py", here / f"{name}.py")
    monkeypatch.setattr(H, "HERE", here)
    monkeypatch.setattr(H, "SOURCE", here / "child.py")
    monkeypatch.delenv("RNNGRADE_HARNESS_CACHE", raising=False)
    return here


def test_compiled_once_with_its_siblings_in_a_private_folder(copy):
    script = H.harness()
    assert script.suffix == ".pyc" and script.parent.parent == copy.parent.parent / "rnngrade.cache"
    assert (script.parent.stat().st_mode & 0o777) == 0o700
    assert sorted(p.name for p in script.parent.iterdir()) == ["child.pyc", "confine.pyc", "forkserver.pyc", "wire.pyc"]
    before = script.stat().st_mtime_ns
    assert H.harness() == script and script.stat().st_mtime_ns == before  # kept, not compiled again


def test_an_edited_source_never_runs_an_old_file(copy):
    old = H.harness()
    with open(copy / "wire.py", "a") as f:
        f.write("\n# edited\n")
    new = H.harness()
    assert new.suffix == ".pyc" and new.parent != old.parent


def test_a_folder_others_could_write_is_not_used(copy):
    script = H.harness()
    os.chmod(script.parent, 0o777)
    assert H.harness() == copy / "child.py"


@pytest.mark.parametrize("spoil", ["writable", "link"])
def test_a_file_others_could_have_written_is_compiled_again(copy, spoil, tmp_path):
    script = H.harness()
    victim = script.with_name("confine.pyc")
    if spoil == "writable":
        os.chmod(victim, 0o666)
        victim.write_bytes(b"planted")
    else:
        planted = tmp_path / "planted.pyc"
        planted.write_bytes(b"planted")
        victim.unlink()
        victim.symlink_to(planted)
    assert H.harness() == script
    assert not victim.is_symlink() and (victim.stat().st_mode & 0o777) == 0o644
    assert victim.read_bytes() != b"planted" and (tmp_path / "planted.pyc").exists() == (spoil == "link")


def test_turned_off(copy, monkeypatch):
    monkeypatch.setenv("RNNGRADE_HARNESS_CACHE", "0")
    assert H.harness() == copy / "child.py"
    assert not (copy.parent.parent / "rnngrade.cache").exists()


def test_a_package_that_cannot_be_written_runs_the_source(copy):
    if os.geteuid() == 0:
        (copy.parent.parent / "rnngrade.cache").write_text("not a folder")  # root writes anywhere: block it otherwise
    else:
        os.chmod(copy.parent.parent, 0o555)
    assert H.harness() == copy / "child.py"


def test_the_compiled_harness_runs_and_loads_its_compiled_siblings(copy):
    script = H.harness()
    out = subprocess.run([sys.executable, "-I", "-B", "-c",
                          "import runpy, sys; sys.argv = [sys.argv[1]]; "
                          "g = runpy.run_path(sys.argv[0], run_name='not_main'); "
                          "print(g['W'].__spec__.origin, g['C'].__spec__.origin)", str(script)],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(script.with_name("wire.pyc")), str(script.with_name("confine.pyc"))]


def test_a_real_child_runs_from_the_cache(tmp_path):
    (tmp_path / "m.py").write_text("def f(x):\n    return x + 1\n")
    from grader.submission import prepare

    prepared = prepare(tmp_path / "m.py")
    box = Sandbox(prepared.root, prepared.modules, ["f"])
    try:
        assert box.start().ok
        assert box.call_many([__import__("grader.calls").calls.Call("f", (1,))])[0].value == 2
        cmdline = Path(f"/proc/{box._proc.pid}/cmdline").read_bytes().split(b"\0")
        assert any(part.endswith(b"child.pyc") for part in cmdline)
    finally:
        box.close()
        prepared.cleanup()
