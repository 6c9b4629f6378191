"""The queue runner: spool files to SMTP, outcomes to the message rows."""

import os
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from wgmail.delivery.deliver import deliver_message
from wgmail.delivery.runner import QueueRunner, SpooledMail, SpoolFileError
from wgmail.models import FAILED, SENT, WAITING, Message, User, unit_of_work


def add_message(
    delivery, *, send_at=None, body="Hello there.\n" * 200, recipient="bob@example.org"
) -> int:
    """A waiting row due now, owned by a fresh user; returns its id."""
    with unit_of_work(delivery.session_factory) as (session, _):
        user = session.query(User).filter_by(username_key="carol").one_or_none()
        if user is None:
            user = User(username="carol", username_key="carol", password_hash="x")
        message = Message(
            owner=user,
            recipient=recipient,
            subject="Spooled",
            body=body,
            time_zone="Europe/Moscow",
            send_at=send_at or datetime.now(timezone.utc),
        )
        session.add(message)
        session.flush()
        return message.id


def load(delivery, message_id: int) -> Message:
    with unit_of_work(delivery.session_factory) as (session, _):
        message = session.get(Message, message_id)
        message.events  # noqa: B018 - loaded before the session closes
        return message


def spool_files(delivery, sub: str) -> list[str]:
    return sorted(os.listdir(delivery.spool_dir / sub))


def test_a_spool_file_is_sent_with_crlf_and_without_the_envelope_headers(
    delivery, smtp_server
):
    # Given a message spooled by the deliver actor
    message_id = add_message(delivery)
    assert deliver_message(delivery, message_id) is True
    assert len(spool_files(delivery, "new")) == 1

    # When the runner makes one pass
    assert QueueRunner(delivery).run_once() == 1

    # Then the server got one real-size mail, CRLF throughout, no X-Actually-*
    [received] = smtp_server.received
    assert received.mail_from == "wgmail@wgmail.test"
    assert received.rcpt_tos == ["bob@example.org"]
    assert len(received.data) > 3000
    assert b"\n" not in received.data.replace(b"\r\n", b"")
    assert b"X-Actually" not in received.data
    assert f"<wgmail-{message_id}@wgmail.test>".encode() in received.data

    # And the row is sent with the server's reply; the spool is empty
    message = load(delivery, message_id)
    assert message.status == SENT
    assert message.smtp_reply == "250 2.0.0 Ok: queued as TEST"
    assert message.sent_at is not None
    assert [event.event for event in message.events] == ["spooled", "sent"]
    assert spool_files(delivery, "new") == [] and spool_files(delivery, "cur") == []


def test_a_permanent_refusal_marks_the_message_failed_with_the_reply(
    delivery, smtp_server
):
    smtp_server.data_reply = "554 5.7.1 Rejected by policy"
    message_id = add_message(delivery)
    deliver_message(delivery, message_id)

    QueueRunner(delivery).run_once()

    message = load(delivery, message_id)
    assert message.status == FAILED
    assert message.smtp_reply == "554 5.7.1 Rejected by policy"
    assert "554 5.7.1 Rejected by policy" in message.failure_reason
    assert spool_files(delivery, "new") == [] and spool_files(delivery, "cur") == []


def test_a_temporary_refusal_keeps_the_file_for_a_later_try(delivery, smtp_server):
    # Given a server that defers the mail once
    smtp_server.data_reply = "451 4.3.0 Try again later"
    message_id = add_message(delivery)
    deliver_message(delivery, message_id)
    runner = QueueRunner(delivery)

    runner.run_once()
    message = load(delivery, message_id)
    assert message.status == WAITING
    assert message.events[-1].event == "deferred"
    assert message.events[-1].detail == "451 4.3.0 Try again later"
    assert len(spool_files(delivery, "new")) == 1

    # When the server accepts again and the retry time has passed
    smtp_server.data_reply = None
    runner._not_before.clear()
    runner.run_once()

    # Then it is sent, once
    assert load(delivery, message_id).status == SENT
    assert len(smtp_server.received) == 1


def test_an_unreachable_server_leaves_the_message_waiting_and_the_file_queued(delivery):
    # Nothing listens on port 9 of this machine.
    delivery.smtp.port = 9
    message_id = add_message(delivery)
    deliver_message(delivery, message_id)

    QueueRunner(delivery).run_once()

    message = load(delivery, message_id)
    assert message.status == WAITING
    assert message.events[-1].event == "deferred"
    assert "ConnectionRefusedError" in message.events[-1].detail
    assert len(spool_files(delivery, "new")) == 1
    assert spool_files(delivery, "cur") == []


def test_two_runners_on_one_spool_send_each_mail_once(delivery, smtp_server):
    ids = [add_message(delivery) for _ in range(6)]
    for message_id in ids:
        deliver_message(delivery, message_id)

    first, second = QueueRunner(delivery), QueueRunner(delivery)
    # The second runner claims from the same listing the first one saw.
    names = first._ready_names()
    claimed_by_first = [first._claim(name) for name in names]
    claimed_by_second = [second._claim(name) for name in names]

    assert all(path is not None for path in claimed_by_first)
    assert claimed_by_second == [None] * len(names)


def test_a_claim_older_than_its_lease_goes_back_to_the_queue(delivery):
    message_id = add_message(delivery)
    deliver_message(delivery, message_id)
    runner = QueueRunner(delivery)
    [name] = runner._ready_names()
    claimed = runner._claim(name)

    # The runner holding it died an hour ago.
    an_hour_ago = (datetime.now() - timedelta(hours=1)).timestamp()
    os.utime(claimed, (an_hour_ago, an_hour_ago))
    runner.release_expired_claims()

    assert spool_files(delivery, "new") == [name]
    assert spool_files(delivery, "cur") == []


def test_a_spool_file_without_an_envelope_is_set_aside(delivery, smtp_server):
    (delivery.spool_dir / "new" / "garbage").write_bytes(
        b"Subject: hi\n\nno envelope\n"
    )

    QueueRunner(delivery).run_once()

    assert smtp_server.received == []
    assert spool_files(delivery, "broken") == ["garbage"]


def test_parsing_decodes_encoded_envelope_headers_and_folded_lines():
    raw = (
        b"X-Actually-From: =?utf-8?q?wgmail=40example=2Eorg?=\n"
        b"X-Actually-To: =?utf-8?q?a=40example=2Eorg?=\n"
        b"Subject: a folded\n  subject line\n"
        b"Message-Id: <wgmail-42@example.org>\n"
        b"\n"
        b"body line\n.leading dot\n"
    )
    mail = SpooledMail.parse(raw)
    assert mail.sender == "wgmail@example.org"
    assert mail.recipients == ["a@example.org"]
    assert mail.message_id == 42
    assert mail.data == (
        b"Subject: a folded\r\n  subject line\r\n"
        b"Message-Id: <wgmail-42@example.org>\r\n"
        b"\r\n"
        b"body line\r\n.leading dot\r\n"
    )


def test_parsing_refuses_a_file_without_recipients():
    with pytest.raises(SpoolFileError):
        SpooledMail.parse(b"X-Actually-From: a@example.org\n\nbody\n")


def test_an_accepted_mail_is_not_sent_again_when_the_database_is_out_of_reach(
    delivery, smtp_server
):
    # Given a spooled message, and a database that fails when the runner
    # comes to record the server's answer
    message_id = add_message(delivery)
    deliver_message(delivery, message_id)
    runner = QueueRunner(delivery)
    working_factory = delivery.session_factory

    def unreachable():
        raise OSError("database is out of reach")

    delivery.session_factory = unreachable
    with pytest.raises(OSError):
        runner.run_once()

    # Then the mail went out once, its spool file is gone and a note remains
    assert len(smtp_server.received) == 1
    assert spool_files(delivery, "new") == [] and spool_files(delivery, "cur") == []
    assert len(spool_files(delivery, "outcomes")) == 1
    assert load_with(working_factory, message_id).status == WAITING

    # When the database is back, the next pass records the answer, once
    delivery.session_factory = working_factory
    runner.run_once()
    message = load(delivery, message_id)
    assert message.status == SENT
    assert message.smtp_reply == "250 2.0.0 Ok: queued as TEST"
    assert spool_files(delivery, "outcomes") == []
    assert len(smtp_server.received) == 1


def load_with(session_factory, message_id: int) -> Message:
    with unit_of_work(session_factory) as (session, _):
        return session.get(Message, message_id)


def test_a_claim_held_by_a_process_that_is_gone_goes_back_at_once(
    delivery, smtp_server
):
    # Given a claim made by a runner process that was killed mid-delivery
    message_id = add_message(delivery)
    deliver_message(delivery, message_id)
    [name] = spool_files(delivery, "new")
    gone = subprocess.Popen(["true"])
    gone.wait()
    os.rename(
        delivery.spool_dir / "new" / name,
        delivery.spool_dir / "cur" / f"{name}.claimed-by-{gone.pid}",
    )

    # When a runner makes its next pass, well within the lease
    QueueRunner(delivery).run_once()

    # Then the mail is released and delivered, once
    assert len(smtp_server.received) == 1
    assert load(delivery, message_id).status == SENT
    assert spool_files(delivery, "cur") == []


def test_a_fresh_claim_of_a_live_runner_is_left_alone(delivery):
    message_id = add_message(delivery)
    deliver_message(delivery, message_id)
    runner = QueueRunner(delivery)
    [name] = runner._ready_names()
    runner._claim(name)

    runner.release_expired_claims()

    assert spool_files(delivery, "cur") == [f"{name}.claimed-by-{os.getpid()}"]
    assert spool_files(delivery, "new") == []


def test_a_runner_in_the_same_process_sends_a_spooled_mail_without_waiting_its_poll(
    delivery, services, smtp_server
):
    # Given a runner that would otherwise look at the spool once a minute
    delivery.runner_poll_seconds = 60
    services(runner=True)
    time.sleep(0.2)  # its first pass, over an empty spool, is done

    # When the deliver actor spools a mail in this process
    message_id = add_message(delivery)
    spooled_at = time.monotonic()
    deliver_message(delivery, message_id)

    # Then the runner sends it at once
    [received] = smtp_server.wait_for(1, timeout=5)
    assert time.monotonic() - spooled_at < 1.0
    assert f"<wgmail-{message_id}@wgmail.test>".encode() in received.data
