"""DOT text to SVG, PNG, PDF or DOT bytes, in memory, with plain-sentence errors."""

from __future__ import annotations

import re
import subprocess
from pathlib import PurePath

import graphviz

from app.lib.errors import GraphvizMissing, RenderError

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "format_from_suffix",
    "pipe",
    "render",
]

MEDIA_TYPES: dict[str, str] = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "dot": "text/vnd.graphviz",
}
"""The media type of each output format, for HTTP responses."""

FORMATS: tuple[str, ...] = tuple(MEDIA_TYPES)
"""The output formats, in the order messages list them."""

_ALLOWED = ", ".join(FORMATS)
_MISSING = (
    "Graphviz is not installed: install the Debian package `graphviz` "
    "(apt-get install graphviz) to draw maps."
)
# cairo writes the wall-clock time into PDFs; a fixed date of the same length keeps
# the bytes (and the cross-reference offsets) identical from one run to the next.
_PDF_DATE = re.compile(rb"(/(?:CreationDate|ModDate) \(D:)\d{14}")


def pipe(dot_source: str, fmt: str) -> bytes:
    """Run ``dot`` in memory on DOT text and return its output in any Graphviz format.

    Raises:
        GraphvizMissing: the ``dot`` binary is not installed.
        RenderError: ``dot`` refused the graph (its first line of complaint is given).
    """
    try:
        data: bytes = graphviz.Source(dot_source).pipe(format=fmt, engine="dot", quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(_MISSING) from None
    except subprocess.CalledProcessError as error:
        detail = (
            error.stderr.decode("utf-8", "replace").strip().splitlines() if error.stderr else []
        )
        reason = f": {detail[0]}" if detail else "."
        raise RenderError(f"Graphviz could not draw the map{reason}") from None
    return data


def render(dot_source: str, fmt: str) -> bytes:
    """Draw a map with Graphviz ``dot`` in memory.

    Args:
        dot_source: the DOT text of the map.
        fmt: one of ``svg``, ``png``, ``pdf`` or ``dot`` (the DOT text itself).

    Returns:
        The drawing; the same input gives the same bytes.

    Raises:
        RenderError: the format is unknown, Graphviz is missing or ``dot`` failed.

    >>> render('digraph "g" { "a" }', "dot")
    b'digraph "g" { "a" }'
    """
    if fmt not in MEDIA_TYPES:
        raise RenderError(f"Cannot draw a map as '{fmt}': the formats are {_ALLOWED}.")
    if fmt == "dot":
        return dot_source.encode("utf-8")
    data = pipe(dot_source, fmt)
    if fmt == "pdf":
        data = _PDF_DATE.sub(rb"\g<1>19700101000000", data)
    return data


def format_from_suffix(path: str | PurePath) -> str:
    """The output format named by a file's suffix.

    Args:
        path: the output file, e.g. ``map.svg``.

    Returns:
        ``svg``, ``png``, ``pdf`` or ``dot``.

    Raises:
        RenderError: the suffix names none of them.

    >>> format_from_suffix("out/road-repair.PNG")
    'png'
    """
    suffix = PurePath(path).suffix.lower()
    fmt = suffix.removeprefix(".")
    if fmt not in MEDIA_TYPES:
        allowed = ", ".join(f".{name}" for name in FORMATS)
        shown = f"'{suffix}'" if suffix else "no suffix"
        raise RenderError(f"Cannot tell the map format of {path}: it has {shown}; use {allowed}.")
    return fmt
