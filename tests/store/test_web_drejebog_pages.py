"""The projektleder's pages (/drejeboeger, web/drejebog_pages.py) on SQLite and PostgreSQL:
`check`'s problems at their lines with the source marked, the Mermaid diagram, a scenario's
timeline, loading a version (audited with the actor), the versions with their running cases
linking to the filtered case list; 403 for every other role, CSRF, and hostile input."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from drejebog.app.drejebog_workbench import MAX_TEXT_BYTES
from drejebog.bootstrap import App
from drejebog.engine.loader import check_file
from drejebog.engine.scenario import load_scenario
from drejebog.engine.simulator import simulate
from drejebog.store.tables import VERSION
from drejebog.web.app import create_app
from drejebog.web.drejebog_pages import MAX_FORM_BODY
from tests.conftest import FIXTURES
from tests.store.conftest import ANNA_CPR
from tests.store.test_web import PASSWORD, SETTINGS, csrf_of, log_in

MINI = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
BROKEN = FIXTURES / "broken.yaml"
SCENARIO = (FIXTURES / "mini_scenario.yaml").read_text(encoding="utf-8")


@pytest.fixture
def planner(staffed: App) -> App:
    """karl as a projektleder, anna_s a sagsbehandler, lene a leder."""
    for handle, role in (("karl", "projektleder"), ("anna_s", "sagsbehandler"), ("lene", "leder")):
        staffed.accounts.add(handle, role, PASSWORD)
    return staffed


def client_of(app: App, handle: str) -> TestClient:
    client = TestClient(create_app(app, SETTINGS), base_url="https://testserver")
    assert log_in(client, handle) == 303
    return client


@pytest.fixture
def karl(planner: App) -> Iterator[TestClient]:
    with client_of(planner, "karl") as client:
        yield client


def post(client: TestClient, **fields: str) -> object:
    token = csrf_of(client.get("/drejeboeger").text)
    return client.post("/drejeboeger", data={"csrf": token, **fields}, follow_redirects=False)


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.parametrize("handle", ["anna_s", "lene"])
def test_only_a_projektleder_gets_the_pages(planner: App, handle: str) -> None:
    with client_of(planner, handle) as client:
        page = client.get("/drejeboeger")
        assert page.status_code == 403
        assert "kun en projektleder" in page.text
        token = csrf_of(client.get("/").text)
        refused = client.post(
            "/drejeboeger", data={"csrf": token, "handling": "indlaes", "yaml": MINI}
        )
        assert refused.status_code == 403
        assert 'href="/drejeboeger"' not in client.get("/").text  # not in the menu either


def test_check_shows_every_problem_of_drejebog_check_at_its_line(karl: TestClient) -> None:
    text = BROKEN.read_text(encoding="utf-8")
    _, expected = check_file(BROKEN)
    assert len(expected) >= 5
    page = post(karl, handling="tjek", yaml=text)
    assert page.status_code == 422
    listed = page.text.split('class="problemer"')[1].split("</ul>")[0]
    shown = html.unescape(re.sub(r"<[^>]+>", "", listed))
    for problem in expected:
        # the same message as the CLI's, at the same line:column
        assert f"linje {problem.line}:{problem.column}: {problem.message}" in shown
        row = re.search(rf'<tr id="linje-{problem.line}"( class="problem")?>', page.text)
        assert row and row.group(1), f"linje {problem.line} er ikke markeret"
    lines_with_problems = {p.line for p in expected}
    clean = next(n for n in range(1, 30) if n not in lines_with_problems)
    assert f'<tr id="linje-{clean}">' in page.text  # a line without a problem is not marked
    assert 'class="mermaid"' not in page.text  # no diagram of a broken drejebog


def test_a_valid_drejebog_is_drawn_and_can_be_loaded(karl: TestClient, planner: App) -> None:
    page = post(karl, handling="tjek", yaml=MINI)
    assert page.status_code == 200
    assert "OK – Mini-drejebog til test" in text_of(page.text)
    diagram = re.search(r'<pre class="mermaid"[^>]*>(.*?)</pre>', page.text, re.S)
    assert diagram and "stateDiagram" in diagram.group(1)
    assert "/static/mermaid.min.js" in page.text
    assert karl.get("/static/mermaid.min.js").status_code == 200

    version_2 = MINI.replace("version: 1", "version: 2", 1)
    loaded = post(karl, handling="indlaes", yaml=version_2)
    assert (loaded.status_code, loaded.headers["location"]) == (303, "/drejeboeger")
    assert "mini version 2 er indlæst" in karl.get("/drejeboeger").text
    with planner.engine.connect() as connection:
        rows = connection.execute(
            select(VERSION.c.version, VERSION.c.loaded_by).where(VERSION.c.drejebog_id == "mini")
        ).all()
    assert sorted(rows) == [("1", "system"), ("2", "karl")]  # audited with the actor


def test_loading_changed_text_under_a_stored_version_is_refused(
    karl: TestClient, planner: App
) -> None:
    changed = MINI.replace("Mini-drejebog til test", "Ændret titel", 1)
    page = post(karl, handling="indlaes", yaml=changed)
    assert page.status_code == 400
    assert "version 1 af 'mini' er allerede indlæst med et andet indhold" in text_of(page.text)
    assert len(planner.admin.store.content_hashes({("mini", "1")})) == 1


def test_a_simulation_shows_the_timeline_and_the_scenarios_problem(karl: TestClient) -> None:
    page = post(karl, handling="simuler", yaml=MINI, scenarie=SCENARIO)
    assert page.status_code == 200
    timeline = page.text.split('class="forloeb"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>\s*<td>", timeline)
    # the CLI's own simulation of the same scenario stops at Bo's refused event
    expected = []
    with pytest.raises(Exception, match="tilbagemelding"):
        for record in simulate(load_scenario(FIXTURES / "mini_scenario.yaml")):
            expected.append(record)
    assert len(rows) == len(expected) > 0
    shown = text_of(page.text)
    assert "scenariet linje 15:9:" in shown and "tilbagemelding" in shown


def test_a_shipped_scenario_can_be_picked(karl: TestClient) -> None:
    shipped = (FIXTURES.parent.parent / "workflows" / "ressourceforloeb.yaml").read_text("utf-8")
    page = post(
        karl,
        handling="simuler",
        yaml=shipped,
        scenarie="",
        scenarie_fil="ressourceforloeb_anna.yaml",
    )
    assert page.status_code == 200
    assert "Simuleringens forløb" in page.text and "scenariet linje" not in page.text
    refused = post(karl, handling="simuler", yaml=shipped, scenarie_fil="../../etc/passwd")
    assert refused.status_code == 400 and "ukendt scenarie" in refused.text


def test_versions_link_their_running_cases_to_the_filtered_case_list(
    karl: TestClient, planner: App
) -> None:
    planner.cases.open_case(ANNA_CPR, "mini", "lene", assignments={"sagsbehandler": "anna_s"})
    page = karl.get("/drejeboeger").text
    assert '<a href="/sager?drejebog=mini&amp;version=1">1 sag(er)</a>' in page
    with client_of(planner, "lene") as lene:
        on_1 = lene.get("/sager?drejebog=mini&version=1").text
        on_2 = lene.get("/sager?drejebog=mini&version=2").text
    assert "Sag 1<" in on_1 and "Sag 1<" not in on_2


def test_a_form_without_its_csrf_token_is_refused_and_loads_nothing(
    karl: TestClient, planner: App
) -> None:
    karl.get("/drejeboeger")
    version_2 = MINI.replace("version: 1", "version: 2", 1)
    refused = karl.post("/drejeboeger", data={"handling": "indlaes", "yaml": version_2})
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert planner.admin.store.content_hashes({("mini", "2")}) == {}


def test_hostile_input_is_a_danish_answer_never_a_500(karl: TestClient) -> None:
    huge = "# " + "x" * MAX_TEXT_BYTES + "\n" + MINI
    too_big = post(karl, handling="tjek", yaml=huge)
    assert too_big.status_code == 422 and "højst 262.144 bytes (256 kB)" in too_big.text
    token = csrf_of(karl.get("/drejeboeger").text)
    body = f"csrf={token}&handling=tjek&yaml=" + "a" * MAX_FORM_BODY
    over = karl.post(
        "/drejeboeger",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert over.status_code == 413 and "formularen er for stor" in over.text
    alias = "a: &x [1, 2]\nb: *x\n"
    refused = post(karl, handling="tjek", yaml=alias)
    assert refused.status_code == 422 and "linje 2:" in text_of(refused.text)
    control = post(karl, handling="tjek", yaml="drejebog: x\ntitel: a\x07b\n")
    assert control.status_code == 422 and "linje 2:" in text_of(control.text)
    python_tag = post(karl, handling="tjek", yaml="drejebog: !!python/object:os.system x\n")
    assert python_tag.status_code == 422
    bad_action = post(karl, handling="slet", yaml=MINI)
    assert bad_action.status_code == 400
    empty = post(karl, handling="tjek", yaml="   ")
    assert empty.status_code == 422 and "drejebogen er tom" in empty.text
