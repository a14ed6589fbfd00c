"""User text renders as text: a process and an event log whose names are markup, DOT
syntax, backslash escapes and line breaks, loaded through the API, then every map (DOT,
SVG), BPMN export and printable page read back. The SVG and BPMN must parse as XML with
no script, no event handler and no link; the pages must hold no element and no attribute
but their own; every name must come back as the same text."""

from __future__ import annotations

import csv
import io
import urllib.parse
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

Client = TestClient[Litestar]
pytestmark = pytest.mark.graphviz

SCRIPT = "<script>alert(1)</script>"
DOT_BREAKOUT = '"];x[label="'
ESCAPED_QUOTE = '\\"'
RECORD = "{}|<>"
IMG = "<img src=x onerror=alert(1)>"
CDATA = "]]> --> <!-- &amp; &lt;b&gt;"
BACKSLASHES = "\\N \\G \\l %s ${x} {0}"
DOT_COMMENT = "a /* b */ // c"
TRAILING = "C:\\temp\\"
"""A trailing backslash would escape a DOT string's closing quote."""

STEPS = {  # step id: (name, department, owner)
    "s1": (SCRIPT, DOT_BREAKOUT, ESCAPED_QUOTE),
    "s2": (RECORD, IMG, CDATA),
    "s3": (BACKSLASHES, DOT_BREAKOUT, DOT_COMMENT),
    "s4": (DOT_COMMENT, CDATA, SCRIPT),
    "s5": (TRAILING, IMG, TRAILING),
}
NAMES = {text for step in STEPS.values() for text in step}
"""Every hostile text: step names, departments and owners (eight different ones)."""

LINES = "first line\nsecond <b>line</b>"
"""A description: line breaks are allowed in free text (not in names)."""


def _process() -> dict[str, Any]:
    steps = [
        {"id": key, "name": name, "department": department, "owner": owner, "minutes": 5}
        for key, (name, department, owner) in STEPS.items()
    ]
    flows = [
        {"from": "s1", "to": "s2", "owner": IMG, "standard_hours": 4},
        {"from": "s2", "to": "s3"},
        {"from": "s3", "to": "s4", "owner": DOT_BREAKOUT},
        {"from": "s4", "to": "s5", "owner": TRAILING},
    ]
    option = [dict(step, owner=step["owner"]) for step in steps if step["id"] != "s2"]
    return {
        "slug": "hostile",
        "name": f"Review {SCRIPT} {DOT_BREAKOUT}",
        "customer": LINES,
        "owner": CDATA,
        "versions": [
            {"label": "as-is", "kind": "as-is", "description": LINES, "steps": steps,
             "flows": flows},
            {"label": "option-b", "kind": "to-be", "description": LINES, "steps": option,
             "flows": [{"from": "s1", "to": "s3", "owner": SCRIPT}, {"from": "s3", "to": "s4"}],
             "one_off_cost": 1000},
        ],
    }  # fmt: skip


LOG_ACTIVITIES = [  # activity, department: the process's names, and line breaks and tabs
    (SCRIPT, DOT_BREAKOUT),
    (RECORD, IMG),
    (BACKSLASHES, DOT_BREAKOUT),
    (TRAILING, IMG),
    ("line one\nline two\ttab", CDATA),
]


def _log() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["case", "activity", "timestamp", "department"])
    for case in range(12):
        month = 1 + case % 2  # two months, so that a scorecard has a period and one before
        for hour, (activity, department) in enumerate(LOG_ACTIVITIES):
            stamp = f"2025-0{month}-{1 + case:02d}T{8 + hour * (1 + case % 3):02d}:00:00Z"
            writer.writerow([f"C{case}", activity, stamp, department])
    return out.getvalue().encode()


@pytest.fixture
def hostile(client: Client) -> tuple[Client, int]:
    created = client.post("/api/processes", json=_process())
    assert created.status_code == 201, created.text
    uploaded = client.post("/api/event-logs", files={"file": ("hostile.csv", _log())})
    assert uploaded.status_code == 201, uploaded.text
    return client, uploaded.json()["id"]


def _get(client: Client, path: str, **params: Any) -> Any:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, (path, params, answer.text[:500])
    return answer


SVG_NS = "{http://www.w3.org/2000/svg}"


def _svg_texts(content: bytes) -> list[str]:
    """The SVG parsed as XML, checked for anything active; its text lines."""
    root = ET.fromstring(content)  # raises on anything that is not well-formed
    assert root.tag == f"{SVG_NS}svg"
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1].lower()
        assert local not in {"script", "foreignobject", "iframe", "object", "embed", "a"}, local
        for name, value in element.attrib.items():
            local_name = name.rsplit("}", 1)[-1].lower()
            assert not local_name.startswith("on"), (local, name, value)
            assert local_name not in {"href", "src", "style"}, (local, name, value)
    return [element.text or "" for element in root.iter(f"{SVG_NS}text")]


def _assert_shown(texts: list[str], names: set[str]) -> None:
    """Every name is shown as text: on one line, or wrapped at its spaces over lines
    that follow each other."""
    joined = " ".join(texts)
    missing = {name for name in names if name not in joined}
    assert not missing, (missing, texts)


def _nodes(content: bytes) -> int:
    root = ET.fromstring(content)
    return sum(1 for g in root.iter(f"{SVG_NS}g") if g.get("class") == "node")


def test_the_swimlane_map_dot_and_svg(hostile: tuple[Client, int]) -> None:
    client, log_id = hostile
    base = "/api/processes/hostile/map"
    dot = _get(client, base, version="as-is", format="dot").text
    assert SCRIPT not in dot and "&lt;script&gt;alert(1)&lt;/script&gt;" in dot
    assert DOT_BREAKOUT not in dot and "&quot;];x[label=&quot;" in dot
    assert "\\\\N \\\\G \\\\l" in dot  # backslashes doubled: never \N (the node's name)
    svg = _get(client, base, version="as-is", format="svg").content
    texts = _svg_texts(svg)
    _assert_shown(texts, NAMES | {IMG})
    assert not any(text.strip() == "x" for text in texts)  # no node made by the breakout
    overlaid = _get(client, base, version="as-is", format="svg", log=log_id).content
    _assert_shown(_svg_texts(overlaid), NAMES)
    assert _nodes(svg) == len(STEPS) and _nodes(overlaid) >= len(STEPS)  # no node added


def test_the_compare_maps_and_document(hostile: tuple[Client, int]) -> None:
    client, _ = hostile
    for style in ("diff", "side-by-side"):
        svg = _get(
            client,
            "/api/processes/hostile/compare/map",
            **{"from": "as-is", "to": "option-b"},
            style=style,
            format="svg",
        ).content
        _assert_shown(_svg_texts(svg), {SCRIPT, RECORD, BACKSLASHES, DOT_BREAKOUT})
    document = _get(client, "/api/processes/hostile/compare", **{"from": "as-is", "to": "option-b"})
    assert document.json()["diff"]["removed_steps"] == [RECORD]
    assert [DOT_BREAKOUT, IMG] in document.json()["diff"]["removed_handoffs"]


def test_the_bpmn_export(hostile: tuple[Client, int]) -> None:
    client, log_id = hostile
    for path in ("/api/processes/hostile/model.bpmn", f"/api/event-logs/{log_id}/model.bpmn"):
        params = {"version": "as-is"} if "processes" in path else {}
        answer = _get(client, path, **params)
        root = ET.fromstring(answer.content)
        names = {e.get("name") for e in root.iter() if e.get("name")}
        assert {SCRIPT, RECORD, BACKSLASHES, TRAILING} <= names, names
        assert not any(e.tag.rsplit("}", 1)[-1] == "script" for e in root.iter())


def test_the_mined_and_customer_maps(hostile: tuple[Client, int]) -> None:
    client, log_id = hostile
    mined = _get(client, f"/api/event-logs/{log_id}/map", format="svg").content
    texts = _svg_texts(mined)
    _assert_shown(texts, {SCRIPT, RECORD, BACKSLASHES, TRAILING, "line one", "line two tab"})
    dot = _get(client, f"/api/event-logs/{log_id}/map", format="dot").text
    assert SCRIPT not in dot and "line one<BR/>line two tab" in dot
    for path in (f"/api/event-logs/{log_id}/customer-map/map", "/api/customer-map/map"):
        _assert_shown(_svg_texts(_get(client, path, format="svg").content), {DOT_BREAKOUT, IMG})
    split = _get(client, f"/api/event-logs/{log_id}/compare-map", split="2025-02-01", format="svg")
    _assert_shown(_svg_texts(split.content), {SCRIPT, RECORD})


class _Page(HTMLParser):
    """Every element and attribute of a page, and its text (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs if (name, tag) != ("href", "link")}
        if tag == "link":  # the page's icon, so that the browser asks for no favicon
            assert dict(attrs) == {"rel": "icon", "href": "data:,"}, attrs
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            assert not (value or "").lower().lstrip().startswith("javascript:"), (tag, value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


PAGE_TAGS = {
    "html", "head", "meta", "title", "link", "style", "body", "h1", "h2", "p", "ul", "li", "table",
    "thead", "tbody", "tr", "th", "td", "section", "figure", "figcaption",
    # the embedded maps and sparklines
    "svg", "g", "polygon", "path", "text", "ellipse", "polyline", "circle",
}  # fmt: skip


def _page(answer: Any) -> _Page:
    assert answer.headers["content-type"].startswith("text/html")
    page = _Page()
    page.feed(answer.text)
    page.close()
    assert page.tags <= PAGE_TAGS, page.tags - PAGE_TAGS
    assert "style" not in page.attributes and "href" not in page.attributes
    assert answer.text.count("<style>") == 1 and answer.text.count("<script") == 0
    return page


def test_the_printable_program_review(hostile: tuple[Client, int]) -> None:
    client, log_id = hostile
    answer = _get(client, "/api/processes/hostile/review", format="html", log=log_id)
    page = _page(answer)
    text = "\n".join(page.text)
    for name in (f"Review {SCRIPT} {DOT_BREAKOUT}", SCRIPT, RECORD, BACKSLASHES, CDATA, LINES):
        assert name in text, name


def test_the_printable_scorecards(hostile: tuple[Client, int]) -> None:
    client, log_id = hostile
    every = _page(_get(client, f"/api/event-logs/{log_id}/scorecards", format="html"))
    text = "\n".join(every.text)
    for department in (DOT_BREAKOUT, IMG, CDATA):
        assert department in text, department
    one = _get(
        client,
        f"/api/event-logs/{log_id}/scorecards/{urllib.parse.quote(IMG, safe='')}",
        format="html",
    )
    assert IMG in "\n".join(_page(one).text)


def test_the_json_documents_carry_the_names_unchanged(hostile: tuple[Client, int]) -> None:
    client, log_id = hostile
    process = _get(client, "/api/processes/hostile").json()
    assert process["name"] == f"Review {SCRIPT} {DOT_BREAKOUT}"
    version = next(v for v in process["versions"] if v["label"] == "as-is")
    assert version["description"] == LINES
    assert {s["name"] for s in version["steps"]} == {name for name, _, _ in STEPS.values()}
    analysis = _get(client, f"/api/event-logs/{log_id}/analysis").json()
    activities = {a["activity"] for a in analysis["activities"]}
    assert {a for a, _ in LOG_ACTIVITIES} <= activities
