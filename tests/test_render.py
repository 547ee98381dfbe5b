"""Rendering notifications: sandboxed, StrictUndefined, the HTML part escaped, and the fast
render path gives exactly what jinja's own `Template.render` gives."""

from __future__ import annotations

from datetime import date

import pytest
from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from drejebog.engine.loader import load_file
from drejebog.engine.model import Message
from drejebog.engine.templates import Sandbox
from drejebog.notifications.render import _files, _render, html_part, render
from drejebog.workflows import SHIPPED_DIR
from tests.conftest import FIXTURES

SCOPE = {
    "sag": {"id": "17", "tilstand": "rehab", "tilstand_titel": "Rehabiliteringsteam"},
    "borger": {"navn": "Anna <Andersen> & co"},
    "drejebog": {"titel": "Mini"},
    "frist": {
        "titel": "Overdragelse",
        "dato": date(2027, 3, 15),
        "klokken": "08:00",
        "dage_tilbage": 3,
        "dage_over": 0,
    },
    "opgave": None,
    "modtager": {"navn": "Karl", "rolle": "sagsbehandler", "rolle_titel": "Sagsbehandler"},
}


@pytest.mark.parametrize("kind", ["reminder", "escalation", "checkin_missing"])
def test_the_fast_path_renders_what_jinja_renders(kind):
    for part in ("subject", "txt"):
        template = _files().get_template(f"{kind}.{part}.j2")
        assert _render(template, SCOPE) == template.render(**SCOPE)


def test_default_reminder_text_and_html_part_escape_what_they_show():
    drejebog = load_file(FIXTURES / "mini.yaml")
    rendered = render(drejebog, None, "reminder", SCOPE, "Bemærk: 1 dag for sent.")
    assert rendered.subject == "Påmindelse: Overdragelse – Anna <Andersen> & co (sag 17)"
    assert rendered.text.endswith("Bemærk: 1 dag for sent.\n")
    html = html_part(rendered.subject, rendered.text)
    assert "Anna &lt;Andersen&gt; &amp; co" in html and "<Andersen>" not in html
    assert html.count("<p>") == len([p for p in rendered.text.split("\n\n") if p.strip()])
    assert "<title>Påmindelse: Overdragelse – Anna &lt;Andersen&gt;" in html


def test_an_unknown_name_in_a_template_is_an_error_not_an_empty_string():
    drejebog = load_file(FIXTURES / "mini.yaml")
    message = Message(subject="Hej {{ modtager.fornavn }}", body="x")
    with pytest.raises(UndefinedError):
        render(drejebog, message, "reminder", SCOPE)


def test_a_template_cannot_reach_python_internals():
    drejebog = load_file(FIXTURES / "mini.yaml")
    message = Message(subject="{{ sag.__class__.__mro__ }}", body="{{ ''.__class__ }}")
    with pytest.raises(SecurityError):
        render(drejebog, message, "reminder", SCOPE)


@pytest.mark.parametrize(("over", "words"), [(1, "1 dag."), (3, "3 dage.")])
def test_the_shipped_overdue_text_counts_days_in_danish(over, words):
    drejebog = load_file(SHIPPED_DIR / "ressourceforloeb.yaml")
    scope = {**SCOPE, "frist": {**SCOPE["frist"], "dage_over": over}}
    scope.update({name: None for name in drejebog.facts})
    rendered = render(drejebog, Message(template="frist_overskredet"), "escalation", scope)
    assert f"er overskredet med {words}" in " ".join(rendered.text.split())


@pytest.mark.parametrize(
    "source",
    [
        "{{ d.navn }}",
        "{{ d._skjult }}",
        "{{ d.items is callable }}",  # a dict's own attribute wins over its item, as in jinja
        "{{ d.mangler is defined }}",
        "{{ d['navn'] }} {{ d.tal + 1 }}",
    ],
)
def test_the_sandbox_reads_dicts_exactly_as_jinjas_own(source):
    scope = {"d": {"navn": "Anna", "_skjult": "x", "items": "ikke en metode", "tal": 41}}
    plain = SandboxedEnvironment(undefined=StrictUndefined).from_string(source)
    ours = Sandbox(undefined=StrictUndefined).from_string(source)
    assert ours.render(scope) == plain.render(scope)


def test_the_sandbox_still_refuses_internals_behind_a_dict_key():
    template = Sandbox(undefined=StrictUndefined).from_string("{{ d.__class__ }}")
    with pytest.raises(SecurityError):
        template.render(d={"__class__": "x"})
