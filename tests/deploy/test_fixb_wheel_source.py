"""`pip install .` then `rnngrade release` / `gradescope build` in the clone: the
installed-from-a-wheel rnngrade builds the wheel it ships from the checkout it runs in
(and says so); outside any checkout it says exactly what to do."""

from __future__ import annotations

import zipfile

from deploykit import clean_env, run


def test_installed_from_wheel_builds_from_the_checkout_it_runs_in(wheel_env, source_copy, tmp_path):
    rnngrade = str(wheel_env / "rnngrade")
    # No network in the test: pip builds with this environment's setuptools
    # (pip reads PIP_NO_BUILD_ISOLATION inverted: "0" turns isolation off).
    env = clean_env(PIP_NO_BUILD_ISOLATION="0", PIP_NO_INDEX="1", RNNGRADE_LANG="en")
    out = tmp_path / "gs" / "autograder.zip"
    out.parent.mkdir()
    proc = run([rnngrade, "gradescope", "build", "--out", str(out)], cwd=source_copy, env=env)
    assert f"checkout of rnngrade that holds the course folder: {source_copy}" in proc.stderr
    with zipfile.ZipFile(out) as z:
        assert any(n.startswith("rnngrade-") and n.endswith(".whl") for n in z.namelist())


def test_outside_a_checkout_the_message_says_what_to_do(wheel_env, tmp_path):
    rnngrade = str(wheel_env / "rnngrade")
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    for lang, words in (("en", ["--wheel FILE", "inside the rnngrade checkout", str(tmp_path)]),
                        ("zh", ["--wheel FILE", "源码目录", str(tmp_path)])):
        proc = run([rnngrade, "release", "--out", str(tmp_path / "rel2"), "--course", str(course)],
                   cwd=tmp_path, env=clean_env(RNNGRADE_LANG=lang), check=False)
        assert proc.returncode != 0
        for word in words:
            assert word in proc.stderr, (word, proc.stderr)
        assert "no source to build one from" not in proc.stderr


def test_course_folder_inside_a_checkout_comes_first(source_copy, tmp_path, monkeypatch):
    from grader.deploy import wheel

    monkeypatch.setattr("grader.package_data.source_checkout", lambda: None)  # as if installed from a wheel
    course = source_copy / "examples"
    assert wheel.find_source(course, tmp_path) == wheel.Source(source_copy, "course")
    assert wheel.find_source(None, source_copy / "grader" / "report") == wheel.Source(source_copy, "cwd")
    # a pyproject of another project is no checkout of rnngrade
    other = tmp_path / "other"
    (other / "grader").mkdir(parents=True)
    (other / "pyproject.toml").write_text('[project]\nname = "something-else"\n')
    try:
        wheel.find_source(other, other)
    except wheel.WheelError as exc:
        assert exc.message is not None and exc.message.key == "fixb.wheel_no_source"
    else:
        raise AssertionError("no checkout of rnngrade, yet a source was found")
