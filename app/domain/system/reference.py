"""The API reference at ``/schema``: a plain page drawn on the server from the OpenAPI
document, with no script and nothing from a CDN (Litestar's Swagger, Redoc and Scalar
pages load both, which the Content Security Policy and an offline machine refuse). The
document itself stays at ``/schema/openapi.json`` and ``/schema/openapi.yaml``."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from litestar.openapi.plugins import OpenAPIRenderPlugin

if TYPE_CHECKING:
    from litestar.connection import Request

__all__ = ["ReferencePage", "reference_html"]

METHODS = ("get", "post", "put", "patch", "delete")


def _type(schema: Mapping[str, Any]) -> str:
    """A schema in a few words: ``integer``, ``string (json, csv)``, ``array of string``.

    >>> _type({"oneOf": [{"type": "integer"}, {"type": "null"}]})
    'integer or null'
    >>> _type({"type": "string", "enum": ["json", "csv"]})
    'string (json, csv)'
    >>> _type({"$ref": "#/components/schemas/Login"})
    'Login'
    """
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " or ".join(_type(part) for part in schema[key])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(str(k) for k in kind)
    if kind == "array" and isinstance(schema.get("items"), Mapping):
        return f"array of {_type(schema['items'])}"
    if "enum" in schema:
        return f"{kind} ({', '.join(str(v) for v in schema['enum'])})"
    return str(kind)


def _operation(method: str, path: str, operation: Mapping[str, Any]) -> str:
    e = html.escape
    parts = [
        f'<section class="operation"><h3><span class="method {e(method)}">'
        f"{e(method.upper())}</span> <code>{e(path)}</code></h3>"
    ]
    description = str(operation.get("description") or operation.get("summary") or "")
    parts += [f"<p>{e(paragraph)}</p>" for paragraph in description.split("\n\n") if paragraph]
    parameters = operation.get("parameters") or []
    if parameters:
        rows = "".join(
            f"<tr><td><code>{e(str(p.get('name', '')))}</code></td>"
            f"<td>{e(str(p.get('in', '')))}</td>"
            f"<td>{'yes' if p.get('required') else 'no'}</td>"
            f"<td>{e(_type(p.get('schema') or {}))}</td>"
            f"<td>{e(str(p.get('description') or ''))}</td></tr>"
            for p in parameters
        )
        parts.append(
            "<table><thead><tr><th>parameter</th><th>in</th><th>required</th><th>type</th>"
            f"<th>meaning</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    body = (operation.get("requestBody") or {}).get("content") or {}
    for media_type, content in body.items():
        shown = _type((content or {}).get("schema") or {})
        parts.append(f"<p>Body: <code>{e(media_type)}</code>, {e(shown)}.</p>")
    responses = operation.get("responses") or {}
    if responses:
        items = "".join(
            f"<li><code>{e(str(code))}</code> {e(str((answer or {}).get('description', '')))}</li>"
            for code, answer in responses.items()
        )
        parts.append(f'<ul class="responses">{items}</ul>')
    parts.append("</section>")
    return "".join(parts)


def reference_html(document: Mapping[str, Any], base: str = "/schema") -> str:
    """The OpenAPI document as one page: the operations by tag, each with its parameters,
    body and answers; every text escaped.

    >>> page = reference_html({"info": {"title": "<T>", "version": "1"}, "paths": {
    ...     "/x": {"get": {"tags": ["a"], "description": "Get <x>."}}}})
    >>> "&lt;T&gt;" in page and "Get &lt;x&gt;." in page and "<script" not in page
    True
    """
    e = html.escape
    info = document.get("info") or {}
    title = str(info.get("title") or "API")
    groups: dict[str, list[str]] = {}
    for path, item in sorted((document.get("paths") or {}).items()):
        for method in METHODS:
            operation = (item or {}).get(method)
            if operation is None:
                continue
            tag = str((operation.get("tags") or ["other"])[0])
            groups.setdefault(tag, []).append(_operation(method, path, operation))
    contents = "".join(
        f'<li><a href="#{e(_anchor(tag))}">{e(tag)}</a></li>' for tag in sorted(groups)
    )
    sections = "".join(
        f'<h2 id="{e(_anchor(tag))}">{e(tag)}</h2>' + "".join(groups[tag]) for tag in sorted(groups)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)} API reference</title>\n"
        '<link rel="icon" href="data:,">\n<link rel="stylesheet" href="/css/reference.css">\n'
        '</head>\n<body>\n<main class="reference">\n'
        f"<h1>{e(title)} API reference</h1>\n"
        f'<p class="version">Version {e(str(info.get("version", "")))}. '
        f"{e(str(info.get('description') or ''))}</p>\n"
        f'<p>The OpenAPI document: <a href="{e(base)}/openapi.json">JSON</a>, '
        f'<a href="{e(base)}/openapi.yaml">YAML</a>. Every <code>/api</code> request but sign-in '
        "needs a session or "
        "<code>Authorization: Bearer TOKEN</code> (see the README, Accounts and roles); "
        "errors are <code>application/problem+json</code> documents.</p>\n"
        f'<nav aria-label="Sections"><ul>{contents}</ul></nav>\n{sections}\n'
        "</main>\n</body>\n</html>\n"
    )


def _anchor(tag: str) -> str:
    return "tag-" + "-".join(tag.lower().split())


class ReferencePage(OpenAPIRenderPlugin):
    """``reference_html`` as a Litestar render plugin (served at the schema's root)."""

    def __init__(self) -> None:
        super().__init__(path="/", favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        base = self.get_openapi_json_route(request).rsplit("/", 1)[0]
        return reference_html(openapi_schema, base).encode()
