"""Names every page template may use, beyond what pyramid_jinja2 gives."""

from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, subscriber

from .timezones import format_local


@subscriber(BeforeRender)
def add_page_globals(event):
    request = event.get("request")
    if request is None:
        return
    event["local_time"] = format_local
    event["get_csrf_token"] = lambda: get_csrf_token(request)


def notify(request, text: str, queue: str = "success") -> None:
    """Show ``text`` on the next page, replacing any note not yet shown.

    Notes live in the signed session cookie; a script that never follows the
    redirect would otherwise pile them up until the cookie outgrows what a
    browser stores, and the response fails after its transaction committed.
    """
    request.session.pop_flash(queue)
    request.session.flash(text, queue)
