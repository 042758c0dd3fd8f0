"""The bubblewrap command line: the sandbox's own mount points never hide the
Python installation (a venv under /work once made every child fail to start)."""

from __future__ import annotations

from pathlib import Path

from grader.sandbox import isolation as iso


def _inside(a: str, b: str) -> bool:
    return a == b or a.startswith(b.rstrip("/") + "/")


def test_sandbox_mount_points_do_not_shadow_the_python_installation(tmp_path):
    roots = [str(r) for r in iso._python_roots()]
    for target in (iso.HARNESS_IN_SANDBOX, iso.SUBMISSION_IN_SANDBOX, iso.WORKDIR_IN_SANDBOX):
        for root in roots:
            assert not _inside(root, target) and not _inside(target, root), (target, root)
    cmd = iso.bubblewrap_command(Path("/x/child.py"), tmp_path, tmp_path, 3)
    assert cmd[cmd.index("--chdir") + 1] == iso.WORKDIR_IN_SANDBOX
