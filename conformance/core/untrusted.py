"""Files others hand over (profiles, keys, waivers, results, signatures, reports, transcripts,
packages), read at one edge: regular files only, a size cap per kind, bounded nesting and bounded
archives; every refusal is one error line naming the file, what is wrong and the fix."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.core.errors import ConfigError

MiB = 1 << 20
# The most each kind of file may hold. A default run writes results of ~0.3 MB, a report of
# ~0.8 MB and a transcript of ~5 MB; a run against a hostile target ~3 MB of results and a 7.6 MB
# report. Each cap leaves ten times that or more; docs/report.md lists them.
TOML_BYTES = 1 * MiB  # a profile or a waiver file: a few KiB
KEY_BYTES = 1 * MiB  # a PEM key: a few KiB
SIGNATURE_BYTES = 8 * 1024  # a signature document: a few hundred bytes
MANIFEST_BYTES = 1 * MiB  # a package's manifest: a few hundred bytes
RESULTS_BYTES = 64 * MiB
REPORT_BYTES = 192 * MiB  # embeds its results in base64 beside the sections rendered from them
JUNIT_BYTES = 64 * MiB
TRANSCRIPT_BYTES = 256 * MiB
PACKAGE_BYTES = 256 * MiB  # the zip itself
UNPACKED_BYTES = 512 * MiB  # all members of a package together, decompressed
MEMBERS = 16  # a package holds seven files
NESTING = 64  # JSON and TOML depth; a results document nests 11 deep
_CHUNK = 1 * MiB
_MEMBER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_EOCD, _EOCD64_LOCATOR = b"PK\x05\x06", b"PK\x06\x07"
# A central directory of MEMBERS entries with names of at most 64 bytes stays far below this.
_DIRECTORY_BYTES = 64 * 1024
# zipfile reports a broken or unsupported archive through each of these.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
)
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _size(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n} bytes"


def read(
    path: Path,
    *,
    limit: int,
    what: str,
    error: type[ConfigError] = ConfigError,
    fix: str = "give the path of a regular file",
) -> bytes:
    """At most `limit` bytes of a regular file; anything else raises `error(what, ...)`."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise error(what, f"cannot be read ({exc.strerror or exc})", fix) from None
    too_big = f"is larger than {_size(limit)}, more than such a file ever holds"
    parts: list[bytes] = []
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            kind = next((k for test, k in _KINDS if test(found.st_mode)), "not a regular file")
            raise error(what, f"is {kind}, not a regular file", fix)
        if found.st_size > limit:
            raise error(what, too_big, fix)
        # Read to limit + 1 whatever the size stated: a file may still be growing.
        left = limit + 1
        while left > 0 and (chunk := os.read(fd, min(left, _CHUNK))):
            parts.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise error(what, f"cannot be read ({exc.strerror or exc})", fix) from None
    finally:
        os.close(fd)
    if left <= 0:
        raise error(what, too_big, fix)
    return b"".join(parts)


def depth(value: object) -> int:
    """How deep lists and mappings nest in value (a scalar is 0), counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if level > NESTING:
            break
        stack.extend((c, level + 1) for c in children if isinstance(c, (Mapping, list)))
    return deepest


def load_json(
    raw: bytes | str,
    what: str,
    error: type[ConfigError] = ConfigError,
    fix: str = "give the file this tool wrote",
) -> Any:
    """Parsed JSON nesting at most NESTING deep; anything else raises `error(what, ...)`."""
    try:
        doc = json.loads(raw)
    except RecursionError:
        raise error(what, f"nests deeper than {NESTING} levels, not a document of this tool", fix)
    except (ValueError, UnicodeDecodeError) as exc:
        raise error(what, f"is not JSON ({str(exc)[:120]})", fix) from None
    if depth(doc) > NESTING:
        raise error(what, f"nests deeper than {NESTING} levels, not a document of this tool", fix)
    return doc


def _directory_bounded(data: bytes, what: str, error: type[ConfigError], fix: str) -> None:
    """Refuse a zip whose central directory could describe more than a few members, before
    zipfile builds one object per entry it lists (found as zipfile finds it)."""
    tail = data[-(0xFFFF + 22) :]
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise error(what, "is not a readable zip archive (no end of central directory)", fix)
    entries, size = struct.unpack("<xxxxxxxxxxHI", tail[at : at + 16])
    # The zip64 locator stands just before the end record, where zipfile looks for it.
    before = data[len(data) - len(tail) + at - 20 : len(data) - len(tail) + at - 16]
    if before == _EOCD64_LOCATOR or entries > MEMBERS or size > _DIRECTORY_BYTES:
        raise error(what, f"lists more than {MEMBERS} files, more than a package holds", fix)


def read_zip(
    data: bytes,
    limits: Mapping[str, int],
    what: str,
    *,
    other: int = MANIFEST_BYTES,
    error: type[ConfigError] = ConfigError,
    fix: str = "give the package `conformance package` wrote",
) -> list[tuple[str, bytes]]:
    """(name, bytes) of every member of a flat zip archive, in its order, each at most its limit
    (by name; `other` for names not in limits), together at most UNPACKED_BYTES, decompressed in
    chunks so that no declared size is trusted."""
    _directory_bounded(data, what, error, fix)
    out: list[tuple[str, bytes]] = []
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if len(z.infolist()) > MEMBERS:
                raise error(
                    what, f"lists more than {MEMBERS} files, more than a package holds", fix
                )
            for info in z.infolist():
                name = info.filename
                if not _MEMBER_NAME.fullmatch(name) or ".." in name:
                    raise error(what, f"holds a file named {name[:80]!r}, not a package's", fix)
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    # Only deflate inflates a bounded amount per read; a package is deflated.
                    raise error(
                        what, f"holds {name} compressed with method {info.compress_type}", fix
                    )
                out.append((name, _member(z, info, limits.get(name, other), what, error, fix)))
                total += len(out[-1][1])
                if total > UNPACKED_BYTES:
                    raise error(what, f"unpacks to more than {_size(UNPACKED_BYTES)}", fix)
    except _ZIP_ERRORS as exc:
        raise error(what, f"is not a readable zip archive ({str(exc)[:120]})", fix) from None
    return out


def _member(
    z: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limit: int,
    what: str,
    error: type[ConfigError],
    fix: str,
) -> bytes:
    """One member, decompressed a chunk at a time and refused past its limit."""
    too_big = f"holds {info.filename} unpacking to more than {_size(limit)}"
    if info.file_size > limit:
        raise error(what, too_big, fix)
    parts, total = [], 0
    with z.open(info) as f:
        while chunk := f.read(_CHUNK):
            total += len(chunk)
            if total > limit:
                raise error(what, too_big, fix)
            parts.append(chunk)
    return b"".join(parts)
