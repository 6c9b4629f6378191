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
