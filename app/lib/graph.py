"""A documented process version as plain data, handed by services to mining and rendering."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["GraphFlow", "GraphStep", "ProcessGraph"]


@dataclass(frozen=True)
class GraphStep:
    """A documented step."""

    id: str
    name: str
    department: str
    owner: str | None = None
    manual_entry: bool = False
    minutes: float | None = None
    cost: float | None = None
    system: str | None = None


@dataclass(frozen=True)
class GraphFlow:
    """A documented flow between two steps."""

    source: str
    target: str
    owner: str | None = None
    standard_hours: float | None = None


@dataclass(frozen=True)
class ProcessGraph:
    """One version of a documented process: its steps and flows."""

    process: str
    version: str
    steps: list[GraphStep] = field(default_factory=list)
    flows: list[GraphFlow] = field(default_factory=list)
    standard_hours: float | None = None
    name: str | None = None
    """The process's display name (the slug stands in without one)."""

    @property
    def title(self) -> str:
        """The process's name, or its slug."""
        return self.name or self.process

    def step(self, step_id: str) -> GraphStep:
        """A step by id."""
        return next(s for s in self.steps if s.id == step_id)

    def handoffs(self) -> list[GraphFlow]:
        """Flows whose two steps belong to different departments."""
        return [
            f
            for f in self.flows
            if self.step(f.source).department != self.step(f.target).department
        ]
