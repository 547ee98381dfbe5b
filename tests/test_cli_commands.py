"""Every command the README and the guide name is registered on `drejebog`."""

from drejebog.cli.main import main


def test_all_commands_are_registered():
    assert set(main.commands) >= {
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
