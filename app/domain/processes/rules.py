"""Rules a process definition must keep beyond the types of its fields.

One place for them, used by the YAML loader, the whole-process API calls and every
API edit (which re-checks the version it changed), so a file and the database can
never disagree about what is valid.
"""

from __future__ import annotations

from app.domain.processes.schemas import VERSION_STATUSES, ProcessFile
from app.lib.errors import Problem

__all__ = ["check_process"]


def check_process(process: ProcessFile) -> list[Problem]:
    """Every broken rule of a process, in document order.

    Args:
        process: a process whose fields have the right types.

    Returns:
        The problems found; an empty list when the process is valid.
    """
    problems: list[Problem] = []
    labels: dict[str, int] = {}
    for v, version in enumerate(process.versions):
        where: tuple[str | int, ...] = ("versions", v)
        if version.label in labels:
            problems.append(
                Problem(
                    f"duplicate version label '{version.label}' "
                    f"(already used by versions[{labels[version.label]}])",
                    (*where, "label"),
                )
            )
        labels.setdefault(version.label, v)
        allowed = VERSION_STATUSES[version.kind]
        if version.status is not None and version.status not in allowed:
            problems.append(
                Problem(
                    f"status '{version.status}' is not allowed for a {version.kind} version "
                    f"(use one of: {', '.join(allowed)})",
                    (*where, "status"),
                )
            )
        step_ids: dict[str, int] = {}
        for s, step in enumerate(version.steps):
            if step.id in step_ids:
                problems.append(
                    Problem(
                        f"duplicate step id '{step.id}' in version '{version.label}' "
                        f"(already used by steps[{step_ids[step.id]}])",
                        (*where, "steps", s, "id"),
                    )
                )
            step_ids.setdefault(step.id, s)
        seen_flows: dict[tuple[str, str], int] = {}
        for f, flow in enumerate(version.flows):
            for key, end in (("from", flow.from_), ("to", flow.to)):
                if end not in step_ids:
                    problems.append(
                        Problem(
                            f"flow {key} '{end}' is not a step id of version '{version.label}'",
                            (*where, "flows", f, key),
                        )
                    )
            ends = (flow.from_, flow.to)
            if ends in seen_flows:
                problems.append(
                    Problem(
                        f"duplicate flow {flow.from_} -> {flow.to} in version '{version.label}' "
                        f"(already flows[{seen_flows[ends]}])",
                        (*where, "flows", f),
                    )
                )
            seen_flows.setdefault(ends, f)
    return problems
