"""Text encodings of CSV files: detection, validation with line and column, transcoding."""

from __future__ import annotations

import codecs
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.lib.errors import InvalidEventLog
from app.mining.options import ImportLimits

__all__ = ["TextFile", "sniff_encoding", "utf8_text"]

CHUNK = 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


@dataclass(frozen=True)
class TextFile:
    """A CSV file as UTF-8 without a byte-order mark, ready for the CSV readers."""

    path: Path
    encoding: str
    """The encoding the file was written in."""
    lines: int
    """Physical lines, counting a last line without a newline."""


class _Invalid(Exception):
    def __init__(self, line: int, column: int, byte: bytes) -> None:
        super().__init__()
        self.line, self.column, self.byte = line, column, byte


def _sniff(head: bytes) -> str | None:
    """An encoding told by a byte-order mark or by the zero bytes of UTF-16."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    sample = head[:4096]
    if len(sample) >= 4:
        even_zeros = sample[0::2].count(0) / len(sample[0::2])
        odd_zeros = sample[1::2].count(0) / len(sample[1::2])
        if odd_zeros > 0.4 and even_zeros < 0.05:
            return "utf-16-le"
        if even_zeros > 0.4 and odd_zeros < 0.05:
            return "utf-16-be"
    return None


def sniff_encoding(head: bytes) -> str | None:
    """The encoding told by a byte-order mark or the zero bytes of UTF-16 (None: neither)."""
    return _sniff(head)


def _position(line: int, tail: int, text: str) -> tuple[int, int]:
    """Line and column (1-based) just after ``text``, which follows ``tail`` characters."""
    newlines = text.count("\n")
    if newlines == 0:
        return line, tail + len(text) + 1
    return line + newlines, len(text) - text.rfind("\n")


def _scan(path: Path, encoding: str, name: str, limits: ImportLimits, out: BinaryIO | None) -> int:
    """Decode the whole file, checking NUL characters and line lengths.

    Returns:
        The number of physical lines.

    Raises:
        _Invalid: a byte sequence is not valid in ``encoding``.
        InvalidEventLog: a NUL character or a line longer than the limit.
    """
    with path.open("rb") as handle:
        skip, encoding = _without_bom(handle.read(4), encoding)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    line, tail, last = 1, 0, ""
    with path.open("rb") as handle:
        handle.seek(skip)
        while True:
            chunk = handle.read(CHUNK)
            final = not chunk
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk, final)
            except UnicodeDecodeError as error:
                data = pending + chunk
                good = data[: error.start].decode(encoding, errors="replace")
                at_line, at_column = _position(line, tail, good)
                raise _Invalid(at_line, at_column, data[error.start : error.start + 1]) from None
            except UnicodeError:
                raise _Invalid(line, tail + 1, chunk[:1]) from None
            if "\x00" in text:
                at_line, at_column = _position(line, tail, text[: text.index("\x00")])
                raise InvalidEventLog(
                    f"{name}, line {at_line}, column {at_column}: the file contains a NUL "
                    "character, which a text export never has; is it a binary file?"
                )
            if len(text) > limits.max_line_length:
                first, *middle, _ = text.split("\n")
                lengths = [tail + len(first), *(len(m) for m in middle)]
                for offset, length in enumerate(lengths):
                    if length > limits.max_line_length:
                        _too_long(name, line + offset, limits)
            newlines = text.count("\n")
            tail = tail + len(text) if newlines == 0 else len(text) - text.rfind("\n") - 1
            if tail > limits.max_line_length:
                _too_long(name, line + newlines, limits)
            line += newlines
            if text:
                last = text[-1]
            if out is not None:
                out.write(text.encode("utf-8"))
            if final:
                break
    return line - 1 if last == "\n" else line


def _without_bom(head: bytes, encoding: str) -> tuple[int, str]:
    """The bytes of a byte-order mark to skip, and the codec for the rest.

    The codecs that drop the mark themselves (utf-8-sig, utf-16) report the place of a
    bad byte after it, which would put the line and column of a message off by the mark.
    """
    if encoding == "utf-8-sig":
        return (len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0), "utf-8"
    if encoding == "utf-16" and head.startswith(codecs.BOM_UTF16_LE):
        return len(codecs.BOM_UTF16_LE), "utf-16-le"
    if encoding == "utf-16" and head.startswith(codecs.BOM_UTF16_BE):
        return len(codecs.BOM_UTF16_BE), "utf-16-be"
    return 0, encoding


def _too_long(name: str, line: int, limits: ImportLimits) -> None:
    raise InvalidEventLog(
        f"{name}, line {line}: the line is longer than {limits.max_line_length:,} characters, "
        "more than any event log row needs; is this really a CSV export?"
    )


def _has_utf8_sequences(path: Path) -> bool:
    with path.open("rb") as handle:
        carry = b""
        while chunk := handle.read(CHUNK):
            if _UTF8_SEQUENCE.search(carry + chunk):
                return True
            carry = chunk[-1:]
    return False


@contextmanager
def utf8_text(
    path: Path,
    name: str,
    encoding: str | None = None,
    limits: ImportLimits | None = None,
    workdir: Path | None = None,
) -> Iterator[TextFile]:
    """The file as UTF-8 text, transcoded into a temporary file when needed.

    Detection: a byte-order mark (UTF-8, UTF-16), the zero bytes of UTF-16, else UTF-8 if
    the whole file is valid UTF-8, else Windows-1252 if it decodes as such and holds no
    UTF-8 sequence (a file mixing both is refused rather than misread).

    Raises:
        InvalidEventLog: undecodable bytes (with line and column), NUL characters, or
            over-long lines.
    """
    limits = limits or ImportLimits()
    with path.open("rb") as handle:
        head = handle.read(CHUNK)
    if encoding:
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            info = None
        if info is None or not getattr(info, "_is_text_encoding", True):
            raise InvalidEventLog(f"'{encoding}' is not a known text encoding.")
        chosen = info.name
        if chosen == "utf-8" and head.startswith(codecs.BOM_UTF8):
            chosen = "utf-8-sig"
    else:
        chosen = _sniff(head) or "utf-8"
    candidates = [chosen] if encoding or chosen != "utf-8" else ["utf-8", "cp1252"]
    first_error: _Invalid | None = None
    for candidate in candidates:
        plain_utf8 = candidate in {"utf-8", "utf_8"}
        if candidate == "cp1252" and _has_utf8_sequences(path):
            break
        with tempfile.TemporaryDirectory(dir=workdir, prefix="handoff-text-") as tmp:
            target = Path(tmp) / "utf8.csv"
            try:
                if plain_utf8:
                    lines = _scan(path, candidate, name, limits, None)
                    yield TextFile(path, "utf-8", lines)
                    return
                with target.open("wb") as out:
                    lines = _scan(path, candidate, name, limits, out)
            except _Invalid as error:
                first_error = first_error or error
                if plain_utf8 and not encoding:
                    continue
                break
            yield TextFile(target, candidate, lines)
            return
    assert first_error is not None
    where = f"{name}, line {first_error.line}, column {first_error.column}"
    byte = f"0x{first_error.byte.hex().upper()}"
    if encoding:
        raise InvalidEventLog(
            f"{where}: byte {byte} is not valid {encoding} text; check the encoding given."
        )
    told = "UTF-16" if chosen.startswith("utf-16") else "UTF-8"  # as detected
    raise InvalidEventLog(
        f"{where}: byte {byte} is not valid {told} text; save the file as UTF-8 or name its "
        "encoding with --encoding."
    )
