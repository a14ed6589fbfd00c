"""The one entry point other slices call: the follow-up at the end of an import.

Kept apart from ``followup`` so that ``event_logs.services`` can import it without a
cycle (``followup`` reaches the analyses, which read logs through ``event_logs``).
"""

from __future__ import annotations

from sqlmodel import Session

__all__ = ["measure_open_actions"]


def measure_open_actions(session: Session, log_id: int) -> int:
    """Measure every action that is not dropped on a log just imported, when the log ends
    after the action's baseline log (see ``followup.measure_open_actions``).

    Returns:
        How many measurements were stored.
    """
    from app.domain.actions import followup

    return len(followup.measure_open_actions(session, log_id))
