"""User text made safe for Graphviz labels, slug ids and human-readable figures."""

from __future__ import annotations

import html
import re
import textwrap
import unicodedata

__all__ = ["count_text", "html_text", "human_duration", "percent_text", "quote", "slug"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def html_text(text: str, width: int | None = None) -> str:
    """Text that shows literally inside a Graphviz HTML-like label.

    Markup characters become entities, backslashes are doubled (Graphviz would read
    ``\\N`` as the node's name), control characters become spaces and line breaks
    become ``<BR/>``; with ``width``, long lines are wrapped at word boundaries.

    Args:
        text: what a user typed.
        width: wrap lines longer than this many characters.

    Returns:
        The markup to place between ``<`` and ``>`` (or inside a table cell).

    >>> html_text('<b>"A & B"</b>')
    '&lt;b&gt;&quot;A &amp; B&quot;&lt;/b&gt;'
    >>> html_text("C:\\\\temp\\nnext")
    'C:\\\\\\\\temp<BR/>next'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub(" ", text)
    lines = text.split("\n")
    if width:
        lines = [part for line in lines for part in (textwrap.wrap(line, width) or [""])]
    return "<BR/>".join(html.escape(line, quote=True).replace("\\", "\\\\") for line in lines)


def quote(value: str) -> str:
    """A DOT double-quoted string (for ids and attribute values).

    >>> quote('step:a"b')
    '"step:a\\\\"b"'
    """
    value = _CONTROL.sub(" ", value.replace("\n", " ").replace("\r", " "))
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def slug(text: str) -> str:
    """Lower-case ASCII letters and digits joined by single hyphens; ``x`` when none are left.

    >>> slug("Roads & Sidewalks")
    'roads-sidewalks'
    >>> slug("Réception")
    'reception'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-") or "x"


def human_duration(seconds: float | None) -> str:
    """A wait as people say it: days, hours or minutes with sensible precision.

    Args:
        seconds: the duration; None or a negative value reads as a dash.

    Returns:
        Text such as ``3.2 d``, ``5.0 h``, ``12 min`` or ``40 s``.

    >>> human_duration(3.2 * 86_400)
    '3.2 d'
    >>> human_duration(5 * 3_600)
    '5.0 h'
    >>> human_duration(12 * 60)
    '12 min'
    >>> human_duration(40)
    '40 s'
    >>> human_duration(None)
    '\u2013'
    """
    if seconds is None or seconds != seconds or seconds < 0:
        return "\u2013"
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} d"
    if seconds >= 3_600:
        return f"{seconds / 3_600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def count_text(count: float) -> str:
    """A count with thousands separators.

    >>> count_text(12345)
    '12,345'
    """
    return f"{count:,.0f}"


def percent_text(share: float) -> str:
    """A share (0 to 1) as a whole percentage, or one decimal below 10 %.

    >>> percent_text(0.2345), percent_text(0.042)
    ('23%', '4.2%')
    """
    value = share * 100
    return f"{value:.1f}%" if abs(value) < 10 else f"{value:.0f}%"
