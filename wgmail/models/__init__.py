"""Database wiring: engines, sessions bound to a transaction manager.

Web requests get ``request.dbsession`` joined to ``request.tm`` by
pyramid_tm. Background work (actors, dispatcher, queue runner) opens its own
unit of work with ``unit_of_work``, on a transaction manager of its own, so
a thread never commits somebody else's changes.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import transaction
import zope.sqlalchemy
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from .meta import Base, UTCDateTime, utcnow
from .tables import (
    CANCELLED,
    FAILED,
    SENT,
    STATUSES,
    WAITING,
    Message,
    MessageEvent,
    User,
)

__all__ = [
    "Base",
    "UTCDateTime",
    "utcnow",
    "User",
    "Message",
    "MessageEvent",
    "STATUSES",
    "WAITING",
    "SENT",
    "FAILED",
    "CANCELLED",
    "get_engine",
    "get_session_factory",
    "get_tm_session",
    "unit_of_work",
]

configure_mappers()


def get_engine(url: str) -> Engine:
    """Create the engine for ``url``, with SQLite made safe for threads."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}
    )

    # SQLite has a single writer. A transaction that reads and then writes
    # fails at once with "database is locked" when another thread wrote in
    # between, so every transaction takes the write lock when it begins and
    # the others wait their turn (busy timeout). WAL lets readers of
    # committed data carry on meanwhile.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def get_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory: sessionmaker, transaction_manager) -> Session:
    """Return a session that commits and rolls back with ``transaction_manager``."""
    session = session_factory()
    zope.sqlalchemy.register(session, transaction_manager=transaction_manager)
    return session


@contextmanager
def unit_of_work(
    session_factory: sessionmaker,
) -> Iterator[tuple[Session, transaction.TransactionManager]]:
    """One transaction on its own manager: commits on success, aborts on error.

    The manager is yielded too, so that a mailer or an after-commit hook can
    join exactly this transaction.
    """
    manager = transaction.TransactionManager(explicit=True)
    session = get_tm_session(session_factory, manager)
    manager.begin()
    try:
        yield session, manager
        # A doomed transaction (``manager.doom()``) ends quietly, undone.
        if manager.isDoomed():
            manager.abort()
        else:
            manager.commit()
    except BaseException:
        manager.abort()
        raise
    finally:
        session.close()


def includeme(config):
    """Give each request a ``dbsession`` tied to its ``request.tm``."""
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")

    engine = get_engine(settings["sqlalchemy.url"])
    session_factory = get_session_factory(engine)
    config.registry["dbsession_factory"] = session_factory
    config.registry["db_engine"] = engine

    def dbsession(request):
        # pshell and scripts may hand in a session of their own.
        session = request.environ.get("app.dbsession")
        if session is None:
            session = get_tm_session(session_factory, request.tm)
        return session

    config.add_request_method(dbsession, reify=True)
