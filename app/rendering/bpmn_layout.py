"""Where the shapes of a BPMN diagram go: Graphviz positions, lane bands and flow routes.

Graphviz (``dot``, left to right, a cluster per department) places the nodes; each
department then becomes a horizontal band of the pool, its nodes keeping their Graphviz
positions relative to one another, and flows are orthogonal lines between shape borders,
routed through as few other shapes as the simple candidates allow. Sizes and coordinates
are diagram pixels, y pointing down, as BPMN DI has them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

from app.rendering.dot import DotWriter
from app.rendering.output import pipe

__all__ = ["Box", "LayoutFlow", "LayoutModel", "LayoutNode", "Point", "layout", "waypoints"]

_SIZES = {"task": (100, 80), "startEvent": (36, 36), "endEvent": (36, 36)}
_GATEWAY_SIZE = (50, 50)
_ORIGIN = 20  # the pool's top-left corner
_HEADER = 30  # the strip at the left of the pool and of each lane that carries its name
_PAD = 30  # space between a lane's border and its nodes
_MIN_LANE = 120

Point = tuple[int, int]
"""A waypoint of a flow, in diagram pixels."""


@dataclass(frozen=True)
class Box:
    """A shape's bounds in diagram pixels: top-left corner, width and height."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def cx(self) -> int:
        return self.x + self.width // 2

    @property
    def cy(self) -> int:
        return self.y + self.height // 2


class LayoutNode(Protocol):
    """What the layout reads of a node: its id, BPMN kind and lane (department), if any."""

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def lane(self) -> str | None: ...


class LayoutFlow(Protocol):
    """What the layout reads of a sequence flow: the ids of its two ends."""

    @property
    def source(self) -> str: ...

    @property
    def target(self) -> str: ...


class LayoutModel(Protocol):
    """What the layout reads of a BPMN model: nodes by id, flows, lane ids by department."""

    @property
    def nodes(self) -> Mapping[str, LayoutNode]: ...

    @property
    def flows(self) -> Sequence[LayoutFlow]: ...

    @property
    def lanes(self) -> Mapping[str, str]:
        """Department -> lane id, in the order the bands are stacked."""
        ...


def _graphviz_positions(model: LayoutModel) -> dict[str, tuple[float, float]]:
    """Node centres from ``dot`` (points, y pointing down)."""
    out = DotWriter("bpmn")
    out.attrs("graph", rankdir="LR", newrank=True, nodesep=0.5, ranksep=0.6, splines=False)
    out.attrs("node", fixedsize=True, label="")
    lanes: dict[str | None, list[LayoutNode]] = {}
    for node in model.nodes.values():
        lanes.setdefault(node.lane, []).append(node)
    for lane, nodes in lanes.items():
        cluster = f"cluster_{model.lanes[lane]}" if lane is not None else "cluster_none"
        with out.subgraph(cluster):
            for node in nodes:
                width, height = _SIZES.get(node.kind, _GATEWAY_SIZE)
                shape = {"task": "box", "exclusiveGateway": "diamond"}.get(node.kind, "circle")
                out.node(node.id, shape=shape, width=width / 72, height=height / 72)
    for flow in model.flows:
        out.edge(flow.source, flow.target)
    data = pipe(out.source(), "json0")
    drawn = json.loads(data)
    top = float(drawn["bb"].split(",")[3])
    positions: dict[str, tuple[float, float]] = {}
    for item in drawn.get("objects", []):
        if "pos" in item:
            x, y = (float(part) for part in item["pos"].split(","))
            positions[item["name"]] = (x, top - y)
    return positions


def layout(model: LayoutModel) -> tuple[Box, dict[str, Box], dict[str, Box]]:
    """The pool, the lanes by department and the nodes by id, in diagram pixels.

    Graphviz gives each node its column (x); each department becomes a band as tall as
    its nodes' Graphviz extent, and its nodes keep their positions relative to each other.

    Args:
        model: the nodes, flows and lanes to place; nodes without a lane get a band of
            their own below the departments'.

    Returns:
        The pool's box, each department's lane box (by department) and each node's box
        (by node id).

    Raises:
        RenderError: Graphviz is missing or ``dot`` failed.
    """
    centres = _graphviz_positions(model)
    raw: dict[str, Box] = {}
    for node in model.nodes.values():
        width, height = _SIZES.get(node.kind, _GATEWAY_SIZE)
        x, y = centres[node.id]
        raw[node.id] = Box(round(x - width / 2), round(y - height / 2), width, height)
    left = min(box.x for box in raw.values()) - (_ORIGIN + 2 * _HEADER + _PAD)
    bands: list[str | None] = [*model.lanes]
    if any(node.lane is None for node in model.nodes.values()):
        bands.append(None)
    boxes: dict[str, Box] = {}
    lane_rows: dict[str, tuple[int, int]] = {}
    top = _ORIGIN
    for lane in bands:
        members = [node.id for node in model.nodes.values() if node.lane == lane]
        low = min(raw[m].y for m in members)
        high = max(raw[m].bottom for m in members)
        height = max(_MIN_LANE, high - low + 2 * _PAD)
        shift = top + (height - (high - low)) // 2 - low
        for member in members:
            box = raw[member]
            boxes[member] = Box(box.x - left, box.y + shift, box.width, box.height)
        if lane is not None:
            lane_rows[lane] = (top, height)
        top += height
    width = max(box.right for box in boxes.values()) + _PAD - _ORIGIN
    pool = Box(_ORIGIN, _ORIGIN, width, top - _ORIGIN)
    lanes = {
        lane: Box(_ORIGIN + _HEADER, y, width - _HEADER, height)
        for lane, (y, height) in lane_rows.items()
    }
    return pool, lanes, boxes


def _crossings(points: list[Point], others: list[Box]) -> int:
    """How many shapes an orthogonal line runs through."""
    segments = list(pairwise(points))
    xs, ys = [x for x, _ in points], [y for _, y in points]
    near = [
        b
        for b in others
        if b.x < max(xs) and b.right > min(xs) and b.y < max(ys) and b.bottom > min(ys)
    ]
    return sum(
        any(
            max(x1, x2) > box.x
            and min(x1, x2) < box.right
            and max(y1, y2) > box.y
            and min(y1, y2) < box.bottom
            for (x1, y1), (x2, y2) in segments
        )
        for box in near
    )


def _routes(source: Box, target: Box) -> list[list[Point]]:
    """Orthogonal lines from the source's border to the target's, best-looking first."""
    if source == target:  # a loop: out to the right, over the top, back in from above
        out_x, over_y = source.right + 15, source.y - 15
        loop = [(out_x, source.cy), (out_x, over_y), (source.cx, over_y)]
        return [[(source.right, source.cy), *loop, (source.cx, source.y)]]
    if target.x >= source.right:  # forward: across, with one vertical step somewhere
        begin, end = (source.right, source.cy), (target.x, target.cy)
        if begin[1] == end[1]:
            return [[begin, end]]
        columns = ((source.right + target.x) // 2, source.right + 12, target.x - 12)
        return [[begin, (x, begin[1]), (x, end[1]), end] for x in columns]
    if target.right > source.x:  # the same column: straight down or up
        down = target.y >= source.bottom
        begin = (source.cx, source.bottom if down else source.y)
        end = (target.cx, target.y if down else target.bottom)
        middle = (begin[1] + end[1]) // 2
        return [
            [begin, end]
            if begin[0] == end[0]
            else [begin, (begin[0], middle), (end[0], middle), end]
        ]
    below = max(source.bottom, target.bottom) + 20  # backward: under both shapes, or over
    above = min(source.y, target.y) - 20
    return [
        [
            (source.cx, source.bottom),
            (source.cx, below),
            (target.cx, below),
            (target.cx, target.bottom),
        ],
        [(source.cx, source.y), (source.cx, above), (target.cx, above), (target.cx, target.y)],
    ]


def waypoints(source: Box, target: Box, boxes: list[Box]) -> list[Point]:
    """The route through the fewest other shapes (the first of equals).

    Args:
        source: the box the flow leaves.
        target: the box it enters (the same box for a loop).
        boxes: every shape of the diagram; the two ends among them are not counted.

    Returns:
        The waypoints of an orthogonal line from the source's border to the target's.

    >>> waypoints(Box(0, 0, 100, 80), Box(200, 100, 100, 80), [])
    [(100, 40), (150, 40), (150, 140), (200, 140)]
    """
    others = [box for box in boxes if box is not source and box is not target]
    return min(_routes(source, target), key=lambda route: _crossings(route, others))
