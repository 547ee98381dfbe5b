"""Commands imported when they run, not when `drejebog` starts.

The database commands need SQLAlchemy, the web commands FastAPI, the engine's commands jinja2
and transitions: importing all of them cost every `drejebog --help` over a second. A
`LazyGroup` knows each command's module and its one-line help, lists them from that table and
imports a command's module only when the command is asked for. tests/test_cli_lazy.py keeps
the table's help lines equal to the commands' own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    module: str  # e.g. "drejebog.cli.store_commands"
    attribute: str  # the click command in it
    short_help: str  # what `--help` lists, without importing the module


class LazyGroup(click.Group):
    def __init__(
        self,
        *args: Any,
        lazy: dict[str, LazyCommand] | None = None,
        on_load: Callable[[click.Command], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})
        self._on_load = on_load

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        known = super().get_command(ctx, cmd_name)
        if known is not None or cmd_name not in self.lazy:
            return known
        return self.load(cmd_name)

    def load(self, name: str) -> click.Command:
        """Import a lazy command, keep it like an eager one, and return it."""
        spec = self.lazy[name]
        command = getattr(importlib.import_module(spec.module), spec.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{spec.module}.{spec.attribute} er ikke en kommando")
        if self._on_load is not None:
            self._on_load(command)
        self.add_command(command, name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`, the lazy ones from the table (nothing imported)."""
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is not None:
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, _shortened(self.lazy[name].short_help, limit)))
        if rows:
            with formatter.section(click.core._("Commands")):  # type: ignore[attr-defined]
                formatter.write_dl(rows)


def _shortened(text: str, limit: int) -> str:
    """As click shortens a command's help for the list (through click's public API)."""
    return click.Command(None, help=text).get_short_help_str(limit)
