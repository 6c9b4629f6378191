"""What anonymous, forbidden, unknown, forged and garbled requests get back.

Pages answer with HTML (anonymous visitors are sent to the sign-in page);
the API answers in Cornice's JSON error envelope with the right status.
"""

from urllib.parse import unquote_to_bytes

from cornice.renderer import JSONError
from pyramid.csrf import get_csrf_token
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPError, HTTPMethodNotAllowed, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.view import forbidden_view_config, notfound_view_config, view_config

from .api import is_api_request as _is_api


def api_error(request, status: int, location: str, name: str, description: str):
    request.response.status = status
    return {
        "status": "error",
        "errors": [{"location": location, "name": name, "description": description}],
    }


@forbidden_view_config(renderer="wgmail:templates/error.jinja2")
def forbidden_view(request):
    signed_in = request.identity is not None
    if _is_api(request):
        if signed_in:
            body = api_error(request, 403, "path", "", "You may not use this resource.")
        else:
            # Credentials that were sent and refused deserve another answer
            # than credentials never sent: the caller has to fix them.
            if "Authorization" in request.headers:
                description = "Wrong username or password."
            else:
                description = (
                    "Sign in first: send HTTP Basic credentials or a session cookie."
                )
            body = api_error(request, 401, "header", "Authorization", description)
            request.response.headers["WWW-Authenticate"] = 'Basic realm="wgmail API"'
        return _json(request, body)

    if not signed_in:
        login = request.route_url("login", _query={"next": request.path_qs})
        return HTTPSeeOther(location=login)
    request.response.status = 403
    return {"title": "Not allowed", "text": "Your account may not open this page."}


# A path that misses only its final slash (/api/users) is redirected to it.
@notfound_view_config(renderer="wgmail:templates/error.jinja2", append_slash=True)
def notfound_view(request):
    if _is_api(request):
        return _json(request, api_error(request, 404, "path", "", "No such resource."))
    request.response.status = 404
    return {"title": "Page not found", "text": "There is nothing at this address."}


@view_config(context=HTTPError, path_info=r"^/api/")
def api_http_error_view(exc, request):
    """Any other HTTP error on the API, in the same envelope.

    Cornice answers a method a service lacks with a plain-text 405; pages
    keep Cornice's own handling, since this view matches the API only.
    """
    if isinstance(exc, JSONError):
        # Cornice's own validation errors already come in the envelope.
        return exc
    if isinstance(exc, HTTPMethodNotAllowed):
        allowed = exc.headers.get("Allow", "")
        request.response.headers["Allow"] = allowed
        body = api_error(
            request,
            exc.code,
            "method",
            request.method,
            f"Use one of: {allowed}.",
        )
    else:
        body = api_error(request, exc.code, "path", "", exc.detail or exc.explanation)
    return _json(request, body)


@view_config(context=BadCSRFToken, renderer="wgmail:templates/error.jinja2")
def bad_csrf_view(request):
    # A fresh token, so that the page the user goes back to can be sent.
    get_csrf_token(request)
    if _is_api(request):
        return _json(
            request,
            api_error(
                request, 403, "header", "X-CSRF-Token", "Missing or wrong CSRF token."
            ),
        )
    request.response.status = 400
    return {
        "title": "This form has expired",
        "text": "The form was open too long or came from elsewhere. Go back, reload the page and send it again.",
    }


@view_config(context=UnicodeDecodeError, renderer="wgmail:templates/error.jinja2")
def undecodable_request_view(exc, request):
    """A 400 for an address whose percent-escapes are not UTF-8.

    WebOb decodes the path and the query string when they are first read,
    and raises ``UnicodeDecodeError`` (Pyramid's ``URLDecodeError`` is one)
    there. The same error raised by anything else is a fault of ours, and
    stays a server error. A form body never raises: WebOb puts U+FFFD in
    place of what it cannot decode.
    """
    where = _undecodable_part(request)
    if where is None:
        raise exc

    location, name = where
    if _is_api(request):
        description = "This is not valid UTF-8 text once its %-escapes are decoded."
        return _json(request, api_error(request, 400, location, name, description))
    request.response.status = 400
    return {
        "title": "This address cannot be read",
        "text": "The link holds characters that are not valid text, perhaps "
        "because it was cut short or copied wrongly. Check it and try again.",
    }


@view_config(context=DeprecationWarning, renderer="wgmail:templates/error.jinja2")
def unsupported_charset_view(exc, request):
    """A 415 for a form body declared in a character set other than UTF-8.

    WebOb refuses to read such a body, by raising ``DeprecationWarning``,
    wherever it is first read: the CSRF check, a form, Cornice. Any other
    ``DeprecationWarning`` raised is a fault of ours and stays one.
    """
    if request.charset == "UTF-8":
        raise exc
    if _is_api(request):
        description = "Send the body as UTF-8 (charset=utf-8)."
        return _json(
            request, api_error(request, 415, "header", "Content-Type", description)
        )
    request.response.status = 415
    return {
        "title": "This form was sent in an unknown encoding",
        "text": "wgmail reads forms sent as UTF-8 only, as every current browser "
        "sends them. Reload the page and send the form again.",
    }


def _undecodable_part(request) -> tuple[str, str] | None:
    """``(location, name)`` of the first part of the request not in UTF-8."""
    for location, attribute in (("path", "path_info"), ("querystring", "GET")):
        try:
            getattr(request, attribute)
        except UnicodeDecodeError:
            if location == "querystring":
                return location, _undecodable_field(request.environ["QUERY_STRING"])
            return location, ""
    return None


def _undecodable_field(query: str) -> str:
    """The name of the first parameter of ``query`` whose value is not UTF-8.

    The query is split as WebOb splits it. A name that is not UTF-8 itself
    cannot be shown, and is given as empty.
    """
    raw = query.encode("latin-1").replace(b"+", b" ")
    for pair in raw.replace(b";", b"&").split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        try:
            name = unquote_to_bytes(raw_name).decode()
        except UnicodeDecodeError:
            return ""
        try:
            unquote_to_bytes(raw_value).decode()
        except UnicodeDecodeError:
            return name
    return ""


def _json(request, body):
    return render_to_response("json", body, request=request, response=request.response)
