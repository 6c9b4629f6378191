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
from ..validation import in_order, plain_single_line, single_line
from .services import (
    USERNAME_MAX_LENGTH,
    USERNAME_MIN_LENGTH,
    USERNAME_PATTERN,
    UsernameTaken,
    authenticate,
    end_sessions,
    register,
)

log = logging.getLogger(__name__)

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024


def _not_only_spaces(node, value):
    if value.isspace():
        raise colander.Invalid(
            node, "A password cannot be only spaces: add letters, digits or signs."
        )


class RegisterSchema(CSRFSchema):
    username = colander.SchemaNode(
        colander.String(),
        title="Username",
        description="3 to 40 letters, digits, dots, dashes or underscores.",
        validator=in_order(
            plain_single_line,
            colander.Length(min=USERNAME_MIN_LENGTH, max=USERNAME_MAX_LENGTH),
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
        validator=in_order(
            single_line,
            _not_only_spaces,
            colander.Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH),
        ),
        # A password is kept exactly as typed, spaces at either end included,
        # here and on the sign-in form alike.
        widget=deform.widget.CheckedPasswordWidget(strip=False),
    )


class LoginSchema(CSRFSchema):
    username = colander.SchemaNode(
        colander.String(),
        title="Username",
        validator=in_order(plain_single_line, colander.Length(max=USERNAME_MAX_LENGTH)),
        widget=deform.widget.TextInputWidget(attributes={"autocomplete": "username"}),
    )
    password = colander.SchemaNode(
        colander.String(),
        title="Password",
        validator=in_order(single_line, colander.Length(max=PASSWORD_MAX_LENGTH)),
        widget=deform.widget.PasswordWidget(
            strip=False, attributes={"autocomplete": "current-password"}
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


def _sign_in(request, user, next_path: str):
    # A fresh session on every sign-in: nothing from before carries over,
    # including the CSRF token.
    request.session.invalidate()
    request.session.new_csrf_token()
    headers = remember(request, user.id, session_generation=user.session_generation)
    return HTTPSeeOther(location=next_path, headers=headers)


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
    return _sign_in(request, user, _safe_next(request))


@view_config(
    route_name="login",
    renderer="wgmail:templates/login.jinja2",
    permission=NO_PERMISSION_REQUIRED,
)
def login_view(request):
    # Read at once, so that a ``next`` that cannot be decoded is answered
    # before anybody types a password into a form that would fail to send.
    next_path = _safe_next(request)
    if request.identity is not None:
        return HTTPSeeOther(location=next_path)

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
    return _sign_in(request, user, next_path)


@view_config(
    route_name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED
)
def logout_view(request):
    user = request.identity
    if user is not None:
        # This signs the user out on every device, not only this browser: a
        # session cookie cannot be taken back, so all of them are made stale.
        end_sessions(user)
        log_event(log, "account.logged_out", user_id=user.id)
    request.session.invalidate()
    return HTTPSeeOther(location=request.route_path("login"), headers=forget(request))


@view_config(
    route_name="logout", request_method="GET", permission=NO_PERMISSION_REQUIRED
)
def logout_get_view(request):
    # Signing out changes state, so it takes a POST with the CSRF token; a
    # link followed by accident lands on the home page instead.
    return HTTPSeeOther(location=request.route_path("home"))
