"""The compose page (home), the list of one's own messages, cancelling one."""

import logging

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config

from ..delivery.handoff import dispatch_if_due
from ..forms import make_form, render, validated
from ..logs import log_event
from ..templating import notify
from ..timezones import format_local
from .schemas import ComposeSchema
from .services import (
    CannotCancel,
    MessageNotFound,
    cancel_message,
    list_messages,
    schedule_message,
)

log = logging.getLogger(__name__)


@view_config(route_name="home", renderer="wgmail:templates/compose.jinja2")
def compose_view(request):
    form = make_form(request, ComposeSchema, "Schedule")
    if request.method != "POST":
        # No zone is chosen here: the page's script picks the browser's own.
        return {"form": render(form)}

    appstruct, failed = validated(form, request)
    if failed:
        return {"form": failed}

    message = schedule_message(
        request.dbsession,
        request.identity,
        recipient=appstruct["recipient"],
        subject=appstruct["subject"],
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

    notify(
        request,
        f"Scheduled for {format_local(message.send_at, message.time_zone)} "
        f"({message.time_zone}) to {message.recipient}.",
        "success",
    )
    return HTTPSeeOther(location=request.route_path("messages"))


@view_config(route_name="messages", renderer="wgmail:templates/messages.jinja2")
def messages_view(request):
    return {"messages": list_messages(request.dbsession, request.identity)}


@view_config(route_name="cancel_message", request_method="POST")
def cancel_view(request):
    """Cancel, then back to the list with a note saying what happened.

    A refusal is a note, not an error status: the row is left as it was and
    nothing needs rolling back. Someone else's message is a plain 404.
    """
    message_id = int(request.matchdict["id"])
    try:
        message = cancel_message(request.dbsession, request.identity, message_id)
    except MessageNotFound:
        raise HTTPNotFound() from None
    except CannotCancel as refusal:
        notify(request, str(refusal), "warning")
    else:
        log_event(
            log, "message.cancelled", message_id=message.id, user_id=request.identity.id
        )
        notify(
            request,
            f"Cancelled: it will not be sent to {message.recipient}.",
            "success",
        )
    return HTTPSeeOther(location=request.route_path("messages"))
