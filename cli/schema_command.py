"""`drejebog schema`: the language's JSON Schema, for editors (engine/schema.py)."""

from __future__ import annotations

import json

import click

from drejebog.engine.schema import drejebog_schema


def schema_text() -> str:
    return json.dumps(drejebog_schema(), ensure_ascii=False, indent=2) + "\n"


@click.command(
    help=(
        "Skriv drejebogssprogets JSON Schema (til editorer: forslag, hjælpetekster og røde "
        "streger). workflows/drejebog.schema.json er den samme tekst."
    )
)
def schema() -> None:
    click.echo(schema_text(), nl=False)
