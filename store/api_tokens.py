"""API tokens and calendar feed secrets in SQL: the `ApiTokenStore` and `CalendarFeedStore`
ports of app/ports.py. Only digests are stored; the rules (scopes, who may make a token, how
a secret is made and checked) are app/api_tokens.py's and app/calendar_feed.py's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from drejebog.app.ports import StoredToken
from drejebog.engine.errors import NotFound
from drejebog.store.queries import WorkerLookup
from drejebog.store.tables import API_TOKEN, CALENDAR_FEED, WORKER


def _token(row: Any) -> StoredToken:
    return StoredToken(
        int(row.id),
        row.name,
        tuple(row.scopes.split()),
        row.team_lead,
        row.created_at,
        row.created_by,
        row.revoked_at,
    )


class SqlApiTokens(WorkerLookup):
    """Both ports over one Engine, each call a short transaction of its own."""

    def add_token(
        self,
        name: str,
        token_hash: str,
        scopes: tuple[str, ...],
        team_lead: str | None,
        at: datetime,
        by: str,
    ) -> bool:
        try:
            with self._engine.begin() as connection:
                if team_lead is not None and self._missing(connection, team_lead):
                    raise NotFound("leder", team_lead, " (se 'drejebog worker list')")
                active = connection.execute(
                    select(API_TOKEN.c.id).where(
                        API_TOKEN.c.name == name, API_TOKEN.c.revoked_at.is_(None)
                    )
                ).first()
                if active is not None:
                    return False
                connection.execute(
                    insert(API_TOKEN).values(
                        name=name,
                        token_hash=token_hash,
                        scopes=" ".join(scopes),
                        team_lead=team_lead,
                        created_at=at,
                        created_by=by,
                        revoked_at=None,
                    )
                )
        except IntegrityError:  # two at once: the partial unique index keeps one
            return False
        return True

    @staticmethod
    def _missing(connection: Any, handle: str) -> bool:
        found = connection.execute(select(WORKER.c.id).where(WORKER.c.handle == handle)).first()
        return found is None

    def token_by_hash(self, token_hash: str) -> StoredToken | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(API_TOKEN).where(API_TOKEN.c.token_hash == token_hash)
            ).first()
        return None if row is None else _token(row)

    def tokens(self) -> list[StoredToken]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(API_TOKEN).order_by(API_TOKEN.c.name, API_TOKEN.c.id.desc())
            ).all()
        return [_token(row) for row in rows]

    def revoke_token(self, name: str, at: datetime) -> bool:
        with self._engine.begin() as connection:
            done = connection.execute(
                update(API_TOKEN)
                .where(API_TOKEN.c.name == name, API_TOKEN.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
        return bool(done.rowcount)

    def all_worker_ids(self) -> tuple[int, ...]:
        with self._engine.connect() as connection:
            return tuple(int(key) for key in connection.execute(select(WORKER.c.id)).scalars())

    # -- calendar feeds ----------------------------------------------------------------------

    def set_feed(self, handle: str, secret_hash: str, at: datetime) -> None:
        with self._engine.begin() as connection:
            if self._missing(connection, handle):
                raise NotFound("medarbejder", handle, " (se 'drejebog worker list')")
            connection.execute(delete(CALENDAR_FEED).where(CALENDAR_FEED.c.handle == handle))
            connection.execute(
                insert(CALENDAR_FEED).values(handle=handle, secret_hash=secret_hash, created_at=at)
            )

    def remove_feed(self, handle: str) -> bool:
        with self._engine.begin() as connection:
            done = connection.execute(delete(CALENDAR_FEED).where(CALENDAR_FEED.c.handle == handle))
        return bool(done.rowcount)

    def feed_owner(self, secret_hash: str) -> str | None:
        with self._engine.connect() as connection:
            found = connection.execute(
                select(CALENDAR_FEED.c.handle).where(CALENDAR_FEED.c.secret_hash == secret_hash)
            ).scalar()
        return None if found is None else str(found)

    def feed_made(self, handle: str) -> datetime | None:
        with self._engine.connect() as connection:
            found: datetime | None = connection.execute(
                select(CALENDAR_FEED.c.created_at).where(CALENDAR_FEED.c.handle == handle)
            ).scalar()
        return found
