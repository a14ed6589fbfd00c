"""Instants given by people: dates or dates with times, as microseconds since 1970 UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator

from app.lib.errors import InvalidRequest

__all__ = ["UtcDatetime", "as_utc", "instant", "iso_utc"]


def instant(text: str | None, what: str) -> int | None:
    """Microseconds UTC of an ISO date or date-time (naive ones are UTC).

    Raises:
        InvalidRequest: the text is not a date.

    >>> instant("1970-01-02", "--from")
    86400000000
    """
    if text is None or text == "":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{what} '{text}' is not a date like 2024-03-31.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


def iso_utc(micros: int) -> str:
    """An instant (microseconds since 1970 UTC) as ISO 8601 with a ``Z``.

    >>> iso_utc(86_400_000_000)
    '1970-01-02T00:00:00Z'
    """
    return datetime.fromtimestamp(micros / 1e6, UTC).isoformat().replace("+00:00", "Z")


def as_utc(moment: datetime) -> datetime:
    """An instant with its offset: one without (SQLite keeps none) is UTC.

    >>> as_utc(datetime(2025, 1, 2, 3, 4)).isoformat()
    '2025-01-02T03:04:00+00:00'
    """
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
"""An instant in an API document: always with its offset, as RFC 3339 (and the OpenAPI
``date-time`` format) requires, whichever database it was read from."""
