"""Every command the README and the guide name is registered on `drejebog`."""

import click

from drejebog.cli.main import main


def test_all_commands_are_registered():
    assert set(main.list_commands(click.Context(main))) >= {
        "check",
        "diagram",
        "simulate",
        "demo",
        "db",
        "load",
        "worker",
        "citizen",
        "case",
        "tasks",
        "migrate",
        "daemon",
        "inbox",
        "outbox",
    }
