"""Deterministic orders and facts of a process graph that every process drawing shares."""

from __future__ import annotations

from collections import deque

from app.lib.errors import RenderError
from app.lib.graph import GraphFlow, GraphStep, ProcessGraph

__all__ = [
    "check_flows",
    "department_order",
    "duplicate_departments",
    "is_handoff",
    "step_order",
]


def check_flows(graph: ProcessGraph) -> None:
    """Fail with a plain sentence when a flow names a step the version does not have.

    Raises:
        RenderError: a flow end is dangling.
    """
    ids = {step.id for step in graph.steps}
    for flow in graph.flows:
        for end in (flow.source, flow.target):
            if end not in ids:
                raise RenderError(
                    f"Cannot draw '{graph.process}' version '{graph.version}': a flow from "
                    f"'{flow.source}' to '{flow.target}' names step '{end}', which it does "
                    "not have."
                )


def step_order(graph: ProcessGraph) -> list[GraphStep]:
    """The steps in flow order: breadth-first from the steps nothing leads to, ids breaking
    ties, so the order depends on the graph and not on how its lists were sorted.

    >>> g = ProcessGraph("p", "v", [GraphStep("b", "B", "D"), GraphStep("a", "A", "D")],
    ...                  [GraphFlow("b", "a")])
    >>> [s.id for s in step_order(g)]
    ['b', 'a']
    """
    by_id = {step.id: step for step in sorted(graph.steps, key=lambda s: s.id)}
    successors: dict[str, set[str]] = {step_id: set() for step_id in by_id}
    has_predecessor: set[str] = set()
    for flow in graph.flows:
        if flow.source in by_id and flow.target in by_id and flow.source != flow.target:
            successors[flow.source].add(flow.target)
            has_predecessor.add(flow.target)
    roots = [step_id for step_id in by_id if step_id not in has_predecessor]
    order: list[str] = []
    seen: set[str] = set()
    for root in [*roots, *by_id]:
        if root in seen:
            continue
        seen.add(root)
        queue = deque([root])
        while queue:
            current = queue.popleft()
            order.append(current)
            for following in sorted(successors[current]):
                if following not in seen:
                    seen.add(following)
                    queue.append(following)
    return [by_id[step_id] for step_id in order]


def department_order(steps: list[GraphStep]) -> list[str]:
    """Departments in the order their first step appears.

    >>> department_order([GraphStep("a", "A", "X"), GraphStep("b", "B", "Y"),
    ...                   GraphStep("c", "C", "X")])
    ['X', 'Y']
    """
    return list(dict.fromkeys(step.department for step in steps))


def duplicate_departments(steps: list[GraphStep]) -> dict[str, list[str]]:
    """Step names done by two or more departments, with those departments sorted.

    >>> duplicate_departments([GraphStep("a", "Enter", "X"), GraphStep("b", "Enter", "Y")])
    {'Enter': ['X', 'Y']}
    """
    departments: dict[str, set[str]] = {}
    for step in steps:
        departments.setdefault(step.name, set()).add(step.department)
    return {name: sorted(found) for name, found in departments.items() if len(found) > 1}


def is_handoff(graph_steps: dict[str, GraphStep], flow: GraphFlow) -> bool:
    """Whether a flow crosses departments."""
    return graph_steps[flow.source].department != graph_steps[flow.target].department
