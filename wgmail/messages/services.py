"""Message rules: scheduling a mail and listing messages."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import WAITING, Message, User, utcnow


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
    query = select(Message).order_by(Message.created_at.desc(), Message.id.desc())
    if not everyone:
        query = query.where(Message.owner_id == viewer.id)
    if status is not None:
        query = query.where(Message.status == status)
    if limit is not None:
        query = query.limit(limit)
    return list(dbsession.scalars(query))
