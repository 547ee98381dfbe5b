"""One error tree: the drawing in engine/errors.py's docstring is the real class tree.

Every module of the drejebog package is imported, every DrejebogError subclass defined in
the project is collected, and each must be drawn in the tree under its real parent, with the
module it lives in; the drawing may name no class that does not exist.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import drejebog
from drejebog.engine import errors
from drejebog.engine.errors import DrejebogError

# Importing these would run something: the CLI's entry point, Alembic's migration script.
NOT_IMPORTED = {"drejebog.__main__", "drejebog.store.migrations.env"}
_LINE = re.compile(r"^(?P<indent>[ │]*)(?:[├└]── )?(?P<name>\w+)\s+(?:\[(?P<module>[\w.]+)\])?")


def project_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(drejebog.__path__, "drejebog.")
        if info.name not in NOT_IMPORTED
    ]
    for name in names:
        importlib.import_module(name)
    return names


def real_tree() -> dict[str, tuple[str, str]]:
    """name -> (parent's name, module without `drejebog.`), for the project's classes."""
    project_modules()
    found: dict[str, tuple[str, str]] = {}
    pending: list[type[BaseException]] = [DrejebogError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if not sub.__module__.startswith("drejebog."):
                continue  # a test's own subclass
            parents = [b.__name__ for b in sub.__bases__ if issubclass(b, DrejebogError)]
            assert len(parents) == 1, f"{sub.__name__} has more than one parent in the tree"
            assert sub.__name__ not in found, f"two classes named {sub.__name__}"
            found[sub.__name__] = (parents[0], sub.__module__.removeprefix("drejebog."))
            pending.append(sub)
    return found


def drawn_tree() -> dict[str, tuple[str, str]]:
    """name -> (parent's name, module) as the docstring draws it (no module: engine.errors)."""
    doc = errors.__doc__ or ""
    lines = doc.split("\n\n")[1].splitlines()  # the drawing is the second paragraph
    assert lines[0].split()[0] == "DrejebogError"
    drawn: dict[str, tuple[str, str]] = {}
    parents = ["DrejebogError"]
    for line in lines[1:]:
        match = _LINE.match(line[4:])  # the drawing is indented by four
        assert match is not None, line
        depth = len(match["indent"]) // 4
        del parents[depth + 1 :]
        name = match["name"]
        assert name not in drawn, f"{name} is drawn twice"
        drawn[name] = (parents[depth], match["module"] or "engine.errors")
        parents.append(name)
    return drawn


def test_every_drejebog_error_is_drawn_under_its_parent_with_its_module() -> None:
    assert drawn_tree() == real_tree()


def test_the_project_has_the_error_classes_this_test_expects_to_find() -> None:
    # guards the walk itself: classes outside the engine are found too
    found = real_tree()
    for name in ("CaseError", "InvalidCpr", "SettingsError", "DeliveryError", "DaemonLocked"):
        assert name in found


def test_value_errors_of_the_parsers_are_drejebog_errors_too() -> None:
    from drejebog.engine.durations import DurationError
    from drejebog.engine.expressions import ExpressionSyntaxError
    from drejebog.engine.facts import FactValueError

    for cls in (DurationError, ExpressionSyntaxError, FactValueError):
        assert issubclass(cls, DrejebogError) and issubclass(cls, ValueError)
