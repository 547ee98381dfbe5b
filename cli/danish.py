"""Click's own words in Danish: usage errors, help headings and type names.

Click marks its messages for gettext (`from gettext import gettext as _` in each module) but
ships no translations. A gettext catalogue would be chosen by the process's locale variables
(LANGUAGE, LANG), which a jobcenter's servers set to anything; instead `install()` points the
`_` and `ngettext` names of click's modules at the catalogue below, once, when the CLI is
built. tests/test_cli_danish.py reads click's source and fails when a marked message is missing
here, so an upgrade of click that adds one is caught.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import click
import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types
import click.utils

# click's message id -> Danish; the {placeholders} are click's and must stay
MESSAGES: dict[str, str] = {
    "Aborted!": "Afbrudt!",
    "deprecated": "forældet",
    "Missing command.": "Mangler en kommando.",
    "Options": "Tilvalg",
    "Positional arguments": "Argumenter",
    "Commands": "Kommandoer",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
        "Advarsel: kommandoen {name!r} er forældet.{extra_message}"
    ),
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
        "Advarsel: {param_type} {name!r} er forældet.{extra_message}"
    ),
    "Value must be an iterable.": "Værdien skal være en liste.",
    "Could not determine name for option with declarations {decls!r}": (
        "Kan ikke finde et navn til tilvalget {decls!r}"
    ),
    "No options defined but a name was passed ({name}). Did you mean to declare an argument "
    "instead? Did you mean to pass '--{name}'?": (
        "Intet tilvalg er angivet, men et navn er ({name}). Mente du '--{name}'?"
    ),
    "env var: {var}": "miljøvariabel: {var}",
    "default: {default}": "standard: {default}",
    "required": "skal angives",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.": (
        "Et argument har præcis ét navn, men fik {length}: {decls}."
    ),
    "(dynamic)": "(beregnes)",
    "Name '{name}' defined twice": "Navnet '{name}' er angivet to gange",
    "Boolean option {decl!r} cannot use the same flag for true/false.": (
        "Ja/nej-tilvalget {decl!r} kan ikke bruge samme flag til ja og nej."
    ),
    "Do you want to continue?": "Vil du fortsætte?",
    "Confirm the action without prompting.": "Bekræft uden at spørge.",
    "%(prog)s, version %(version)s": "%(prog)s, version %(version)s",
    "Show the version and exit.": "Vis versionen og afslut.",
    "Show this message and exit.": "Vis denne hjælp og afslut.",
    "Missing argument": "Mangler argumentet",
    "Missing option": "Mangler tilvalget",
    "Missing parameter": "Mangler parameteren",
    "Missing {param_type}": "Mangler {param_type}",
    "Missing parameter: {param_name}": "Mangler parameteren: {param_name}",
    "unknown error": "ukendt fejl",
    "Invalid value for {param_hint}: {message}": "Ugyldig værdi for {param_hint}: {message}",
    "Invalid value: {message}": "Ugyldig værdi: {message}",
    "Could not open file {filename!r}: {message}": ("Kan ikke åbne filen {filename!r}: {message}"),
    # the same word as the product's own errors ("fejl: ..."), so a user reads one form
    "Error: {message}": "fejl: {message}",
    "Try '{command} {option}' for help.": "Skriv '{command} {option}' for hjælp.",
    "No such option {name!r}.": "Tilvalget {name!r} findes ikke.",
    "No such command {name!r}.": "Kommandoen {name!r} findes ikke.",
    "Usage:": "Brug:",
    "Invalid start character for option ({option})": (
        "Ugyldigt første tegn i tilvalget ({option})"
    ),
    "Option {name!r} does not take a value.": "Tilvalget {name!r} tager ingen værdi.",
    "Argument {name!r} takes {nargs} values.": "Argumentet {name!r} tager {nargs} værdier.",
    "Press any key to continue...": "Tryk på en tast for at fortsætte...",
    "Repeat for confirmation": "Gentag for at bekræfte",
    "Error: The two entered values do not match.": "fejl: de to indtastninger er forskellige.",
    "Unknown color {colour!r}": "Ukendt farve {colour!r}",
    "Error: invalid input": "fejl: ugyldig indtastning",
    "file": "filen",
    "directory": "mappen",
    "path": "stien",
    "Choose from:\n\t{choices}": "Vælg mellem:\n\t{choices}",
    "Choice({choices})": "Valg({choices})",
    "{value} is not in the range {range}.": "{value} er uden for intervallet {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} er hverken ja eller nej. Kendte værdier: {states}"
    ),
    "{value!r} is not a valid {number_type}.": "{value!r} er ikke et gyldigt {number_type}.",
    "{value!r} is not a valid UUID.": "{value!r} er ikke et gyldigt UUID.",
    "{name} {filename!r} is a file.": "{name} {filename!r} er en fil.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} er en mappe.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} kan ikke læses.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} kan ikke skrives.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} kan ikke køres.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} findes ikke.",
    "Unknown standard stream '{name}'": "Ukendt standardstrøm '{name}'",
    "{editor}: Editing failed": "{editor}: redigeringen mislykkedes",
    "{editor}: Editing failed: {e}": "{editor}: redigeringen mislykkedes: {e}",
}

# (singular id, plural id) -> (Danish singular, Danish plural)
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Fik et uventet ekstra argument ({args})",
        "Fik uventede ekstra argumenter ({args})",
    ),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "Tager {nargs} værdier, men fik 1.",
        "Tager {nargs} værdier, men fik {len}.",
    ),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "Mente du {possibility}?",
        "(Mente du en af: {possibilities}?)",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "Tilvalget {name!r} skal have en værdi.",
        "Tilvalget {name!r} skal have {nargs} værdier.",
    ),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} er ikke {choice}.",
        "{value!r} er ikke en af {choices}.",
    ),
    (
        "{value!r} does not match the format {format}.",
        "{value!r} does not match the formats {formats}.",
    ): (
        "{value!r} passer ikke til formatet {format}.",
        "{value!r} passer ikke til nogen af formaterne {formats}.",
    ),
    (
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ): (
        "{len_type} værdier skal angives, men der er {len_value}.",
        "{len_type} værdier skal angives, men der er {len_value}.",
    ),
}

# the names click shows for its parameter types, in help (`--read HELTAL`) and in errors
TYPE_NAMES: dict[type[click.ParamType[Any]], str] = {
    click.types.IntParamType: "heltal",
    click.types.FloatParamType: "decimaltal",
    click.types.BoolParamType: "ja/nej",
    click.types.StringParamType: "tekst",
    click.types.IntRange: "heltalsinterval",
    click.types.FloatRange: "decimaltalsinterval",
    click.types.DateTime: "tidspunkt",
    click.types.UUIDParameterType: "uuid",
}

# what a command's usage line calls its arguments (`drejebog case show SAG`)
ARGUMENT_NAMES: dict[str, str] = {
    "paths": "STIER",
    "path": "STI",
    "scenario": "SCENARIE",
    "handle": "BRUGERNAVN",
    "cpr": "CPR",
    "drejebog": "DREJEBOG",
    "facts": "FAKTUM=VÆRDI",
    "case_id": "SAG",
    "event": "HÆNDELSE",
    "data": "NAVN=VÆRDI",
    "role": "ROLLE",
    "worker_handle": "MEDARBEJDER",
}

MODULES: tuple[ModuleType, ...] = (
    click.core,
    click.decorators,
    click.exceptions,
    click.formatting,
    click.parser,
    click.termui,
    click.types,
    click.utils,
)


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    danish = PLURALS.get((singular, plural))
    if danish is None:
        return singular if count == 1 else plural
    return danish[0] if count == 1 else danish[1]


def install() -> None:
    """Make click speak Danish in this process (idempotent)."""
    for module in MODULES:
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    for param_type, name in TYPE_NAMES.items():
        param_type.name = name


def localise(command: click.Command) -> None:
    """Danish usage lines for `command` and every command below it: `[TILVALG]`,
    `KOMMANDO [ARGUMENTER]...` and the arguments' names (click's defaults are English)."""
    command.options_metavar = "[TILVALG]"
    for param in command.params:
        if isinstance(param, click.Argument) and param.metavar is None and param.name:
            name = ARGUMENT_NAMES.get(param.name, param.name.upper())
            if param.nargs == -1:
                name = f"{name}..." if param.required else f"[{name}]..."
            param.metavar = name
    if isinstance(command, click.Group):
        command.subcommand_metavar = "KOMMANDO [ARGUMENTER]..."
        for sub in command.commands.values():
            localise(sub)
