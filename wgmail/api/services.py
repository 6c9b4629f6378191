"""``api/users`` and ``api/messages``.

Every answer is ``{"items": [...], "next": null}``, so that pagination can
arrive later without changing the shape; errors use Cornice's envelope
``{"status": "error", "errors": [{"location", "name", "description"}]}``.
"""

from datetime import datetime

import colander
from cornice import Service
from cornice.validators import colander_validator
from sqlalchemy import select

from ..messages.services import list_messages
from ..models import STATUSES, Message, User

users = Service(name="api_users", path="/api/users/", description="Registered users")
messages = Service(
    name="api_messages", path="/api/messages/", description="Scheduled messages"
)


def _instant(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, or None."""
    if value is None:
        return None
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def user_json(user: User) -> dict:
    return {"username": user.username, "registered_at": _instant(user.registered_at)}


def message_json(message: Message) -> dict:
    return {
        "id": message.id,
        "owner": message.owner.username,
        "recipient": message.recipient,
        "subject": message.subject,
        "text": message.body,
        "status": message.status,
        "send_at": _instant(message.send_at),
        "time_zone": message.time_zone,
        "sent_at": _instant(message.sent_at),
        "smtp_reply": message.smtp_reply,
        "failure_reason": message.failure_reason,
        "created_at": _instant(message.created_at),
    }


class SingleString(colander.String):
    """A query parameter that may be given once.

    Cornice hands a repeated parameter over as a list, which ``String``
    would refuse with the list's Python repr as the message.
    """

    def deserialize(self, node, cstruct):
        if isinstance(cstruct, list):
            raise colander.Invalid(
                node, f"Give {node.name} once; it was given {len(cstruct)} times."
            )
        return super().deserialize(node, cstruct)


class MessagesQuery(colander.MappingSchema):
    status = colander.SchemaNode(
        # An empty ``?status=`` is a mistake to report, not "no filter":
        # without allow_empty colander reads "" as absent.
        SingleString(allow_empty=True),
        missing=colander.drop,
        validator=colander.OneOf(STATUSES),
    )


class MessagesRequest(colander.MappingSchema):
    querystring = MessagesQuery()


@users.get()
def get_users(request):
    found = request.dbsession.scalars(
        select(User).order_by(User.registered_at, User.id)
    )
    return {"items": [user_json(user) for user in found], "next": None}


@messages.get(schema=MessagesRequest(), validators=(colander_validator,))
def get_messages(request):
    query = request.validated["querystring"]
    viewer = request.identity
    found = list_messages(
        request.dbsession, viewer, status=query.get("status"), everyone=viewer.is_admin
    )
    return {"items": [message_json(message) for message in found], "next": None}
