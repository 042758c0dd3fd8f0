"""Read a ``.zip`` hand-in in memory, with limits; nothing is extracted to disk.

A member is skipped, and said so once per reason, when its path could leave the
submission (absolute, a drive letter, ``..``: zip-slip), when it is a link or a
special file, a nested archive (never opened), encrypted or unreadable, when its
size is over the cap, or when it inflates more than ``max_ratio`` times (a zip
bomb). Sizes in a zip's headers are not trusted: a member is inflated to at most
its cap + 1 bytes, and all inflating together stops at twice the total cap. The
number of members is read from the end record before :mod:`zipfile` parses the
central directory, so a zip of a million empty members is refused at once.

Zipping a folder puts everything under one top-level folder (``alice/layers.py``);
that folder is removed, so modules import each other as they did on the student's
machine.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile

from ..untrusted import clean
from .notices import Notice, Skips
from .snapshot import IntakeLimits, SnapshotFile, display, escaped, skipped_dir, wanted

ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".whl", ".egg")
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_MIN_ENTRY = 46  # bytes of a central-directory entry without its name
_BOMB_FLOOR = 64 << 10  # ratios are judged above this size (tiny files compress oddly)


def _declared_entries(data: bytes) -> tuple[int, int] | None:
    """(entries, central-directory bytes) from the end record, or None if there is none."""
    at = data.rfind(_EOCD, max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or at + 22 > len(data):
        return None
    entries, size = struct.unpack("<HI", data[at + 10: at + 16])
    locator = at - 20
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and locator >= 0 and data[locator:locator + 4] == _ZIP64_LOCATOR:
        (offset,) = struct.unpack("<Q", data[locator + 8: locator + 16])
        if offset + 56 <= len(data):
            entries, size = struct.unpack("<QQ", data[offset + 32: offset + 48])
    return entries, size


def _safe_parts(name: str) -> list[str] | None:
    """The member's path as parts, or None when it would leave the submission."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return parts


def _member_kind(info: zipfile.ZipInfo) -> str:
    """'file', 'dir', 'link' or 'special', from the Unix mode a zip may carry."""
    if info.is_dir():
        return "dir"
    mode = info.external_attr >> 16
    if info.create_system != 3 or stat.S_IFMT(mode) == 0 or stat.S_ISREG(mode):
        return "file"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    return "special"


def read_zip(data: bytes, shown: str, limits: IntakeLimits) -> tuple[list[SnapshotFile], list[Notice]]:
    """The graded files of a zip held in ``data``, with notices."""
    declared = _declared_entries(data)
    if declared is None:
        return [], [Notice("intake.bad_archive", {"file": shown})]
    entries, cd_bytes = declared
    if entries > limits.max_entries or cd_bytes > limits.max_entries * (_MIN_ENTRY + 256):
        return [], [Notice("intake.too_many_members", {"file": shown, "count": entries, "limit": limits.max_entries})]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception:  # zipfile raises many kinds on a corrupt archive
        return [], [Notice("intake.bad_archive", {"file": shown})]
    skips = Skips()
    chosen: list[tuple[zipfile.ZipInfo, list[str]]] = []
    for info in members[: limits.max_entries]:
        kind = _member_kind(info)
        parts = _safe_parts(info.filename)
        if parts is None:
            skips.add("intake.unsafe_path", display(info.filename))
            continue
        if not parts or kind == "dir" or any(skipped_dir(p) for p in parts[:-1]) or parts[-1].startswith("."):
            continue
        if kind != "file":
            skips.add("intake.link" if kind == "link" else "intake.special", display("/".join(parts)))
            continue
        chosen.append((info, parts))
    # One folder around everything (a zipped folder): remove it.
    tops = {parts[0] for _, parts in chosen}
    if len(tops) == 1 and all(len(parts) > 1 for _, parts in chosen):
        chosen = [(info, parts[1:]) for info, parts in chosen]
    files: list[SnapshotFile] = []
    seen: set[str] = set()
    total = inflated = 0
    for info, parts in sorted(chosen, key=lambda c: (len(c[1]), c[1])):
        raw = "/".join(parts)
        rel = clean(raw)  # the path every later stage uses (see snapshot.escaped)
        shown_rel = display(raw)
        name = parts[-1]
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            skips.add("intake.nested_archive", shown_rel)
            continue
        if not wanted(name):
            continue
        if len(parts) - 1 > limits.max_depth:
            skips.add("intake.too_deep", shown_rel, limit=limits.max_depth)
        elif rel in seen:
            skips.add("intake.duplicate", shown_rel)
        elif info.flag_bits & 0x1:
            skips.add("intake.encrypted", shown_rel)
        elif len(files) >= limits.max_files:
            skips.add("intake.too_many_files", shown_rel, limit=limits.max_files)
        elif inflated > 2 * limits.max_total_bytes:
            skips.add("intake.total_too_large", shown_rel, limit_mb=limits.max_total_bytes >> 20)
        else:
            cap = limits.cap(name)
            key = "intake.notebook_too_large" if name.endswith(".ipynb") else "intake.too_large"
            if info.file_size > cap:
                skips.add(key, shown_rel, limit_kb=cap >> 10)
                continue
            if info.file_size > _BOMB_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                skips.add("intake.zip_bomb", shown_rel, ratio=limits.max_ratio)
                continue
            try:
                with archive.open(info) as member:
                    content = member.read(cap + 1)
            except Exception:  # CRC errors, unsupported methods, truncated data
                skips.add("intake.bad_member", shown_rel)
                continue
            inflated += len(content)
            if len(content) > cap:
                skips.add(key, shown_rel, limit_kb=cap >> 10)
            elif len(content) > _BOMB_FLOOR and len(content) > limits.max_ratio * max(info.compress_size, 1):
                skips.add("intake.zip_bomb", shown_rel, ratio=limits.max_ratio)
            elif total + len(content) > limits.max_total_bytes:
                skips.add("intake.total_too_large", shown_rel, limit_mb=limits.max_total_bytes >> 20)
            else:
                seen.add(rel)
                total += len(content)
                files.append(SnapshotFile(rel, content))
                if escaped(raw):
                    skips.add("intake.bad_name", shown_rel)
    notices = skips.notices()
    if len(members) > limits.max_entries:
        notices.append(Notice("intake.too_many_entries", {"limit": limits.max_entries}))
    return files, notices
