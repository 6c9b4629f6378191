"""``api/users`` and ``api/messages`` through the real application.

Callers are signed in by the session cookie the forms leave behind, or by
HTTP Basic credentials; errors come in Cornice's envelope.
"""

import base64
import re
from datetime import UTC, datetime

import pytest
import webtest
from sqlalchemy import select

import wgmail
from support import PASSWORD, compose, database_statements, register, sign_out
from wgmail.models import Message, User, unit_of_work

WRONG_CREDENTIALS = {
    "status": "error",
    "errors": [
        {
            "location": "header",
            "name": "Authorization",
            "description": "Wrong username or password.",
        }
    ],
}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
STATUSES = ["waiting", "sent", "failed", "cancelled"]


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def anonymous_client(app) -> webtest.TestApp:
    """A client without any cookie, as a script calling the API would be."""
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "wgmail.test"})


def message_ids(app, subject: str | None = None) -> list[int]:
    query = select(Message.id).order_by(Message.id)
    if subject is not None:
        query = query.where(Message.subject == subject)
    with unit_of_work(app.registry["dbsession_factory"]) as (session, _):
        return list(session.scalars(query))


def set_status(app, message_id: int, status: str, **columns) -> None:
    """Move a message on directly in the database, as delivery would."""
    with unit_of_work(app.registry["dbsession_factory"]) as (session, _):
        message = session.get(Message, message_id)
        message.status = status
        for name, value in columns.items():
            setattr(message, name, value)


def registered_at(app, username: str) -> datetime:
    with unit_of_work(app.registry["dbsession_factory"]) as (session, _):
        return session.scalar(
            select(User.registered_at).where(User.username == username)
        )


def user_item(app, username: str) -> dict:
    """The API's item for ``username``, its instant read from the database."""
    instant = registered_at(app, username).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"username": username, "registered_at": instant}


@pytest.fixture
def alice_and_bob(testapp):
    """alice (the first account, so the admin) and bob, each with messages.

    The test app is left signed in as bob.
    """
    register(testapp, "alice")
    compose(testapp, subject="alice 1", send_at="2030-01-15T12:00")
    compose(testapp, subject="alice 2", send_at="2030-01-16T12:00")
    sign_out(testapp)
    register(testapp, "bob")
    compose(testapp, subject="bob 1", send_at="2030-02-01T08:00")
    return testapp


def sign_in(testapp, username: str) -> None:
    sign_out(testapp)
    form = testapp.get("/login").forms["loginschema"]
    form["username"] = username
    form["password"] = PASSWORD
    form.submit("submit")


# -- api/users ------------------------------------------------------------


def test_the_users_list_gives_each_name_and_registration_instant(testapp):
    register(testapp, "alice")
    sign_out(testapp)
    register(testapp, "Bob")

    response = testapp.get("/api/users/")

    assert response.content_type == "application/json"
    assert response.json == {
        "items": [
            user_item(testapp.app, "alice"),
            user_item(testapp.app, "Bob"),
        ],
        "next": None,
    }
    for item in response.json["items"]:
        assert ISO_UTC.match(item["registered_at"])
        assert datetime.fromisoformat(item["registered_at"]).tzinfo == UTC


# -- api/messages ---------------------------------------------------------


def test_a_message_is_described_in_full_with_utc_instants(testapp):
    register(testapp, "alice")
    compose(
        testapp,
        recipient="Friend@EXAMPLE.org",
        subject="Noon",
        send_at="2030-01-15T12:00:00",
        time_zone="Europe/Moscow",
        body="See you.",
    )
    [message_id] = message_ids(testapp.app)

    [item] = testapp.get("/api/messages/").json["items"]

    created_at = item.pop("created_at")
    assert ISO_UTC.match(created_at)
    assert item == {
        "id": message_id,
        "owner": "alice",
        "recipient": "Friend@example.org",
        "subject": "Noon",
        "text": "See you.",
        "status": "waiting",
        "send_at": "2030-01-15T09:00:00Z",
        "time_zone": "Europe/Moscow",
        "sent_at": None,
        "smtp_reply": None,
        "failure_reason": None,
    }


def test_a_user_sees_only_their_own_messages(alice_and_bob):
    [_alice_1, _alice_2, bob_1] = message_ids(alice_and_bob.app)

    response = alice_and_bob.get("/api/messages/")

    assert response.json["next"] is None
    assert [
        (item["id"], item["owner"], item["subject"]) for item in response.json["items"]
    ] == [(bob_1, "bob", "bob 1")]


def test_the_admin_sees_everyones_messages_newest_first(alice_and_bob):
    sign_in(alice_and_bob, "alice")

    items = alice_and_bob.get("/api/messages/").json["items"]

    assert [(item["owner"], item["subject"]) for item in items] == [
        ("bob", "bob 1"),
        ("alice", "alice 2"),
        ("alice", "alice 1"),
    ]
    assert [item["id"] for item in items] == message_ids(alice_and_bob.app)[::-1]


@pytest.mark.parametrize("status", STATUSES)
def test_the_status_parameter_keeps_only_messages_in_that_status(testapp, status):
    # Given one message of alice's in each status
    register(testapp, "alice")
    for name in STATUSES:
        compose(testapp, subject=name, send_at="2030-01-15T12:00")
    [sent] = message_ids(testapp.app, "sent")
    [failed] = message_ids(testapp.app, "failed")
    [cancelled] = message_ids(testapp.app, "cancelled")
    set_status(
        testapp.app,
        sent,
        "sent",
        sent_at=datetime(2030, 1, 15, 9, 0, 1, tzinfo=UTC),
        smtp_reply="250 2.0.0 Ok: queued",
    )
    set_status(testapp.app, failed, "failed", failure_reason="550 No such user")
    set_status(testapp.app, cancelled, "cancelled")

    # When she asks for one status
    response = testapp.get("/api/messages/", {"status": status})

    # Then she gets that message alone
    [item] = response.json["items"]
    assert (item["subject"], item["status"]) == (status, status)
    assert item["sent_at"] == ("2030-01-15T09:00:01Z" if status == "sent" else None)
    assert item["smtp_reply"] == ("250 2.0.0 Ok: queued" if status == "sent" else None)
    assert item["failure_reason"] == (
        "550 No such user" if status == "failed" else None
    )


def test_the_status_filter_still_hides_other_users_messages(alice_and_bob):
    [alice_1, alice_2, bob_1] = message_ids(alice_and_bob.app)
    set_status(alice_and_bob.app, alice_1, "cancelled")
    set_status(alice_and_bob.app, bob_1, "cancelled")

    items = alice_and_bob.get("/api/messages/?status=cancelled").json["items"]

    assert [item["id"] for item in items] == [bob_1]


def test_the_admins_status_filter_covers_every_user(alice_and_bob):
    [alice_1, alice_2, bob_1] = message_ids(alice_and_bob.app)
    set_status(alice_and_bob.app, alice_1, "cancelled")
    set_status(alice_and_bob.app, bob_1, "cancelled")
    sign_in(alice_and_bob, "alice")

    items = alice_and_bob.get("/api/messages/?status=cancelled").json["items"]

    assert [item["id"] for item in items] == [bob_1, alice_1]


@pytest.mark.parametrize(
    ("query", "description"),
    [
        ("status=bogus", '"bogus" is not one of waiting, sent, failed, cancelled'),
        ("status=SENT", '"SENT" is not one of waiting, sent, failed, cancelled'),
        ("status=", '"" is not one of waiting, sent, failed, cancelled'),
    ],
)
def test_an_unknown_status_is_a_400_naming_the_parameter(
    alice_and_bob, query, description
):
    response = alice_and_bob.get(f"/api/messages/?{query}", status=400)

    assert response.content_type == "application/json"
    assert response.json == {
        "status": "error",
        "errors": [
            {"location": "querystring", "name": "status", "description": description}
        ],
    }


@pytest.mark.parametrize(
    ("query", "times"),
    [("status=sent&status=waiting", 2), ("status=sent&status=sent&status=sent", 3)],
)
def test_a_status_given_more_than_once_is_a_400_saying_so(alice_and_bob, query, times):
    response = alice_and_bob.get(f"/api/messages/?{query}", status=400)

    assert response.content_type == "application/json"
    assert response.json == {
        "status": "error",
        "errors": [
            {
                "location": "querystring",
                "name": "status",
                "description": f"Give status once; it was given {times} times.",
            }
        ],
    }


def test_an_unsupported_method_is_a_405_in_the_error_envelope(alice_and_bob):
    response = alice_and_bob.delete("/api/users/", status=405)

    assert response.content_type == "application/json"
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.json == {
        "status": "error",
        "errors": [
            {
                "location": "method",
                "name": "DELETE",
                "description": "Use one of: GET, HEAD.",
            }
        ],
    }


# -- HTTP Basic credentials -----------------------------------------------


def test_basic_credentials_open_the_api(alice_and_bob):
    client = anonymous_client(alice_and_bob.app)

    response = client.get("/api/messages/", headers=basic("bob", PASSWORD))

    assert [item["subject"] for item in response.json["items"]] == ["bob 1"]
    # Each call stands on its own credentials: no session is started.
    assert "Set-Cookie" not in response.headers
    assert client.get("/api/users/", headers=basic("bob", PASSWORD)).json["items"] == [
        user_item(alice_and_bob.app, "alice"),
        user_item(alice_and_bob.app, "bob"),
    ]


def test_basic_credentials_of_the_admin_show_everyones_messages(alice_and_bob):
    client = anonymous_client(alice_and_bob.app)

    items = client.get("/api/messages/", headers=basic("alice", PASSWORD)).json["items"]

    assert [item["subject"] for item in items] == ["bob 1", "alice 2", "alice 1"]


@pytest.mark.parametrize(
    "headers",
    [
        basic("bob", "not the password"),
        basic("mallory", PASSWORD),
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Bearer some-token"},
    ],
)
def test_wrong_basic_credentials_get_401(alice_and_bob, headers):
    client = anonymous_client(alice_and_bob.app)

    response = client.get("/api/messages/", headers=headers, status=401)

    assert response.headers["WWW-Authenticate"] == 'Basic realm="wgmail API"'
    assert response.json == WRONG_CREDENTIALS


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/", "http://wgmail.test/login?next=%2F"),
        ("/messages", "http://wgmail.test/login?next=%2Fmessages"),
    ],
)
def test_basic_credentials_do_not_sign_you_into_pages(alice_and_bob, path, location):
    client = anonymous_client(alice_and_bob.app)

    response = client.get(path, headers=basic("bob", PASSWORD))

    assert response.status_int == 303
    assert response.location == location
    assert "wgmail_session" not in client.cookies


def test_basic_credentials_do_not_let_a_form_be_posted(alice_and_bob):
    client = anonymous_client(alice_and_bob.app)

    response = client.post(
        "/",
        {
            "recipient": "friend@example.org",
            "send_at": "2030-01-15T12:00:00",
            "time_zone": "Europe/Moscow",
            "body": "Forged.",
        },
        headers=basic("bob", PASSWORD),
    )

    assert response.status_int == 303
    assert response.location == "http://wgmail.test/login?next=%2F"
    assert len(message_ids(alice_and_bob.app)) == 3


def test_an_api_path_without_its_final_slash_is_redirected_to_it(testapp):
    register(testapp, "slash")

    response = testapp.get("/api/users?x=1", status=307)

    assert response.location == "http://wgmail.test/api/users/?x=1"


@pytest.mark.parametrize(
    "username", ["bob\x00", "b\r\nob", "bob\u200b", "bad name!", "bo", "b" * 41, ""]
)
def test_basic_credentials_with_an_impossible_username_are_refused_unqueried(
    alice_and_bob, username
):
    client = anonymous_client(alice_and_bob.app)

    with database_statements(alice_and_bob.app) as statements:
        response = client.get(
            "/api/messages/", headers=basic(username, PASSWORD), status=401
        )

    assert response.json == WRONG_CREDENTIALS
    assert statements == []


def test_basic_credentials_with_a_nul_are_refused_on_postgresql(
    make_settings, postgres_url
):
    # Given bob, registered on PostgreSQL, which refuses a NUL in any query
    app = wgmail.main({}, **make_settings(postgres_url))
    try:
        register(anonymous_client(app), "bob")
        client = anonymous_client(app)

        # When a script signs in with a NUL in the username
        response = client.get(
            "/api/messages/", headers=basic("bob\x00", PASSWORD), status=401
        )

        # Then it is refused like any other wrong name
        assert response.json == WRONG_CREDENTIALS
        assert client.get("/api/messages/", headers=basic("bob", PASSWORD)).json == {
            "items": [],
            "next": None,
        }
    finally:
        app.registry["db_engine"].dispose()


@pytest.mark.parametrize(
    ("chosen", "accepted", "refused"),
    [
        ("  spaced out  ", "  spaced out  ", "spaced out"),
        ("caf\u00e9 au lait", "cafe\u0301 au lait", "cafe au lait"),
    ],
)
def test_basic_credentials_take_the_password_as_registered(
    testapp, chosen, accepted, refused
):
    register(testapp, "carol", chosen)
    client = anonymous_client(testapp.app)

    response = client.get("/api/messages/", headers=basic("carol", accepted))

    assert response.json == {"items": [], "next": None}
    response = client.get("/api/messages/", headers=basic("carol", refused), status=401)
    assert response.json == WRONG_CREDENTIALS
