"""Helpers the tests share: driving the real forms, waiting for a condition."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

PASSWORD = "correct horse battery"


def csrf_of(page) -> str:
    return page.html.find("input", {"name": "csrf_token"})["value"]


def register(testapp, username: str, password: str = PASSWORD):
    """Register through the real form; the test app is then signed in."""
    form = testapp.get("/register").forms["registerschema"]
    form["username"] = username
    form["password"] = password
    form["password-confirm"] = password
    return form.submit("submit")


def sign_out(testapp) -> None:
    page = testapp.get("/messages")
    testapp.post("/logout", {"csrf_token": csrf_of(page)})


def compose(
    testapp,
    *,
    recipient="friend@example.org",
    send_at,
    time_zone="Europe/Moscow",
    body="Hello from the test suite.",
    subject="Test",
):
    """Submit the compose form; ``send_at`` is local wall-clock text."""
    form = testapp.get("/").forms["composeschema"]
    form["recipient"] = recipient
    form["subject"] = subject
    form["send_at"] = send_at
    form["time_zone"] = time_zone
    form["body"] = body
    return form.submit("submit")


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def copy_development_ini(folder, **replacements):
    """development.ini in ``folder``, with its database migrated there.

    ``replacements`` maps text in the file to what it becomes, e.g. a port.
    """
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "development.ini").read_text()
    replacements.setdefault(
        "script_location = %(here)s/alembic", f"script_location = {root / 'alembic'}"
    )
    for old, new in replacements.items():
        assert old in text, f"development.ini no longer has {old!r}"
        text = text.replace(old, new)
    ini = Path(folder) / "development.ini"
    ini.write_text(text)
    alembic = Path(sys.executable).parent / "alembic"
    subprocess.run(
        [str(alembic), "-c", str(ini), "upgrade", "head"],
        check=True,
        capture_output=True,
    )
    return ini


def field_errors(page) -> dict[str, str]:
    """Each field's error message, keyed by the field's name."""
    errors = {}
    for feedback in page.html.select(".invalid-feedback"):
        item = feedback.find_parent("div", class_="mb-3")
        names = [name for name in item["class"] if name.startswith("item-")]
        errors[names[0].removeprefix("item-")] = feedback.get_text(strip=True)
    return errors


@contextmanager
def database_statements(app) -> Iterator[list[str]]:
    """Collect every SQL statement the application sends meanwhile."""
    statements = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    engine = app.registry["db_engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
