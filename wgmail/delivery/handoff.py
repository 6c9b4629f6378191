"""Handing waiting messages to the broker, shortly before they fall due.

Nothing goes to the broker far ahead of its time (DESIGN.md, invariant 2):
a message is handed off once it is due within the look-ahead window, with
the remaining delay. The dispatcher runs this on a timer in every worker
process; the compose view runs it at once for a message due soon.
"""

import logging
from datetime import datetime

import transaction
from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session

from ..logs import log_event
from ..models import WAITING, Message, unit_of_work, utcnow
from . import Delivery
from .loop import Periodic

log = logging.getLogger(__name__)

BATCH_SIZE = 500


def claim_due(
    session: Session, delivery: Delivery, now: datetime, *, resume: bool = False
) -> list[Message]:
    """Mark waiting, unspooled messages due within the look-ahead as dispatched.

    A message dispatched earlier but still unspooled a while after its time
    lost its hand-off (broker flushed, worker killed) and is claimed again.
    With ``resume`` every earlier hand-off counts as lost: a process that
    has just started cannot know which of them survived, and handing one
    off twice is harmless (the deliver actor spools once).
    Rows another dispatcher holds are skipped on PostgreSQL; SQLite has a
    single writer, so there is nobody to skip.
    """
    stale = now - delivery.redispatch_after
    not_handed_off = or_(
        Message.dispatched_at.is_(None),
        and_(Message.send_at < stale, Message.dispatched_at < stale),
    )
    query = (
        select(Message)
        .where(
            Message.status == WAITING,
            Message.spooled_at.is_(None),
            Message.send_at <= now + delivery.lookahead,
            true() if resume else not_handed_off,
        )
        .order_by(Message.send_at)
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
    )
    messages = list(session.scalars(query))
    for message in messages:
        redispatch = message.dispatched_at is not None
        message.dispatched_at = now
        message.log("redispatched" if redispatch else "dispatched")
    return messages


def hand_off_after_commit(
    delivery: Delivery, manager: transaction.TransactionManager, messages: list[Message]
) -> None:
    """Send each message to the deliver actor once ``manager`` commits."""
    if not messages:
        return
    due = [(message.id, message.send_at) for message in messages]

    def send(committed: bool) -> None:
        if not committed:
            return
        now = utcnow()
        for message_id, send_at in due:
            delay_ms = max(0, int((send_at - now).total_seconds() * 1000))
            # A zero delay would still take the broker's delay queue.
            delivery.deliver.send_with_options(
                args=(message_id,), delay=delay_ms or None
            )
            log_event(
                log, "message.handed_off", message_id=message_id, delay_ms=delay_ms
            )

    manager.get().addAfterCommitHook(send)


def dispatch_if_due(
    delivery: Delivery, manager: transaction.TransactionManager, message: Message
) -> None:
    """Hand a just-scheduled message off at once if it is due soon."""
    now = utcnow()
    if message.send_at <= now + delivery.lookahead:
        message.dispatched_at = now
        message.log("dispatched")
        hand_off_after_commit(delivery, manager, [message])


def dispatch_once(delivery: Delivery, *, resume: bool = False) -> int:
    """One dispatcher pass in its own transaction; returns how many it handed off."""
    with unit_of_work(delivery.session_factory) as (session, manager):
        messages = claim_due(session, delivery, utcnow(), resume=resume)
        hand_off_after_commit(delivery, manager, messages)
    return len(messages)


class Dispatcher(Periodic):
    """Runs ``dispatch_once`` every few seconds until stopped."""

    name = "dispatcher"

    def __init__(self, delivery: Delivery):
        super().__init__(delivery.dispatch_interval_seconds, delivery.hostname)
        self.delivery = delivery
        self._resume = True

    def run_once(self) -> int:
        # The first pass after start-up takes over what earlier processes
        # handed off, instead of waiting for those hand-offs to go stale.
        handed_off = batch = dispatch_once(self.delivery, resume=self._resume)
        self._resume = False
        # A full batch means more may be due: carry on without waiting.
        while batch == BATCH_SIZE:
            batch = dispatch_once(self.delivery)
            handed_off += batch
        return handed_off
