"""Budgets for what a projektleder writes in jinja2: templates and guards cannot blow up.

A template or a guard is code a drejebog brings along; it runs in every sweep and in every
command that loads the drejebog. jinja2's sandbox keeps it away from Python's internals, but
not from `'a' * 10**9` or two nested `range(99999)` loops. `BudgetedSandbox` adds counted
limits (no threads, no signals, no clock: the engine stays pure):

- a value (a string, a list, the text of a whole output) holds at most `MAX_SIZE`
  characters or items; `*`, `**`, `+` and `%` are checked *before* they compute, and so are
  the filters and string methods that can grow a value (`center`, `indent`, `replace`, `join`);
- an integer holds at most `MAX_INT_BITS` bits (`10**9` is fine, `9**9**9` is not);
- `range` gives at most `MAX_RANGE` numbers;
- a render or guard takes at most `MAX_STEPS` steps: loop turns, calls and operators;
- a rendered text is at most `MAX_OUTPUT` characters (counted as it streams);
- the source nests at most `MAX_NESTING` levels (brackets in one tag, blocks in a template)
  and one tag holds at most `MAX_OPERATORS` operators: jinja2 parses and compiles
  recursively, and 200 parentheses or a chain of 3,000 `+` ended in a RecursionError. These
  are counted on the tokens as the parser takes them, and refused as a syntax error at the
  tag's line.

jinja2 folds constants while it compiles; the operators above are intercepted, so it does not
fold them, and `check` folds them itself through the same checks (`constant_problems`) to
refuse `'a' * 10**9` at its file:line:column without computing it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from jinja2 import TemplateSyntaxError, lexer, nodes, pass_context
from jinja2.nodes import _binop_to_func
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from drejebog.engine.errors import DrejebogError

MAX_SIZE = 100_000  # characters of a string, items of a list
MAX_OUTPUT = 100_000  # characters of one rendered text
MAX_RANGE = 10_000  # numbers from one range()
MAX_STEPS = 100_000  # loop turns, calls and operators of one render or guard
MAX_INT_BITS = 4_096  # an integer of about 1,200 digits
MAX_NESTING = 20  # brackets inside one tag; blocks (for, if, macro, ...) inside each other
MAX_OPERATORS = 100  # operators, dots, filters and brackets in one {{ }} or {% %} tag

_LOOP_FILTER = "_budgeteret_loekke"
_CONCAT_FILTER = "_budgeteret_sammenkaedning"
_WIDTH = re.compile(r"\d+")
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")  # '{:>{w}}': a width from an argument


def _danish(number: int) -> str:
    """`100.000`: thousands as a Danish reader writes them."""
    return f"{number:,}".replace(",", ".")


class BudgetExceeded(DrejebogError):
    """A template or a guard went over one of its budgets; the message names it in Danish."""


class _Steps:
    """The steps left to the render or guard under way."""

    __slots__ = ("left",)

    def __init__(self, steps: int) -> None:
        self.left = steps


_current: ContextVar[_Steps | None] = ContextVar("drejebog_budget", default=None)


class budget_scope:
    """`with budget_scope(): ...`: a fresh step budget for one render or one guard."""

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self._steps = steps
        self._token: Any = None

    def __enter__(self) -> None:
        self._token = _current.set(_Steps(self._steps))

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)


def charge(steps: int = 1) -> None:
    """Take `steps` from the budget under way (outside any scope nothing is counted)."""
    budget = _current.get()
    if budget is None:
        return
    budget.left -= steps
    if budget.left < 0:
        raise BudgetExceeded(
            f"skabelonen eller betingelsen tager mere end {_danish(MAX_STEPS)} skridt"
        )


def weight(value: Any, limit: int = MAX_SIZE) -> int:
    """The characters and items in `value`, counting every reference to a shared string (what
    a join would write); stops counting just past `limit`, so it costs at most that."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, list | tuple):
        total = len(value)
        for item in value:
            if total > limit:
                break
            if isinstance(item, str | bytes | list | tuple):
                total += weight(item, limit - total)
        return total
    return 0


def _too_big(what: str) -> BudgetExceeded:
    return BudgetExceeded(f"{what} bliver større end {_danish(MAX_SIZE)} tegn eller elementer")


def check_size(value: Any) -> Any:
    """`value`, if it is within `MAX_SIZE`; else BudgetExceeded."""
    if isinstance(value, str | bytes | list | tuple) and weight(value) > MAX_SIZE:
        raise _too_big("en værdi")
    if isinstance(value, int) and not isinstance(value, bool):
        _check_int(value)
    return value


def _check_int(value: int) -> None:
    if value.bit_length() > MAX_INT_BITS:
        raise BudgetExceeded(f"et tal bliver større end {_danish(MAX_INT_BITS)} bit")


def _bits(value: int) -> int:
    return int(value.bit_length())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_widths(fmt: str) -> None:
    """A format string `'%1000000000s'` or `'{:>1000000000}'` would write that many spaces."""
    for match in _WIDTH.finditer(fmt):
        if len(match.group()) > 6 or int(match.group()) > MAX_SIZE:
            raise _too_big("en formatering")


def _check_star_widths(fmt: str, arguments: Any) -> None:
    """`'%*s' % (10**9, 'a')` and `'{:>{w}}'.format('a', w=10**9)` take the width from an
    argument: with such a field in the format, no integer argument may pass MAX_SIZE."""
    if "*" not in fmt and not _NESTED_FIELD.search(fmt):
        return
    values = list(arguments) if isinstance(arguments, tuple | list) else [arguments]
    for value in list(values):
        if isinstance(value, dict):
            values.extend(value.values())
    if any(_is_int(v) and abs(v) > MAX_SIZE for v in values):
        raise _too_big("en formatering")


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse `left <operator> right` before it is computed, when its result would be too big."""
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            sequence = isinstance(seq, str | bytes | list | tuple)
            if sequence and _is_int(times) and times > 0 and weight(seq) * times > MAX_SIZE:
                raise _too_big(f"'{operator}'")
        if _is_int(left) and _is_int(right) and _bits(left) + _bits(right) > MAX_INT_BITS:
            raise BudgetExceeded(f"et tal bliver større end {_danish(MAX_INT_BITS)} bit")
    elif operator == "**":
        growing = _is_int(left) and _is_int(right) and abs(left) > 1 and right > 0
        if growing and (right > MAX_INT_BITS or _bits(left) * right > MAX_INT_BITS):
            raise BudgetExceeded(f"et tal bliver større end {_danish(MAX_INT_BITS)} bit")
    elif operator == "+":
        sized = (str, bytes, list, tuple)
        both = isinstance(left, sized) and isinstance(right, sized)
        if both and weight(left) + weight(right) > MAX_SIZE:
            raise _too_big("'+'")
    elif operator == "%" and isinstance(left, str):
        _check_widths(left)
        _check_star_widths(left, right)


def bounded_range(*args: int) -> range:
    """`range`, with at most MAX_RANGE numbers."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise BudgetExceeded(f"range() giver mere end {_danish(MAX_RANGE)} tal")
    return numbers


# Filters that can make a value much larger than their input: checked before they run.
def _precheck_filter(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    ints = [a for a in (*args, *kwargs.values()) if _is_int(a)]
    if name in {"center", "indent", "wordwrap", "truncate", "batch", "slice"}:
        size = max(weight(value), 1)
        for number in ints:
            if number > MAX_SIZE or (name == "indent" and number * size > MAX_SIZE):
                raise _too_big(f"filteret '{name}'")
    elif name == "format" and isinstance(value, str):
        _check_widths(value)
        _check_star_widths(value, (*args, kwargs))
    elif name == "replace" and isinstance(value, str) and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        if len(value) + (value.count(old) if old else len(value) + 1) * len(new) > MAX_SIZE:
            raise _too_big("filteret 'replace'")
    elif name == "join" and isinstance(value, list | tuple) and args:
        joined = weight(value) + len(value) * len(str(args[0]))
        if joined > MAX_SIZE:
            raise _too_big("filteret 'join'")


def _sized(name: str, value: Any) -> Any:
    """A join's iterable as a list, so its length is known before the join (it is bounded:
    whatever a template iterates comes from a bounded range or a value within budget)."""
    if name == "join" and not isinstance(value, str | list | tuple) and hasattr(value, "__iter__"):
        return list(value)
    return value


def _budgeted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def budgeted(value: Any, *args: Any, **kwargs: Any) -> Any:
        charge()
        value = _sized(name, value)
        _precheck_filter(name, value, args, kwargs)
        return check_size(function(value, *args, **kwargs))

    # jinja passes the environment or context first to a filter that asks for it
    passes = getattr(function, "jinja_pass_arg", None)
    if passes is not None:

        def budgeted_passing(first: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
            charge()
            value = _sized(name, value)
            _precheck_filter(name, value, args, kwargs)
            return check_size(function(first, value, *args, **kwargs))

        budgeted_passing.jinja_pass_arg = passes  # type: ignore[attr-defined]
        return budgeted_passing
    return budgeted


# str methods that can grow a string; their arguments are checked like the filters'.
_STR_GROWERS = {"center": "center", "ljust": "center", "rjust": "center", "zfill": "center"}


def _precheck_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(owner, str):
        if name in _STR_GROWERS:
            _precheck_filter("center", owner, args, kwargs)
        elif name in {"format", "format_map"}:
            _check_widths(owner)
        elif name == "replace":
            _precheck_filter("replace", owner, args, kwargs)
        elif name == "join" and args and isinstance(args[0], list | tuple):
            if weight(args[0]) + len(args[0]) * len(owner) > MAX_SIZE:
                raise _too_big("join")
        elif name == "expandtabs":
            _precheck_filter("indent", owner, args, kwargs)


@pass_context
def _loop(context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
    """What every `{% for %}` iterates: the loop, one step per turn."""
    for item in iterable:
        charge()
        yield item


@pass_context
def _concat(context: Context, value: Any) -> Any:
    """What every `~` gives: its parts are within budget, so is checked the whole."""
    return check_size(value)


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox with the budgets of this module."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters = {
            name: _budgeted_filter(name, function) for name, function in self.filters.items()
        }
        self.filters[_LOOP_FILTER] = _loop
        self.filters[_CONCAT_FILTER] = _concat
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)  # lipsum(10**6) writes a book

    def add_filter(self, name: str, function: Callable[..., Any]) -> None:
        """Register a filter of our own, under the same budget as jinja's."""
        self.filters[name] = _budgeted_filter(name, function)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        charge()
        check_binop(operator, left, right)
        return check_size(super().call_binop(context, operator, left, right))

    def call(_self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        # positional-only: a template may pass any keyword, `self` and `context` too
        charge()
        _precheck_call(obj, args, kwargs)
        return check_size(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`'{:>1000000000}'.format`: jinja hands out its own wrapper, so the widths are
        checked here, when the method is looked up."""
        owner = getattr(value, "__self__", None)
        wrapped = super().wrap_str_format(value)
        if not isinstance(owner, str) or wrapped is None:
            return wrapped
        _check_widths(owner)
        fmt = owner

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_star_widths(fmt, (*args, kwargs))
            return wrapped(*args, **kwargs)

        return checked

    def _tokenize(
        self,
        source: str,
        name: str | None,
        filename: str | None = None,
        state: str | None = None,
    ) -> lexer.TokenStream:
        """The tokens, refused at the tag that nests too deeply (module docstring)."""
        stream = super()._tokenize(source, name, filename, state)
        return lexer.TokenStream(_within_limits(stream, name, filename), name, filename)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The parsed template, with every loop and every `~` routed through the budget."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.iter.lineno
            )
        for concat in list(tree.find_all(nodes.Concat)):
            _replace(tree, concat, nodes.Filter(concat, _CONCAT_FILTER, [], [], None, None))
        self._refuse_unknown(tree, name, filename)
        return tree

    def _refuse_unknown(self, tree: nodes.Template, name: str | None, file: str | None) -> None:
        """An unknown filter or test is a syntax error at once, in Danish: jinja finds
        `x is nosuchtest` only when it compiles (the template check does not compile) and
        `x | nosuchfilter` inside an `{% if %}` only when the render reaches it."""
        for node in tree.find_all((nodes.Filter, nodes.Test)):
            known, what = (
                (self.filters, "filteret")
                if isinstance(node, nodes.Filter)
                else (self.tests, "testen")
            )
            if node.name not in known:
                raise TemplateSyntaxError(
                    f"{what} '{node.name}' findes ikke", node.lineno, name, file
                )


_OPENING = frozenset({lexer.TOKEN_LPAREN, lexer.TOKEN_LBRACKET, lexer.TOKEN_LBRACE})
_CLOSING = frozenset({lexer.TOKEN_RPAREN, lexer.TOKEN_RBRACKET, lexer.TOKEN_RBRACE})
_OPERATORS = (
    frozenset(
        {
            *(lexer.operators.values()),
            lexer.TOKEN_DOT,
            lexer.TOKEN_PIPE,
        }
    )
    - _CLOSING
    - {lexer.TOKEN_COMMA, lexer.TOKEN_COLON, lexer.TOKEN_SEMICOLON, lexer.TOKEN_ASSIGN}
)
_WORD_OPERATORS = frozenset({"and", "or", "not", "in", "is", "if", "else"})
_TAG_BEGIN = frozenset({lexer.TOKEN_BLOCK_BEGIN, lexer.TOKEN_VARIABLE_BEGIN})
# the block tags that take an end tag; `set` does only without '=', and is left out
_BLOCKS = frozenset({"for", "if", "macro", "call", "filter", "with", "autoescape", "block"})


def _within_limits(
    tokens: Iterable[lexer.Token], name: str | None, filename: str | None
) -> Iterator[lexer.Token]:
    """`tokens`, unchanged, until one goes past MAX_NESTING or MAX_OPERATORS."""

    def refuse(token: lexer.Token, text: str) -> TemplateSyntaxError:
        return TemplateSyntaxError(text, token.lineno, name, filename)

    brackets = operators = blocks = 0
    first_word = False  # the next name token is the tag's keyword (`for`, `endfor`, ...)
    for token in tokens:
        if token.type in _TAG_BEGIN:
            brackets = operators = 0
            first_word = token.type == lexer.TOKEN_BLOCK_BEGIN
        elif token.type in _OPENING:
            brackets += 1
            operators += 1
            if brackets > MAX_NESTING:
                raise refuse(token, f"mere end {MAX_NESTING} parenteser inden i hinanden")
        elif token.type in _CLOSING:
            brackets -= 1
        elif token.type in _OPERATORS or (
            token.type == lexer.TOKEN_NAME and token.value in _WORD_OPERATORS and not first_word
        ):
            operators += 1
        if operators > MAX_OPERATORS:
            raise refuse(token, f"mere end {MAX_OPERATORS} operatorer i ét udtryk")
        if first_word and token.type == lexer.TOKEN_NAME:
            first_word = False
            if token.value in _BLOCKS:
                blocks += 1
                if blocks > MAX_NESTING:
                    raise refuse(token, f"mere end {MAX_NESTING} blokke inden i hinanden")
            elif token.value.startswith("end") and token.value[3:] in _BLOCKS:
                blocks -= 1
        yield token


def _replace(tree: nodes.Node, old: nodes.Node, new: nodes.Node) -> None:
    """Put `new` where `old` is in `tree` (a field, or an item of a list field)."""
    new.set_lineno(old.lineno)
    for parent in tree.find_all(nodes.Node):
        for field in parent.fields:
            value = getattr(parent, field, None)
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if item is old:
                        value[index] = new
                        return


class _NotConstant(Exception):
    pass


def constant_problems(tree: nodes.Node) -> list[tuple[int, str]]:
    """(line, Danish text) for every constant expression in `tree` that would go over budget
    (`'a' * 10**9`, `range(99999)`), found by folding it through the checks, never by
    computing what they refuse."""
    problems: list[tuple[int, str]] = []
    for node in tree.find_all((nodes.BinExpr, nodes.Call)):
        try:
            _fold(node)
        except BudgetExceeded as exc:
            problems.append((node.lineno, str(exc)))
        except _NotConstant:
            pass
    # an outer expression repeats its inner one's problem: keep the first per line and text
    return sorted(set(problems))


def _fold(node: nodes.Node) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.BinExpr):
        left, right = _fold(node.left), _fold(node.right)
        check_binop(node.operator, left, right)
        try:
            return check_size(_binop_to_func[node.operator](left, right))
        except BudgetExceeded:
            raise
        except Exception as exc:
            raise _NotConstant from exc
    if isinstance(node, nodes.Neg) and isinstance(_fold(node.node), int | float):
        return -_fold(node.node)
    if (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "range"
        and not node.kwargs
        and node.dyn_args is None
        and node.dyn_kwargs is None
    ):
        arguments = [_fold(argument) for argument in node.args]
        if all(_is_int(a) for a in arguments) and 1 <= len(arguments) <= 3:
            try:
                return bounded_range(*arguments)
            except ValueError as exc:
                raise _NotConstant from exc
    raise _NotConstant
