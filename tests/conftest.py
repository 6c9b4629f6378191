"""Shared fixtures: a real SMTP server, migrated databases, the WSGI app.

Nothing of wgmail's is mocked. The SMTP server is aiosmtpd in this process;
PostgreSQL and Redis are the machine's own servers, and a test that needs
them fails (never skips) when they cannot be reached.
"""

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import webtest
from aiosmtpd.controller import Controller
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import wgmail
from alembic import command
from wgmail.models import get_engine

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "WGMAIL_TEST_POSTGRES_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/wgmail_test",
)
REDIS_URL = os.environ.get("WGMAIL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# -- SMTP ----------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class SMTPRecorder:
    """An aiosmtpd handler that keeps what it receives, or answers as told."""

    received: list[Received] = field(default_factory=list)
    # When set, DATA is answered with this line instead of accepting.
    data_reply: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply is not None:
            return self.data_reply
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content,
                    time.time(),
                )
            )
        return "250 2.0.0 Ok: queued as TEST"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self.lock:
            return list(self.received)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    recorder = SMTPRecorder()
    controller = Controller(
        recorder, hostname="127.0.0.1", port=free_port(), server_hostname="smtp.test"
    )
    controller.start()
    recorder.port = controller.port
    yield recorder
    controller.stop()


# -- databases -----------------------------------------------------------


def migrate(url: str) -> None:
    engine = get_engine(url)
    config = Config()
    config.set_main_option("script_location", str(ROOT / "alembic"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "wgmail.sqlite"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path, migrated_sqlite_template) -> str:
    path = tmp_path / "wgmail.sqlite"
    shutil.copy(migrated_sqlite_template, path)
    return f"sqlite:///{path}"


def recreate_postgres_database(url: str) -> None:
    """Drop and create the test database; fails loudly when PostgreSQL is down."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": parsed.database},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


@pytest.fixture
def postgres_url() -> str:
    recreate_postgres_database(POSTGRES_URL)
    migrate(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # raises when Redis is down: the test fails, not skips
    client.close()
    return REDIS_URL


# -- the application -----------------------------------------------------


@pytest.fixture
def make_settings(tmp_path, smtp_server) -> Callable[..., dict]:
    def make(database_url: str, **overrides) -> dict:
        settings = {
            "sqlalchemy.url": database_url,
            "wgmail.broker_url": "memory://",
            "wgmail.secret": "test-secret-" + "x" * 32,
            "wgmail.sender": "wgmail <wgmail@wgmail.test>",
            "wgmail.spool_dir": str(tmp_path / "spool"),
            "wgmail.smtp_host": "127.0.0.1",
            "wgmail.smtp_port": str(smtp_server.port),
            "wgmail.hostname": "test-host",
            "wgmail.dispatch_interval_seconds": "0.2",
            "wgmail.runner_poll_seconds": "0.05",
            "wgmail.redispatch_after_seconds": "2",
            "wgmail.retry_after_seconds": "0.2",
        }
        settings.update(overrides)
        return settings

    return make


@pytest.fixture
def settings(make_settings, sqlite_url) -> dict:
    return make_settings(sqlite_url)


@pytest.fixture
def app(settings):
    application = wgmail.main({}, **settings)
    yield application
    application.registry["db_engine"].dispose()


@pytest.fixture
def testapp(app) -> webtest.TestApp:
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "wgmail.test"})


@pytest.fixture
def delivery(app):
    return app.registry["wgmail.delivery"]


@pytest.fixture
def services(delivery):
    """Start background services for the test; all are stopped afterwards."""
    from wgmail.serve import BackgroundServices

    started = []

    def start(**wanted) -> BackgroundServices:
        running = BackgroundServices(delivery, **wanted)
        running.start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
