"""The AdminStore port (store/admin.py, store/memory.py): a taken handle or CPR number is told
apart from every other refusal by the constraint's name, and a worker and the leader named for
them are read and written in one transaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import SQLModel

from drejebog.app.ports import NewWorker
from drejebog.bootstrap import App
from drejebog.engine.errors import NotFound, StoreError
from drejebog.store.admin import CPR_TAKEN, HANDLE_TAKEN
from drejebog.store.driver_errors import unique_constraints
from tests.store.backends import Backend
from tests.store.conftest import ANNA_CPR


def test_the_taken_keys_are_the_schemas_unique_constraints() -> None:
    names = unique_constraints(SQLModel.metadata)
    assert names["worker.handle"] == HANDLE_TAKEN
    assert names["citizen.cpr"] == CPR_TAKEN


def test_a_taken_handle_or_cpr_is_reported_as_taken(staffed_backend: Backend) -> None:
    store: Any = staffed_backend.admin.store
    worker = NewWorker(handle="anna_s", name="A", role="mentor", email="", team="", leader=None)
    assert store.add_worker(worker) is None
    assert store.add_citizen(ANNA_CPR, "Igen", "", "") is False


def test_another_refusal_is_a_store_error_not_taken(staffed_backend: Backend) -> None:
    """A NOT NULL column left empty is not 'findes allerede'."""
    store: Any = staffed_backend.admin.store
    nameless = NewWorker(handle="ny", name=None, role="mentor", email="", team="", leader=None)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.add_worker(nameless)
    with pytest.raises(StoreError):
        store.add_citizen("010203-1234", None, "", "")
    assert not staffed_backend.rows("worker", handle="ny")


def test_an_unknown_leader_is_not_found_and_nothing_is_stored(staffed_backend: Backend) -> None:
    with pytest.raises(NotFound, match="ukendt leder 'nemo' \\(opret lederen først\\)"):
        staffed_backend.admin.add_worker("ny", "Ny", "mentor", leader="nemo")
    assert not staffed_backend.rows("worker", handle="ny")
    key = staffed_backend.admin.add_worker("ny", "Ny", "mentor", leader="lene")
    (lene,) = staffed_backend.rows("worker", handle="lene")
    assert staffed_backend.rows("worker", handle="ny")[0]["leader_id"] == lene["id"]
    assert staffed_backend.rows("worker", handle="ny")[0]["id"] == key


def test_adding_a_worker_with_a_leader_is_one_transaction(staffed: App) -> None:
    begun: list[object] = []

    def began(connection: object) -> None:
        begun.append(connection)

    event.listen(staffed.engine, "begin", began)
    try:
        staffed.admin.add_worker("ny", "Ny", "mentor", leader="lene")
    finally:
        event.remove(staffed.engine, "begin", began)
    assert len(begun) == 1
