"""The delivery path on PostgreSQL and Redis, with workers in their own processes.

The web app runs in the test; ``wgmail-worker`` (Dramatiq worker plus
dispatcher) and ``wgmail-runner`` (queue runner) run as separate processes
started from an .ini file, as production runs them.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import webtest
from sqlalchemy import select

import wgmail
from support import compose, register, wait_until
from wgmail.models import SENT, Message, User, unit_of_work

BIN = Path(sys.executable).parent
MOSCOW_OFFSET = timedelta(hours=3)


def write_ini(path: Path, settings: dict) -> Path:
    lines = ["[app:main]", "use = egg:wgmail"]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    lines += [
        "",
        "[loggers]",
        "keys = root",
        "[handlers]",
        "keys = console",
        "[formatters]",
        "keys = generic",
        "[logger_root]",
        "level = INFO",
        "handlers = console",
        "[handler_console]",
        "class = StreamHandler",
        "args = (sys.stderr,)",
        "formatter = generic",
        "[formatter_generic]",
        "format = %(asctime)s %(levelname)s [%(name)s] %(message)s",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def pg_settings(make_settings, postgres_url, redis_url, tmp_path) -> dict:
    return make_settings(
        postgres_url,
        **{
            "wgmail.broker_url": redis_url,
            "wgmail.worker_threads": "4",
        },
    )


@pytest.fixture
def worker_processes(pg_settings, tmp_path):
    ini = write_ini(tmp_path / "integration.ini", pg_settings)
    logs = {name: tmp_path / f"{name}.log" for name in ("worker", "runner")}
    processes = {
        name: subprocess.Popen(
            [str(BIN / f"wgmail-{name}"), str(ini)],
            stdout=logs[name].open("wb"),
            stderr=subprocess.STDOUT,
        )
        for name in ("worker", "runner")
    }
    try:
        # Both log services.started once they run.
        for name in processes:
            assert wait_until(
                lambda name=name: "services.started" in logs[name].read_text(),
                timeout=20,
            ), logs[name].read_text()
        yield processes, logs
    finally:
        # Stopped even when start-up failed: a stray worker would take the
        # next test's messages from Redis.
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        exit_codes = {
            name: process.wait(timeout=20) for name, process in processes.items()
        }
    assert exit_codes == {"worker": 0, "runner": 0}, {
        name: log.read_text()[-2000:] for name, log in logs.items()
    }


def test_a_mail_scheduled_through_the_web_is_delivered_by_separate_worker_processes(
    pg_settings, worker_processes, smtp_server
):
    app = wgmail.main({}, **pg_settings)
    testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": "wgmail.test"})
    register(testapp, "dora")

    # When a mail is scheduled two seconds ahead in Moscow time
    send_at = (datetime.now(timezone.utc) + timedelta(seconds=2)).replace(microsecond=0)
    local = (send_at + MOSCOW_OFFSET).strftime("%Y-%m-%dT%H:%M:%S")
    compose(testapp, recipient="erin@example.org", send_at=local)

    # Then the worker process spools it at its time and the runner delivers it
    [received] = smtp_server.wait_for(1, timeout=20)
    assert received.rcpt_tos == ["erin@example.org"]
    assert 0 <= received.at - send_at.timestamp() < 1.0
    assert wait_until(lambda: testapp.get("/api/messages/?status=sent").json["items"])
    session_factory = app.registry["dbsession_factory"]
    with unit_of_work(session_factory) as (session, _):
        message = session.scalars(select(Message)).one()
        assert message.status == SENT
        assert message.send_at == send_at
        assert message.spool_host == "test-host"
    app.registry["db_engine"].dispose()


def test_the_dispatcher_finds_rows_nobody_handed_off(
    pg_settings, worker_processes, smtp_server
):
    # Given rows written straight to the database, as if the web process had
    # crashed between its commit and its hand-off
    app = wgmail.main({}, **pg_settings)
    session_factory = app.registry["dbsession_factory"]
    due = datetime.now(timezone.utc) + timedelta(seconds=1)
    with unit_of_work(session_factory) as (session, _):
        owner = User(username="frank", username_key="frank", password_hash="x")
        session.add_all(
            Message(
                owner=owner,
                recipient=f"r{n}@example.org",
                subject=f"Mail {n}",
                body="Hello.",
                time_zone="UTC",
                send_at=due,
            )
            for n in range(20)
        )

    # Then the dispatcher in the worker process sends each exactly once
    received = smtp_server.wait_for(20, timeout=30)
    time.sleep(1)
    assert sorted(mail.rcpt_tos[0] for mail in smtp_server.received) == sorted(
        f"r{n}@example.org" for n in range(20)
    )
    assert len(received) == 20
    with unit_of_work(session_factory) as (session, _):
        statuses = session.scalars(select(Message.status)).all()
    assert statuses == [SENT] * 20
    app.registry["db_engine"].dispose()


def test_the_worker_refuses_to_start_without_a_database_url(tmp_path, pg_settings):
    settings = dict(pg_settings)
    del settings["sqlalchemy.url"]
    ini = write_ini(tmp_path / "broken.ini", settings)
    env = {k: v for k, v in os.environ.items() if k != "WGMAIL_DATABASE_URL"}

    result = subprocess.run(
        [str(BIN / "wgmail-worker"), str(ini)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )

    assert result.returncode != 0
    assert (
        "sqlalchemy.url (or environment variable WGMAIL_DATABASE_URL) is required"
        in result.stderr
    )
