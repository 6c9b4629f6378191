"""The deliver actor's work: spool one message, exactly once.

It may run twice, on two machines at once (a re-dispatch racing the first
hand-off): the row lock and the status check let only one of them spool.
"""

import logging
from datetime import timedelta

from pyramid_mailer.exceptions import BadHeaders, EncodingError, InvalidMessage

from ..logs import log_event
from ..models import FAILED, WAITING, Message, unit_of_work, utcnow
from .mail import build_mail

log = logging.getLogger(__name__)

# Faults of the message itself, which no retry can mend. Anything else (a
# full disk, a lost database) propagates and the dispatcher tries again.
UNSENDABLE = (ValueError, UnicodeError, BadHeaders, EncodingError, InvalidMessage)

# A broker delay can fire a hair early by another host's clock.
EARLY_TOLERANCE = timedelta(seconds=1)


def deliver_message(delivery, message_id: int) -> bool:
    """Spool the message if it is still waiting and due; True if it did."""
    with unit_of_work(delivery.session_factory) as (session, manager):
        message = session.get(Message, message_id, with_for_update=True)
        if message is None:
            log_event(
                log, "message.deliver_skipped", message_id=message_id, reason="missing"
            )
            return False
        if message.status != WAITING or message.spooled_at is not None:
            log_event(
                log,
                "message.deliver_skipped",
                message_id=message_id,
                reason="already_spooled" if message.spooled_at else message.status,
            )
            return False

        now = utcnow()
        if message.send_at > now + EARLY_TOLERANCE:
            # Rescheduled later since the hand-off: the dispatcher hands it
            # off again when its new time draws near.
            message.dispatched_at = None
            message.log("handoff_returned", "send time moved later")
            log_event(
                log, "message.deliver_skipped", message_id=message_id, reason="not_due"
            )
            return False

        try:
            mail = build_mail(message, delivery.sender, delivery.sender_domain, now)
            # The mailer joins this unit of work's own manager; on another
            # manager the spool file would never leave tmp/.
            delivery.mailer(manager).send_to_queue(mail)
        except UNSENDABLE as error:
            # Nothing joined the transaction (the mailer joins last, once the
            # mail is whole), so no spool file can follow this row. Retrying
            # would fail the same way at every re-dispatch: give up now.
            reason = f"This message could not be made into a mail: {error}"
            message.status = FAILED
            message.failure_reason = reason
            message.log("failed", reason)
            log_event(
                log,
                "message.unsendable",
                level=logging.ERROR,
                message_id=message_id,
                error=f"{type(error).__name__}: {error}",
            )
            return False
        message.spooled_at = now
        message.spool_host = delivery.hostname
        message.log("spooled", f"on {delivery.hostname}")

    for listener in delivery.on_spooled:
        listener()
    lateness_ms = int((now - message.send_at).total_seconds() * 1000)
    log_event(
        log,
        "message.spooled",
        message_id=message_id,
        host=delivery.hostname,
        late_ms=lateness_ms,
    )
    return True
