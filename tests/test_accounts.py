"""Registering, signing in and out, and what anonymous or forged requests get.

Every test drives the real WSGI application through its forms and reads
the database it wrote to; nothing of wgmail's is mocked.
"""

from datetime import UTC, datetime

import pytest
import webob
import webtest
from sqlalchemy import select, text

import wgmail
from support import (
    PASSWORD,
    csrf_of,
    database_statements,
    field_errors,
    register,
    sign_out,
)
from wgmail.models import User, unit_of_work

LOGIN_REQUIRED = {
    "status": "error",
    "errors": [
        {
            "location": "header",
            "name": "Authorization",
            "description": "Sign in first: send HTTP Basic credentials or a session cookie.",
        }
    ],
}


INVISIBLE_NUL = "Remove the invisible character U+0000: it cannot be used here."
ONE_LINE = "Write this on one line: it cannot hold a line break."
WRONG_CREDENTIALS = "Wrong username or password."


def users(app) -> list[User]:
    with unit_of_work(app.registry["dbsession_factory"]) as (session, _):
        return list(session.scalars(select(User).order_by(User.id)))


def signed_in_as(testapp) -> str | None:
    """The username the navigation bar shows, or None when signed out."""
    page = testapp.get("/messages", expect_errors=True)
    if page.status_int != 200:
        return None
    return page.html.select_one("nav strong").get_text()


def submit_register(testapp, username: str, password=PASSWORD, confirm=None):
    form = testapp.get("/register").forms["registerschema"]
    form["username"] = username
    form["password"] = password
    form["password-confirm"] = password if confirm is None else confirm
    return form.submit("submit")


def submit_login(testapp, username: str, password: str, next_path=None):
    params = {} if next_path is None else {"next": next_path}
    form = testapp.get("/login", params).forms["loginschema"]
    form["username"] = username
    form["password"] = password
    return form.submit("submit")


def new_client(app) -> webtest.TestApp:
    """Another browser, with cookies of its own."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "wgmail.test"})


def login_error(page) -> str | None:
    """The sign-in page's own alert, not the one deform puts in the form."""
    alert = page.html.select_one(".wg-narrow > .alert-danger")
    return None if alert is None else alert.get_text()


def raw_get(testapp, url: str) -> webob.Response:
    """GET ``url`` as sent, percent-escapes and all, with ``testapp``'s session.

    webtest works out the full URL of every request for its cookies, which
    fails on a path that is not UTF-8; the application has to answer it.
    """
    request = webob.Request.blank(url, environ={"HTTP_HOST": "wgmail.test"})
    session = testapp.cookies.get("wgmail_session")
    if session is not None:
        request.headers["Cookie"] = f"wgmail_session={session}"
    return request.get_response(testapp.app)


@pytest.fixture
def postgres_testapp(make_settings, postgres_url):
    """The application on PostgreSQL, which refuses a NUL in any text."""
    app = wgmail.main({}, **make_settings(postgres_url))
    yield new_client(app)
    app.registry["db_engine"].dispose()


# -- registering ----------------------------------------------------------


def test_registering_signs_you_in_and_sends_you_to_compose(testapp):
    response = register(testapp, "alice")

    assert response.status_int == 303
    assert response.location == "http://wgmail.test/"
    assert signed_in_as(testapp) == "alice"
    assert [user.username for user in users(testapp.app)] == ["alice"]


def test_the_registration_date_is_stored_as_an_aware_utc_instant(testapp):
    before = datetime.now(UTC)
    register(testapp, "alice")
    after = datetime.now(UTC)

    [user] = users(testapp.app)
    assert user.registered_at.tzinfo is UTC
    assert before <= user.registered_at <= after

    # The column itself holds the UTC wall-clock digits, whatever the
    # server's own zone is.
    with unit_of_work(testapp.app.registry["dbsession_factory"]) as (session, _):
        stored = session.execute(text("SELECT registered_at FROM users")).scalar()
    assert datetime.fromisoformat(stored).replace(tzinfo=UTC) == user.registered_at


def test_a_username_is_taken_whatever_its_letter_case(testapp):
    # Given an account called "Alice"
    register(testapp, "Alice")
    sign_out(testapp)

    # When somebody else registers "alice"
    page = submit_register(testapp, "alice")

    # Then the form comes back with the error on the username field
    assert page.status_int == 200
    assert field_errors(page) == {"username": "This username is taken."}
    assert page.forms["registerschema"]["username"].value == "alice"

    # And there is still one account, spelt as its owner chose
    assert [user.username for user in users(testapp.app)] == ["Alice"]
    assert signed_in_as(testapp) is None


@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("al", "Shorter than minimum length 3"),
        ("a" * 41, "Longer than maximum length 40"),
        (
            "bad name!",
            "Use letters, digits, dots, dashes and underscores, starting with a letter or digit.",
        ),
        (
            "-alice",
            "Use letters, digits, dots, dashes and underscores, starting with a letter or digit.",
        ),
        (
            "алиса",
            "Use letters, digits, dots, dashes and underscores, starting with a letter or digit.",
        ),
        ("ali\x00ce", INVISIBLE_NUL),
        ("ali\x1bce", "Remove the invisible character U+001B: it cannot be used here."),
        ("ali\nce", ONE_LINE),
        ("ali\u2028ce", ONE_LINE),
        (
            "ali\u200bce",
            "Remove the invisible character U+200B (zero width space): "
            "it cannot be used here.",
        ),
    ],
)
def test_a_username_breaking_the_rules_gets_an_error_and_creates_nothing(
    testapp, username, error
):
    page = submit_register(testapp, username)

    assert page.status_int == 200
    assert field_errors(page) == {"username": error}
    assert users(testapp.app) == []
    assert signed_in_as(testapp) is None


def test_a_username_of_dots_dashes_and_underscores_after_a_letter_is_accepted(
    testapp,
):
    response = submit_register(testapp, "a.b-c_9")

    assert response.status_int == 303
    assert [user.username for user in users(testapp.app)] == ["a.b-c_9"]


def test_a_password_that_does_not_match_its_confirmation_creates_nothing(testapp):
    page = submit_register(testapp, "alice", PASSWORD, confirm=PASSWORD + "!")

    assert page.status_int == 200
    assert field_errors(page) == {"password": "Password did not match confirm"}
    assert users(testapp.app) == []
    assert signed_in_as(testapp) is None


def test_a_password_shorter_than_eight_characters_creates_nothing(testapp):
    page = submit_register(testapp, "alice", "seven77")

    assert field_errors(page) == {"password": "Shorter than minimum length 8"}
    assert users(testapp.app) == []


def test_the_first_account_is_the_admin_and_the_second_is_not(testapp):
    register(testapp, "alice")
    sign_out(testapp)
    register(testapp, "bob")

    assert [(user.username, user.is_admin) for user in users(testapp.app)] == [
        ("alice", True),
        ("bob", False),
    ]


def test_the_register_page_sends_a_signed_in_user_home(testapp):
    register(testapp, "alice")

    response = testapp.get("/register")

    assert response.status_int == 303
    assert response.location == "http://wgmail.test/"


# -- signing in -----------------------------------------------------------


def test_signing_in_with_the_right_password_signs_you_in(testapp):
    register(testapp, "alice")
    sign_out(testapp)

    response = submit_login(testapp, "alice", PASSWORD)

    assert response.status_int == 303
    assert response.location == "http://wgmail.test/"
    assert signed_in_as(testapp) == "alice"


def test_signing_in_ignores_the_letter_case_of_the_username(testapp):
    register(testapp, "Alice")
    sign_out(testapp)

    submit_login(testapp, "ALICE", PASSWORD)

    assert signed_in_as(testapp) == "Alice"


def test_a_wrong_password_is_refused_and_does_not_sign_you_in(testapp):
    register(testapp, "alice")
    sign_out(testapp)

    page = submit_login(testapp, "alice", "not the password")

    assert page.status_int == 200
    assert page.html.select_one(".alert-danger").get_text() == (
        "Wrong username or password."
    )
    assert page.forms["loginschema"]["username"].value == "alice"
    assert page.forms["loginschema"]["password"].value == ""
    assert signed_in_as(testapp) is None


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(testapp):
    register(testapp, "alice")
    sign_out(testapp)

    page = submit_login(testapp, "mallory", PASSWORD)

    assert page.status_int == 200
    assert page.html.select_one(".alert-danger").get_text() == (
        "Wrong username or password."
    )
    assert signed_in_as(testapp) is None


def test_signing_in_returns_you_to_the_page_that_asked_for_it(testapp):
    # Given alice, signed out, opening her message list
    register(testapp, "alice")
    sign_out(testapp)
    login_page = testapp.get("/messages?page=2").follow()

    # When she signs in on the page she was sent to
    form = login_page.forms["loginschema"]
    form["username"] = "alice"
    form["password"] = PASSWORD
    response = form.submit("submit")

    # Then she lands back on the page she asked for
    assert response.status_int == 303
    assert response.location == "http://wgmail.test/messages?page=2"
    assert response.follow().status_int == 200


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.example",
        "//evil.example/messages",
        "https://evil.example",
        "https://evil.example/messages",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "messages",
        "",
    ],
)
def test_signing_in_never_redirects_off_the_site(testapp, next_path):
    register(testapp, "alice")
    sign_out(testapp)

    response = submit_login(testapp, "alice", PASSWORD, next_path=next_path)

    assert response.status_int == 303
    assert response.location == "http://wgmail.test/"
    assert signed_in_as(testapp) == "alice"


def test_the_sign_in_page_sends_a_signed_in_user_to_next(testapp):
    register(testapp, "alice")

    response = testapp.get("/login", {"next": "/messages"})

    assert response.status_int == 303
    assert response.location == "http://wgmail.test/messages"


# -- signing out ----------------------------------------------------------


def test_signing_out_by_post_with_the_csrf_token_signs_you_out(testapp):
    register(testapp, "alice")
    token = csrf_of(testapp.get("/messages"))

    response = testapp.post("/logout", {"csrf_token": token})

    assert response.status_int == 303
    assert response.location == "http://wgmail.test/login"
    assert signed_in_as(testapp) is None


def test_following_a_sign_out_link_does_not_sign_you_out(testapp):
    register(testapp, "alice")

    response = testapp.get("/logout")

    assert response.status_int == 303
    assert response.location == "http://wgmail.test/"
    assert signed_in_as(testapp) == "alice"


# -- forged requests ------------------------------------------------------


def test_registering_without_a_csrf_token_is_refused_and_creates_nothing(testapp):
    page = testapp.post(
        "/register",
        {
            "username": "alice",
            "__start__": "password:mapping",
            "password": PASSWORD,
            "password-confirm": PASSWORD,
            "__end__": "password:mapping",
            "submit": "submit",
        },
        status=400,
    )

    assert page.html.h1.get_text() == "This form has expired"
    assert users(testapp.app) == []
    assert signed_in_as(testapp) is None


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_signing_in_without_the_csrf_token_is_refused(testapp, token):
    register(testapp, "alice")
    sign_out(testapp)
    testapp.get("/login")
    fields = {"username": "alice", "password": PASSWORD, "submit": "submit"}
    if token is not None:
        fields["csrf_token"] = token

    page = testapp.post("/login", fields, status=400)

    assert page.html.h1.get_text() == "This form has expired"
    assert signed_in_as(testapp) is None


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_signing_out_without_the_csrf_token_is_refused(testapp, token):
    register(testapp, "alice")
    fields = {} if token is None else {"csrf_token": token}

    page = testapp.post("/logout", fields, status=400)

    assert page.html.h1.get_text() == "This form has expired"
    assert signed_in_as(testapp) == "alice"


def test_the_token_of_one_session_does_not_work_in_the_next(testapp):
    # Given the token alice's page carried before she signed out and in again
    register(testapp, "alice")
    old_token = csrf_of(testapp.get("/messages"))
    sign_out(testapp)
    submit_login(testapp, "alice", PASSWORD)

    # When a form posts that old token
    testapp.post("/logout", {"csrf_token": old_token}, status=400)

    # Then it is refused and she stays signed in
    assert signed_in_as(testapp) == "alice"


# -- anonymous and unknown addresses --------------------------------------


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/", "http://wgmail.test/login?next=%2F"),
        ("/messages", "http://wgmail.test/login?next=%2Fmessages"),
        ("/messages?page=2", "http://wgmail.test/login?next=%2Fmessages%3Fpage%3D2"),
    ],
)
def test_an_anonymous_visitor_is_sent_to_sign_in_first(testapp, path, location):
    response = testapp.get(path)

    assert response.status_int == 303
    assert response.location == location


@pytest.mark.parametrize("path", ["/api/messages/", "/api/users/"])
def test_an_anonymous_api_call_gets_401_in_the_error_envelope(testapp, path):
    response = testapp.get(path, status=401)

    assert response.content_type == "application/json"
    assert response.json == LOGIN_REQUIRED
    assert response.headers["WWW-Authenticate"] == 'Basic realm="wgmail API"'


@pytest.mark.parametrize("signed_in", [False, True])
def test_an_unknown_page_is_a_404_page(testapp, signed_in):
    if signed_in:
        register(testapp, "alice")

    page = testapp.get("/no/such/page", status=404)

    assert page.content_type == "text/html"
    assert page.html.h1.get_text() == "Page not found"


@pytest.mark.parametrize("signed_in", [False, True])
def test_an_unknown_api_path_is_a_404_in_the_error_envelope(testapp, signed_in):
    if signed_in:
        register(testapp, "alice")

    response = testapp.get("/api/no-such-thing/", status=404)

    assert response.content_type == "application/json"
    assert response.json == {
        "status": "error",
        "errors": [
            {"location": "path", "name": "", "description": "No such resource."}
        ],
    }


def test_an_ordinary_page_view_does_not_rewrite_the_session_cookie(testapp):
    register(testapp, "quiet")
    testapp.get("/")  # the flash-free page after registering

    response = testapp.get("/messages")

    assert "Set-Cookie" not in response.headers


# -- control characters ---------------------------------------------------


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("correct\x00horse", INVISIBLE_NUL),
        (
            "correct\thorse",
            "Remove the invisible character U+0009: it cannot be used here.",
        ),
        ("correct\r\nhorse", ONE_LINE),
        ("correct\u2029horse", ONE_LINE),
    ],
)
def test_a_password_with_a_control_character_is_refused_at_registration(
    testapp, password, error
):
    page = submit_register(testapp, "alice", password)

    assert field_errors(page) == {"password": error}
    assert users(testapp.app) == []


@pytest.mark.parametrize(
    ("field", "username", "password", "error"),
    [
        ("username", "ali\x00ce", PASSWORD, INVISIBLE_NUL),
        ("username", "ali\u2028ce", PASSWORD, ONE_LINE),
        ("password", "alice", PASSWORD + "\x00", INVISIBLE_NUL),
        ("password", "alice", "correct\nhorse", ONE_LINE),
    ],
)
def test_a_control_character_at_sign_in_gets_an_error_next_to_its_field(
    testapp, field, username, password, error
):
    register(testapp, "alice")
    sign_out(testapp)

    page = submit_login(testapp, username, password)

    assert page.status_int == 200
    assert field_errors(page) == {field: error}
    assert login_error(page) is None
    assert signed_in_as(testapp) is None


@pytest.mark.parametrize(
    ("username", "looked_up"),
    [
        ("bad name!", False),
        ("al", False),
        ("-alice", False),
        ("алиса", False),
        ("mallory", True),
    ],
)
def test_a_username_no_account_can_have_is_refused_without_a_database_query(
    testapp, username, looked_up
):
    # Given the sign-in form, opened by a visitor
    form = testapp.get("/login").forms["loginschema"]
    form["username"] = username
    form["password"] = PASSWORD

    # When it is sent with a name that registration would never accept
    with database_statements(testapp.app) as statements:
        page = form.submit("submit")

    # Then the answer is the one for any unknown name, found without asking
    # the database; a name that could exist is looked up as before
    assert login_error(page) == WRONG_CREDENTIALS
    assert field_errors(page) == {}
    assert bool(statements) is looked_up


def test_a_nul_in_either_accounts_form_is_refused_on_postgresql(postgres_testapp):
    page = submit_register(postgres_testapp, "ali\x00ce")

    assert field_errors(page) == {"username": INVISIBLE_NUL}

    register(postgres_testapp, "alice")
    sign_out(postgres_testapp)
    page = submit_login(postgres_testapp, "ali\x00ce", PASSWORD)

    assert page.status_int == 200
    assert field_errors(page) == {"username": INVISIBLE_NUL}
    assert [user.username for user in users(postgres_testapp.app)] == ["alice"]


# -- passwords ------------------------------------------------------------


def test_spaces_around_a_password_are_part_of_it(testapp):
    # Given alice, who chose a password with spaces at both ends
    register(testapp, "alice", "  password123 ")
    sign_out(testapp)

    # When she signs in without them, she is refused
    page = submit_login(testapp, "alice", "password123")
    assert login_error(page) == WRONG_CREDENTIALS

    # And with them, exactly as she chose it, she is let in
    submit_login(testapp, "alice", "  password123 ")
    assert signed_in_as(testapp) == "alice"


@pytest.mark.parametrize("password", [" " * 8, " " * 30, "\u3000" * 8])
def test_a_password_of_only_spaces_is_refused_at_registration(testapp, password):
    page = submit_register(testapp, "alice", password)

    assert field_errors(page) == {
        "password": "A password cannot be only spaces: add letters, digits or signs."
    }
    assert users(testapp.app) == []


def test_a_sign_in_password_of_only_spaces_is_checked_like_any_other(testapp):
    register(testapp, "alice")
    sign_out(testapp)

    page = submit_login(testapp, "alice", " " * 8)

    assert field_errors(page) == {}
    assert login_error(page) == WRONG_CREDENTIALS


@pytest.mark.parametrize(
    ("chosen", "typed"),
    [
        ("caf\u00e9 au lait", "cafe\u0301 au lait"),
        ("cafe\u0301 au lait", "caf\u00e9 au lait"),
        ("\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44", "password"),
    ],
)
def test_a_password_is_the_same_however_its_characters_are_encoded(
    testapp, chosen, typed
):
    register(testapp, "alice", chosen)
    sign_out(testapp)

    submit_login(testapp, "alice", typed)

    assert signed_in_as(testapp) == "alice"


# -- sessions after signing out -------------------------------------------


def test_a_session_cookie_copied_before_signing_out_stops_working(testapp):
    # Given a copy of alice's session cookie, working in another client
    register(testapp, "alice")
    copy = new_client(testapp.app)
    copy.set_cookie("wgmail_session", testapp.cookies["wgmail_session"])
    assert signed_in_as(copy) == "alice"

    # When she signs out
    sign_out(testapp)

    # Then the copy opens neither the pages nor the API
    response = copy.get("/messages")
    assert response.status_int == 303
    assert response.location == "http://wgmail.test/login?next=%2Fmessages"
    response = copy.get("/api/messages/", status=401)
    assert response.json == LOGIN_REQUIRED

    # And signing in again does not bring the old cookie back to life
    submit_login(testapp, "alice", PASSWORD)
    assert signed_in_as(testapp) == "alice"
    assert signed_in_as(copy) is None


def test_signing_out_ends_the_users_sessions_on_every_device(testapp):
    # Given alice signed in on a second device as well, and bob elsewhere
    register(testapp, "alice")
    phone = new_client(testapp.app)
    submit_login(phone, "alice", PASSWORD)
    bob = new_client(testapp.app)
    register(bob, "bob")

    # When she signs out on the first
    sign_out(testapp)

    # Then her phone is signed out too, and bob is not touched
    assert signed_in_as(phone) is None
    assert signed_in_as(bob) == "bob"


# -- addresses that are not UTF-8 -----------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("url", ["/%ff", "/messages%c3%28", "/static/%ff.css"])
def test_a_path_that_is_not_utf8_is_a_400_page(testapp, signed_in, url):
    if signed_in:
        register(testapp, "alice")

    response = raw_get(testapp, url)

    assert response.status_int == 400
    assert response.content_type == "text/html"
    page = webtest.TestResponse(response.body, headers=response.headerlist)
    assert page.html.h1.get_text() == "This address cannot be read"


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_next_address_that_is_not_utf8_is_a_400_page(testapp, signed_in):
    if signed_in:
        register(testapp, "alice")

    page = testapp.get("/login?next=%ff", status=400)

    assert page.content_type == "text/html"
    assert page.html.h1.get_text() == "This address cannot be read"


def test_a_form_field_that_is_not_utf8_is_refused_next_to_it(testapp):
    # Given alice, signed out, on the sign-in page
    register(testapp, "alice")
    sign_out(testapp)
    token = csrf_of(testapp.get("/login"))

    # When a form arrives whose username is not UTF-8
    page = testapp.post(
        "/login",
        f"csrf_token={token}&username=alice%ff&password=x&submit=submit",
        content_type="application/x-www-form-urlencoded",
    )

    # Then WebOb's replacement character is refused where it stands
    assert page.status_int == 200
    assert field_errors(page) == {
        "username": "This text holds characters that could not be read "
        "(shown as \ufffd): type it again."
    }
    assert signed_in_as(testapp) is None


@pytest.mark.parametrize("url", ["/api/%ff", "/api/messages/%ff", "/api/users/%c3"])
def test_an_api_path_that_is_not_utf8_is_a_400_in_the_error_envelope(testapp, url):
    register(testapp, "alice")

    response = raw_get(testapp, url)

    assert response.status_int == 400
    assert response.content_type == "application/json"
    assert response.json == {
        "status": "error",
        "errors": [
            {
                "location": "path",
                "name": "",
                "description": "This is not valid UTF-8 text once its "
                "%-escapes are decoded.",
            }
        ],
    }


@pytest.mark.parametrize(
    ("query", "name"),
    [("status=%ff", "status"), ("x=1&status=sent%e2%82", "status"), ("%ff=1", "")],
)
def test_an_api_query_that_is_not_utf8_is_a_400_naming_the_parameter(
    testapp, query, name
):
    register(testapp, "alice")

    response = testapp.get(f"/api/messages/?{query}", status=400)

    assert response.json == {
        "status": "error",
        "errors": [
            {
                "location": "querystring",
                "name": name,
                "description": "This is not valid UTF-8 text once its "
                "%-escapes are decoded.",
            }
        ],
    }


def send_declared(testapp, path: str, body: bytes, charset: str, method="POST"):
    """A form body declared in ``charset``, with the client's session cookie."""
    cookie = "; ".join(f"{name}={value}" for name, value in testapp.cookies.items())
    return testapp.request(
        path,
        method=method,
        body=body,
        headers={"Cookie": cookie},
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
        expect_errors=True,
    )


@pytest.mark.parametrize("charset", ["latin-1", "utf-16", "no-such-charset"])
def test_a_form_declared_in_another_charset_is_a_415_and_changes_nothing(
    testapp, charset
):
    token = csrf_of(testapp.get("/register"))

    page = send_declared(
        testapp,
        "/register",
        f"csrf_token={token}&username=zoe&password=x".encode(),
        charset,
    )

    assert page.status_int == 415
    assert "This form was sent in an unknown encoding" in page.text
    assert users(testapp.app) == []


def test_an_api_request_with_a_body_in_another_charset_is_a_415_envelope(testapp):
    register(testapp, "yara")

    response = send_declared(
        testapp, "/api/messages/", b"status=sent", "latin-1", method="GET"
    )

    assert response.status_int == 415
    assert response.json["errors"] == [
        {
            "location": "header",
            "name": "Content-Type",
            "description": "Send the body as UTF-8 (charset=utf-8).",
        }
    ]


@pytest.mark.parametrize("path", ["/login", "/api/users/", "/no-such-page"])
def test_every_response_forbids_framing_by_other_sites(testapp, path):
    response = testapp.get(path, expect_errors=True)

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
