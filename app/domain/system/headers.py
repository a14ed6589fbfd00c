"""Security headers on every response, and printable HTML pages with their own policy.

Every answer (the API, static files, errors, ``/health``, ``/schema``) carries a Content
Security Policy that allows scripts, styles and images from this origin only (no inline
script, no inline style, no ``eval``), along with ``nosniff``, a referrer policy, frame and
cross-origin isolation headers and a permissions policy; ``Strict-Transport-Security`` is
added when the request came over HTTPS or the service is told it sits behind TLS
(``secure_cookies``). A response that sets its own ``Content-Security-Policy`` keeps it:
the printable pages (program review, scorecards) embed their CSS in one ``<style>``
element, so that a saved page stays self-contained, and allow exactly that CSS by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable

from litestar import Response
from litestar.types import Message, Scope

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "HSTS",
    "SECURITY_HEADERS",
    "page_policy",
    "printable_page",
    "security_headers",
]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
"""The policy of the web UI and of every other answer: nothing inline, nothing foreign
(``blob:`` images are maps the page fetched itself, to read a header of the answer)."""

SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}

HSTS = "max-age=31536000; includeSubDomains"
"""One year; only ever sent over HTTPS (or behind a proxy that terminates TLS)."""

_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def security_headers(behind_tls: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A ``before_send`` hook adding the security headers to every response start.

    Args:
        behind_tls: the service is reached over HTTPS even when the request looks like
            plain HTTP (``secure_cookies``): send ``Strict-Transport-Security`` always.
    """
    encoded = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", []))
        present = {bytes(name).lower() for name, _ in headers}
        headers += [(name, value) for name, value in encoded if name not in present]
        https = behind_tls or scope.get("scheme") == "https"
        if https and b"strict-transport-security" not in present:
            headers.append((b"strict-transport-security", HSTS.encode()))
        message["headers"] = headers

    return hook


def page_policy(page: str) -> str:
    """The policy of a self-contained HTML page: its own ``<style>`` elements (by their
    SHA-256 hash), images from here or inline, and nothing else (no script at all).

    >>> page_policy("<style>b { color: red }</style>").split("; ")[1]
    "style-src 'sha256-O28scEPi1wp28nkUG+W8j5nTbUOBZEuee0EWEjDpinQ='"
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for css in _STYLE.findall(page)
    )
    styles = hashes or "'none'"
    return (
        f"default-src 'none'; style-src {styles}; img-src 'self' data:; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    )


def printable_page(page: str) -> Response[str]:
    """An HTML page answered with the policy of ``page_policy``."""
    return Response(
        page, media_type="text/html", headers={"Content-Security-Policy": page_policy(page)}
    )
