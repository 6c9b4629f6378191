"""Register, sign-in and sign-out pages.

Each view returns a page (a form with its errors) or a redirect; none raises
to report bad input, so nothing is rolled back that should be kept.
"""

import logging

import colander
import deform
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config

from ..forms import CSRFSchema, make_form, render, validated, with_field_error
from ..logs import log_event
from .services import UsernameTaken, authenticate, register

log = logging.getLogger(__name__)

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class RegisterSchema(CSRFSchema):
    username = colander.SchemaNode(
        colander.String(),
        title="Username",
        description="3 to 40 letters, digits, dots, dashes or underscores.",
        validator=colander.All(
            colander.Length(min=3, max=40),
            colander.Regex(
                USERNAME_PATTERN,
                "Use letters, digits, dots, dashes and underscores, starting with a letter or digit.",
            ),
        ),
        widget=deform.widget.TextInputWidget(attributes={"autocomplete": "username"}),
    )
    password = colander.SchemaNode(
        colander.String(),
        title="Password",
        description="At least 8 characters.",
        validator=colander.Length(min=8, max=1024),
        widget=deform.widget.CheckedPasswordWidget(),
    )


class LoginSchema(CSRFSchema):
    username = colander.SchemaNode(
        colander.String(),
        title="Username",
        validator=colander.Length(max=40),
        widget=deform.widget.TextInputWidget(attributes={"autocomplete": "username"}),
    )
    password = colander.SchemaNode(
        colander.String(),
        title="Password",
        validator=colander.Length(max=1024),
        widget=deform.widget.PasswordWidget(
            attributes={"autocomplete": "current-password"}
        ),
    )


def _safe_next(request) -> str:
    """Where to go after signing in: a local path only, never another site."""
    target = request.params.get("next", "")
    # Browsers read a backslash as a slash and drop tabs and newlines from a
    # URL, so a slash followed by any of them can still reach another site,
    # and a newline also breaks the Location header. A path this site made
    # (``request.path_qs``) is percent-encoded and holds none of them.
    if (
        target.startswith("/")
        and not target.startswith("//")
        and target.isprintable()
        and not any(char == "\\" or char.isspace() for char in target)
    ):
        return target
    return request.route_path("home")


def _sign_in(request, user):
    # A fresh session on every sign-in: nothing from before carries over,
    # including the CSRF token.
    request.session.invalidate()
    request.session.new_csrf_token()
    headers = remember(request, user.id)
    return HTTPSeeOther(location=_safe_next(request), headers=headers)


@view_config(
    route_name="register",
    renderer="wgmail:templates/register.jinja2",
    permission=NO_PERMISSION_REQUIRED,
)
def register_view(request):
    if request.identity is not None:
        return HTTPSeeOther(location=request.route_path("home"))

    form = make_form(request, RegisterSchema, "Create account")
    if request.method != "POST":
        return {"form": render(form)}

    appstruct, failed = validated(form, request)
    if failed:
        return {"form": failed}

    try:
        user = register(request.dbsession, appstruct["username"], appstruct["password"])
    except UsernameTaken:
        return {"form": with_field_error(form, "username", "This username is taken.")}

    log_event(log, "account.registered", user_id=user.id, admin=user.is_admin)
    return _sign_in(request, user)


@view_config(
    route_name="login",
    renderer="wgmail:templates/login.jinja2",
    permission=NO_PERMISSION_REQUIRED,
)
def login_view(request):
    if request.identity is not None:
        return HTTPSeeOther(location=_safe_next(request))

    form = make_form(request, LoginSchema, "Sign in")
    form.action = request.path_qs
    if request.method != "POST":
        return {"form": render(form), "error": None}

    appstruct, failed = validated(form, request)
    if failed:
        return {"form": failed, "error": None}

    user = authenticate(request.dbsession, appstruct["username"], appstruct["password"])
    if user is None:
        log_event(log, "account.login_failed", username=appstruct["username"])
        return {
            "form": render(form, {"username": appstruct["username"]}),
            "error": "Wrong username or password.",
        }

    log_event(log, "account.logged_in", user_id=user.id)
    return _sign_in(request, user)


@view_config(
    route_name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED
)
def logout_view(request):
    request.session.invalidate()
    return HTTPSeeOther(location=request.route_path("login"), headers=forget(request))


@view_config(
    route_name="logout", request_method="GET", permission=NO_PERMISSION_REQUIRED
)
def logout_get_view(request):
    # Signing out changes state, so it takes a POST with the CSRF token; a
    # link followed by accident lands on the home page instead.
    return HTTPSeeOther(location=request.route_path("home"))
