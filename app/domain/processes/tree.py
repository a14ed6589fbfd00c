"""Loading processes with their versions, steps and flows in a few batched queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from app.db.models import Department, Flow, Owner, Process, ProcessVersion, Step
from app.domain.processes.schemas import (
    FlowPublic,
    HandoffPublic,
    ProcessPublic,
    ProcessSummary,
    StepPublic,
    StoredProcess,
    VersionPublic,
    VersionSummary,
)

__all__ = ["ProcessTree", "load_trees"]


@dataclass
class ProcessTree:
    """A process and everything below it, with department and owner names resolved."""

    process: Process
    versions: list[ProcessVersion]
    steps: dict[int, list[Step]]
    flows: dict[int, list[Flow]]
    departments: dict[int, str]
    owners: dict[int, str]
    _step_by_id: dict[int, Step] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._step_by_id = {s.id: s for rows in self.steps.values() for s in rows if s.id}

    def owner_name(self, owner_id: int | None) -> str | None:
        """The name of an owner id, or None."""
        return self.owners[owner_id] if owner_id is not None else None

    def step(self, step_id: int) -> Step:
        """A step of this process by database id."""
        return self._step_by_id[step_id]

    def department_names(self) -> list[str]:
        """Departments taking part in any version, sorted."""
        ids = {s.department_id for rows in self.steps.values() for s in rows}
        return sorted(self.departments[i] for i in ids)

    def is_handoff(self, flow: Flow) -> bool:
        """Whether a flow crosses departments."""
        return (
            self.step(flow.from_step_id).department_id != self.step(flow.to_step_id).department_id
        )

    def document(self) -> StoredProcess:
        """The process as a file-format document (owner may be missing in the database)."""
        data = {
            "slug": self.process.slug,
            "name": self.process.name,
            "customer": self.process.customer,
            "owner": self.owner_name(self.process.owner_id),
            "standard_hours": self.process.standard_hours,
            "versions": [
                {
                    "label": v.label,
                    "kind": v.kind,
                    "status": v.status,
                    "description": v.description,
                    **_figures(v),
                    "steps": [
                        {
                            "id": s.key,
                            "name": s.name,
                            "department": self.departments[s.department_id],
                            "owner": self.owner_name(s.owner_id),
                            "system": s.system,
                            "manual_entry": s.manual_entry,
                            "minutes": s.minutes,
                            "cost": s.cost,
                        }
                        for s in self.steps[v.id or 0]
                    ],
                    "flows": [
                        {
                            "from": self.step(f.from_step_id).key,
                            "to": self.step(f.to_step_id).key,
                            "owner": self.owner_name(f.owner_id),
                            "standard_hours": f.standard_hours,
                        }
                        for f in self.flows[v.id or 0]
                    ],
                }
                for v in self.versions
            ],
        }
        return StoredProcess.model_validate(data)

    def version_public(self, version: ProcessVersion) -> VersionPublic:
        """One version with its steps and flows, as the API shows it."""
        vid = version.id or 0
        return VersionPublic(
            label=version.label,
            kind=version.kind,
            status=version.status,
            description=version.description,
            **_figures(version),
            steps=[self.step_public(s) for s in self.steps[vid]],
            flows=[self.flow_public(f) for f in self.flows[vid]],
        )

    def step_public(self, s: Step) -> StepPublic:
        """A step as the API shows it."""
        return StepPublic(
            id=s.key,
            name=s.name,
            department=self.departments[s.department_id],
            owner=self.owner_name(s.owner_id),
            system=s.system,
            manual_entry=s.manual_entry,
            minutes=s.minutes,
            cost=s.cost,
        )

    def flow_public(self, f: Flow) -> FlowPublic:
        """A flow as the API shows it."""
        a, b = self.step(f.from_step_id), self.step(f.to_step_id)
        return FlowPublic(
            id=f.id or 0,
            from_=a.key,
            to=b.key,
            owner=self.owner_name(f.owner_id),
            standard_hours=f.standard_hours,
            from_department=self.departments[a.department_id],
            to_department=self.departments[b.department_id],
            handoff=a.department_id != b.department_id,
        )

    def _head(self) -> dict[str, Any]:
        """The process's own fields, shared by its summary and its full view."""
        return {
            "slug": self.process.slug,
            "name": self.process.name,
            "customer": self.process.customer,
            "owner": self.owner_name(self.process.owner_id),
            "standard_hours": self.process.standard_hours,
            "departments": self.department_names(),
        }

    def public(self) -> ProcessPublic:
        """The whole process as the API shows it."""
        return ProcessPublic(
            **self._head(), versions=[self.version_public(v) for v in self.versions]
        )

    def summary(self) -> ProcessSummary:
        """The process in lists."""
        return ProcessSummary(
            **self._head(),
            versions=[
                VersionSummary(
                    label=v.label,
                    kind=v.kind,
                    status=v.status,
                    description=v.description,
                    **_figures(v),
                    steps=len(self.steps[v.id or 0]),
                    handoffs=sum(self.is_handoff(f) for f in self.flows[v.id or 0]),
                )
                for v in self.versions
            ],
        )

    def handoffs(self) -> list[HandoffPublic]:
        """Every flow of every version that crosses departments, in document order."""
        out = []
        for v in self.versions:
            for f in self.flows[v.id or 0]:
                if not self.is_handoff(f):
                    continue
                a, b = self.step(f.from_step_id), self.step(f.to_step_id)
                out.append(
                    HandoffPublic(
                        process=self.process.slug,
                        process_name=self.process.name,
                        version=v.label,
                        version_kind=v.kind,
                        flow_id=f.id or 0,
                        from_step=a.key,
                        from_step_name=a.name,
                        to_step=b.key,
                        to_step_name=b.name,
                        from_department=self.departments[a.department_id],
                        to_department=self.departments[b.department_id],
                        owner=self.owner_name(f.owner_id),
                        standard_hours=f.standard_hours,
                    )
                )
        return out


def _figures(version: ProcessVersion) -> dict[str, Any]:
    """The option figures of a version: effort, one-off cost and expected impact."""
    return {
        "effort_months": version.effort_months,
        "one_off_cost": version.one_off_cost,
        "expected_impact": version.expected_impact,
    }


def load_trees(session: Session, processes: list[Process]) -> list[ProcessTree]:
    """Trees for the given processes, in their order, with five queries in all."""
    ids = [p.id for p in processes if p.id is not None]
    if not ids:
        return []
    versions = session.exec(
        select(ProcessVersion)
        .where(col(ProcessVersion.process_id).in_(ids))
        .order_by(col(ProcessVersion.position), col(ProcessVersion.id))
    ).all()
    version_ids = [v.id for v in versions]
    steps = session.exec(
        select(Step)
        .where(col(Step.version_id).in_(version_ids))
        .order_by(col(Step.position), col(Step.id))
    ).all()
    flows = session.exec(
        select(Flow)
        .where(col(Flow.version_id).in_(version_ids))
        .order_by(col(Flow.position), col(Flow.id))
    ).all()
    departments = {d.id: d.name for d in session.exec(select(Department)).all() if d.id}
    owner_ids = {s.owner_id for s in steps} | {f.owner_id for f in flows}
    owner_ids |= {p.owner_id for p in processes}
    owners = {
        o.id: o.name
        for o in session.exec(select(Owner).where(col(Owner.id).in_(owner_ids - {None}))).all()
        if o.id
    }
    by_process: dict[int, list[ProcessVersion]] = defaultdict(list)
    for v in versions:
        by_process[v.process_id].append(v)
    steps_by_version: dict[int, list[Step]] = defaultdict(list)
    for s in steps:
        steps_by_version[s.version_id].append(s)
    flows_by_version: dict[int, list[Flow]] = defaultdict(list)
    for f in flows:
        flows_by_version[f.version_id].append(f)
    trees = []
    for p in processes:
        own_versions = by_process[p.id or 0]
        vids = {v.id or 0 for v in own_versions}
        trees.append(
            ProcessTree(
                process=p,
                versions=own_versions,
                steps={vid: steps_by_version[vid] for vid in vids},
                flows={vid: flows_by_version[vid] for vid in vids},
                departments=departments,
                owners=owners,
            )
        )
    return trees
