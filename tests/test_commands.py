"""The console commands a person runs: wgmail-demo and pshell."""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from support import copy_development_ini

BIN = Path(sys.executable).parent


@pytest.fixture
def ini(tmp_path) -> Path:
    return copy_development_ini(tmp_path)


def run(*args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60)


def test_the_demo_command_loads_its_user_once(ini):
    first = run(str(BIN / "wgmail-demo"), str(ini))
    second = run(str(BIN / "wgmail-demo"), str(ini))

    assert first.returncode == 0, first.stderr
    assert (
        "Demo user created: username 'demo', password 'demo-password'." in first.stdout
    )
    assert second.returncode == 0
    assert "exists already; nothing changed" in second.stdout


def test_pshell_offers_the_session_the_models_and_the_transaction_manager(ini):
    run(str(BIN / "wgmail-demo"), str(ini))
    script = (
        "print('statuses', sorted(m.status for m in dbsession.query(models.Message)))\n"
        "print('manager', type(tm).__name__)\n"
        "dbsession.query(models.User).one().is_admin = False\n"
        "tm.commit()\n"
    )

    result = run(str(BIN / "pshell"), str(ini), stdin=script)

    assert result.returncode == 0, result.stderr
    assert "statuses ['sent', 'sent', 'waiting', 'waiting']" in result.stdout
    assert "manager TransactionManager" in result.stdout
    # The commit went through: a second shell sees the change.
    check = run(
        str(BIN / "pshell"),
        str(ini),
        stdin="print('admin', dbsession.query(models.User).one().is_admin)\n",
    )
    assert "admin False" in check.stdout


def production_environment(tmp_path, postgres_url, redis_url) -> dict:
    import os

    return {
        **os.environ,
        "WGMAIL_DATABASE_URL": postgres_url,
        "WGMAIL_REDIS_URL": redis_url,
        "WGMAIL_SECRET": "a-production-secret-of-forty-characters!",
        "WGMAIL_SENDER": "wgmail <wgmail@example.com>",
        "WGMAIL_SPOOL_DIR": str(tmp_path / "spool"),
    }


def test_production_ini_takes_everything_from_the_environment(
    tmp_path, postgres_url, redis_url
):
    env = production_environment(tmp_path, postgres_url, redis_url)
    script = (
        "s = request.registry.settings\n"
        "print('db', s['sqlalchemy.url'] == __import__('os').environ['WGMAIL_DATABASE_URL'])\n"
        "print('broker', type(delivery.broker).__name__)\n"
        "print('smtp', delivery.smtp.port, delivery.smtp.tls)\n"
    )

    result = subprocess.run(
        [str(BIN / "pshell"), str(ROOT / "production.ini")],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )

    assert result.returncode == 0, result.stderr
    assert "db True" in result.stdout
    assert "broker RedisBroker" in result.stdout
    assert "smtp 587 starttls" in result.stdout


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (
            "WGMAIL_DATABASE_URL",
            "sqlalchemy.url (or environment variable WGMAIL_DATABASE_URL) is required",
        ),
        (
            "WGMAIL_SECRET",
            "wgmail.secret (or environment variable WGMAIL_SECRET) is required",
        ),
    ],
)
def test_production_refuses_to_start_without_a_setting_and_names_it(
    tmp_path, postgres_url, redis_url, missing, named
):
    env = production_environment(tmp_path, postgres_url, redis_url)
    del env[missing]

    result = subprocess.run(
        [str(BIN / "wgmail-worker"), str(ROOT / "production.ini")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )

    assert result.returncode != 0
    assert named in result.stderr
