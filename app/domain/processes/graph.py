"""A process version as the plain ``ProcessGraph`` that mining and rendering read."""

from __future__ import annotations

from app.domain.processes.schemas import ProcessFile
from app.lib.errors import NotFound
from app.lib.graph import GraphFlow, GraphStep, ProcessGraph

__all__ = ["version_graph"]


def version_graph(process: ProcessFile, label: str) -> ProcessGraph:
    """The graph of one version of a process document.

    Raises:
        NotFound: the process has no version with that label.
    """
    for version in process.versions:
        if version.label == label:
            return ProcessGraph(
                process=process.slug,
                version=version.label,
                name=process.name,
                standard_hours=process.standard_hours,
                steps=[
                    GraphStep(
                        id=s.id,
                        name=s.name,
                        department=s.department,
                        owner=s.owner,
                        manual_entry=s.manual_entry,
                        minutes=s.minutes,
                        cost=s.cost,
                        system=s.system,
                    )
                    for s in version.steps
                ],
                flows=[
                    GraphFlow(
                        source=f.from_, target=f.to, owner=f.owner, standard_hours=f.standard_hours
                    )
                    for f in version.flows
                ],
            )
    labels = ", ".join(v.label for v in process.versions)
    raise NotFound(f"Process '{process.slug}' has no version '{label}' (it has: {labels}).")
