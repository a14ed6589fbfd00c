"""Values from a file as a message shows them: on one line and short."""

from __future__ import annotations

__all__ = ["shown"]


def shown(value: object, limit: int = 80) -> str:
    """A value of a file (a cell, a header, a key) for a one-sentence message.

    Characters that would break the line or hide (line breaks, tabs, other control
    characters) are written as escapes; text over ``limit`` characters is cut with ``...``.

    >>> shown("yester\\nday")
    'yester\\\\nday'
    >>> shown("x" * 100, 10)
    'xxxxxxx...'
    """
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
