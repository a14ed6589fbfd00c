"""A small DOT writer: quoted ids, HTML-like labels, clusters, legends and shared styles."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from app.rendering.text import html_text, quote, slug

__all__ = [
    "FONT",
    "INK",
    "MUTED",
    "SHARE_SCALE",
    "DotWriter",
    "Html",
    "LegendRow",
    "NodeIds",
    "attr_list",
    "graph_defaults",
    "hours_text",
    "legend_label",
    "lines_label",
    "share_colour",
    "small_label",
]

FONT = "Helvetica,Arial,sans-serif"
INK = "#263238"
MUTED = "#607d8b"

# Bottleneck scale by share of total waiting time: (lower bound, colour, legend text).
SHARE_SCALE: tuple[tuple[float, str, str], ...] = (
    (0.15, "#c62828", "over 15% of all waiting"),
    (0.05, "#ef6c00", "5 to 15% of all waiting"),
    (0.0, "#90a4ae", "under 5% of all waiting"),
)


class Html(str):
    """Markup of an HTML-like label, written between ``<`` and ``>``; already escaped."""

    __slots__ = ()


def _value(value: str | int | float | bool | Html) -> str:
    if isinstance(value, Html):
        return f"<{value}>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return quote(value)


def attr_list(values: dict[str, str | int | float | bool | Html | None]) -> str:
    """Attributes as `` [a="1", b=<…>]`` (None values left out), or an empty string.

    >>> attr_list({"shape": "box", "penwidth": 2.5, "label": Html("A &amp; B"), "x": None})
    ' [shape="box", penwidth=2.5, label=<A &amp; B>]'
    """
    parts = [f"{key}={_value(value)}" for key, value in values.items() if value is not None]
    return f" [{', '.join(parts)}]" if parts else ""


class NodeIds:
    """Unique slug-based node ids (``prefix:slug``) for a set of keys, stable for the set.

    >>> ids = NodeIds("step", ["B b", "b-b", "a"])
    >>> ids["a"], ids["B b"], ids["b-b"]
    ('step:a', 'step:b-b', 'step:b-b-2')
    """

    def __init__(self, prefix: str, keys: Iterable[str]) -> None:
        self._ids: dict[str, str] = {}
        taken: set[str] = set()
        for key in sorted(set(keys)):
            base = f"{prefix}:{slug(key)}"
            candidate, n = base, 2
            while candidate in taken:
                candidate, n = f"{base}-{n}", n + 1
            taken.add(candidate)
            self._ids[key] = candidate

    def __getitem__(self, key: str) -> str:
        return self._ids[key]

    def __contains__(self, key: object) -> bool:
        return key in self._ids


class DotWriter:
    """Builds the text of one ``digraph``, line by line, with clusters as context managers."""

    def __init__(self, name: str) -> None:
        self._lines = [f"digraph {quote(name)} {{"]
        self._depth = 1

    def line(self, text: str) -> None:
        """Add one statement at the current depth."""
        self._lines.append("  " * self._depth + text)

    def attrs(self, kind: str, **values: str | int | float | bool | Html | None) -> None:
        """Defaults for ``graph``, ``node`` or ``edge`` in the current scope."""
        self.line(f"{kind}{attr_list(values)}")

    def node(self, node_id: str, **values: str | int | float | bool | Html | None) -> None:
        """A node statement."""
        self.line(f"{quote(node_id)}{attr_list(values)}")

    def edge(
        self, source: str, target: str, **values: str | int | float | bool | Html | None
    ) -> None:
        """An edge statement."""
        self.line(f"{quote(source)} -> {quote(target)}{attr_list(values)}")

    @contextmanager
    def subgraph(self, name: str) -> Iterator[None]:
        """A (cluster) subgraph; a name starting with ``cluster`` draws a box."""
        self.line(f"subgraph {quote(name)} {{")
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            self.line("}")

    def source(self) -> str:
        """The finished DOT text, ending with a newline."""
        return "\n".join([*self._lines, "}"]) + "\n"


def lines_label(first: str, *small: str | None, bold: bool = True, width: int = 28) -> Html:
    """A node label: the name (wrapped, bold) over small grey lines; empty lines left out.

    >>> lines_label("Receive <call>", "Clerk", None)
    '<B>Receive &lt;call&gt;</B><BR/><FONT POINT-SIZE="9" COLOR="#607d8b">Clerk</FONT>'
    """
    head = html_text(first, width)
    parts = [f"<B>{head}</B>" if bold and head else head]
    parts += [
        f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{html_text(text, width + 8)}</FONT>'
        for text in small
        if text
    ]
    return Html("<BR/>".join(parts))


def share_colour(share: float | None) -> str:
    """The bottleneck colour for a share (0 to 1) of all waiting time.

    >>> share_colour(0.2), share_colour(0.1), share_colour(0.01)
    ('#c62828', '#ef6c00', '#90a4ae')
    """
    for bound, colour, _ in SHARE_SCALE:
        if (share or 0.0) >= bound:
            return colour
    return SHARE_SCALE[-1][1]


LegendRow = tuple[str, str, str]
"""(kind, colour, text); kind is ``fill``, ``line``, ``dashed``, ``dotted`` or a marker."""

_STROKES = {"line": "━━━", "bold": "<B>━━━</B>", "dashed": "╍╍╍", "dotted": "┅┅┅"}


def legend_label(title: str, subtitle: str | None, rows: Iterable[LegendRow]) -> Html:
    """A graph label: the title, a subtitle and a compact legend of the map's markings.

    Args:
        title: the map's title (user text; escaped here).
        subtitle: a smaller line under the title, or None.
        rows: legend entries as (kind, colour, text).

    Returns:
        An HTML-like table for the graph's ``label``.
    """
    cells = []
    for kind, colour, text in rows:
        if kind == "fill":
            swatch = f'<TD BGCOLOR="{colour}" BORDER="1" COLOR="{MUTED}" WIDTH="22"> </TD>'
        elif kind in _STROKES:
            swatch = f'<TD><FONT COLOR="{colour}">{_STROKES[kind]}</FONT></TD>'
        else:
            swatch = f'<TD><FONT COLOR="{colour}">{html_text(kind)}</FONT></TD>'
        cells.append(
            f'{swatch}<TD ALIGN="LEFT"><FONT POINT-SIZE="10">{html_text(text)}</FONT></TD>'
        )
    per_row = 4
    rows_html = "".join(
        "<TR>" + "".join(cells[i : i + per_row]) + "</TR>" for i in range(0, len(cells), per_row)
    )
    sub = (
        f'<TR><TD ALIGN="LEFT" COLSPAN="{2 * per_row}"><FONT POINT-SIZE="10" COLOR="{MUTED}">'
        f"{html_text(subtitle)}</FONT></TD></TR>"
        if subtitle
        else ""
    )
    body = (
        f'<TR><TD ALIGN="LEFT" COLSPAN="{2 * per_row}"><FONT POINT-SIZE="14"><B>'
        f"{html_text(title)}</B></FONT></TD></TR>{sub}{rows_html}"
    )
    return Html(f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">{body}</TABLE>')


def hours_text(hours: float) -> str:
    """A service standard in hours.

    >>> hours_text(4), hours_text(0.5)
    ('4 h standard', '0.5 h standard')
    """
    return f"{hours:g} h standard"


def graph_defaults(out: DotWriter, rankdir: str = "LR") -> None:
    """The graph, node and edge defaults every map shares (the label comes last)."""
    out.attrs(
        "graph",
        rankdir=rankdir,
        fontname=FONT,
        fontcolor=INK,
        labelloc="t",
        labeljust="l",
        nodesep=0.3,
        ranksep=0.5,
        pad=0.3,
        newrank=True,
    )
    out.attrs(
        "node",
        shape="box",
        style="rounded,filled",
        fillcolor="white",
        color="#546e7a",
        fontname=FONT,
        fontsize=11,
        fontcolor=INK,
        margin="0.15,0.07",
    )
    out.attrs("edge", fontname=FONT, fontsize=9, color="#78909c", arrowsize=0.7)


def small_label(*lines: str | None, colour: str = INK) -> Html:
    """Small edge-label lines in one colour; empty lines left out; empty when none are left."""
    shown = [html_text(line, 34) for line in lines if line]
    return Html(f'<FONT COLOR="{colour}">' + "<BR/>".join(shown) + "</FONT>") if shown else Html("")
