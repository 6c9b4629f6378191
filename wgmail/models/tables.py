"""The tables: users, their scheduled messages and each message's event log."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from .meta import Base, UTCDateTime, utcnow

WAITING = "waiting"
SENT = "sent"
FAILED = "failed"
CANCELLED = "cancelled"
STATUSES = (WAITING, SENT, FAILED, CANCELLED)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    # The case-folded name carries the uniqueness, so "Alice" and "alice"
    # cannot both exist while each keeps the spelling its owner chose.
    username_key: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Sessions are signed cookies kept by the browser; each carries the
    # generation it was made in, and signing out moves the generation on so
    # that a copied cookie stops working.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    messages: Mapped[list["Message"]] = relationship(back_populates="owner")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(
            "status IN ('waiting', 'sent', 'failed', 'cancelled')", name="status"
        ),
        # The dispatcher's question: which waiting messages fall due soon?
        Index("ix_messages_status_send_at", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    # The IANA zone the send time was written in; it is shown in that zone.
    time_zone: Mapped[str] = mapped_column(String(64))
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=WAITING)

    # Finer stages of a waiting message; see DESIGN.md, "The life of a message".
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spooled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    spool_host: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    smtp_reply: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)

    owner: Mapped[User] = relationship(back_populates="messages")
    events: Mapped[list["MessageEvent"]] = relationship(
        back_populates="message", order_by="MessageEvent.id"
    )

    def log(self, event: str, detail: str = "") -> "MessageEvent":
        """Append an entry to this message's event log."""
        entry = MessageEvent(event=event, detail=detail)
        session = object_session(self)
        if self.id is None or session is None:
            # A new message: its empty collection costs nothing to extend.
            self.events.append(entry)
        else:
            # A stored one: appending to ``events`` would first load the whole
            # log, one query per message in a dispatcher batch.
            entry.message_id = self.id
            session.add(entry)
        return entry


class MessageEvent(Base):
    __tablename__ = "message_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")

    message: Mapped[Message] = relationship(back_populates="events")
