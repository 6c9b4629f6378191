"""Registering, signing in and out, and what anonymous or forged requests get.

Every test drives the real WSGI application through its forms and reads
the database it wrote to; nothing of wgmail's is mocked.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from support import PASSWORD, csrf_of, register, sign_out
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


def users(app) -> list[User]:
    with unit_of_work(app.registry["dbsession_factory"]) as (session, _):
        return list(session.scalars(select(User).order_by(User.id)))


def field_errors(page) -> dict[str, str]:
    """Each field's error message, keyed by the field's name."""
    errors = {}
    for feedback in page.html.select(".invalid-feedback"):
        item = feedback.find_parent("div", class_="mb-3")
        names = [name for name in item["class"] if name.startswith("item-")]
        errors[names[0].removeprefix("item-")] = feedback.get_text(strip=True)
    return errors


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
