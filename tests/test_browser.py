"""The main job in a real browser: Debian's Chromium over real HTTP.

The browser runs in Moscow time, so the compose form takes its zone from the
browser itself (wgmail.js), and the send time is typed as the wall-clock text
a person in Moscow would type. Nothing is mocked: waitress serves the app,
the worker, dispatcher and queue runner deliver to the in-process SMTP
server.
"""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import waitress
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import func, select

from support import PASSWORD, wait_until
from wgmail.models import Message, unit_of_work

CHROMIUM = Path("/usr/bin/chromium")

# Playwright already starts Chromium headless, without the sandbox (this
# runs as root) and with background networking, component updates, sync
# and the first-run screens off. These two it leaves on: the machine has no
# GPU, and its closed network makes every QUIC attempt a wasted failure.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic"]

MOSCOW = ZoneInfo("Europe/Moscow")


def moscow_text(instant: datetime) -> str:
    """What a datetime-local field holds for ``instant``, read in Moscow."""
    return instant.astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # A browser test that cannot run must say so loudly, never skip.
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium "
            "package (apt-get install -y chromium, as .ci/run does).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def live_url(app) -> Iterator[str]:
    """The app served by waitress on a free loopback port, in a thread."""
    server = waitress.create_server(app, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()

    yield f"http://127.0.0.1:{server.effective_port}"

    # Closed from inside the server's own loop: closing its socket from
    # this thread could pull it out from under a select() in progress.
    server.trigger.pull_trigger(server.close)
    thread.join(timeout=5)
    server.task_dispatcher.shutdown()
    assert not thread.is_alive(), "waitress did not stop"


@pytest.fixture
def page(browser, live_url) -> Iterator[Page]:
    """A fresh browser profile in Moscow time, pointed at the live app."""
    context = browser.new_context(base_url=live_url, timezone_id="Europe/Moscow")
    yield context.new_page()
    context.close()


def register(page: Page, username: str) -> None:
    page.goto("/register")
    page.get_by_label("Username").fill(username)
    page.get_by_placeholder("Password", exact=True).fill(PASSWORD)
    page.get_by_placeholder("Confirm Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


def fill_compose_form(page: Page, *, recipient: str, send_at: str) -> None:
    page.get_by_label("To").fill(recipient)
    page.get_by_label("Subject").fill("Привет from Chromium")
    page.get_by_label("Message").fill("Typed into a real browser.\n\nSee you!")
    page.get_by_label("Send at").fill(send_at)


def stored_messages(delivery) -> int:
    with unit_of_work(delivery.session_factory) as (session, _):
        return session.scalar(select(func.count()).select_from(Message))


def test_a_moscow_user_schedules_a_mail_in_the_browser_and_sees_it_sent(
    page, services, smtp_server, delivery, tmp_path
):
    # Given the worker, dispatcher and queue runner running
    services(worker=True, dispatcher=True, runner=True)

    # And a user who registered, signed out and signed in again
    register(page, "olga")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_title("Sign in · wgmail")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # When they open the compose page, the zone is the browser's own: the
    # server leaves it empty for someone who never wrote a message before
    expect(page).to_have_title("Compose · wgmail")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Moscow")

    # And they schedule a mail four seconds ahead, in Moscow wall-clock time
    send_at = (datetime.now(UTC) + timedelta(seconds=4)).replace(microsecond=0)
    fill_compose_form(page, recipient="ivan@example.org", send_at=moscow_text(send_at))
    page.screenshot(path=tmp_path / "compose.png", full_page=True)
    page.get_by_role("button", name="Schedule").click()

    # Then the messages page lists it, still waiting
    expect(page).to_have_title("Messages · wgmail")
    wall_clock = moscow_text(send_at).replace("T", " ")
    expect(page.get_by_role("status")).to_contain_text(
        f"Scheduled for {wall_clock} UTC+03:00 (Europe/Moscow) to ivan@example.org"
    )
    row = page.locator("tr[data-status]")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-status", "waiting")
    expect(row).to_contain_text(wall_clock)

    # And exactly one mail reaches the SMTP server within a second of it
    received = smtp_server.wait_for(1, timeout=15)
    assert len(received) == 1
    mail = received[0]
    assert 0 <= mail.at - send_at.timestamp() < 1.0
    assert mail.rcpt_tos == ["ivan@example.org"]
    assert mail.message.get_content_type() == "multipart/alternative"
    assert mail.message["Subject"] == "Привет from Chromium"

    # And once the runner has recorded the acceptance, the page shows "sent"
    def shows_sent() -> bool:
        page.reload()
        return row.get_attribute("data-status") == "sent"

    assert wait_until(shows_sent, timeout=10, interval=0.2)
    expect(row.locator(".wg-status")).to_have_text("sent")
    page.screenshot(path=tmp_path / "messages.png", full_page=True)
    assert len(smtp_server.received) == 1


def test_a_send_time_in_the_past_is_refused_next_to_the_field(page, delivery, tmp_path):
    # Given a signed-in user on the compose page
    register(page, "pavel")
    expect(page).to_have_title("Compose · wgmail")

    # When they ask for a time an hour ago, Moscow time
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    fill_compose_form(
        page, recipient="ivan@example.org", send_at=moscow_text(an_hour_ago)
    )
    page.get_by_role("button", name="Schedule").click()

    # Then the form comes back with the reason under "Send at"
    expect(page).to_have_title("Compose · wgmail")
    field = page.locator(".item-send_at")
    expect(field.locator(".invalid-feedback")).to_be_visible()
    expect(field).to_contain_text(
        "This time has already passed in Europe/Moscow; it is now"
    )
    expect(page.locator(".invalid-feedback")).to_have_count(1)
    expect(page.get_by_label("To")).to_have_value("ivan@example.org")
    page.screenshot(path=tmp_path / "compose-error.png", full_page=True)

    # And nothing was stored
    assert stored_messages(delivery) == 0
    page.goto("/messages")
    expect(page.get_by_text("Nothing scheduled yet.")).to_be_visible()
