"""The main job on the embedded defaults: sign up, schedule, receive."""

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from support import compose, register, wait_until
from wgmail.models import Message, unit_of_work

MOSCOW = ZoneInfo("Europe/Moscow")


def local_text(instant: datetime, zone=MOSCOW) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")


def test_a_scheduled_message_reaches_the_smtp_server_at_its_second(
    testapp, services, smtp_server, delivery
):
    # Given a signed-in user and the worker, dispatcher and runner running
    register(testapp, "alice")
    services(worker=True, dispatcher=True, runner=True)

    # When they schedule a mail three seconds ahead, written in Moscow time
    send_at = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    page = compose(
        testapp,
        recipient="bob@example.org",
        subject="Привет, Bob",
        send_at=local_text(send_at),
        body="Line one.\n\nA second paragraph with <b>markup</b> & ümlauts.\n" * 20,
    ).follow()
    assert "Scheduled for" in page.text

    # Then exactly one mail arrives, within a second of that second
    received = smtp_server.wait_for(1, timeout=15)
    assert len(received) == 1
    mail = received[0]
    assert 0 <= mail.at - send_at.timestamp() < 1.0
    assert mail.rcpt_tos == ["bob@example.org"]
    assert mail.mail_from == "wgmail@wgmail.test"
    assert len(mail.data) > 2000

    message = mail.message
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part for part in message.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert all(part.get_content_charset() == "utf-8" for part in parts.values())
    assert "&lt;b&gt;markup&lt;/b&gt; &amp; ümlauts" in parts["text/html"].get_content()
    assert "<b>markup</b> & ümlauts" in parts["text/plain"].get_content()
    assert message["Subject"] == "Привет, Bob"
    assert message["From"] == "wgmail <wgmail@wgmail.test>"
    with unit_of_work(delivery.session_factory) as (session, _):
        row = session.query(Message).one()
    assert message["Message-ID"] == f"<wgmail-{row.id}@wgmail.test>"
    assert message["Date"] is not None
    assert "X-Actually-To" not in message

    # And the pages and the API show it as sent, once the runner recorded it
    assert wait_until(lambda: testapp.get("/api/messages/?status=sent").json["items"])
    assert row.send_at == send_at
    assert row.time_zone == "Europe/Moscow"
    listing = testapp.get("/messages")
    assert listing.html.find(id=f"message-{row.id}")["data-status"] == "sent"
    assert testapp.get("/api/messages/?status=waiting").json == {
        "items": [],
        "next": None,
    }
    sent = testapp.get("/api/messages/?status=sent").json["items"]
    assert [item["id"] for item in sent] == [row.id]
    assert sent[0]["smtp_reply"].startswith("250")

    # And it is never sent a second time
    time.sleep(0.5)
    assert len(smtp_server.received) == 1
