"""Read and write process definition files (CONTRACT section 2).

Reading keeps the line of every key so that a validation message can name the file,
the key and the line. Writing is canonical (fixed key order, no defaults, integral
numbers without ``.0``) so that export, import and export again give identical bytes.
"""

from __future__ import annotations

import difflib
import reprlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from app.domain.processes.rules import check_process
from app.domain.processes.schemas import FlowFile, ProcessFile, StepFile, VersionFile
from app.lib.errors import InvalidProcess, Problem
from app.lib.shown import shown

__all__ = [
    "dump_process_yaml",
    "load_process_file",
    "parse_process_yaml",
    "pydantic_problems",
    "raise_if_invalid",
    "read_process_files",
]


class _Mapping(dict[Any, Any]):
    """A YAML mapping that remembers the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class _Sequence(list[Any]):
    """A YAML sequence that remembers the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


_TEXT_KEYS = {"slug", "id", "from", "to", "label"}
"""Keys whose values are identifiers: kept as written, never read as numbers or dates."""


MAX_ALIAS_VALUES = 100_000
"""Most values aliases may add to a file (each alias repeats its anchor's values)."""
_KINDS = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:timestamp": "a date",
}


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records lines and refuses duplicate keys."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError):  # too many digits, a 13th month
            kind = _KINDS.get(node.tag, f"a value tagged {shown(node.tag)}")
            raise _LocatedError(
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                f"'{shown(node.value, 43)}' cannot be read as {kind}",
            ) from None


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise _LocatedError(line, key_node.start_mark.column + 1, "a key must be plain text")
        if key in mapping:
            raise _LocatedError(
                line,
                key_node.start_mark.column + 1,
                f"duplicate key '{shown(key)}' (first given on line {mapping.key_lines[key]})",
            )
        if key in _TEXT_KEYS and isinstance(value_node, yaml.ScalarNode) and value_node.value:
            mapping[key] = value_node.value  # "010" stays "010", not the number 8
        else:
            mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _Sequence:
    sequence = _Sequence(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _LocatedError(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


def _check_aliases(root: yaml.Node) -> None:
    """Refuse a document whose aliases repeat more than ``MAX_ALIAS_VALUES`` values (a
    "billion laughs": nine aliases of nine aliases of ... expand to billions of values).

    Each node is counted once with all it holds, so the expansion is measured without
    being made. A node that holds itself is left to the constructor, which refuses it.

    Raises:
        _LocatedError: at the anchor whose repetition goes over the limit.
    """
    sizes: dict[int, int] = {}
    added = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes.get(id(child), 0) for child in children)
            continue
        if key in sizes:  # a repetition: an alias of an anchor already counted
            added += sizes[key]
            if added > MAX_ALIAS_VALUES:
                raise _LocatedError(
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                    f"the aliases of this anchor repeat it into more than {MAX_ALIAS_VALUES:,} "
                    "values, which a process definition never needs",
                )
            continue
        if key in open_nodes:
            return  # it holds itself
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _line_of(root: Any, path: tuple[str | int, ...]) -> int | None:
    """The line of the deepest key or item of ``path`` present in the loaded file."""
    line: int | None = getattr(root, "line", None)
    current = root
    for part in path:
        if isinstance(current, _Mapping) and part in current:
            line = current.key_lines[part]
            current = current[part]
        elif isinstance(current, _Sequence) and isinstance(part, int) and part < len(current):
            line = current.item_lines[part]
            current = current[part]
        else:
            break
    return line


_PATTERN_HINTS = {
    "slug": "must use only lowercase letters, digits and single hyphens (like road-repair)",
}
_ID_HINT = "must start with a letter or digit and use only letters, digits, '.', '_' and '-'"
_ID_KEYS = {"id", "from", "to", "label"}
_TEXT_HINT = "must not hold control characters"
_CHILD_MODELS: dict[str, type[BaseModel]] = {
    "versions": VersionFile,
    "steps": StepFile,
    "flows": FlowFile,
}


def _allowed_keys(path: tuple[str | int, ...]) -> list[str]:
    """The keys allowed in the mapping at ``path`` of a process document."""
    model: type[BaseModel] = ProcessFile
    for part in path:
        if isinstance(part, str) and part in _CHILD_MODELS:
            model = _CHILD_MODELS[part]
    return [field.alias or name for name, field in model.model_fields.items()]


class _Short(reprlib.Repr):
    """Values shown in messages: a few items of a list, the start of a long text."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = self.maxlong = 60

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 4000:  # printing it would be slow, or refused past 4,300 digits
            return f"a number of about {int(x.bit_length() * 0.30103) + 1:,} digits"
        return super().repr_int(x, level)


_SHORT = _Short()


def pydantic_problems(error: ValidationError) -> list[Problem]:
    """Plain-language problems from a pydantic validation error of a process document.

    Unknown keys come first: a misspelt key also shows up as a missing one.
    """
    problems = []
    for item in sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden"):
        path = tuple(item["loc"])
        key = str(path[-1]) if path else "document"
        kind = item["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(path[:-1])
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
            problems.append(Problem(f"unknown key ({hint})", path))
        elif kind == "missing":
            problems.append(Problem(f"missing required key '{key}'", path[:-1]))
        elif kind == "string_pattern_mismatch":
            hint = _PATTERN_HINTS.get(key, _ID_HINT if key in _ID_KEYS else _TEXT_HINT)
            problems.append(Problem(f"{item['input']!r} is not valid: it {hint}", path))
        else:
            text = str(item["msg"])
            message = f"{text[:1].lower()}{text[1:]}"
            if kind not in {"model_type", "list_type", "dict_type"} and "input" in item:
                message += f" (got {_SHORT.repr(item['input'])[:60]})"
            problems.append(Problem(message, path))
    return problems


def raise_if_invalid(problems: list[Problem], source: str | None = None) -> None:
    """Raise one InvalidProcess for a list of problems, naming the first in one sentence.

    Raises:
        InvalidProcess: when ``problems`` is not empty.
    """
    if not problems:
        return
    first = problems[0]
    where = [source] if source else []
    if first.line is not None:
        where.append(f"line {first.line}")
    prefix = ", ".join(where)
    key = f"{shown(first.dotted, 200)}: " if first.path else ""
    message = f"{prefix + ': ' if prefix else ''}{key}{first.message}"
    if len(problems) > 1:
        more = len(problems) - 1
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    raise InvalidProcess(message + ".", problems)


def parse_process_yaml(text: str, source: str = "<text>") -> ProcessFile:
    """Parse and validate the text of a process file.

    Args:
        text: the YAML text.
        source: the file name to name in messages.

    Returns:
        The validated process.

    Raises:
        InvalidProcess: the text is not valid YAML or breaks a rule of the format.

    >>> text = "slug: x\\nname: X\\nowner: O\\nversions: [{label: a, kind: as-is}]"
    >>> parse_process_yaml(text).slug
    'x'
    """
    loader: _LineLoader | None = None
    try:
        loader = _LineLoader(text)  # a SafeLoader subclass; it checks the characters first
        node = loader.get_single_node()
        if node is not None:
            _check_aliases(node)
        data = loader.construct_document(node) if node is not None else None
    except _LocatedError as error:
        raise InvalidProcess(
            f"{source}, line {error.line}, column {error.column}: {error.message}."
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = error.problem or error.context or "not valid YAML"
        raise InvalidProcess(f"{source}{where}: {reason} (not valid YAML).") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - text.rfind("\n", 0, error.position)
        character = f"U+{error.character:04X}" if isinstance(error.character, int) else "?"
        raise InvalidProcess(
            f"{source}, line {line}, column {column}: the character {character} is "
            "not allowed in YAML (not valid YAML)."
        ) from None
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())
        raise InvalidProcess(f"{source}: not valid YAML ({reason}).") from None
    except RecursionError:
        raise InvalidProcess(
            f"{source}: the YAML is nested too deeply to be a process definition."
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        raise InvalidProcess(f"{source}: the file is empty; it must describe one process.")
    if not isinstance(data, _Mapping):
        raise InvalidProcess(
            f"{source}, line 1: the file must hold one mapping of keys (slug, name, owner, "
            "versions), not a list or a single value."
        )
    try:
        process = ProcessFile.model_validate(data)
    except ValidationError as error:
        problems = pydantic_problems(error)
    else:
        problems = check_process(process)
    located = [Problem(p.message, p.path, _line_of(data, p.path)) for p in problems]
    raise_if_invalid(located, source)
    return process


def load_process_file(path: Path, max_bytes: int = 5_000_000) -> ProcessFile:
    """Read and validate one process file.

    Raises:
        InvalidProcess: the file cannot be read, is too large, is not UTF-8 or is invalid.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidProcess(
                f"{path}: the file has {size} bytes, more than the {max_bytes} allowed "
                "for a process definition."
            )
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidProcess(f"{path}: cannot be read ({error.strerror}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InvalidProcess(
            f"{path}, line {line}: the file is not UTF-8 text (byte {error.start + 1})."
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InvalidProcess(f"{path}, line {line}: the file contains a NUL byte.")
    return parse_process_yaml(text, str(path))


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as the format's examples do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _plain_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(item) for item in value]
    return value


def dump_process_yaml(process: ProcessFile) -> str:
    """The canonical YAML text of a process.

    >>> p = parse_process_yaml("slug: x\\nname: X\\nowner: O\\nversions: [{label: a, kind: as-is}]")
    >>> print(dump_process_yaml(p), end="")
    slug: x
    name: X
    owner: O
    versions:
      - label: a
        kind: as-is
    """
    data = process.model_dump(by_alias=True, exclude_defaults=True, mode="json")
    return yaml.dump(
        _plain_numbers(data),
        Dumper=_IndentedDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
    )


def read_process_files(
    paths: list[Path], max_bytes: int = 5_000_000
) -> list[tuple[str, ProcessFile]]:
    """Read process files and folders of them (``*.yaml``, ``*.yml``, sorted by name).

    Raises:
        InvalidProcess: a path is missing, a folder holds no process file, or a file is invalid.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not found:
                raise InvalidProcess(f"{path}: the folder holds no .yaml process file.")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise InvalidProcess(f"{path}: no such file or folder.")
    return [(str(f), load_process_file(f, max_bytes)) for f in files]
