"""Discovery with pm4py: the directly-follows graph and a BPMN 2.0 model of a log.

The directly-follows graph is computed column-wise from the prepared frame (it equals
pm4py's ``discover_dfg``, which the tests check) with performance figures per edge. The
model comes from pm4py's inductive miner, run on the most frequent variants only: the
miner takes about 7 s on 100k events and a minute on 1M, and a model of the main flow is
what a map needs. pm4py is used through its facade, plus its BPMN layouter and serialiser
so that no temporary file is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pm4py
import polars as pl
from pm4py.objects.bpmn.exporter import exporter as bpmn_exporter
from pm4py.objects.bpmn.layout import layouter as bpmn_layouter
from pm4py.objects.bpmn.obj import BPMN

from app.mining.analysis.prepared import Prepared

__all__ = ["DirectlyFollows", "bpmn_model", "directly_follows", "pm4py_frame"]


@dataclass(frozen=True)
class DirectlyFollows:
    """Activities with their counts, and every directly-follows pair with its waits."""

    activities: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    start_activities: dict[str, int]
    end_activities: dict[str, int]


def directly_follows(prepared: Prepared) -> DirectlyFollows:
    """The frequency and performance directly-follows graph of a prepared log."""
    events = prepared.events
    activities = (
        events.group_by("activity")
        .agg(pl.len().alias("count"), pl.col("case_id").n_unique().alias("cases"))
        .sort(["count", "activity"], descending=[True, False])
    )
    edges = (
        prepared.steps.group_by("from_activity", "to_activity")
        .agg(
            pl.len().alias("count"),
            pl.col("case_id").n_unique().alias("cases"),
            pl.col("wait_s").mean().alias("mean_wait_s"),
            pl.col("wait_s").quantile(0.5, "linear").alias("median_wait_s"),
            pl.col("wait_s").quantile(0.9, "linear").alias("p90_wait_s"),
        )
        .sort(["count", "from_activity", "to_activity"], descending=[True, False, False])
    )
    per_case = events.group_by("case_id", maintain_order=True).agg(
        pl.col("activity").first().alias("start"), pl.col("activity").last().alias("end")
    )
    starts = per_case.get_column("start").value_counts(sort=True)
    ends = per_case.get_column("end").value_counts(sort=True)
    return DirectlyFollows(
        activities=activities.to_dicts(),
        edges=edges.to_dicts(),
        start_activities=dict(
            zip(starts["start"].to_list(), starts["count"].to_list(), strict=True)
        ),
        end_activities=dict(zip(ends["end"].to_list(), ends["count"].to_list(), strict=True)),
    )


def pm4py_frame(events: pl.DataFrame) -> pd.DataFrame:
    """The events as the pandas frame pm4py expects (case:concept:name, concept:name,
    time:timestamp), in case, time and file order."""
    ordered = events.sort(["case_id", "timestamp_us", "line"])
    frame = pd.DataFrame(
        {
            "case:concept:name": ordered.get_column("case_id").to_numpy(),
            "concept:name": ordered.get_column("activity").to_numpy(),
            "time:timestamp": pd.to_datetime(
                ordered.get_column("timestamp_us").to_numpy(), unit="us", utc=True
            ),
            "org:group": ordered.get_column("department").to_numpy(),
        }
    )
    return frame


_NOT_PLAIN = re.compile(r"[^\w ]")


@contextmanager
def _layout_names(model: Any) -> Iterator[None]:
    """Plain stand-ins for the task names while pm4py lays the model out.

    The layouter hands each name to Graphviz as a DOT label without escaping it: a name
    like ``<b>`` is read as an HTML-like label (a syntax error for ``<script>...``), a
    trailing backslash escapes the closing quote and ``\\N`` becomes the node's id. Only
    the label's size matters there, so each name is drawn as text of the same length made
    of letters, digits and spaces; the real names are back before the model is written.
    """
    tasks = [node for node in model.get_nodes() if isinstance(node, BPMN.Task)]
    names = [task.get_name() for task in tasks]
    for task, name in zip(tasks, names, strict=True):
        task.set_name(_NOT_PLAIN.sub("x", str(name)))
    try:
        yield
    finally:
        for task, name in zip(tasks, names, strict=True):
            task.set_name(name)


def bpmn_model(events: pl.DataFrame, top_variants: int = 20, noise: float = 0.0) -> bytes:
    """A BPMN 2.0 XML model of the most frequent variants, by pm4py's inductive miner.

    Args:
        events: the log's events.
        top_variants: how many of the most frequent variants the model covers.
        noise: the inductive miner's noise threshold (0 keeps every behaviour).
    """
    frame = pm4py_frame(events)
    if top_variants:
        frame = pm4py.filter_variants_top_k(frame, top_variants)
    model = pm4py.discover_bpmn_inductive(frame, noise_threshold=noise)
    with _layout_names(model):
        laid_out = bpmn_layouter.apply(model)
    xml: bytes = bpmn_exporter.serialize(laid_out)
    return xml
