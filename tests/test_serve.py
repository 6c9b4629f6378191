"""``pserve development.ini`` runs the whole service; Ctrl-C stops all of it."""

import http.cookiejar
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from conftest import free_port
from support import PASSWORD, copy_development_ini, wait_until

BIN = Path(sys.executable).parent


@pytest.fixture
def instance(tmp_path) -> tuple[Path, int]:
    """development.ini copied into an empty folder, on free ports."""
    http_port, smtp_port = free_port(), free_port()
    ini = copy_development_ini(
        tmp_path,
        **{
            "port = 6543": f"port = {http_port}",
            "wgmail.smtp_port = 8025": f"wgmail.smtp_port = {smtp_port}",
        },
    )
    return ini, http_port


class Browser:
    """Just enough of a browser: cookies, forms with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict) -> str:
        page = self.get(path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {**fields, "csrf_token": token, "submit": "submit"}
        )
        with self.opener.open(self.base + path, data.encode(), timeout=10) as response:
            return response.read().decode()


def test_pserve_runs_every_part_and_ctrl_c_stops_them(instance):
    ini, port = instance
    log = ini.parent / "pserve.log"
    process = subprocess.Popen(
        [str(BIN / "pserve"), str(ini)], stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        assert wait_until(lambda: "Serving on" in log.read_text(), timeout=30), (
            log.read_text()
        )
        browser = Browser(f"http://127.0.0.1:{port}")

        # A new user registers and schedules a mail two seconds ahead
        browser.post(
            "/register",
            {
                "username": "grace",
                "__start__": "password:mapping",
                "password": PASSWORD,
                "password-confirm": PASSWORD,
                "__end__": "password:mapping",
            },
        )
        send_at = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(
            seconds=2
        )
        local = (send_at + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S")
        page = browser.post(
            "/",
            {
                "recipient": "heidi@example.org",
                "subject": "From pserve",
                "send_at": local,
                "time_zone": "Europe/Moscow",
                "body": "Delivered by the embedded service.",
            },
        )
        assert "Scheduled for" in page

        # The local SMTP server keeps it as an .eml file under var/mail
        mail_dir = ini.parent / "var" / "mail"
        stored = wait_until(lambda: list(mail_dir.glob("*.eml")), timeout=15)
        assert len(stored) == 1
        mail = message_from_bytes(stored[0].read_bytes(), policy=policy.default)
        assert mail["Delivered-To"] == "heidi@example.org"
        assert mail["Subject"] == "From pserve"
        assert mail.get_content_type() == "multipart/alternative"
        assert wait_until(lambda: "sent" in browser.get("/api/messages/?status=sent"))
    finally:
        # Ctrl-C
        process.send_signal(signal.SIGINT)
        exit_code = process.wait(timeout=30)

    output = log.read_text()
    assert exit_code == 0, output
    assert "services.stopped" in output
    for service in ("runner.stopped", "dispatcher.stopped", "local_smtp.stopped"):
        assert service in output
