"""YAML with positions: PyYAML's safe composer, kept as a small tree of located nodes.

`yaml.safe_load` forgets where a value came from and silently keeps the last of two
duplicate keys. The projektleder needs `file:line:column` for every problem and an error for
a duplicate state or event, so we compose the document (safe: no Python objects are
constructed) and keep each node's position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from drejebog.engine.errors import Problem


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class Node:
    mark: Mark


@dataclass
class ScalarNode(Node):
    value: object  # as YAML's safe constructor reads it (str, int, bool, date, None, ...)
    raw: str  # the text as written, for values YAML 1.1 would misread (08:30 is an int)
    quoted: bool = False


@dataclass
class SeqNode(Node):
    items: list[Node] = field(default_factory=list)


@dataclass
class MapNode(Node):
    # key -> (position of the key, value node); insertion order is file order
    items: dict[str, tuple[Mark, Node]] = field(default_factory=dict)

    def value(self, key: str) -> Node | None:
        entry = self.items.get(key)
        return entry[1] if entry else None


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Converter:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []
        self._constructor = yaml.SafeLoader("")

    def problem(self, mark: Mark, message: str) -> None:
        self.problems.append(Problem(self.filename, mark.line, mark.column, message))

    def convert(self, node: yaml.Node) -> Node:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return SeqNode(_mark(node), [self.convert(item) for item in node.value])
        assert isinstance(node, yaml.ScalarNode)
        try:
            value = self._constructor.construct_object(node)
        except yaml.YAMLError:
            value = node.value
        return ScalarNode(_mark(node), value, node.value, quoted=node.style in ("'", '"'))

    def _mapping(self, node: yaml.MappingNode) -> MapNode:
        result = MapNode(_mark(node))
        for key_node, value_node in node.value:
            key_mark = _mark(key_node)
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_mark, "en nøgle skal være et enkelt ord")
                continue
            key = str(key_node.value)
            if key in result.items:
                first = result.items[key][0]
                self.problem(
                    key_mark, f"'{key}' er angivet to gange (første gang i linje {first.line})"
                )
                continue
            result.items[key] = (key_mark, self.convert(value_node))
        return result


def load_located(text: str, filename: str) -> tuple[Node | None, list[Problem]]:
    """Compose `text`; return the located tree (None when empty or broken) and the problems."""
    try:
        composed = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "ugyldig YAML"
        return None, [Problem(filename, line, column, f"YAML-syntaksfejl: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(filename, 1, 1, f"YAML-syntaksfejl: {exc}")]
    if composed is None:
        return None, [Problem(filename, 1, 1, "filen er tom")]
    converter = _Converter(filename)
    tree = converter.convert(composed)
    return tree, converter.problems
