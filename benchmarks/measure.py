"""What the benchmarks share: the machine's load, and the CPU of a whole process tree.

A command's CPU is counted in a cgroup v2 leaf of its own (``cpu.stat``'s
``usage_usec`` counts every process that ever ran in the leaf or below it, the
sandboxed child under bubblewrap included, which ``RUSAGE_CHILDREN`` cannot see: it is
reaped inside its PID namespace). Where no cgroup v2 hierarchy is writable, the
figure falls back to ``RUSAGE_CHILDREN`` and says so (``cpu_source``).
"""

from __future__ import annotations

import os
import resource
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def load() -> str:
    """The 1-minute load average and the number of cores, e.g. ``load 1.52/2``."""
    one = os.getloadavg()[0]
    return f"load {one:.2f}/{os.cpu_count()}"


def _cgroup2() -> Path | None:
    root = None
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            if " - cgroup2 " in line:
                root = Path(line.split()[4])
                break
    if root is None:
        return None
    with open("/proc/self/cgroup", encoding="utf-8") as f:
        own = next((line[3:].strip() for line in f if line.startswith("0::")), None)
    if own is None:
        return None
    parent = root / own.lstrip("/")
    return parent if os.access(parent, os.W_OK) else None


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # seconds, the whole process tree
    cpu_source: str  # "cgroup" or "rusage (children reaped outside a PID namespace only)"
    peak_rss_mb: float  # the largest process of the tree that this process reaped (ru_maxrss)
    returncode: int
    stdout: str


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> Run:
    """Run ``cmd`` to its end in a cgroup leaf of its own; wall and whole-tree CPU."""
    parent = _cgroup2()
    leaf = None
    if parent is not None:
        leaf = parent / f"rnngrade-bench-{os.getpid()}-{secrets.token_hex(3)}"
        try:
            leaf.mkdir()
        except OSError:
            leaf = None

    def enter() -> None:
        if leaf is not None:
            (leaf / "cgroup.procs").write_text("0")

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, preexec_fn=enter, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if leaf is not None:
        stat = dict(line.split() for line in (leaf / "cpu.stat").read_text().splitlines())
        cpu, source = int(stat["usage_usec"]) / 1e6, "cgroup"
        for _ in range(50):  # the sandbox's own cgroups below the leaf are gone once the grader ends
            try:
                leaf.rmdir()
                break
            except OSError:
                time.sleep(0.02)
    else:
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        source = "rusage (children reaped outside a PID namespace only)"
    return Run(wall, cpu, source, after.ru_maxrss / 1024, proc.returncode, proc.stdout + proc.stderr)
