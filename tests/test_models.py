"""Times are stored as UTC instants on every database, never naive."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from wgmail.models import Message, User, get_engine, get_session_factory, unit_of_work


@pytest.fixture(params=["sqlite", "postgresql"])
def session_factory(request, sqlite_url):
    url = (
        sqlite_url
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    engine = get_engine(url)
    yield get_session_factory(engine)
    engine.dispose()


def add_message(session, send_at) -> Message:
    user = User(username="ivan", username_key="ivan", password_hash="x")
    message = Message(
        owner=user,
        recipient="a@example.org",
        subject="",
        body="x",
        time_zone="Europe/Moscow",
        send_at=send_at,
    )
    session.add(message)
    return message


def test_an_aware_moscow_time_reads_back_as_the_same_instant_in_utc(session_factory):
    moscow = datetime(2026, 12, 3, 2, 30, tzinfo=ZoneInfo("Europe/Moscow"))
    with unit_of_work(session_factory) as (session, _):
        add_message(session, moscow)

    with unit_of_work(session_factory) as (session, _):
        stored = session.scalars(select(Message.send_at)).one()

    assert stored == datetime(2026, 12, 2, 23, 30, tzinfo=timezone.utc)
    assert stored.tzinfo == timezone.utc


def test_comparisons_in_queries_use_the_instant(session_factory):
    moscow = datetime(2026, 12, 3, 2, 30, tzinfo=ZoneInfo("Europe/Moscow"))
    with unit_of_work(session_factory) as (session, _):
        add_message(session, moscow)

    with unit_of_work(session_factory) as (session, _):
        before = datetime(2026, 12, 2, 23, 29, 59, tzinfo=timezone.utc)
        after = datetime(2026, 12, 2, 23, 30, 1, tzinfo=timezone.utc)
        assert session.scalars(
            select(Message.id).where(Message.send_at > before)
        ).all() == [1]
        assert (
            session.scalars(select(Message.id).where(Message.send_at > after)).all()
            == []
        )


def test_a_naive_datetime_is_refused(session_factory):
    with pytest.raises(StatementError, match="refusing to store a naive datetime"):  # noqa: SIM117 - the error has to leave the unit of work
        with unit_of_work(session_factory) as (session, _):
            add_message(session, datetime(2026, 12, 3, 2, 30))
            session.flush()
