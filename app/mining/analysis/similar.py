"""Similar activities: differently named activities that are probably the same work.

Names are compared by rapidfuzz's token-set ratio after folding the verbs of data entry
(log, enter, record, input, key, capture, register, create) into one, so "Log request
details" and "Enter request details" match while "Receive request" and "Review request"
(83) do not. Pairs at or above ``threshold`` (default 85 out of 100) are listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from app.mining.analysis.prepared import Prepared

__all__ = ["Params", "SimilarRow", "fold", "run", "similar_pairs"]

ENTRY_VERBS = {
    "log",
    "logs",
    "enter",
    "enters",
    "record",
    "records",
    "input",
    "key",
    "capture",
    "register",
    "registers",
    "create",
    "creates",
}


@dataclass(frozen=True)
class Params:
    """``threshold`` 0-100; ``max_activities``: above this many names, none are compared."""

    threshold: float = 85.0
    max_activities: int = 3000


@dataclass(frozen=True)
class SimilarRow:
    """Two activity names and how alike they are (0-100)."""

    a: str
    b: str
    similarity: float


def fold(name: str) -> str:
    """A name lower-cased, punctuation removed, data-entry verbs folded.

    >>> fold("Log request-details"), fold("Enter Request details")
    ('enter request details', 'enter request details')
    """
    words = re.findall(r"[a-z0-9]+", name.lower())
    return " ".join("enter" if word in ENTRY_VERBS else word for word in words)


def similar_pairs(names: list[str], params: Params) -> list[SimilarRow]:
    """Pairs of distinct names at or above the threshold, most alike first."""
    names = sorted(set(names))
    if len(names) < 2 or len(names) > params.max_activities:
        return []
    folded = [fold(n) for n in names]
    scores = process.cdist(
        folded, folded, scorer=fuzz.token_set_ratio, score_cutoff=params.threshold
    )
    upper = np.triu(scores >= params.threshold, k=1)
    rows = [
        SimilarRow(names[i], names[j], round(float(scores[i, j]), 1)) for i, j in np.argwhere(upper)
    ]
    return sorted(rows, key=lambda r: (-r.similarity, r.a, r.b))


def run(prepared: Prepared, params: Params) -> list[SimilarRow]:
    """Similar pairs among the log's activity names."""
    return similar_pairs(prepared.events.get_column("activity").unique().to_list(), params)
