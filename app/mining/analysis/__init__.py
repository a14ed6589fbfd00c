"""The analyses of an event log: a registry of small modules, each with typed parameters
and typed results, run over one prepared frame (CONTRACT section 3)."""

from __future__ import annotations

from app.mining.analysis.calendar import Calendar, parse_calendar
from app.mining.analysis.document import analysis_document
from app.mining.analysis.filters import Filters
from app.mining.analysis.prepared import Prepared, prepare
from app.mining.analysis.registry import ANALYSES, Analysis

__all__ = [
    "ANALYSES",
    "Analysis",
    "Calendar",
    "Filters",
    "Prepared",
    "analysis_document",
    "parse_calendar",
    "prepare",
]
