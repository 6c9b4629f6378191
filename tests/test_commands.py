"""The console commands a person runs: wgmail-demo and pshell."""

import subprocess
import sys
from pathlib import Path

import pytest

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
