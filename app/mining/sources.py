"""Opening an uploaded file: unwrapping .gz and .zip safely and telling CSV, XES, Parquet apart."""

from __future__ import annotations

import errno
import gzip
import hashlib
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from app.lib.errors import InvalidEventLog, PayloadTooLarge
from app.lib.shown import shown
from app.mining.options import ImportLimits

__all__ = [
    "Head",
    "Source",
    "copy_upload",
    "file_sha256",
    "head_format",
    "open_source",
    "read_head",
]

Format = Literal["csv", "xes", "parquet"]
CHUNK = 1024 * 1024
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Source:
    """The plain content of an uploaded file, on disk."""

    name: str
    """The file name to use in messages (as the user gave it)."""
    path: Path
    """Where the plain (decompressed) content is."""
    format: Format
    wrapper: str | None
    """``gzip`` or ``zip`` when the upload was compressed."""
    size: int
    """Bytes of plain content."""


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _copy_limited(
    source: _Readable,
    target: BinaryIO,
    name: str,
    compressed_size: int,
    limits: ImportLimits,
    progress: Progress | None,
) -> int:
    """Copy decompressed bytes, stopping at the absolute and ratio limits."""
    written = 0
    while chunk := source.read(CHUNK):
        written += len(chunk)
        if written > limits.max_decompressed_bytes:
            raise PayloadTooLarge(
                f"{name}: the file expands to more than {limits.max_decompressed_bytes:,} bytes, "
                "the most an import may hold."
            )
        if (
            written > limits.ratio_grace_bytes
            and written > compressed_size * limits.max_compression_ratio
        ):
            raise PayloadTooLarge(
                f"{name}: the file expands more than {limits.max_compression_ratio} times its "
                "compressed size, which is refused as a likely decompression bomb."
            )
        target.write(chunk)
        if progress:
            progress(written)
    return written


def _detect_format(path: Path, name: str, shown: str | None = None) -> Format:
    with path.open("rb") as handle:
        head = handle.read(4096)
    return head_format(head, name, shown)


def head_format(head: bytes, name: str, shown: str | None = None) -> Format:
    """The format of a log told from its first bytes (4 KiB are enough) and its name.

    Raises:
        InvalidEventLog: there are no bytes.
    """
    head = head[:4096]
    if not head:
        raise InvalidEventLog(f"{shown or name}: the file is empty.")
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            text = head[len(bom) :].decode(encoding, errors="ignore").encode()
            break
    if text.lstrip().startswith(b"<"):
        return "xes"
    lowered = name.lower()
    if lowered.endswith((".xes", ".xes.gz", ".xml")):
        return "xes"
    return "csv"


@contextmanager
def open_source(
    path: Path,
    name: str | None = None,
    limits: ImportLimits | None = None,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> Iterator[Source]:
    """The plain content of an uploaded file; temporary files are removed on exit.

    Args:
        path: the uploaded file.
        name: the name to use in messages (default: the path).
        limits: decompression limits.
        workdir: where to expand compressed files (default: the system temp folder).
        progress: called with the number of bytes expanded so far.

    Raises:
        InvalidEventLog: the file is empty, a damaged archive, or a zip without exactly one log.
        PayloadTooLarge: the content expands beyond the limits.
    """
    name = name or str(path)
    limits = limits or ImportLimits()
    with path.open("rb") as handle:
        magic = handle.read(4)
    if not magic:
        raise InvalidEventLog(f"{name}: the file is empty.")
    if magic[:2] == b"\x1f\x8b":
        wrapper = "gzip"
    elif magic == b"PK\x03\x04":
        wrapper = "zip"
    else:
        yield Source(name, path, _detect_format(path, name), None, path.stat().st_size)
        return
    inner_name = name.removesuffix(".gz") if wrapper == "gzip" else name
    with tempfile.TemporaryDirectory(dir=workdir, prefix="handoff-import-") as tmp:
        plain = Path(tmp) / "content"
        compressed = path.stat().st_size
        with plain.open("wb") as target:
            if wrapper == "gzip":
                try:
                    with gzip.open(path, "rb") as source:
                        size = _copy_limited(source, target, name, compressed, limits, progress)
                except (OSError, EOFError, zlib.error) as error:
                    if isinstance(error, OSError) and error.errno in _DISK_ERRORS:
                        raise  # the disk, not the file
                    reason = str(error)
                    if reason.startswith("Not a gzipped file"):  # what follows the data
                        reason = "its data is followed by bytes that are not gzip data"
                    raise InvalidEventLog(
                        f"{name}: not a readable gzip file ({shown(reason, 120)})."
                    ) from None
            else:
                size, inner_name = _unzip(path, name, target, compressed, limits, progress)
        with plain.open("rb") as expanded:
            _refuse_nested(expanded.read(4), name, inner_name)
        yield Source(name, plain, _detect_format(plain, inner_name, name), wrapper, size)


_DRIVE = re.compile(r"[A-Za-z]:")


def _only_member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    """The one event log a zip must hold (folders and macOS metadata aside).

    Raises:
        InvalidEventLog: none or several files, an encrypted one, or one whose name
            leaves the archive (an absolute path, ``..``), which no export has.
    """
    members = [
        m
        for m in archive.infolist()
        if not m.is_dir()
        and not m.filename.startswith("__MACOSX/")
        and not m.filename.endswith(".DS_Store")
    ]
    if len(members) != 1:
        listed = ", ".join(shown(m.filename) for m in members[:5]) or "none"
        raise InvalidEventLog(
            f"{name}: a zip must hold exactly one event log, this one holds "
            f"{len(members):,} files ({listed}{', ...' if len(members) > 5 else ''})."
        )
    member = members[0]
    parts = member.filename.replace("\\", "/").split("/")
    if member.filename.startswith(("/", "\\")) or ".." in parts or _DRIVE.match(parts[0]):
        raise InvalidEventLog(
            f"{name}: the zip holds '{shown(member.filename)}', a path that leaves the "
            "archive, which no export has; it is refused as a likely attack."
        )
    if member.flag_bits & 0x1:
        raise InvalidEventLog(f"{name}: the zip is encrypted.")
    return member


def _refuse_nested(head: bytes, name: str, inner: str) -> None:
    """Refuse an archive inside an archive (its expansion would escape the limits).

    Args:
        head: the first bytes of the expanded content.
        name: the archive's name in messages.
        inner: what ``open_source`` names the content (``name/member`` for a zip).

    Raises:
        InvalidEventLog: the content is itself a gzip or zip file.
    """
    if head[:2] == b"\x1f\x8b" or head[:4] == b"PK\x03\x04":
        # a zip's member, or the file a gzip holds
        held = inner.removeprefix(name + "/") if inner.startswith(name + "/") else Path(inner).name
        raise InvalidEventLog(
            f"{name}: '{shown(held)}' inside it is compressed again; expand the archive and "
            "import the log it holds."
        )


def _unzip(
    path: Path,
    name: str,
    target: BinaryIO,
    compressed: int,
    limits: ImportLimits,
    progress: Progress | None,
) -> tuple[int, str]:
    try:
        with zipfile.ZipFile(path) as archive:
            member = _only_member(archive, name)
            if member.file_size > limits.max_decompressed_bytes:
                raise PayloadTooLarge(
                    f"{name}: '{shown(member.filename)}' expands to {member.file_size:,} bytes, "
                    f"more than the {limits.max_decompressed_bytes:,} an import may hold."
                )
            with archive.open(member) as source:
                size = _copy_limited(source, target, name, compressed, limits, progress)
            return size, f"{name}/{member.filename}"
    except _ZIP_ERRORS as error:
        raise _unreadable_zip(name, error) from None


_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError)


def _unreadable_zip(name: str, error: BaseException) -> InvalidEventLog:
    """The sentence for a zip the zipfile module cannot read.

    Raises:
        OSError: ``error`` is the disk's (full, read-only), not the file's.
    """
    if isinstance(error, OSError) and not isinstance(error, zipfile.BadZipFile):
        if error.errno in _DISK_ERRORS:
            raise error
        # a damaged table of contents sends the reading before the start of the file
        return InvalidEventLog(
            f"{name}: not a readable zip file (its table of contents points outside the file)."
        )
    return InvalidEventLog(f"{name}: not a readable zip file ({shown(error, 120)}).")


def copy_upload(source: BinaryIO, target: Path, max_bytes: int, name: str) -> int:
    """Copy an upload stream to a file, refusing more than ``max_bytes``.

    Raises:
        PayloadTooLarge: the upload is larger than allowed.
    """
    written = 0
    try:
        with target.open("wb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise PayloadTooLarge(
                        f"{name}: the upload is larger than the {max_bytes:,} bytes allowed."
                    )
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return written


@dataclass(frozen=True)
class Head:
    """The first bytes of a log's plain content, for a preview."""

    data: bytes
    format: Format
    wrapper: str | None
    complete: bool
    """Whether ``data`` is the whole content (False: there is more, or the input was cut)."""


def _gzip_head(path: Path, name: str, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of a gzip file's content, expanding no more than that.

    A cut-off upload (the first part of a larger file) gives what it holds.
    """
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    with path.open("rb") as handle:
        while len(out) < limit and (chunk := handle.read(64 * 1024)):
            try:
                out += inflater.decompress(chunk, limit - len(out))
                while len(out) < limit and inflater.unconsumed_tail:
                    out += inflater.decompress(inflater.unconsumed_tail, limit - len(out))
            except zlib.error as error:
                raise InvalidEventLog(f"{name}: not a readable gzip file ({error}).") from None
            if inflater.eof:
                break
    if not out and not inflater.eof:
        raise InvalidEventLog(f"{name}: not a readable gzip file (no content).")
    return bytes(out[:limit]), inflater.eof and not inflater.unused_data


def _zip_head(path: Path, name: str, limit: int) -> tuple[bytes, bool, str]:
    """Up to ``limit`` bytes of the one log in a zip, expanding no more than that."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = _only_member(archive, name)
            with archive.open(member) as source:
                data = source.read(limit)
            return data, member.file_size <= limit, f"{name}/{member.filename}"
    except _ZIP_ERRORS as error:
        raise _unreadable_zip(name, error) from None


def read_head(path: Path, name: str, limit: int = 256 * 1024) -> Head:
    """The first ``limit`` bytes of a log's plain content, expanding .gz/.zip only that far.

    Raises:
        InvalidEventLog: the file is empty or a damaged archive.
    """
    with path.open("rb") as handle:
        magic = handle.read(4)
    if not magic:
        raise InvalidEventLog(f"{name}: the file is empty.")
    inner = name
    if magic[:2] == b"\x1f\x8b":
        wrapper: str | None = "gzip"
        data, complete = _gzip_head(path, name, limit)
        inner = name.removesuffix(".gz")
    elif magic == b"PK\x03\x04":
        wrapper = "zip"
        data, complete, inner = _zip_head(path, name, limit)
    else:
        wrapper = None
        with path.open("rb") as handle:
            data = handle.read(limit)
        complete = path.stat().st_size <= limit
    if wrapper:
        _refuse_nested(data, name, inner)
    return Head(data, head_format(data, inner, name), wrapper, complete)
