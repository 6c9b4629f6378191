"""Cancelling a message: allowed until it has left, and only by its owner."""

import os
import urllib.parse
from datetime import datetime, timedelta, timezone

from support import compose, csrf_of, register, sign_out
from wgmail.delivery.deliver import deliver_message
from wgmail.models import CANCELLED, SENT, WAITING, Message, unit_of_work

IN_AN_HOUR = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime(
    "%Y-%m-%dT%H:%M:%S"
)


def schedule(testapp) -> int:
    compose(testapp, send_at=IN_AN_HOUR, time_zone="UTC")
    return testapp.get("/api/messages/").json["items"][0]["id"]


def cancel(testapp, message_id: int, **kw):
    token = csrf_of(testapp.get("/messages"))
    return testapp.post(f"/messages/{message_id}/cancel", {"csrf_token": token}, **kw)


def load(delivery, message_id: int) -> Message:
    with unit_of_work(delivery.session_factory) as (session, _):
        message = session.get(Message, message_id)
        message.events  # noqa: B018 - loaded before the session closes
        return message


def test_a_waiting_message_can_be_cancelled_and_is_then_never_sent(testapp, delivery):
    register(testapp, "kate")
    message_id = schedule(testapp)

    page = cancel(testapp, message_id).follow()

    assert "Cancelled: it will not be sent to friend@example.org." in page.text
    row = page.html.find(id=f"message-{message_id}")
    assert row["data-status"] == "cancelled"
    assert row.find("button") is None
    message = load(delivery, message_id)
    assert message.status == CANCELLED
    assert message.events[-1].event == "cancelled"
    # The deliver actor, should a hand-off still arrive, leaves it alone.
    assert deliver_message(delivery, message_id) is False
    assert os.listdir(delivery.spool_dir / "new") == []


def test_a_message_that_has_left_cannot_be_cancelled(testapp, delivery):
    register(testapp, "liam")
    message_id = schedule(testapp)
    with unit_of_work(delivery.session_factory) as (session, _):
        session.get(Message, message_id).spooled_at = datetime.now(timezone.utc)

    page = cancel(testapp, message_id).follow()

    assert (
        "It cannot be cancelled: it has already left for the mail server." in page.text
    )
    assert load(delivery, message_id).status == WAITING


def test_a_sent_message_cannot_be_cancelled(testapp, delivery):
    register(testapp, "mona")
    message_id = schedule(testapp)
    with unit_of_work(delivery.session_factory) as (session, _):
        session.get(Message, message_id).status = SENT

    page = cancel(testapp, message_id).follow()

    assert "It cannot be cancelled: it is sent already." in page.text
    assert load(delivery, message_id).status == SENT


def test_nobody_can_cancel_another_users_message(testapp, delivery):
    register(testapp, "nina")  # the first account: the administrator
    message_id = schedule(testapp)
    sign_out(testapp)
    register(testapp, "otto")

    cancel(testapp, message_id, status=404)

    assert load(delivery, message_id).status == WAITING


def test_cancelling_needs_the_csrf_token(testapp, delivery):
    register(testapp, "pia")
    message_id = schedule(testapp)

    testapp.post(f"/messages/{message_id}/cancel", status=400)

    assert load(delivery, message_id).status == WAITING


def test_an_unknown_message_is_a_404(testapp):
    register(testapp, "quinn")

    cancel(testapp, 999999, status=404)


def test_an_id_too_large_to_exist_is_a_404_not_an_error(testapp):
    register(testapp, "rosa")

    cancel(testapp, 99999999999999999999999, status=404)


def test_a_message_on_its_way_says_so_and_offers_no_cancel(testapp, delivery):
    register(testapp, "sven")
    message_id = schedule(testapp)
    with unit_of_work(delivery.session_factory) as (session, _):
        session.get(Message, message_id).spooled_at = datetime.now(timezone.utc)

    row = testapp.get("/messages").html.find(id=f"message-{message_id}")

    assert "On its way to the mail server" in row.text
    assert row.find("button") is None


def test_an_id_in_other_digits_is_no_message(testapp, delivery):
    register(testapp, "tove")
    message_id = schedule(testapp)
    full_width = "".join(chr(0xFF10 + int(digit)) for digit in str(message_id))
    full_width = urllib.parse.quote(full_width)

    token = csrf_of(testapp.get("/messages"))
    testapp.post(f"/messages/{full_width}/cancel", {"csrf_token": token}, status=404)

    assert load(delivery, message_id).status == WAITING
