"""Maps drawn with Graphviz; the only package that imports graphviz."""

from __future__ import annotations

import graphviz

__all__ = ["graphviz_version"]


def graphviz_version() -> str | None:
    """The version of Graphviz ``dot`` on the PATH, or None when it is missing.

    >>> graphviz_version() is None or graphviz_version()[0].isdigit()
    True
    """
    try:
        return ".".join(str(part) for part in graphviz.version())
    except (graphviz.ExecutableNotFound, RuntimeError):
        return None
