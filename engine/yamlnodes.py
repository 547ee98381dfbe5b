"""YAML with positions: PyYAML's safe event stream, composed into a small tree of located nodes.

`yaml.safe_load` forgets where a value came from and silently keeps the last of two
duplicate keys. The projektleder needs `file:line:column` for every problem and an error for
a duplicate state or event, so we compose the document ourselves (safe: no Python objects
are constructed beyond plain scalars) and keep each node's position.

We compose from PyYAML's events with an explicit stack instead of calling `yaml.compose`,
because the file may be hostile or careless, and the composer is where that hurts:

- **Aliases are refused** (`*navn`, at the alias's line:column) in a file the projektleder
  gives us. An alias lets 400 bytes expand to a billion nodes ("billion laughs") or refer to
  itself (`start: &a [*a]`), and a drejebog never needs one: every value is short and
  written where it is used. An anchor (`&navn`) alone is harmless and ignored.
  A version already in the store may have used aliases (they were legal before), and must
  still load: there (`aliases=True`) an alias stands for its anchor's node, shared, not
  copied, and what the aliases expand to is capped at `MAX_ALIAS_NODES` nodes in all, each
  alias counted at its anchor's full expanded size; an alias to an anchor that is not
  complete yet (itself, or one still open) is refused.
- **Nesting is capped** at `MAX_DEPTH` levels, checked as each level opens, so nothing
  recurses without bound (PyYAML's composer is recursive: 500 levels of `[` ended in a
  RecursionError).
- **The size is capped** at `MAX_FILE_BYTES`, checked before any parsing.
- **Scalars that cannot be read** (an impossible date such as `2027-02-30`, `0x_`) and
  **explicit tags** other than the plain `!!str`, `!!seq` and `!!map` (`!!float nan x`,
  `!!binary`, `!!python/...`) are problems at their own line:column.
- **A control character** is reported at its real line:column, not as a character offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from drejebog.engine.errors import Problem

MAX_FILE_BYTES = 1_000_000
"""The largest drejebog or scenario file read (1 MB; the shipped ones are under 25 kB)."""

MAX_DEPTH = 50
"""The deepest nesting of lists and mappings (the shipped drejebøger use 6)."""

MAX_ALIAS_NODES = 100_000
"""The most nodes the aliases of a stored version may expand to, in all (the largest shipped
drejebog has some 2,000 nodes; a billion-laughs text passes this after a few aliases)."""

_TAG = "tag:yaml.org,2002:"
# explicit tags that only say what the node already is; any other explicit tag is refused
_PLAIN_TAGS = {"!", _TAG + "str", _TAG + "seq", _TAG + "map"}
_KIND_NAMES = {_TAG + "timestamp": "dato", _TAG + "int": "tal", _TAG + "float": "tal"}


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
    invalid: bool = False  # unreadable as YAML typed it; already reported as a problem


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


class _Fatal(Exception):
    """The file cannot be composed any further; the problem says where and why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def _mark(mark: Any) -> Mark:  # a yaml.Mark (C or pure-Python); never None for an event
    return Mark(mark.line + 1, mark.column + 1)


@dataclass
class _Open:
    """A list or mapping whose end event has not come yet."""

    node: SeqNode | MapNode
    anchor: str | None = None  # `&navn` on it: registered when it is complete
    children: list[Node] = field(default_factory=list)
    size: int = 1  # nodes in it, aliases expanded


class _Composer:
    """Builds the located tree from PyYAML's events, iteratively, with the limits above."""

    def __init__(
        self,
        text: str,
        filename: str,
        loader: type[Any] = yaml.SafeLoader,
        aliases: bool = False,
    ) -> None:
        self.filename = filename
        self.aliases = aliases  # expand (capped) instead of refusing: a stored version
        self.anchors: dict[str, tuple[Node, int]] = {}  # complete anchored node, its size
        self.alias_nodes = 0  # nodes the aliases have expanded to so far
        self.problems: list[Problem] = []
        # raises ReaderError for a control character; libyaml's loader has the same methods
        self.loader: yaml.SafeLoader = loader(text)
        self.stack: list[_Open] = []
        self.root: Node | None = None
        self.fatal = False  # a problem that leaves the tree unusable (a refused tag)
        self.resolved: dict[tuple[str, Any], str] = {}  # (text, implicit) -> its tag

    def problem(self, mark: Mark, message: str, fatal: bool = False) -> None:
        self.problems.append(Problem(self.filename, mark.line, mark.column, message))
        self.fatal = self.fatal or fatal

    def compose(self) -> Node | None:
        loader = self.loader
        self.next_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            return None
        self.next_event()  # DocumentStart
        while not loader.check_event(yaml.DocumentEndEvent):
            self.feed(self.next_event())
        self.next_event()  # DocumentEnd
        if not loader.check_event(yaml.StreamEndEvent):
            extra = self.next_event()
            raise _Fatal(
                Problem(
                    self.filename,
                    *_position(extra.start_mark),
                    "filen må kun indeholde ét YAML-dokument (fjern '---')",
                )
            )
        return self.root

    def next_event(self) -> yaml.Event:
        event: yaml.Event = self.loader.get_event()  # type: ignore[no-untyped-call]
        return event

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.ScalarEvent):
            node = self.scalar(event)
            if event.anchor is not None:
                self.anchors[event.anchor] = (node, 1)
            self.attach(node)
        elif isinstance(event, yaml.AliasEvent) and self.aliases:
            self.alias(event)
        elif isinstance(event, yaml.AliasEvent):
            # the first alias ends composing: a billion-laughs file holds thousands of them
            raise _Fatal(
                Problem(
                    self.filename,
                    *_position(event.start_mark),
                    f"aliaset '*{event.anchor}' er ikke tilladt i en drejebog: skriv værdien "
                    "ud, hvor den bruges",
                )
            )
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self.open(event)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            self.close()

    def alias(self, event: yaml.AliasEvent) -> None:
        """`*navn` in a stored version: its anchor's node, shared, within MAX_ALIAS_NODES."""
        line, column = _position(event.start_mark)
        anchored = self.anchors.get(event.anchor or "")
        if anchored is None:
            raise _Fatal(
                Problem(
                    self.filename,
                    line,
                    column,
                    f"aliaset '*{event.anchor}' henviser til et anker, der ikke er sat før "
                    "(eller til sig selv)",
                )
            )
        node, size = anchored
        self.alias_nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES:
            limit = f"{MAX_ALIAS_NODES:,}".replace(",", ".")
            raise _Fatal(
                Problem(
                    self.filename,
                    line,
                    column,
                    f"aliaserne udfolder sig til mere end {limit} knuder i alt; så store "
                    "gentagelser kan en drejebog ikke have",
                )
            )
        self.attach(node, size)

    def open(self, event: yaml.SequenceStartEvent | yaml.MappingStartEvent) -> None:
        mark = _mark(event.start_mark)
        if len(self.stack) >= MAX_DEPTH:
            raise _Fatal(
                Problem(
                    self.filename,
                    mark.line,
                    mark.column,
                    f"YAML'en er indlejret for dybt: højst {MAX_DEPTH} niveauer af lister og "
                    "afsnit",
                )
            )
        self.check_tag(event.tag, mark)
        node: SeqNode | MapNode = (
            SeqNode(mark) if isinstance(event, yaml.SequenceStartEvent) else MapNode(mark)
        )
        self.stack.append(_Open(node, event.anchor))

    def close(self) -> None:
        done = self.stack.pop()
        if isinstance(done.node, SeqNode):
            done.node.items = done.children
        else:
            self.fill_mapping(done.node, done.children)
        if done.anchor is not None:
            self.anchors[done.anchor] = (done.node, done.size)
        self.attach(done.node, done.size)

    def attach(self, node: Node, size: int = 1) -> None:
        if self.stack:
            self.stack[-1].children.append(node)
            self.stack[-1].size += size
        else:
            self.root = node

    def check_tag(self, tag: str | None, mark: Mark) -> bool:
        """False (and a problem) for an explicit tag other than the plain ones."""
        if tag is None or tag in _PLAIN_TAGS:
            return True
        shown = "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
        self.problem(
            mark,
            f"mærket '{shown}' er ikke tilladt i en drejebog: skriv værdien uden mærke "
            "(en tekst gerne i anførselstegn)",
            fatal=True,
        )
        return False

    def scalar(self, event: yaml.ScalarEvent) -> ScalarNode:
        mark = _mark(event.start_mark)
        quoted = event.style in ("'", '"')
        if not self.check_tag(event.tag, mark):
            return ScalarNode(mark, None, event.value, quoted, invalid=True)
        tag = event.tag
        if tag is None or tag == "!":
            key = (event.value, event.implicit)
            tag = self.resolved.get(key)
            if tag is None:  # a drejebog repeats its words: each is resolved once
                tag = self.loader.resolve(  # type: ignore[no-untyped-call]
                    yaml.ScalarNode, event.value, event.implicit
                )
                if len(self.resolved) < MAX_RESOLVED:
                    self.resolved[key] = tag
        if tag == _STR_TAG:  # most of a drejebog: the constructor would return the text as is
            return ScalarNode(mark, event.value, event.value, quoted)
        node = yaml.ScalarNode(tag, event.value, None, None, event.style)
        try:
            value = self.loader.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError):
            if tag not in _KIND_NAMES:  # `<<` or `=`: YAML 1.1 names them; as text they do
                return ScalarNode(mark, event.value, event.value, quoted)
            self.problem(mark, _unreadable(tag, event.value))
            return ScalarNode(mark, event.value, event.value, quoted, invalid=True)
        finally:
            self.loader.constructed_objects.clear()
        return ScalarNode(mark, value, event.value, quoted)

    def fill_mapping(self, result: MapNode, children: list[Node]) -> None:
        for key_node, value_node in zip(children[::2], children[1::2], strict=True):
            if not isinstance(key_node, ScalarNode) or key_node.invalid:
                if not isinstance(key_node, ScalarNode):
                    self.problem(key_node.mark, "en nøgle skal være et enkelt ord")
                continue
            key = str(key_node.raw)
            if key in result.items:
                first = result.items[key][0]
                self.problem(
                    key_node.mark,
                    f"'{key}' er angivet to gange (første gang i linje {first.line})",
                )
                continue
            result.items[key] = (key_node.mark, value_node)


_STR_TAG = "tag:yaml.org,2002:str"
MAX_RESOLVED = 10_000  # distinct scalars whose tag is remembered while composing one file


# PyYAML's English syntax errors, as a projektleder needs them: what is wrong, and the usual fix
_SYNTAX_HINTS = (
    (
        "found character '\\t' that cannot start any token",
        "et tabulatortegn; ryk ind med mellemrum (to pr. niveau), aldrig med tabulator",
    ),
    (
        "mapping values are not allowed here",
        "et kolon, der ikke kan stå her: står der ': ' i en tekst, så sæt teksten i "
        "anførselstegn (\"...\"); ellers er linjen rykket forkert ind",
    ),
    (
        "found unexpected end of stream",
        "et anførselstegn er ikke lukket: hver tekst, der begynder med \" eller ', skal "
        "slutte med det samme tegn",
    ),
    ("expected ',' or ']'", "en liste i [ ] er ikke lukket: forventede ',' eller ']'"),
    ("expected ',' or '}'", "en oversigt i { } er ikke lukket: forventede ',' eller '}'"),
    (
        "expected <block end>",
        "indrykningen passer ikke med linjerne over: nøgler på samme niveau skal stå lige "
        "under hinanden, og et '-' i en liste skal rykkes ind under sin nøgle",
    ),
    (
        "could not find expected ':'",
        "der mangler ':' efter en nøgle, eller et anførselstegn er ikke lukket",
    ),
)


def _explained(exc: yaml.MarkedYAMLError) -> str:
    """A Danish reason with a hint for PyYAML's most common syntax errors; the English text
    (with a Danish lead) for the rest."""
    what = exc.problem or exc.context or ""
    for english, danish in _SYNTAX_HINTS:
        if english in what:
            return danish
    return f"YAML kan ikke læses her ({what or 'ukendt fejl'})"


def _unreadable(tag: str, raw: str) -> str:
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    if _KIND_NAMES[tag] == "dato":
        return (
            f"'{shown}' er ikke en gyldig dato: den findes ikke i kalenderen (skriv "
            "ÅÅÅÅ-MM-DD; er det tekst, så sæt den i anførselstegn)"
        )
    return f"'{shown}' ligner et tal, men kan ikke læses (er det tekst, så sæt den i anførselstegn)"


def _position(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of the character at `offset` (PyYAML's reader gives only this)."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def size_problem(filename: str) -> Problem:
    """The problem for a file over `MAX_FILE_BYTES` (also used before a file is read)."""
    limit = f"{MAX_FILE_BYTES:,}".replace(",", ".")
    return Problem(
        filename, 1, 1, f"filen er for stor: en drejebog må højst fylde {limit} bytes (1 MB)"
    )


# libyaml's event parser, where PyYAML was built with it: the same events some ten times
# faster (checking the shipped drejebøger: 20 → 4 ms of YAML each)
_FAST_LOADER: type[Any] | None = getattr(yaml, "CSafeLoader", None)
# libyaml accepts a tab where PyYAML refuses it, a byte-order mark inside the text, and a
# '?' then a space inside a word in a flow list (`[a, informat? ionsmoede]`, found by the
# fuzz test); such a text (and one with unusual line breaks) is left to PyYAML, whose answer
# is the rule. A shipped drejebog has none of them.
_LENIENT_IN_LIBYAML = re.compile("[\t\ufeff\x85\u2028\u2029\ud800-\udfff]|\\S\\?[ ]")


def load_located(
    text: str, filename: str, aliases: bool = False
) -> tuple[Node | None, list[Problem]]:
    """Compose `text`; return the located tree (None when empty or broken) and the problems.
    `aliases`: expand them, capped (a version from the store), instead of refusing them.

    A file that composes without any problem through libyaml (the everyday case) is taken
    from there; any other goes through PyYAML's pure-Python parser, whose errors and marks
    every problem's place and text come from (libyaml reports a control character at a
    byte offset, and its messages differ). tests/test_yaml_fuzz.py checks on thousands of
    mutated drejebøger that the two ways give the same answer."""
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_FILE_BYTES:
        return None, [size_problem(filename)]
    if _FAST_LOADER is not None and not _LENIENT_IN_LIBYAML.search(text):
        try:
            fast = _Composer(text, filename, _FAST_LOADER, aliases)
            tree = fast.compose()
        except (yaml.YAMLError, _Fatal, ValueError):  # ValueError: a lone surrogate
            pass
        else:
            if tree is not None and not fast.problems:
                return tree, []
    return _load_pure(text, filename, aliases)


def _load_pure(
    text: str, filename: str, aliases: bool = False
) -> tuple[Node | None, list[Problem]]:
    try:
        composer = _Composer(text, filename, aliases=aliases)
        tree = composer.compose()
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        return None, [
            Problem(
                filename,
                line,
                column,
                f"tegnet U+{exc.character:04X} er et kontroltegn og må ikke stå i YAML",
            )
        ]
    except yaml.MarkedYAMLError as exc:
        line, column = _position(exc.problem_mark or exc.context_mark)
        return None, [Problem(filename, line, column, f"YAML-syntaksfejl: {_explained(exc)}")]
    except yaml.YAMLError as exc:
        return None, [Problem(filename, 1, 1, f"YAML-syntaksfejl: {exc}")]
    except _Fatal as exc:
        return None, [*composer.problems, exc.problem]
    if tree is None:
        return None, [Problem(filename, 1, 1, "filen er tom")]
    if composer.fatal:
        return None, composer.problems
    return tree, composer.problems
