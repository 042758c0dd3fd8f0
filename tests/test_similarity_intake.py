"""rnngrade similarity reads a class exactly as the batch does (the intake and the
snapshot): an LMS download's files are regrouped per student before comparing, a
zipped hand-in is compared from inside the archive, and a hand-in that is a link is
never followed."""

from __future__ import annotations

import zipfile

from test_similarity_hostile import GOOD

from grader.similarity import compare_class


def test_lms_files_zips_and_links_are_read_as_for_grading(tmp_path):
    folder = tmp_path / "class"
    (folder / "bob").mkdir(parents=True)
    (folder / "bob" / "layers.py").write_text(GOOD)
    (folder / "smithjohn_123_456_layers.py").write_text(GOOD)  # a Canvas download
    (folder / "smithjohn_123_457_quiz_answers.toml").write_text("[answers]\n")
    with zipfile.ZipFile(folder / "carol.zip", "w") as z:
        z.writestr("carol/layers.py", GOOD)
    (folder / "mallory").symlink_to(folder / "bob", target_is_directory=True)
    result = compare_class(folder, functions=["lstm_step_forward"])
    notes = {s.student: [n.key for n in s.notes] for s in result.students}
    assert notes == {"bob": [], "smithjohn_123": [], "carol": [], "mallory": ["intake.source_link"]}
    assert result.pair_of("bob", "smithjohn_123").score == 1.0
    assert result.pair_of("bob", "carol").score == 1.0
    assert result.pair_of("bob", "mallory") is None  # the link's target is never read
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class"]  # nothing staged beside the class
