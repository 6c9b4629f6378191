"""The dispatcher and the deliver actor: handed off once, spooled once."""

import os
from datetime import datetime, timedelta, timezone

from test_queue_runner import add_message, load

from wgmail.delivery.deliver import deliver_message
from wgmail.delivery.handoff import (
    Dispatcher,
    claim_due,
    dispatch_once,
    hand_off_after_commit,
)
from wgmail.models import CANCELLED, FAILED, WAITING, Message, unit_of_work


def now() -> datetime:
    return datetime.now(timezone.utc)


def delayed_count(delivery) -> int:
    return delivery.broker.queues["wgmail-mail.DQ"].qsize()


def ready_count(delivery) -> int:
    return delivery.broker.queues["wgmail-mail"].qsize()


def test_only_messages_due_within_the_look_ahead_are_handed_off(delivery):
    soon = add_message(delivery, send_at=now() + timedelta(seconds=30))
    later = add_message(delivery, send_at=now() + timedelta(hours=2))

    assert dispatch_once(delivery) == 1

    assert load(delivery, soon).dispatched_at is not None
    assert load(delivery, later).dispatched_at is None
    assert delayed_count(delivery) == 1
    # A second pass finds nothing new: the hand-off is not repeated.
    assert dispatch_once(delivery) == 0
    assert delayed_count(delivery) == 1


def test_a_message_already_due_goes_to_the_broker_without_delay(delivery):
    add_message(delivery, send_at=now() - timedelta(seconds=1))

    dispatch_once(delivery)

    assert ready_count(delivery) == 1
    assert delayed_count(delivery) == 0


def test_a_lost_hand_off_is_dispatched_again_after_its_time(delivery):
    # Given a message handed off a minute ago whose broker message was lost
    message_id = add_message(delivery, send_at=now() - timedelta(seconds=30))
    with unit_of_work(delivery.session_factory) as (session, _):
        session.get(Message, message_id).dispatched_at = now() - timedelta(minutes=1)

    # When the dispatcher runs
    assert dispatch_once(delivery) == 1

    # Then it is handed off again and the event log says so
    assert ready_count(delivery) == 1
    assert load(delivery, message_id).events[-1].event == "redispatched"


def test_nothing_reaches_the_broker_when_the_transaction_aborts(delivery):
    add_message(delivery, send_at=now())
    with unit_of_work(delivery.session_factory) as (session, manager):
        hand_off_after_commit(delivery, manager, claim_due(session, delivery, now()))
        manager.doom()

    assert ready_count(delivery) == 0
    assert dispatch_once(delivery) == 1  # the row was left undispatched


def test_delivering_twice_spools_once(delivery):
    message_id = add_message(delivery)

    assert deliver_message(delivery, message_id) is True
    assert deliver_message(delivery, message_id) is False

    assert len(os.listdir(delivery.spool_dir / "new")) == 1
    message = load(delivery, message_id)
    assert message.spool_host == "test-host"
    assert [event.event for event in message.events] == ["spooled"]


def test_a_message_moved_later_is_returned_to_the_dispatcher(delivery):
    message_id = add_message(delivery, send_at=now() + timedelta(minutes=10))
    with unit_of_work(delivery.session_factory) as (session, _):
        session.get(Message, message_id).dispatched_at = now()

    assert deliver_message(delivery, message_id) is False

    message = load(delivery, message_id)
    assert message.spooled_at is None
    assert message.dispatched_at is None
    assert message.status == WAITING
    assert os.listdir(delivery.spool_dir / "new") == []


def test_a_cancelled_message_is_not_spooled(delivery):
    message_id = add_message(delivery)
    with unit_of_work(delivery.session_factory) as (session, _):
        session.get(Message, message_id).status = CANCELLED

    assert deliver_message(delivery, message_id) is False
    assert os.listdir(delivery.spool_dir / "new") == []


def test_a_flushed_broker_loses_no_mail(delivery, services, smtp_server):
    # Given a message handed off, and then every broker message lost
    send_at = now() + timedelta(seconds=1)
    message_id = add_message(delivery, send_at=send_at)
    dispatch_once(delivery)
    delivery.broker.flush_all()

    # When the worker, dispatcher and runner run
    services(worker=True, dispatcher=True, runner=True)

    # Then the dispatcher hands it off again once it is overdue, and it is
    # delivered once
    [received] = smtp_server.wait_for(1, timeout=15)
    assert f"<wgmail-{message_id}@wgmail.test>".encode() in received.data
    assert [event.event for event in load(delivery, message_id).events][:3] == [
        "dispatched",
        "redispatched",
        "spooled",
    ]


def test_a_message_that_cannot_become_a_mail_fails_once_instead_of_looping(delivery):
    # Given a row that slipped past validation: a line break in its subject
    # and a recipient that needs SMTPUTF8
    header_break = add_message(delivery)
    unicode_local_part = add_message(delivery, recipient="пользователь@example.com")
    with unit_of_work(delivery.session_factory) as (session, _):
        session.get(Message, header_break).subject = "Hi\r\nBcc: eve@example.org"

    # When the deliver actor takes each of them
    for message_id in (header_break, unicode_local_part):
        assert deliver_message(delivery, message_id) is False

    # Then each is failed with its reason, nothing is spooled, and the
    # dispatcher leaves them alone from now on
    for message_id in (header_break, unicode_local_part):
        message = load(delivery, message_id)
        assert message.status == FAILED
        assert message.failure_reason.startswith(
            "This message could not be made into a mail: "
        )
        assert message.events[-1].event == "failed"
    assert os.listdir(delivery.spool_dir / "new") == []
    assert os.listdir(delivery.spool_dir / "tmp") == []
    assert dispatch_once(delivery) == 0


def test_a_restarted_dispatcher_takes_over_earlier_hand_offs_at_once(delivery):
    # Given a message handed off a moment ago by a process that then stopped
    message_id = add_message(delivery, send_at=now() + timedelta(seconds=20))
    dispatch_once(delivery)
    delivery.broker.flush_all()

    # When a new dispatcher makes its first pass, and then its second
    dispatcher = Dispatcher(delivery)
    first, second = dispatcher.run_once(), dispatcher.run_once()

    # Then the first hands the message off again without waiting, once
    assert (first, second) == (1, 0)
    assert delayed_count(delivery) == 1
    assert load(delivery, message_id).events[-1].event == "redispatched"
