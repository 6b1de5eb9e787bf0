"""YAML read with the line of every value, so a rule file's problems name file:line, all at once.

PyYAML's safe loader forgets where values came from; this loader keeps the line of each mapping value
and sequence item (`Located.line_of`) and reports duplicate keys instead of silently keeping the last.
A `Reader` walks one mapping, collecting every problem it meets rather than stopping at the first.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from warroom.errors import UserError


@dataclass(frozen=True)
class Problem:
    where: str  # "file:line"
    path: str  # "rules[2].condition.threshold.op"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.path}: {self.message}"


class RuleFileError(UserError):
    """A rule file with problems; `problems` lists every one of them with its location."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in alert rules; fix them and reload:\n{lines}")


class LocatedDict(dict):
    """A mapping that remembers its own line and the line of each value."""

    line: int = 0
    lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class LocatedList(list):
    line: int = 0
    lines: list[int]

    def line_of(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else self.line


def load(text: str, source: str) -> tuple[Any, list[Problem]]:
    """Parse YAML text; returns the document (LocatedDict/LocatedList inside) and any problems met."""
    loader = None
    try:
        loader = _Loader(text)  # the reader rejects control characters here, before any parsing
        loader.source = source
        doc = loader.get_single_data()
    except yaml.YAMLError as exc:  # syntax, bad characters, unknown tags
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        detail = getattr(exc, "problem", None) or exc
        return None, [Problem(f"{source}:{line}", "<file>", f"not valid YAML: {detail}")]
    finally:
        if loader is not None:
            loader.dispose()
    return doc, loader.problems


class _Loader(yaml.SafeLoader):
    source = "<text>"

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[Problem] = []


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    out = LocatedDict()
    out.line, out.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | float | bool) and key is not None:
            # YAML allows a mapping or a list as a key ({a: 1}: x); no rule field is one.
            loader.problems.append(Problem(f"{loader.source}:{line}", str(key), "a key must be a plain name"))
            continue
        if key in out:
            loader.problems.append(Problem(f"{loader.source}:{line}", str(key), "duplicate key"))
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    out = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    out.line, out.lines = node.start_mark.line + 1, [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


_MISSING = object()


class Reader:
    """Reads the fields of one mapping, converting each and recording every problem with its line."""

    def __init__(self, mapping: LocatedDict, path: str, source: str, problems: list[Problem]) -> None:
        self.mapping, self.path, self.source, self.problems = mapping, path, source, problems

    def where(self, key: Any = None) -> str:
        line = self.mapping.line_of(key) if key is not None else self.mapping.line
        return f"{self.source}:{line}"

    def problem(self, key: Any, message: str) -> None:
        path = f"{self.path}.{key}" if key is not None else self.path
        self.problems.append(Problem(self.where(key), path, message))

    def get(self, key: str, convert: Callable[[Any], Any], default: Any = _MISSING) -> Any:
        """The converted value of `key`; None (after recording a problem) when missing or invalid.

        `convert` raises ValueError with a message saying what is expected.
        """
        if key not in self.mapping:
            if default is _MISSING:
                self.problem(key, "required field is missing")
                return None
            return default
        try:
            return convert(self.mapping[key])
        except (ValueError, TypeError) as exc:
            self.problem(key, str(exc))
            return None

    def child(self, key: str) -> "Reader | None":
        """A Reader over the mapping at `key`, or None (with a problem) if it is not a mapping."""
        value = self.mapping.get(key)
        if not isinstance(value, LocatedDict):
            self.problem(key, "expected a mapping")
            return None
        return Reader(value, f"{self.path}.{key}", self.source, self.problems)

    def reject_unknown(self, allowed: set[str]) -> None:
        for key in self.mapping:
            if key not in allowed:
                self.problem(key, f"unknown field; the fields here are: {', '.join(sorted(allowed))}")
