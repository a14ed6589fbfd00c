"""The web UI keeps to its Content Security Policy: no inline script, no inline event
handler, no ``javascript:`` URL, no style attribute or ``<style>`` element in the HTML,
and no JavaScript that writes markup or style attributes (``innerHTML``, ``setAttribute
("style")``, a string given as ``style`` to ``h()``) or evaluates strings. The scanner is
tested on snippets that break each rule, so that a rule that matches nothing is caught."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

STATIC = ROOT / "static"

HTML_RULES: dict[str, re.Pattern[str]] = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript\s*:", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "foreign resource": re.compile(r"""\s(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I),
}
JS_RULES: dict[str, re.Pattern[str]] = {
    "markup written as HTML": re.compile(
        r"\.(?:innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|createContextualFragment"
    ),
    "style attribute": re.compile(
        # a string of declarations as h()'s style (Intl's {style: "currency"} is no CSS)
        r"""setAttribute\(\s*["'](?:style|on[a-z]+)["']|\.cssText\s*=|style\s*:\s*[`"'][^`"']*:"""
    ),
    "string evaluated as code": re.compile(
        r"""\beval\s*\(|new\s+Function\s*\(|set(?:Timeout|Interval)\(\s*[`"']"""
    ),
    "javascript: URL": re.compile(r"javascript\s*:", re.IGNORECASE),
    "inline handler in markup": re.compile(r"""["'`]\s*on[a-z]+\s*["'`]\s*:"""),
    "foreign resource": re.compile(r"""["'`](?:https?:)?//(?!www\.w3\.org/)"""),
}
CSS_RULES: dict[str, re.Pattern[str]] = {
    "foreign resource": re.compile(r"url\(\s*[\"']?(?:https?:)?//", re.IGNORECASE),
    "script in CSS": re.compile(r"expression\s*\(|javascript\s*:", re.IGNORECASE),
}
RULES = {".html": HTML_RULES, ".js": JS_RULES, ".css": CSS_RULES}


def _comments_removed(text: str, suffix: str) -> str:
    if suffix == ".js":
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
        return re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)
    if suffix == ".css":
        return re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    return re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)


def violations(text: str, suffix: str) -> list[str]:
    """The rules a file's text breaks, with the line of each finding."""
    text = _comments_removed(text, suffix)
    found = []
    for rule, pattern in RULES[suffix].items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{rule} on line {line}: {match.group(0)[:60]!r}")
    return found


def _files() -> list[Path]:
    return sorted(p for p in STATIC.rglob("*") if p.suffix in RULES and p.is_file())


def test_the_static_files_are_scanned() -> None:
    names = {p.relative_to(STATIC).as_posix() for p in _files()}
    assert {"index.html", "js/app.js", "js/ui.js", "css/app.css"} <= names
    assert len(names) >= 25


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.relative_to(STATIC).as_posix())
def test_no_inline_script_handler_or_style(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8"), path.suffix) == []


@pytest.mark.parametrize(
    ("snippet", "suffix", "rule"),
    [
        ("<script>alert(1)</script>", ".html", "inline script"),
        ('<script type="module">import "/x.js"</script>', ".html", "inline script"),
        ('<button onclick="go()">Go</button>', ".html", "event handler attribute"),
        ('<a href="javascript:go()">Go</a>', ".html", "javascript: URL"),
        ('<div style="height:1rem"></div>', ".html", "style attribute"),
        ("<style>p { color: red }</style>", ".html", "style element"),
        ('<script src="https://cdn.example/x.js"></script>', ".html", "foreign resource"),
        ("el.innerHTML = text;", ".js", "markup written as HTML"),
        ("el.outerHTML += text;", ".js", "markup written as HTML"),
        ('el.insertAdjacentHTML("beforeend", text);', ".js", "markup written as HTML"),
        ('el.setAttribute("style", "width:1px");', ".js", "style attribute"),
        ("el.setAttribute('onclick', 'go()');", ".js", "style attribute"),
        ('el.style.cssText = "width:1px";', ".js", "style attribute"),
        ('h("div", { style: "height:.75rem" })', ".js", "style attribute"),
        ("h('span', { style: `width:${w}%` })", ".js", "style attribute"),
        ('h("button", { "onclick": "go()" })', ".js", "inline handler in markup"),
        ('eval("1 + 1");', ".js", "string evaluated as code"),
        ('setTimeout("go()", 10);', ".js", "string evaluated as code"),
        ("new Function('return 1')", ".js", "string evaluated as code"),
        ('link("javascript:alert(1)", "x")', ".js", "javascript: URL"),
        ('fetch("https://cdn.example/x.json")', ".js", "foreign resource"),
        ('@import url("https://fonts.example/x.css");', ".css", "foreign resource"),
        ("p { width: expression(alert(1)); }", ".css", "script in CSS"),
    ],
)
def test_the_scanner_finds_each_kind_of_violation(snippet: str, suffix: str, rule: str) -> None:
    found = violations(snippet, suffix)
    assert any(f.startswith(rule) for f in found), found


@pytest.mark.parametrize(
    ("snippet", "suffix"),
    [
        ('<script type="module" src="/js/app.js"></script>', ".html"),
        ('<link rel="icon" href="data:,">', ".html"),
        ('<a href="#/processes">Processes</a>', ".html"),
        ("el.style.width = `${w}px`;", ".js"),
        ('h("span", { class: "bar", style: { width: `${w}rem` } })', ".js"),
        ('h("button", { onclick: () => go() })', ".js"),
        ("// el.innerHTML = text; is never used", ".js"),
        ('const SVG = "http://www.w3.org/2000/svg";', ".js"),
        ('new Intl.NumberFormat("en-CA", { style: "currency", currency: "CAD" })', ".js"),
        ('@import url("/css/process.css");', ".css"),
    ],
)
def test_the_scanner_lets_the_allowed_forms_pass(snippet: str, suffix: str) -> None:
    assert violations(snippet, suffix) == []
