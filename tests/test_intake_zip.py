"""A .zip hand-in is read in memory with limits: zip-slip paths, links and special
members, nested archives, bombs (size, ratio, member count) are skipped with a
notice, and a normal zip grades exactly like the folder it was made from."""

from __future__ import annotations

import io
import stat
import warnings
import zipfile
from pathlib import Path

from support import SOLUTIONS, grade_official, mutant

from grader.submission import IntakeLimits, prepare, take_snapshot


def _zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]],
         compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return path


def _unix(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def _notices(snap) -> dict[str, dict]:
    return {n.key: n.params for n in snap.notices}


def test_a_zipped_folder_grades_like_the_folder(tmp_path):
    folder = mutant(tmp_path / "alice", {})
    members = [(f"alice/{p.name}", p.read_bytes()) for p in sorted(folder.glob("*.py"))]
    archive = _zip(tmp_path / "alice.zip", members + [("alice/notes/", b"")])
    snap = take_snapshot(archive)
    assert snap.kind == "zip" and snap.notices == []
    assert snap.paths == sorted(p.name for p in folder.glob("*.py"))  # the wrapping folder is removed
    assert snap.fingerprint == take_snapshot(folder).fingerprint
    zipped, plain = grade_official(archive, "relu", "net"), grade_official(folder, "relu", "net")
    assert zipped.score == plain.score == plain.max_score  # bp_network's `from layers import` still works


def test_zip_slip_paths_are_skipped(tmp_path):
    layers = (SOLUTIONS / "layers.py").read_bytes()
    archive = _zip(tmp_path / "s.zip", [("layers.py", layers), ("../evil.py", b"raise SystemExit"),
                                         ("/abs/evil2.py", b"x"), ("a/../../evil3.py", b"x"),
                                         ("C:\\win\\evil4.py", b"x"), ("ok\\win_style.py", b"X = 1\n")])
    snap = take_snapshot(archive)
    assert snap.paths == ["layers.py", "ok/win_style.py"]
    assert _notices(snap)["intake.unsafe_path"]["count"] == 4
    assert not (tmp_path.parent / "evil.py").exists()
    result = grade_official(archive, "relu")
    assert result.score == result.max_score


def test_link_and_special_members_are_skipped(tmp_path):
    archive = _zip(tmp_path / "l.zip", [
        (_unix("layers.py", stat.S_IFLNK | 0o777), str(SOLUTIONS / "layers.py").encode()),
        (_unix("env.py", stat.S_IFLNK | 0o777), b"/proc/self/environ"),
        (_unix("pipe.py", stat.S_IFIFO | 0o644), b""),
        (_unix("dev.py", stat.S_IFCHR | 0o644), b""),
        (_unix("real.py", stat.S_IFREG | 0o644), b"X = 1\n"),
    ])
    snap = take_snapshot(archive)
    assert snap.paths == ["real.py"]
    assert _notices(snap)["intake.link"]["count"] == 2 and _notices(snap)["intake.special"]["count"] == 2
    assert grade_official(archive, "relu").score == 0


def test_nested_archives_are_not_opened(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("layers.py", (SOLUTIONS / "layers.py").read_bytes())
    archive = _zip(tmp_path / "n.zip", [("inner.zip", inner.getvalue()), ("more/x.tar.gz", b"...")])
    snap = take_snapshot(archive)
    assert snap.files == () and _notices(snap)["intake.nested_archive"]["count"] == 2


def test_zip_bombs_are_refused(tmp_path):
    zeros = b"\0" * (3 << 20)
    archive = _zip(tmp_path / "b.zip", [("big.py", zeros), ("ratio.py", b"#" * (1 << 20)), ("ok.py", b"X = 1\n")])
    snap = take_snapshot(archive)
    assert snap.paths == ["ok.py"]
    assert _notices(snap)["intake.too_large"]["files"] == "big.py"  # declared size over the cap: not inflated
    assert _notices(snap)["intake.zip_bomb"]["files"] == "ratio.py"  # 1 MB from a few hundred bytes
    # The total of everything inflated is capped too.
    many = _zip(tmp_path / "t.zip", [(f"m{i}.py", bytes([65 + i]) * 4000) for i in range(8)], zipfile.ZIP_STORED)
    snap = take_snapshot(many, IntakeLimits(max_total_bytes=10_000))
    assert len(snap.files) == 2 and _notices(snap)["intake.total_too_large"]["count"] == 6


def test_member_count_is_checked_before_parsing(tmp_path):
    members = [(f"f{i}.py", b"") for i in range(300)]
    archive = _zip(tmp_path / "c.zip", members, zipfile.ZIP_STORED)
    snap = take_snapshot(archive, IntakeLimits(max_entries=200))
    assert snap.files == ()
    assert _notices(snap)["intake.too_many_members"]["count"] == 300
    # The end record may lie about the count: the central directory's size gives it away.
    data = bytearray(archive.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    data[at + 8: at + 12] = (1).to_bytes(2, "little") * 2
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bytes(data))
    snap = take_snapshot(liar, IntakeLimits(max_entries=20))
    assert snap.files == () and "intake.too_many_members" in _notices(snap)


def _mark_encrypted(path: Path, name: bytes) -> None:
    """Set the 'encrypted' flag of a member in the central directory (zipfile cannot write one)."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = int.from_bytes(data[at + 28: at + 30], "little")
        if data[at + 46: at + 46 + length] == name:
            data[at + 8] |= 0x1
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def test_encrypted_duplicate_and_corrupt_members(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
        archive = _zip(tmp_path / "e.zip", [("secret.py", b"X = 1\n"), ("dup.py", b"A = 1\n"), ("dup.py", b"A = 2\n")])
    _mark_encrypted(archive, b"secret.py")
    snap = take_snapshot(archive)
    assert snap.paths == ["dup.py"] and snap.files[0].data == b"A = 1\n"
    assert "intake.encrypted" in _notices(snap) and "intake.duplicate" in _notices(snap)
    corrupt = bytearray(_zip(tmp_path / "c.zip", [("m.py", b"X = 1\n" * 100)], zipfile.ZIP_STORED).read_bytes())
    corrupt[100] ^= 0xFF  # inside the member's data: its CRC no longer matches
    (tmp_path / "c.zip").write_bytes(bytes(corrupt))
    snap = take_snapshot(tmp_path / "c.zip")
    assert snap.files == () and "intake.bad_member" in _notices(snap)
    (tmp_path / "junk.zip").write_bytes(b"this is not a zip at all")
    assert "intake.bad_archive" in _notices(take_snapshot(tmp_path / "junk.zip"))


def test_an_archive_over_its_cap_is_not_read(tmp_path):
    archive = _zip(tmp_path / "a.zip", [("m.py", b"X = 1\n")])
    snap = take_snapshot(archive, IntakeLimits(max_archive_bytes=50))
    assert snap.kind == "missing" and "intake.archive_too_large" in _notices(snap)
    link = tmp_path / "link.zip"
    link.symlink_to(archive)
    assert "intake.source_link" in _notices(take_snapshot(link))


def test_a_file_and_a_folder_of_the_same_name(tmp_path):
    archive = _zip(tmp_path / "c.zip", [("a.py", b"A = 1\n"), ("a.py/b.py", b"B = 1\n"), ("ok.py", b"X = 1\n")])
    prepared = prepare(archive)
    try:
        assert [m.relpath for m in prepared.modules] == ["a.py", "ok.py"]
        assert _notices(prepared)["intake.path_conflict"]["files"] == "a.py/b.py"
    finally:
        prepared.cleanup()


def test_upper_case_zip_suffix(tmp_path):
    archive = _zip(tmp_path / "HW.ZIP", [("m.py", b"X = 1\n")])
    assert take_snapshot(archive).paths == ["m.py"]
