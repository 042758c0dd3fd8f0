"""The parsed catalogues and quiz bank kept between processes (grader/i18n/parsed_cache.py):
used only from a private folder with the package's trust, named by the files' bytes,
and never needed (a read-only install parses as before)."""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import i18n, paths
from grader.i18n import parsed_cache

ROOT = Path(__file__).resolve().parents[1]
COUNT_PARSES = (
    "import tomllib, sys\n"
    "parsed = []\n"
    "original = tomllib.loads\n"
    "def counting(text, **kw):\n"
    "    parsed.append(len(text))\n"
    "    return original(text, **kw)\n"
    "tomllib.loads = counting\n"
    "from grader import i18n\n"
    "from grader.quiz.bank import load_bank\n"
    "texts = i18n.catalog()\n"
    "bank = load_bank(sys.argv[1], with_key=True)\n"
    "print(len(parsed), len(texts), len(bank.questions))\n"
)


def _fresh(cache: Path | str, folder: Path = paths.SOLUTIONS / "quiz") -> tuple[int, int, int]:
    """In a new process: how many TOML texts were parsed, and how many texts and questions came out."""
    run = subprocess.run([sys.executable, "-c", COUNT_PARSES, str(folder)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, env=dict(os.environ, RNNGRADE_PARSED_CACHE=str(cache)))
    assert run.returncode == 0, run.stderr
    parses, texts, questions = (int(x) for x in run.stdout.split())
    return parses, texts, questions


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "rnngrade.cache" / "parsed"
    monkeypatch.setenv("RNNGRADE_PARSED_CACHE", str(folder))
    return folder


def test_by_default_the_cache_lives_beside_the_package(monkeypatch):
    monkeypatch.delenv("RNNGRADE_PARSED_CACHE", raising=False)
    folder = parsed_cache.folder()
    package = Path(parsed_cache.__file__).resolve().parents[1]  # grader/
    assert folder is not None and folder.parent == package.parent / "rnngrade.cache"
    assert not str(folder).startswith(str(package) + "/")  # never inside grader/ (pip uninstall would leave it)
    assert not str(folder).startswith(str(Path.home())) or str(package).startswith(str(Path.home()))
    monkeypatch.setenv("RNNGRADE_PARSED_CACHE", "0")
    assert parsed_cache.folder() is None


def test_a_second_start_parses_nothing_and_gets_the_same_texts(cache):
    first = _fresh(cache)
    assert first[0] > len(list((paths.SOLUTIONS / "quiz").glob("*.toml")))  # the catalogue's files and the bank's
    assert (cache.stat().st_mode & 0o777) == 0o700
    second = _fresh(cache)
    assert second == (0, first[1], first[2])
    i18n.catalog.cache_clear()
    try:
        assert i18n.catalog() == i18n._parse([(p.name, p.read_bytes()) for p in sorted(i18n._DIR.glob("*.toml"))])
    finally:
        i18n.catalog.cache_clear()


def test_a_changed_bank_file_is_parsed_again(cache, tmp_path):
    folder = tmp_path / "quiz"
    shutil.copytree(paths.SOLUTIONS / "quiz", folder)
    _fresh(cache, folder)
    target = sorted(p for p in folder.glob("*.toml") if p.name != "sections.toml")[0]
    text = target.read_text(encoding="utf-8")
    cut = text.rindex("[[question]]")
    target.write_text(text[:cut], encoding="utf-8")  # one question fewer
    parses, _, questions = _fresh(cache, folder)
    assert parses == 1
    assert questions == _fresh(cache, paths.SOLUTIONS / "quiz")[2] - 1


@pytest.mark.parametrize("how", ["group_writable_file", "open_folder", "link"])
def test_an_entry_others_could_have_written_is_never_read(cache, how):
    name = parsed_cache.digest("catalog-test", [b"x"])
    parsed_cache.write(name, {"a": "genuine"})
    assert parsed_cache.read(name) == {"a": "genuine"}
    entry = cache / name
    if how == "group_writable_file":
        entry.write_bytes(marshal.dumps({"a": "planted"}))
        entry.chmod(0o666)
    elif how == "open_folder":
        cache.chmod(0o777)
    else:
        planted = cache.parent / "planted"
        planted.write_bytes(marshal.dumps({"a": "planted"}))
        entry.unlink()
        entry.symlink_to(planted)
    assert parsed_cache.read(name) is None
    assert parsed_cache.cached(name, lambda: {"a": "parsed"}) == {"a": "parsed"}


def test_a_broken_entry_is_parsed_again_and_replaced(cache):
    name = parsed_cache.digest("catalog-test", [b"y"])
    parsed_cache.write(name, [1, 2])
    (cache / name).write_bytes(b"\xff\x00garbage")
    assert parsed_cache.cached(name, lambda: [3]) == [3]
    assert parsed_cache.read(name) == [3]


def test_an_unwritable_install_parses_at_each_start(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    parses, texts, questions = _fresh(blocked / "parsed")  # cannot be made: nothing kept, nothing fails
    assert parses > 0 and texts > 500 and questions > 0
    assert _fresh(blocked / "parsed")[0] == parses
    off = _fresh("0")
    assert off == (parses, texts, questions)


def test_a_malformed_catalogue_is_still_refused_and_not_kept(cache):
    with pytest.raises(i18n.CatalogError, match="bad.toml"):
        parsed_cache.cached(parsed_cache.digest("catalog", [b"bad"]),
                            lambda: i18n._parse([("bad.toml", b"[x\n")]))
    assert not any(cache.glob("catalog-*")) if cache.exists() else True


def test_a_changed_parser_is_a_new_entry(cache, monkeypatch):
    """The catalogue's entry is named by the code that checks it too: a checkout whose
    i18n module changed (its version number the same) never reads the old entry."""
    i18n.catalog.cache_clear()
    try:
        i18n.catalog()
        before = {p.name for p in cache.glob("catalog-*")}
        source = Path(i18n.__file__).read_bytes()
        real = Path.read_bytes
        monkeypatch.setattr(Path, "read_bytes", lambda self: source + b"\n# changed\n"
                            if self == Path(i18n.__file__) else real(self))
        i18n.catalog.cache_clear()
        i18n.catalog()
        assert len({p.name for p in cache.glob("catalog-*")} - before) == 1
    finally:
        i18n.catalog.cache_clear()
