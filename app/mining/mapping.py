"""Which column plays which role: explicit choices, or recognition of common header names."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from app.lib.errors import InvalidEventLog
from app.lib.shown import shown

__all__ = ["ROLES", "Mapping", "candidates", "normalise_header", "resolve_mapping"]

ROLES = ("case", "activity", "timestamp", "department", "resource", "start_timestamp", "lifecycle")
REQUIRED = ("case", "activity", "timestamp")
FLAGS = {role: "--" + role.replace("_", "-") for role in ROLES} | {
    "lifecycle": "--lifecycle-column"
}

# Header names recognised for each role, in order of preference, as normalise_header gives them.
KNOWN: dict[str, tuple[str, ...]] = {
    "case": (
        "case id",
        "case concept name",
        "request id",
        "ticket",
        "ticket id",
        "case",
        "case number",
        "ticket number",
        "service request id",
        "incident id",
    ),
    "activity": ("activity", "concept name", "step", "task", "activity name"),
    "timestamp": (
        "timestamp",
        "time timestamp",
        "completed at",
        "complete timestamp",
        "end timestamp",
        "event time",
    ),
    "department": ("department", "org group", "team", "group", "division", "branch", "agency"),
    "resource": ("resource", "org resource", "handled by", "user", "agent", "assigned to"),
    "start_timestamp": ("start timestamp", "start time", "started at"),
    "lifecycle": ("lifecycle transition", "lifecycle"),
}


def normalise_header(name: str) -> str:
    """A header reduced for matching: lower case, separators as single spaces, no ``event`` prefix.

    >>> [normalise_header(h) for h in ("case_concept.name", "Case ID", "event_time.timestamp")]
    ['case concept name', 'case id', 'time timestamp']
    """
    text = re.sub(r"[\s_.:\-]+", " ", name.strip().lower()).strip()
    return text.removeprefix("event ").strip()


@dataclass(frozen=True)
class Mapping:
    """The source column of each role (None: the log has no such column)."""

    case: str
    activity: str
    timestamp: str
    department: str | None = None
    resource: str | None = None
    start_timestamp: str | None = None
    lifecycle: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """Role to source column."""
        return {role: getattr(self, role) for role in ROLES}


def _same_content(frame: pl.DataFrame, columns: list[str]) -> bool:
    first = frame.get_column(columns[0])
    return all(frame.get_column(c).equals(first) for c in columns[1:])


def resolve_mapping(
    frame: pl.DataFrame,
    name: str,
    explicit: dict[str, str | None],
    defaults: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Mapping:
    """Choose the column of every role.

    Args:
        frame: the log's text columns.
        name: the file name for messages.
        explicit: role to column as the user named them (None: recognise).
        defaults: role to column fixed by the format (XES keys), used when present.
        headers: the header as written of columns renamed to be unique, so that two
            columns both headed "Activity" are both candidates.

    Raises:
        InvalidEventLog: a named column does not exist, a required role has no column, or
            several different columns match a role.
    """
    columns = frame.columns
    by_normal: dict[str, list[str]] = {}
    for column in columns:
        written = (headers or {}).get(column, column)
        by_normal.setdefault(normalise_header(written), []).append(column)
    chosen: dict[str, str | None] = {}
    for role in ROLES:
        wanted = explicit.get(role)
        if wanted is not None:
            if wanted not in columns:
                matches = [c for c in columns if c.lower() == wanted.lower()]
                if len(matches) != 1:
                    raise InvalidEventLog(
                        f"{name}: there is no column '{shown(wanted)}' for {FLAGS[role]} "
                        f"(columns: {_list(columns)})."
                    )
                wanted = matches[0]
            chosen[role] = wanted
            continue
        default = (defaults or {}).get(role)
        if default is not None and default in columns:
            chosen[role] = default
            continue
        candidates = [c for known in KNOWN[role] for c in by_normal.get(known, [])]
        candidates = [c for c in candidates if c not in chosen.values()]
        if len(candidates) > 1 and not _same_content(frame, candidates):
            quoted = [f"'{shown(c)}'" for c in candidates]
            raise InvalidEventLog(
                f"{name}: the {role.replace('_', ' ')} column is ambiguous: "
                f"{_words(quoted, 'and')} "
                f"{'both' if len(candidates) == 2 else 'all'} match; choose one with {FLAGS[role]}."
            )
        chosen[role] = candidates[0] if candidates else None
    missing = [role for role in REQUIRED if chosen[role] is None]
    if missing:
        flags = ", ".join(FLAGS[r] for r in missing)
        raise InvalidEventLog(
            f"{name}: no {_words(missing)} column was recognised among "
            f"{_list(columns)}; name it with {flags}."
        )
    return Mapping(**chosen)  # type: ignore[arg-type]


def candidates(
    frame: pl.DataFrame,
    explicit: dict[str, str | None],
    defaults: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, list[str]]:
    """The columns each role could take, by the rules of ``resolve_mapping``, without raising.

    A role with one candidate is what ``resolve_mapping`` chooses; with several (different
    content) it is ambiguous; with none it is missing (or names an unknown column).
    """
    columns = frame.columns
    by_normal: dict[str, list[str]] = {}
    for column in columns:
        by_normal.setdefault(normalise_header((headers or {}).get(column, column)), []).append(
            column
        )
    chosen: dict[str, str | None] = {}
    found: dict[str, list[str]] = {}
    for role in ROLES:
        wanted = explicit.get(role)
        default = (defaults or {}).get(role)
        if wanted is not None:
            options = [wanted] if wanted in columns else []
            options = options or [c for c in columns if c.lower() == wanted.lower()]
            options = options if len(options) == 1 else []
        elif default is not None and default in columns:
            options = [default]
        else:
            options = [c for known in KNOWN[role] for c in by_normal.get(known, [])]
            options = [c for c in options if c not in chosen.values()]
            if len(options) > 1 and _same_content(frame, options):
                options = options[:1]
        found[role] = options
        chosen[role] = options[0] if len(options) == 1 else None
    return found


def _list(columns: list[str], most: int = 12) -> str:
    listed = ", ".join(f"'{shown(c)}'" for c in columns[:most])
    return listed + (f" and {len(columns) - most} more" if len(columns) > most else "")


def _words(items: list[str], conjunction: str = "or") -> str:
    """``case``, ``case or activity``, ``case, activity or timestamp``."""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
