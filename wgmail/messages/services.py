"""Message rules: scheduling a mail and listing messages."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..models import CANCELLED, WAITING, Message, User, utcnow


class MessageNotFound(LookupError):
    """No such message among the viewer's own."""


class CannotCancel(Exception):
    """The message is past the point where it can be withdrawn; says why."""


def schedule_message(
    dbsession: Session,
    owner: User,
    *,
    recipient: str,
    subject: str,
    body: str,
    time_zone: str,
    send_at: datetime,
) -> Message:
    """Store a waiting message; the caller hands it to delivery after commit."""
    message = Message(
        owner=owner,
        recipient=recipient,
        subject=subject,
        body=body,
        time_zone=time_zone,
        send_at=send_at,
        status=WAITING,
        created_at=utcnow(),
    )
    dbsession.add(message)
    message.log("scheduled", f"for {send_at.isoformat()} ({time_zone})")
    dbsession.flush()
    return message


def list_messages(
    dbsession: Session,
    viewer: User,
    *,
    status: str | None = None,
    everyone: bool = False,
    limit: int | None = None,
) -> list[Message]:
    """The viewer's messages, newest first; every user's when ``everyone``."""
    query = (
        select(Message)
        .options(joinedload(Message.owner))
        .order_by(Message.created_at.desc(), Message.id.desc())
    )
    if not everyone:
        query = query.where(Message.owner_id == viewer.id)
    if status is not None:
        query = query.where(Message.status == status)
    if limit is not None:
        query = query.limit(limit)
    return list(dbsession.scalars(query))


def cancel_message(dbsession: Session, viewer: User, message_id: int) -> Message:
    """Withdraw the viewer's own message while it has not left yet.

    Once spooled the mail is on its way to the SMTP server and cannot be
    called back. The row lock orders this against the deliver actor, so
    the two never both win.
    """
    message = dbsession.get(Message, message_id, with_for_update=True)
    if message is None or message.owner_id != viewer.id:
        raise MessageNotFound(message_id)
    if message.status != WAITING:
        raise CannotCancel(f"It cannot be cancelled: it is {message.status} already.")
    if message.spooled_at is not None:
        raise CannotCancel(
            "It cannot be cancelled: it has already left for the mail server."
        )
    message.status = CANCELLED
    message.log("cancelled", f"by {viewer.username}")
    return message
