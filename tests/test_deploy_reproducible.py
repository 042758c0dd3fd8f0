"""The release is byte-identical on every machine: numpy's CPU-dependent code paths
change the reference's last bits, never the files `rnngrade generate` writes."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import grader.generate as generate_module
from grader import paths, public_cases
from grader.generate import render_release
from grader.reference import load_reference
from grader.specs import all_exercises


def _nudge(v, direction: float):
    """Every float in ``v`` moved by one unit in the last place toward ``direction``."""
    if isinstance(v, np.ndarray) and v.dtype.kind == "f":
        return np.nextafter(v, direction)
    if isinstance(v, float):
        return float(np.nextafter(v, direction))
    if isinstance(v, tuple):
        return tuple(_nudge(x, direction) for x in v)
    if isinstance(v, list):
        return [_nudge(x, direction) for x in v]
    if isinstance(v, dict):
        return {k: _nudge(x, direction) for k, x in v.items()}
    return v


def _perturbed_reference(direction: float, scale: float = 0.0):
    def load(folder):
        functions = load_reference(folder)

        def wrap(f):
            def perturbed(*args, **kwargs):
                out = f(*args, **kwargs)
                if scale:
                    return _scaled(out, scale)
                return _nudge(out, direction)
            return perturbed
        return {name: wrap(f) for name, f in functions.items()}
    return load


def _scaled(v, factor: float):
    if isinstance(v, np.ndarray) and v.dtype.kind == "f":
        return v * factor
    if isinstance(v, float):
        return v * factor
    if isinstance(v, (tuple, list)):
        return type(v)(_scaled(x, factor) for x in v)
    return v


@pytest.fixture(scope="module")
def release_cases() -> str:
    return public_cases.dumps(generate_module.build_public_cases(paths.SOLUTIONS, all_exercises()))


def test_checked_in_public_cases_are_what_generate_writes(release_cases):
    assert (paths.EXERCISES / public_cases.FILENAME).read_text(encoding="utf-8") == release_cases


@pytest.mark.parametrize("direction", [np.inf, -np.inf])
def test_one_ulp_in_every_reference_output_changes_no_byte(monkeypatch, release_cases, direction):
    monkeypatch.setattr(generate_module, "load_reference", _perturbed_reference(direction))
    assert public_cases.dumps(generate_module.build_public_cases(paths.SOLUTIONS, all_exercises())) == release_cases


def test_a_real_change_of_the_reference_does_change_the_file(monkeypatch, release_cases):
    # The rounding keeps what the checks need: an error of 1e-7 relative is visible.
    monkeypatch.setattr(generate_module, "load_reference", _perturbed_reference(0.0, scale=1 + 1e-7))
    assert public_cases.dumps(generate_module.build_public_cases(paths.SOLUTIONS, all_exercises())) != release_cases


def _dispatched_cpu_features() -> list[str]:
    """numpy's run-time dispatched SIMD features this CPU has (disabling them makes numpy
    take the code paths of an older CPU)."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy 1.x
        from numpy.core import _multiarray_umath as umath
    have = getattr(umath, "__cpu_features__", {})
    return [f for f in getattr(umath, "__cpu_dispatch__", []) if have.get(f)]


def test_another_cpus_code_paths_write_the_same_release(tmp_path):
    """Generate in a process whose numpy uses only its baseline SIMD code and whose
    OpenBLAS uses an old generic kernel (another machine, as far as one can be
    simulated here): exercises/ must come out byte for byte the same."""
    features = _dispatched_cpu_features()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if features:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(features)
    if sys.platform.startswith("linux") and os.uname().machine == "x86_64":
        env["OPENBLAS_CORETYPE"] = "Prescott"
    out = tmp_path / "exercises"
    subprocess.run([sys.executable, "-m", "grader.cli", "generate", "--solutions", str(paths.SOLUTIONS),
                    "--out", str(out)], env=env, check=True, capture_output=True, timeout=300)
    for rel, text in render_release(paths.SOLUTIONS).items():
        assert (out / rel).read_text(encoding="utf-8") == text, rel


def test_rounding_keeps_types_and_drops_noise():
    a = np.array([[1.0 / 3, -2.0e-17], [3.0e-17, 123456.78901234567]])
    q = public_cases.round_outputs({"x": a, "n": np.arange(3), "eps": 1e-5, "mode": "train", "t": (0.1 + 0.2,)})
    assert q["x"].dtype == np.float64 and q["x"].shape == (2, 2)
    assert q["x"][0, 0] == 0.3333333333 and q["x"][1, 1] == 123456.789
    assert q["x"][0, 1] == 0.0 and q["x"][1, 0] == 0.0 and not np.signbit(q["x"][0, 1])
    assert q["n"].dtype == np.arange(3).dtype and q["eps"] == 1e-5 and q["mode"] == "train"
    assert q["t"] == (0.3,)
    assert np.isnan(public_cases.round_outputs(np.nan)) and public_cases.round_outputs(-np.inf) == -np.inf
    rng = np.random.default_rng(0)
    x = rng.standard_normal(10000) * 10.0 ** rng.integers(-8, 5, 10000)
    for rounding, rel, floor in ((public_cases.round_outputs, 5e-10, 5e-13),
                                 (public_cases.round_inputs, 2.0 ** -public_cases.INPUT_BITS, 2.0 ** -40)):
        once = rounding(x)
        assert np.array_equal(rounding(once), once)  # idempotent
        assert np.all(np.abs(once - x) <= rel * np.abs(x) + floor)
    binary = public_cases.round_inputs(np.array([1.0 / 3, np.pi * 1e-16, -2.5, 1e-5, 0.9]))
    assert binary[0] * 2.0 ** 35 == round(binary[0] * 2.0 ** 35) and binary[1] == 0.0
    assert list(binary[2:]) == [-2.5, 1e-5, 0.9]  # short decimals (constants) stay as they are
