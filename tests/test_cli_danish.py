"""Click's own messages (usage errors, help) come out in Danish, and every one is translated."""

from __future__ import annotations

import ast
import inspect

import click
import pytest
from click.testing import CliRunner

from drejebog.cli import danish
from drejebog.cli.main import main

ENGLISH = (
    "Usage:",
    "Options:",
    "Commands:",
    "Error:",
    "Try '",
    "Missing ",
    "No such",
    "Show this message",
    "[required]",
    "[OPTIONS]",
    "COMMAND",
    "TEXT",
    "INTEGER",
    "is not a valid",
    "is not one of",
    "does not exist",
)


def marked_messages(module: object) -> tuple[set[str], set[tuple[str, str]]]:
    """The literal messages a click module passes to `_()` and `ngettext()`."""
    singular: set[str] = set()
    plural: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):  # type: ignore[arg-type]
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if node.func.id == "_" and texts and isinstance(texts[0], str) and len(texts[0]) > 1:
            singular.add(texts[0])
        elif node.func.id == "ngettext" and len(texts) >= 2:
            plural.add((texts[0], texts[1]))
    return singular, plural


@pytest.mark.parametrize("module", danish.MODULES, ids=lambda m: m.__name__)
def test_every_message_click_marks_for_translation_has_a_danish_one(module):
    singular, plural = marked_messages(module)
    assert singular or plural or module is click.utils
    assert singular - set(danish.MESSAGES) == set()
    assert plural - set(danish.PLURALS) == set()


def test_a_translation_keeps_click_s_placeholders():
    for english, translated in danish.MESSAGES.items():
        assert set(placeholders(english)) == set(placeholders(translated)), english
    for pair, translated_pair in danish.PLURALS.items():
        for english, translated in zip(pair, translated_pair, strict=True):
            assert set(placeholders(translated)) <= set(placeholders(english)), english


def placeholders(text: str) -> list[str]:
    import string

    names = [field for _, field, _, _ in string.Formatter().parse(text) if field]
    return names + [part.split(")")[0] for part in text.split("%(")[1:]]


@pytest.mark.parametrize(
    ("args", "danish_text"),
    [
        (["inbox"], "fejl: Mangler tilvalget '--worker'."),
        (["inbox", "--worker", "x", "--read", "abc"], "'abc' er ikke et gyldigt heltal"),
        (["nosuch"], "fejl: Kommandoen 'nosuch' findes ikke."),
        (["tasks", "--bogus"], "fejl: Tilvalget '--bogus' findes ikke."),
        (["case", "show"], "fejl: Mangler argumentet 'SAG'."),
        (["diagram", "x", "--format", "png"], "'png' er ikke en af 'mermaid', 'dot'."),
        (["inbox", "--worker"], "fejl: Tilvalget '--worker' skal have en værdi."),
        (["case", "show", "1", "2"], "fejl: Fik et uventet ekstra argument (2)"),
        (["case", "shw"], "Mente du 'show'?"),
    ],
)
def test_usage_errors_are_danish_with_exit_2(args, danish_text):
    result = CliRunner().invoke(main, args, prog_name="drejebog")
    assert result.exit_code == 2
    assert danish_text in result.output
    assert not [word for word in ENGLISH if word in result.output], result.output


def all_commands(command: click.Command, path: tuple[str, ...] = ()):
    yield path
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):  # a lazy command is imported here
            sub = command.get_command(context, name)
            assert sub is not None, name
            yield from all_commands(sub, (*path, name))


@pytest.mark.parametrize("path", list(all_commands(main)), ids=" ".join)
def test_every_command_s_help_is_danish(path):
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="drejebog")
    assert result.exit_code == 0
    assert result.output.startswith("Brug: drejebog")
    assert "Vis denne hjælp og afslut." in result.output
    assert not [word for word in ENGLISH if word in result.output], result.output


def test_case_event_help_names_its_arguments_in_danish():
    result = CliRunner().invoke(main, ["case", "event", "--help"], prog_name="drejebog")
    assert result.exit_code == 0
    assert result.output.startswith(
        "Brug: drejebog case event [TILVALG] SAG HÆNDELSE [NAVN=VÆRDI]...\n"
    )
    help_text = " ".join(result.output.split())
    assert "SAG er sagens nummer, HÆNDELSE hændelsens navn i drejebogen" in help_text
    assert "CASE EVENT" not in result.output and "navn=værdi ...]" not in result.output


def test_version_is_shown_in_danish() -> None:
    from importlib.metadata import version

    from click.testing import CliRunner

    from drejebog.cli.main import main

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip().endswith(f", version {version('drejebog')}")
    assert "Vis versionen og afslut." in CliRunner().invoke(main, ["--help"]).output
