"""The compose page (home) and the list of one's own messages."""

import logging

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from ..delivery.handoff import dispatch_if_due
from ..forms import make_form, render, validated
from ..logs import log_event
from ..models import Message
from ..timezones import format_local
from .schemas import ComposeSchema, normalized_address
from .services import list_messages, schedule_message

log = logging.getLogger(__name__)


def _last_zone(request) -> str:
    """The zone of the user's latest message, a good guess for the next one."""
    return (
        request.dbsession.scalar(
            select(Message.time_zone)
            .where(Message.owner_id == request.identity.id)
            .order_by(Message.id.desc())
            .limit(1)
        )
        or ""
    )


@view_config(route_name="home", renderer="wgmail:templates/compose.jinja2")
def compose_view(request):
    form = make_form(request, ComposeSchema, "Schedule")
    if request.method != "POST":
        return {"form": render(form, {"time_zone": _last_zone(request)})}

    appstruct, failed = validated(form, request)
    if failed:
        return {"form": failed}

    message = schedule_message(
        request.dbsession,
        request.identity,
        recipient=normalized_address(appstruct["recipient"]),
        subject=appstruct["subject"].strip(),
        body=appstruct["body"],
        time_zone=appstruct["time_zone"],
        send_at=appstruct["send_at_utc"],
    )
    log_event(
        log,
        "message.scheduled",
        message_id=message.id,
        user_id=request.identity.id,
        send_at=message.send_at.isoformat(),
        time_zone=message.time_zone,
    )
    dispatch_if_due(request.registry["wgmail.delivery"], request.tm, message)

    request.session.flash(
        f"Scheduled for {format_local(message.send_at, message.time_zone)} "
        f"({message.time_zone}) to {message.recipient}.",
        "success",
    )
    return HTTPSeeOther(location=request.route_path("messages"))


@view_config(route_name="messages", renderer="wgmail:templates/messages.jinja2")
def messages_view(request):
    return {"messages": list_messages(request.dbsession, request.identity)}
