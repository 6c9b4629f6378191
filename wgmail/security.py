"""Who the requester is and what they may do: session or Basic auth, ACL.

Pages and the API share one policy. A browser signs in through the login
form and carries a signed session cookie; scripts calling the API may send
HTTP Basic credentials instead. Permissions come from the root ACL.
"""

from pyramid.authentication import (
    SessionAuthenticationHelper,
    extract_http_basic_credentials,
)
from pyramid.authorization import DENY_ALL, ACLHelper, Allow, Authenticated, Everyone
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.events import NewResponse
from pyramid.session import SignedCookieSessionFactory

from .accounts.services import authenticate
from .api import is_api_request
from .models import User

ADMIN = "role:admin"

# The session key holding the generation the session was made in; see
# ``accounts.services.end_sessions``.
SESSION_GENERATION = "wgmail.session_generation"


class Root:
    """The one resource every view hangs from; its ACL is the whole policy."""

    __acl__ = [
        (Allow, Authenticated, "use"),
        (Allow, ADMIN, "admin"),
        DENY_ALL,
    ]

    def __init__(self, request):
        self.request = request


class SecurityPolicy:
    def __init__(self):
        self.session_helper = SessionAuthenticationHelper()
        self.acl = ACLHelper()

    def identity(self, request) -> User | None:
        # Pyramid asks for the identity on every permission check; one
        # database look-up (and one password hash) per request is enough.
        if "wgmail.identity" not in request.environ:
            request.environ["wgmail.identity"] = self._load_identity(request)
        return request.environ["wgmail.identity"]

    def _load_identity(self, request) -> User | None:
        user = self._session_user(request)
        if user is not None:
            return user

        # Basic credentials are accepted on the API only, so that a page can
        # never be driven by a browser's cached credentials without CSRF.
        if is_api_request(request):
            credentials = extract_http_basic_credentials(request)
            if credentials is not None:
                return authenticate(
                    request.dbsession, credentials.username, credentials.password
                )
        return None

    def _session_user(self, request) -> User | None:
        user_id = self.session_helper.authenticated_userid(request)
        if user_id is None:
            return None
        user = request.dbsession.get(User, user_id)
        # A session made before its owner last signed out is stale, however
        # long the signed cookie itself remains valid.
        generation = request.session.get(SESSION_GENERATION)
        if user is None or generation != user.session_generation:
            return None
        return user

    def authenticated_userid(self, request):
        user = request.identity
        return None if user is None else user.id

    def permits(self, request, context, permission):
        principals = [Everyone]
        user = request.identity
        if user is not None:
            principals += [Authenticated, f"user:{user.id}"]
            if user.is_admin:
                principals.append(ADMIN)
        return self.acl.permits(context, principals, permission)

    def remember(self, request, userid, *, session_generation: int, **kw):
        request.session[SESSION_GENERATION] = session_generation
        return self.session_helper.remember(request, userid, **kw)

    def forget(self, request, **kw):
        return self.session_helper.forget(request, **kw)


def includeme(config):
    settings = config.get_settings()
    config.set_session_factory(
        SignedCookieSessionFactory(
            settings["wgmail.secret"],
            cookie_name="wgmail_session",
            secure=settings["wgmail.secure_cookies"],
            httponly=True,
            samesite="Lax",
            max_age=14 * 24 * 3600,
            timeout=14 * 24 * 3600,
            reissue_time=3600,
        )
    )
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    # Every unsafe request must carry the session's token: forms post it as
    # the csrf_token field, API clients as the X-CSRF-Token header.
    config.set_default_csrf_options(require_csrf=True)
    config.set_security_policy(SecurityPolicy())
    config.set_root_factory(Root)
    config.set_default_permission("use")
    config.add_subscriber(add_security_headers, NewResponse)


# Sent with every response: no page of ours may be framed by another site
# (a one-click Cancel must not be clickable through a disguise), content
# types are taken as given, and no address leaks to other sites.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(event) -> None:
    for name, value in SECURITY_HEADERS.items():
        event.response.headers.setdefault(name, value)
