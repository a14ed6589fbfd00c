"""The process file format (CONTRACT section 2): reading, rules, messages, canonical writing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from app.domain.processes.yaml_format import (
    dump_process_yaml,
    load_process_file,
    parse_process_yaml,
    read_process_files,
)
from app.domain.system.controllers import process_file_schema_document
from app.lib.errors import InvalidProcess
from tests.conftest import DATA, ROOT

BAD = DATA / "bad-processes"
SAMPLES = sorted((ROOT / "processes").glob("*.yaml"))


def test_reads_every_field_of_a_process() -> None:
    process = load_process_file(DATA / "processes" / "pothole.yaml")
    assert (process.slug, process.owner, process.standard_hours) == (
        "pothole",
        "Director of Roads",
        120,
    )
    as_is, to_be = process.versions
    assert (as_is.label, as_is.kind, as_is.status) == ("as-is", "as-is", "current")
    assert [s.id for s in as_is.steps] == [
        "receive",
        "log-cc",
        "log-roads",
        "inspect",
        "repair",
        "callback",
    ]
    log_roads = as_is.steps[2]
    assert (log_roads.department, log_roads.owner, log_roads.manual_entry) == (
        "Roads",
        "Roads Dispatcher",
        True,
    )
    assert (log_roads.minutes, log_roads.cost) == (6, 5.4)
    unowned = as_is.flows[1]
    assert (unowned.from_, unowned.to, unowned.owner, unowned.standard_hours) == (
        "log-cc",
        "log-roads",
        None,
        24,
    )
    assert to_be.status == "draft" and len(to_be.steps) == 4


# Each broken file: the line and the words its one-sentence message must carry.
BAD_FILES = {
    "unknown-key.yaml": (
        "line 11",
        "versions[0].steps[0].ownr: unknown key (did you mean 'owner'?)",
    ),
    "dangling-flow.yaml": ("line 14", "flow to 'inspect' is not a step id of version 'as-is'"),
    "duplicate-step-id.yaml": ("line 12", "duplicate step id 'receive'"),
    "missing-owner.yaml": ("line 1", "missing required key 'owner'"),
    "duplicate-key.yaml": ("line 4, column 1", "duplicate key 'name' (first given on line 2)"),
    "malformed.yaml": ("line 4, column 9", "not valid YAML"),
    "duplicate-label.yaml": ("line 7", "duplicate version label 'as-is'"),
    "status-for-kind.yaml": ("line 7", "status 'current' is not allowed for a to-be version"),
    "bad-slug.yaml": ("line 1", "'Pothole Report' is not valid"),
    "not-a-number.yaml": (
        "line 12",
        "versions[0].steps[0].minutes: input should be a valid number",
    ),
    "empty.yaml": ("", "the file is empty"),
    "top-level-list.yaml": ("line 1", "must hold one mapping"),
    "not-utf8.yaml": ("line 2", "not UTF-8"),
    "nul-byte.yaml": ("line 2", "NUL byte"),
}


def test_the_bad_corpus_is_fully_covered() -> None:
    assert sorted(BAD_FILES) == sorted(p.name for p in BAD.iterdir())


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_broken_file_gets_one_sentence_naming_file_line_and_key(name: str) -> None:
    line, words = BAD_FILES[name]
    with pytest.raises(InvalidProcess) as caught:
        load_process_file(BAD / name)
    message = str(caught.value)
    assert message.startswith(f"{BAD / name}{', ' + line if line else ''}:"), message
    assert words in message
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


def test_every_problem_is_listed_with_its_line() -> None:
    text = (BAD / "dangling-flow.yaml").read_text().replace("from: receive", "from: nowhere")
    with pytest.raises(InvalidProcess) as caught:
        parse_process_yaml(text, "x.yaml")
    assert [(p.pointer, p.line) for p in caught.value.problems] == [
        ("/versions/0/flows/0/from", 13),
        ("/versions/0/flows/0/to", 14),
    ]
    assert "(and 1 more problem)" in str(caught.value)


def test_a_duplicate_flow_is_refused() -> None:
    text = (DATA / "processes" / "permit.yaml").read_text() + (
        "      - from: ask\n        to: review\n"
    )
    with pytest.raises(InvalidProcess, match=r"line 28: versions\[0\]\.flows\[2\]: duplicate flow"):
        parse_process_yaml(text, "permit.yaml")


def test_yaml_aliases_and_anchors_are_plain_values() -> None:
    text = "slug: a\nname: &n Alias\nowner: *n\nversions: [{label: v, kind: as-is}]\n"
    assert parse_process_yaml(text).owner == "Alias"


def test_python_tags_are_refused_not_executed() -> None:
    text = "slug: !!python/object/apply:os.system ['true']\nname: x\nowner: y\nversions: []\n"
    with pytest.raises(InvalidProcess, match="not valid YAML"):
        parse_process_yaml(text, "evil.yaml")


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 2000 + "\n")
    with pytest.raises(InvalidProcess, match="more than the 1000 allowed"):
        load_process_file(big, max_bytes=1000)


def test_a_folder_without_process_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidProcess, match=r"holds no \.yaml process file"):
        read_process_files([tmp_path])
    with pytest.raises(InvalidProcess, match="no such file or folder"):
        read_process_files([tmp_path / "missing.yaml"])


def test_canonical_writing_round_trips_to_identical_bytes() -> None:
    original = load_process_file(DATA / "processes" / "pothole.yaml")
    first = dump_process_yaml(original)
    again = dump_process_yaml(parse_process_yaml(first))
    assert first == again
    assert parse_process_yaml(first) == original
    # defaults and nulls are left out, whole numbers carry no ".0"
    assert "manual_entry: false" not in first and "null" not in first
    assert "cost: 27\n" in first and "cost: 5.4\n" in first


def test_text_that_looks_like_other_types_survives_a_round_trip() -> None:
    text = (
        "slug: a\nname: '311'\nowner: 'yes'\ncustomer: 'null'\n"
        "versions: [{label: v, kind: as-is, description: '12:30'}]\n"
    )
    process = parse_process_yaml(text)
    assert (process.name, process.owner, process.customer) == ("311", "yes", "null")
    assert parse_process_yaml(dump_process_yaml(process)) == process


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_sample_catalogue_files_are_valid_and_canonical(path: Path) -> None:
    process = load_process_file(path)
    assert process.slug == path.stem
    assert dump_process_yaml(process) == path.read_text(encoding="utf-8")
    kinds = [v.kind for v in process.versions]
    assert "as-is" in kinds and "to-be" in kinds


def test_there_are_at_least_five_sample_processes() -> None:
    assert len(SAMPLES) >= 5


def test_published_json_schema_is_current() -> None:
    published = json.loads((ROOT / "docs" / "process-file.schema.json").read_text())
    assert published == process_file_schema_document()


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_samples_validate_against_the_published_json_schema(path: Path) -> None:
    schema = json.loads((ROOT / "docs" / "process-file.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_json_schema_rejects_an_unknown_key() -> None:
    schema = process_file_schema_document()
    document = yaml.safe_load((BAD / "unknown-key.yaml").read_text())
    with pytest.raises(jsonschema.ValidationError, match="ownr"):
        jsonschema.validate(document, schema)


def test_layering_rule_is_enforced_by_ruff() -> None:
    """app/mining and app/rendering may not import the web or database layers."""
    for folder, line in [
        ("app/mining", "import litestar\n"),
        ("app/rendering", "from app.db import models\n"),
        ("app/domain", "import pm4py\n"),
        ("app/domain", "import graphviz\n"),
    ]:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--select",
                "TID251",
                "--no-cache",
                "--stdin-filename",
                f"{folder}/probe.py",
                "-",
            ],
            input=line,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert result.returncode == 1 and "TID251" in result.stdout, (folder, line, result.stdout)


def test_identifiers_are_read_as_written_not_as_numbers() -> None:
    text = (
        "slug: p\nname: P\nowner: O\nversions:\n  - label: 2024\n    kind: as-is\n    steps:\n"
        "      - {id: 010, name: A, department: D, owner: O}\n"
        "      - {id: 1.10, name: B, department: D, owner: O}\n"
        "      - {id: 1.1, name: C, department: D, owner: O}\n"
        "    flows:\n      - {from: 010, to: 1.10}\n"
    )
    process = parse_process_yaml(text)
    assert [s.id for s in process.versions[0].steps] == ["010", "1.10", "1.1"]
    assert process.versions[0].label == "2024"
    assert parse_process_yaml(dump_process_yaml(process)) == process


def test_deeply_nested_yaml_is_refused_in_one_sentence() -> None:
    with pytest.raises(InvalidProcess, match=r"deep\.yaml: the YAML is nested too deeply"):
        parse_process_yaml("[" * 2000, "deep.yaml")


def test_names_with_yaml_line_breaks_are_refused() -> None:
    text = 'slug: p\nname: "P\\x85Q"\nowner: O\nversions: [{label: v, kind: as-is}]\n'
    with pytest.raises(InvalidProcess, match="must not hold control characters"):
        parse_process_yaml(text, "p.yaml")


OPTION_HEAD = "slug: x\nname: X\nowner: O\nversions:\n  - label: b\n    kind: to-be\n"


def test_option_figures_are_read_and_written_in_canonical_order() -> None:
    text = OPTION_HEAD + (
        "    description: Option B\n"
        "    effort_months: 2.5\n"
        "    one_off_cost: 15000\n"
        "    expected_impact: high\n"
    )
    process = parse_process_yaml(text)
    version = process.versions[0]
    assert (version.effort_months, version.one_off_cost, version.expected_impact) == (
        2.5,
        15000,
        "high",
    )
    assert dump_process_yaml(process) == text


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("effort_months: 0", "versions[0].effort_months: input should be greater than 0"),
        ("one_off_cost: -1", "versions[0].one_off_cost: input should be greater than or equal"),
        ("expected_impact: huge", "versions[0].expected_impact: input should be 'low'"),
    ],
)
def test_bad_option_figures_are_refused_with_key_and_line(line: str, words: str) -> None:
    with pytest.raises(InvalidProcess) as caught:
        parse_process_yaml(OPTION_HEAD + f"    {line}\n", "x.yaml")
    assert str(caught.value).startswith("x.yaml, line 7: "), str(caught.value)
    assert words in str(caught.value)
