"""UTCDateTime on SQLite: the text it writes is exactly what SQLAlchemy's own DATETIME writes
(so old rows, new rows and SQL comparisons agree), and it reads back aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Date, DateTime
from sqlalchemy.dialects import postgresql, sqlite

from drejebog.store.fastsql import _sqlite_date_reader, _sqlite_date_writer
from drejebog.store.types import UTCDateTime

DIALECT = sqlite.dialect()
WRITE = UTCDateTime()._cached_bind_processor(DIALECT)
READ = UTCDateTime()._cached_result_processor(DIALECT, None)
SQLALCHEMY_WRITE = DateTime()._cached_bind_processor(DIALECT)

INSTANTS = [
    datetime(2027, 3, 28, 0, 59, 59, 999999, tzinfo=UTC),  # the night summer time begins
    datetime(2027, 10, 31, 1, 0, tzinfo=UTC),
    datetime(2027, 1, 4, 9, 0, 5, 123, tzinfo=timezone(timedelta(hours=1))),
    datetime(999, 1, 1, tzinfo=UTC),
]


@pytest.mark.parametrize("instant", INSTANTS)
def test_writes_sqlalchemys_text_and_reads_back_the_same_instant(instant):
    text = WRITE(instant)
    assert text == SQLALCHEMY_WRITE(instant.astimezone(UTC).replace(tzinfo=None))
    assert READ(text) == instant and READ(text).tzinfo is UTC


def test_reads_text_without_microseconds_and_refuses_naive_instants():
    assert READ("2027-01-04 07:00:00") == datetime(2027, 1, 4, 7, tzinfo=UTC)
    assert WRITE(None) is None and READ(None) is None
    with pytest.raises(ValueError, match="naivt tidspunkt"):
        WRITE(datetime(2027, 1, 4, 7))


def test_the_fast_path_writes_and_reads_sqlite_dates_as_sqlalchemy_does():
    writer = _sqlite_date_writer(Date(), DIALECT)
    reader = _sqlite_date_reader(Date(), DIALECT)
    sqlalchemy_writer = Date()._cached_bind_processor(DIALECT)
    sqlalchemy_reader = Date()._cached_result_processor(DIALECT, None)
    for day in (date(2027, 2, 28), date(999, 1, 1), date(2028, 2, 29)):
        assert writer(day) == sqlalchemy_writer(day)
        assert reader(writer(day)) == sqlalchemy_reader(writer(day)) == day
    assert writer(None) is None and reader(None) is None
    assert _sqlite_date_reader(Date(), postgresql.dialect()) is None  # psycopg gives dates
