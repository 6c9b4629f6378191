"""The compose form and the message list, through the real application.

Send times are written as wall-clock text in a named zone, the way the
browser's datetime-local field sends them, and checked against the exact
UTC instant stored.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import webtest
from dramatiq.common import dq_name
from sqlalchemy import select
from sqlalchemy.orm import selectinload

import wgmail
from support import compose, csrf_of, field_errors, register, sign_out
from wgmail.messages.schemas import latest_send_time, resolve_send_time
from wgmail.models import Message, unit_of_work
from wgmail.timezones import LocalTimeError, local_to_utc


def messages(app) -> list[Message]:
    with unit_of_work(app.registry["dbsession_factory"]) as (session, _):
        query = select(Message).options(selectinload(Message.owner))
        return list(session.scalars(query.order_by(Message.id)))


def listed(page) -> list[dict[str, str]]:
    """The rows of the message list, as the reader sees them."""
    rows = []
    for row in page.html.select("table.wg-messages tbody tr"):
        cells = row.find_all("td")
        rows.append(
            {
                "id": row["id"],
                "to": cells[0].get_text(strip=True),
                "subject": cells[1].get_text(strip=True),
                "send_at": cells[2].select_one(".wg-time").get_text(),
                "zone": cells[2].select_one("div").get_text(),
                "status": cells[3].select_one(".wg-status").get_text(),
            }
        )
    return rows


@pytest.fixture
def alice(testapp):
    register(testapp, "alice")
    return testapp


# -- a valid submission ---------------------------------------------------


def test_a_valid_submission_stores_a_waiting_message_at_the_exact_utc_instant(
    alice,
):
    response = compose(
        alice,
        recipient="friend@example.org",
        subject="Greetings",
        send_at="2030-01-15T12:00:00",
        time_zone="Europe/Moscow",
        body="See you at noon.",
    )

    assert response.status_int == 303
    assert response.location == "http://wgmail.test/messages"
    [message] = messages(alice.app)
    assert message.status == "waiting"
    assert message.send_at == datetime(2030, 1, 15, 9, 0, 0, tzinfo=UTC)
    assert message.send_at.tzinfo is UTC
    assert message.time_zone == "Europe/Moscow"
    assert message.recipient == "friend@example.org"
    assert message.subject == "Greetings"
    assert message.body == "See you at noon."
    assert message.owner.username == "alice"
    assert message.spooled_at is None
    assert message.sent_at is None


@pytest.mark.parametrize(
    ("send_at", "time_zone", "expected"),
    [
        ("2030-01-15T12:00", "Europe/Moscow", datetime(2030, 1, 15, 9, 0, 0)),
        ("2030-01-15 12:00:07", "Europe/Moscow", datetime(2030, 1, 15, 9, 0, 7)),
        ("2030-07-01T08:30:00", "America/New_York", datetime(2030, 7, 1, 12, 30)),
        ("2030-01-01T08:30:00", "America/New_York", datetime(2030, 1, 1, 13, 30)),
        ("2030-03-31T03:30:00", "Europe/Berlin", datetime(2030, 3, 31, 1, 30)),
        ("2030-10-27T03:30:00", "Europe/Berlin", datetime(2030, 10, 27, 2, 30)),
        ("2030-06-01T05:45:00", "Asia/Kathmandu", datetime(2030, 6, 1, 0, 0)),
    ],
)
def test_the_send_time_is_read_in_the_chosen_zone(alice, send_at, time_zone, expected):
    compose(alice, send_at=send_at, time_zone=time_zone)

    [message] = messages(alice.app)
    assert message.send_at == expected.replace(tzinfo=UTC)
    assert message.time_zone == time_zone


def test_the_recipient_is_stored_in_its_normal_form(alice):
    compose(alice, recipient="  Friend@EXAMPLE.Org  ", send_at="2030-01-15T12:00")

    [message] = messages(alice.app)
    assert message.recipient == "Friend@example.org"


def test_scheduling_says_when_and_to_whom_on_the_next_page(alice):
    page = compose(
        alice, recipient="friend@example.org", send_at="2030-01-15T12:00:00"
    ).follow()

    assert page.html.select_one(".alert-success").get_text() == (
        "Scheduled for 2030-01-15 12:00:00 UTC+03:00 (Europe/Moscow) "
        "to friend@example.org."
    )


def test_a_subject_of_exactly_two_hundred_characters_is_accepted(alice):
    compose(alice, subject="s" * 200, send_at="2030-01-15T12:00")

    [message] = messages(alice.app)
    assert message.subject == "s" * 200


def handed_off(app) -> int:
    """How many deliveries wait, delayed, in the in-process broker."""
    broker = app.registry["wgmail.delivery"].broker
    return broker.queues[dq_name("wgmail-mail")].qsize()


def test_a_message_due_within_a_minute_is_handed_off_once_stored(alice):
    # Given a send time thirty seconds from now, written in Moscow time
    send_at = (datetime.now(UTC) + timedelta(seconds=30)).replace(microsecond=0)
    local = send_at.astimezone(ZoneInfo("Europe/Moscow"))

    # When it is scheduled
    compose(alice, send_at=local.strftime("%Y-%m-%dT%H:%M:%S"))

    # Then the row is marked dispatched and the broker holds one delivery
    [message] = messages(alice.app)
    assert message.send_at == send_at
    assert message.dispatched_at is not None
    assert handed_off(alice.app) == 1


def test_a_message_due_later_is_left_to_the_dispatcher(alice):
    compose(alice, send_at="2030-01-15T12:00:00")

    [message] = messages(alice.app)
    assert message.dispatched_at is None
    assert handed_off(alice.app) == 0


# -- refused submissions --------------------------------------------------


def test_a_time_in_the_past_is_refused_naming_the_zone(alice):
    page = compose(alice, send_at="2020-01-15T12:00:00", time_zone="Asia/Tokyo")

    assert page.status_int == 200
    errors = field_errors(page)
    assert list(errors) == ["send_at"]
    assert errors["send_at"].startswith(
        "This time has already passed in Asia/Tokyo; it is now "
    )
    assert errors["send_at"].endswith(" UTC+09:00 there.")
    assert messages(alice.app) == []


def test_a_local_time_skipped_by_the_clocks_is_refused(alice):
    # 02:00 in Berlin on 31 March 2030 jumps straight to 03:00.
    page = compose(alice, send_at="2030-03-31T02:30:00", time_zone="Europe/Berlin")

    assert page.status_int == 200
    assert field_errors(page) == {
        "send_at": "2030-03-31 02:30:00 does not exist in Europe/Berlin: the "
        "clocks skip it (from UTC+01:00 to UTC+02:00). Choose another time."
    }
    assert messages(alice.app) == []


def test_a_local_time_that_happens_twice_is_refused(alice):
    # 03:00 in Berlin on 27 October 2030 goes back to 02:00.
    page = compose(alice, send_at="2030-10-27T02:30:00", time_zone="Europe/Berlin")

    assert page.status_int == 200
    assert field_errors(page) == {
        "send_at": "2030-10-27 02:30:00 happens twice in Europe/Berlin, once at "
        "UTC+02:00 and once at UTC+01:00, when the clocks go back. Choose a "
        "time outside the repeated hour."
    }
    assert messages(alice.app) == []


def test_a_time_more_than_ten_years_ahead_is_refused(alice):
    page = compose(alice, send_at="2099-01-01T00:00:00")

    assert field_errors(page) == {"send_at": "Choose a time within the next ten years."}
    assert messages(alice.app) == []


@pytest.mark.parametrize(
    "send_at", ["tomorrow at noon", "15/01/2030 12:00", "2030-02-30T12:00", ""]
)
def test_a_malformed_send_time_is_refused(alice, send_at):
    page = compose(alice, send_at=send_at)

    expected = (
        "Required"
        if send_at == ""
        else "Enter a date and time like 2026-12-31 18:30:00."
    )
    assert field_errors(page) == {"send_at": expected}
    assert messages(alice.app) == []
    assert handed_off(alice.app) == 0


@pytest.mark.parametrize(
    ("recipient", "error"),
    [
        (
            "friend.example.org",
            "Enter a valid email address: An email address must have an @-sign.",
        ),
        (
            "friend@",
            "Enter a valid email address: There must be something after the @-sign.",
        ),
        ("", "Required"),
    ],
)
def test_a_bad_recipient_is_refused(alice, recipient, error):
    page = compose(alice, recipient=recipient, send_at="2030-01-15T12:00")

    assert field_errors(page) == {"recipient": error}
    assert messages(alice.app) == []


def test_an_unknown_time_zone_is_refused(alice):
    form = alice.get("/").forms["composeschema"]
    form["recipient"] = "friend@example.org"
    form["send_at"] = "2030-01-15T12:00"
    form["time_zone"].force_value("Mars/Olympus_Mons")
    form["body"] = "Hello."

    page = form.submit("submit")

    assert field_errors(page) == {
        "time_zone": "Choose a time zone from the list, such as Europe/Moscow."
    }
    assert messages(alice.app) == []


def test_a_missing_time_zone_is_refused(alice):
    page = compose(alice, send_at="2030-01-15T12:00", time_zone="")

    assert field_errors(page) == {"time_zone": "Required"}
    assert messages(alice.app) == []


def test_an_empty_message_is_refused(alice):
    page = compose(alice, send_at="2030-01-15T12:00", body="")

    assert field_errors(page) == {"body": "Required"}
    assert messages(alice.app) == []


def test_a_message_of_only_whitespace_is_refused(alice):
    page = compose(alice, send_at="2030-01-15T12:00", body=" \r\n\t \r\n")

    assert field_errors(page) == {"body": "Write a message: it cannot be empty."}
    assert messages(alice.app) == []


def test_a_message_keeps_its_indentation_and_line_breaks(alice):
    body = "    indented first line\r\n\r\nlast line\r\n"

    compose(alice, send_at="2030-01-15T12:00", body=body)

    [message] = messages(alice.app)
    assert message.body == "    indented first line\n\nlast line\n"


def test_a_subject_longer_than_two_hundred_characters_is_refused(alice):
    page = compose(alice, subject="s" * 201, send_at="2030-01-15T12:00")

    assert field_errors(page) == {"subject": "Longer than maximum length 200"}
    assert messages(alice.app) == []


def test_a_refused_form_keeps_what_was_typed(alice):
    page = compose(
        alice,
        recipient="friend@example.org",
        subject="Kept",
        send_at="2020-01-15T12:00:00",
        time_zone="Asia/Tokyo",
        body="Kept too.",
    )

    form = page.forms["composeschema"]
    assert form["recipient"].value == "friend@example.org"
    assert form["subject"].value == "Kept"
    assert form["send_at"].value == "2020-01-15T12:00:00"
    assert form["time_zone"].value == "Asia/Tokyo"
    assert form["body"].value == "Kept too."


def test_composing_without_a_csrf_token_is_refused_and_stores_nothing(alice):
    page = alice.post(
        "/",
        {
            "recipient": "friend@example.org",
            "subject": "Forged",
            "send_at": "2030-01-15T12:00:00",
            "time_zone": "Europe/Moscow",
            "body": "Sent from another site.",
            "submit": "submit",
        },
        status=400,
    )

    assert page.html.h1.get_text() == "This form has expired"
    assert messages(alice.app) == []


# -- the form's time zone -------------------------------------------------


def test_the_form_leaves_the_zone_to_the_browser_every_time(alice):
    # The browser's own zone is filled in by wgmail.js whenever the server
    # chose none, even after messages written in other zones.
    assert alice.get("/").forms["composeschema"]["time_zone"].value == ""

    compose(alice, send_at="2030-01-15T12:00", time_zone="Asia/Tokyo")

    assert alice.get("/").forms["composeschema"]["time_zone"].value == ""


def test_a_refused_form_keeps_the_zone_that_was_chosen(alice):
    page = compose(alice, send_at="2001-01-01T00:00", time_zone="Asia/Tokyo")

    assert "send_at" in field_errors(page)
    assert page.forms["composeschema"]["time_zone"].value == "Asia/Tokyo"


# -- the message list -----------------------------------------------------


def test_the_message_list_shows_the_time_in_the_messages_zone_with_its_offset(
    alice,
):
    compose(
        alice,
        recipient="friend@example.org",
        subject="Noon in Moscow",
        send_at="2030-01-15T12:00:00",
        time_zone="Europe/Moscow",
    )
    [message] = messages(alice.app)

    page = alice.get("/messages")

    assert listed(page) == [
        {
            "id": f"message-{message.id}",
            "to": "friend@example.org",
            "subject": "Noon in Moscow",
            "send_at": "2030-01-15 12:00:00 UTC+03:00",
            "zone": "Europe/Moscow",
            "status": "waiting",
        }
    ]


def test_the_message_list_shows_only_ones_own_messages_newest_first(alice):
    # Given two messages of alice's and one of bob's
    compose(alice, subject="First", send_at="2030-01-15T12:00")
    compose(alice, subject="Second", send_at="2030-07-15T12:00", time_zone="Asia/Tokyo")
    sign_out(alice)
    register(alice, "bob")
    compose(alice, subject="Bob's", send_at="2030-03-01T09:00")
    sign_out(alice)

    # When alice signs in again and opens her list
    form = alice.get("/login").forms["loginschema"]
    form["username"] = "alice"
    form["password"] = "correct horse battery"
    form.submit("submit")
    page = alice.get("/messages")

    # Then she sees her own two, the newest first, each in its own zone
    first, second, _bobs = messages(alice.app)
    assert [
        (row["id"], row["subject"], row["send_at"], row["zone"]) for row in listed(page)
    ] == [
        (
            f"message-{second.id}",
            "Second",
            "2030-07-15 12:00:00 UTC+09:00",
            "Asia/Tokyo",
        ),
        (
            f"message-{first.id}",
            "First",
            "2030-01-15 12:00:00 UTC+03:00",
            "Europe/Moscow",
        ),
    ]


def test_the_message_list_shows_each_messages_status(alice):
    compose(alice, subject="Delivered", send_at="2030-01-15T12:00")
    compose(alice, subject="Bounced", send_at="2030-01-16T12:00")
    with unit_of_work(alice.app.registry["dbsession_factory"]) as (session, _):
        delivered, bounced = session.scalars(select(Message).order_by(Message.id))
        delivered.status = "sent"
        delivered.sent_at = datetime(2030, 1, 15, 9, 0, 1, tzinfo=UTC)
        bounced.status = "failed"
        bounced.failure_reason = "550 5.1.1 No such user"

    page = alice.get("/messages")

    rows = page.html.select("table.wg-messages tbody tr")
    assert [
        (row["data-status"], row.select_one(".wg-status").get_text()) for row in rows
    ] == [
        ("failed", "failed"),
        ("sent", "sent"),
    ]
    assert rows[0].select_one(".text-danger").get_text() == "550 5.1.1 No such user"
    assert rows[1].find_all("td")[4].get_text(strip=True) == (
        "2030-01-15 12:00:01 UTC+03:00"
    )


def test_the_message_list_shows_markup_in_a_subject_as_text(alice):
    compose(alice, subject="<script>alert(1)</script>", send_at="2030-01-15T12:00")

    page = alice.get("/messages")

    assert "<script>alert(1)</script>" not in page.text
    assert listed(page)[0]["subject"] == "<script>alert(1)</script>"


def test_an_empty_message_list_invites_to_schedule_one(alice):
    page = alice.get("/messages")

    assert listed(page) == []
    assert page.html.select_one("main p.text-secondary").get_text() == (
        "Nothing scheduled yet. Schedule your first email."
    )


# -- control characters ---------------------------------------------------

INVISIBLE_NUL = "Remove the invisible character U+0000: it cannot be used here."
ONE_LINE = "Write this on one line: it cannot hold a line break."


def compose_raw(testapp, **fields):
    """Submit the compose form with any values, the zone included."""
    values = {
        "recipient": "friend@example.org",
        "subject": "Test",
        "send_at": "2030-01-15T12:00:00",
        "time_zone": "Europe/Moscow",
        "body": "Hello.",
    }
    values.update(fields)
    form = testapp.get("/").forms["composeschema"]
    for name, value in values.items():
        form[name].force_value(value)
    return form.submit("submit")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("subject", "Hi\r\nBcc: someone@example.org", ONE_LINE),
        ("subject", "Hi\nthere", ONE_LINE),
        ("subject", "Hi\u2028there", ONE_LINE),
        ("subject", "Hi\x00", INVISIBLE_NUL),
        (
            "subject",
            "Hi\tthere",
            "Remove the invisible character U+0009: it cannot be used here.",
        ),
        (
            "subject",
            "Hi\x7f",
            "Remove the invisible character U+007F: it cannot be used here.",
        ),
        ("recipient", "friend\x00@example.org", INVISIBLE_NUL),
        ("recipient", "friend@example.org\r\nBcc: x@example.org", ONE_LINE),
        (
            "recipient",
            "friend@exam\u200bple.org",
            "Remove the invisible character U+200B (zero width space): "
            "it cannot be used here.",
        ),
        ("send_at", "2030-01-15T12:00\x00", INVISIBLE_NUL),
        ("time_zone", "Europe/Moscow\x00", INVISIBLE_NUL),
        (
            "time_zone",
            "Europe/Moscow\u200e",
            "Remove the invisible character U+200E (left-to-right mark): "
            "it cannot be used here.",
        ),
        ("body", "Hello\x00", INVISIBLE_NUL),
        (
            "body",
            "\x1b[31mred\x1b[0m",
            "Remove the invisible character U+001B: it cannot be used here.",
        ),
        (
            "body",
            "page one\x0cpage two",
            "Remove the invisible character U+000C: it cannot be used here.",
        ),
    ],
)
def test_a_control_character_is_refused_next_to_its_field(alice, field, value, error):
    page = compose_raw(alice, **{field: value})

    assert page.status_int == 200
    assert field_errors(page) == {field: error}
    assert messages(alice.app) == []


def test_a_message_keeps_its_tabs_and_unicode_line_breaks(alice):
    body = "col\tumn\r\nnext\u2028line\u2029paragraph"

    compose(alice, send_at="2030-01-15T12:00", body=body)

    [message] = messages(alice.app)
    assert message.body == "col\tumn\nnext\u2028line\u2029paragraph"


def test_a_subject_may_hold_joined_emoji_and_right_to_left_marks(alice):
    # Format characters (Unicode Cf) carry meaning in free text: the joiner
    # that makes one family emoji, the mark that orders Hebrew and Latin.
    subject = (
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 \u05e9\u05dc\u05d5\u05dd\u200f!"
    )

    compose(alice, send_at="2030-01-15T12:00", subject=subject)

    [message] = messages(alice.app)
    assert message.subject == subject


def test_a_nul_in_the_subject_or_body_is_refused_on_postgresql(
    make_settings, postgres_url
):
    app = wgmail.main({}, **make_settings(postgres_url))
    try:
        client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "wgmail.test"})
        register(client, "alice")

        page = compose_raw(client, subject="Hi\x00", body="Hello\x00")

        assert page.status_int == 200
        assert field_errors(page) == {"subject": INVISIBLE_NUL, "body": INVISIBLE_NUL}
        assert messages(app) == []
    finally:
        app.registry["db_engine"].dispose()


# -- addresses beyond ASCII -----------------------------------------------

NOT_SENDABLE_YET = (
    "Addresses with accented or non-Latin letters before the @ cannot be sent "
    "to yet. Ask the recipient for another address."
)


@pytest.mark.parametrize(
    "recipient",
    ["пользователь@example.com", "josé@example.com", "用户@例子.中国"],
)
def test_an_address_with_non_ascii_before_the_at_is_refused_as_unsendable(
    alice, recipient
):
    page = compose(alice, recipient=recipient, send_at="2030-01-15T12:00")

    assert field_errors(page) == {"recipient": NOT_SENDABLE_YET}
    assert messages(alice.app) == []


@pytest.mark.parametrize(
    ("recipient", "stored"),
    [
        ("bob@пример.рф", "bob@xn--e1afmkfd.xn--p1ai"),
        ("Bob@Bücher.DE", "Bob@xn--bcher-kva.de"),
        ("bob@xn--e1afmkfd.xn--p1ai", "bob@xn--e1afmkfd.xn--p1ai"),
    ],
)
def test_an_internationalised_domain_is_stored_in_its_ascii_form(
    alice, recipient, stored
):
    compose(alice, recipient=recipient, send_at="2030-01-15T12:00")

    [message] = messages(alice.app)
    assert message.recipient == stored


def test_a_part_before_the_at_of_sixty_four_characters_is_the_longest_taken(alice):
    compose(alice, recipient="a" * 64 + "@example.org", send_at="2030-01-15T12:00")
    page = compose(
        alice, recipient="a" * 65 + "@example.org", send_at="2030-01-15T12:00"
    )

    assert field_errors(page) == {
        "recipient": "Enter a valid email address: The email address is too long "
        "before the @-sign (1 character too many)."
    }
    assert [message.recipient for message in messages(alice.app)] == [
        "a" * 64 + "@example.org"
    ]


def test_a_mail_to_an_internationalised_domain_is_delivered(
    alice, services, smtp_server
):
    # Given the worker, dispatcher and runner running
    services(worker=True, dispatcher=True, runner=True)

    # When alice schedules a mail to a Cyrillic domain a second from now
    send_at = datetime.now(UTC) + timedelta(seconds=1)
    local = send_at.astimezone(ZoneInfo("Europe/Moscow"))
    compose(
        alice,
        recipient="bob@пример.рф",
        send_at=local.strftime("%Y-%m-%dT%H:%M:%S"),
    )

    # Then the server receives it, addressed in the domain's ASCII form
    [received] = smtp_server.wait_for(1, timeout=15)
    assert received.rcpt_tos == ["bob@xn--e1afmkfd.xn--p1ai"]
    assert received.message["To"] == "bob@xn--e1afmkfd.xn--p1ai"


# -- times far from now ---------------------------------------------------

FAR_ZONES = ["America/New_York", "Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12"]


@pytest.mark.parametrize("time_zone", FAR_ZONES)
@pytest.mark.parametrize(
    "send_at", ["9999-12-31T23:59:59", "9999-12-31T00:00", "2100-01-01T00:00"]
)
def test_a_time_at_the_end_of_the_calendar_is_more_than_ten_years_ahead(
    alice, send_at, time_zone
):
    page = compose(alice, send_at=send_at, time_zone=time_zone)

    assert page.status_int == 200
    assert field_errors(page) == {"send_at": "Choose a time within the next ten years."}
    assert messages(alice.app) == []


@pytest.mark.parametrize("time_zone", FAR_ZONES)
@pytest.mark.parametrize("send_at", ["0001-01-01T00:00:00", "0001-01-01T23:59"])
def test_a_time_at_the_start_of_the_calendar_has_passed(alice, send_at, time_zone):
    page = compose(alice, send_at=send_at, time_zone=time_zone)

    assert page.status_int == 200
    errors = field_errors(page)
    assert list(errors) == ["send_at"]
    assert errors["send_at"].startswith(
        f"This time has already passed in {time_zone}; it is now "
    )
    assert messages(alice.app) == []


@pytest.mark.parametrize("time_zone", ["America/New_York", "Asia/Tokyo"])
def test_the_send_time_window_ends_exactly_where_it_did(time_zone):
    # Given a fixed "now", read as wall-clock time in the zone
    now = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)

    def local(instant: datetime) -> str:
        return instant.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%dT%H:%M:%S")

    # Then now itself and exactly ten years ahead are taken
    assert resolve_send_time(local(now), time_zone, now) == now
    last = latest_send_time(now)
    assert last == datetime(2036, 6, 1, 12, 0, 0, tzinfo=UTC)
    assert resolve_send_time(local(last), time_zone, now) == last

    # And a second either side of the window is refused
    second = timedelta(seconds=1)
    with pytest.raises(ValueError, match="already passed"):
        resolve_send_time(local(now - second), time_zone, now)
    with pytest.raises(ValueError, match="within the next ten years"):
        resolve_send_time(local(last + second), time_zone, now)


@pytest.mark.parametrize(
    ("local", "time_zone"),
    [
        (datetime(9999, 12, 31, 23, 59, 59), "America/New_York"),
        (datetime(1, 1, 1, 0, 0, 0), "Asia/Tokyo"),
    ],
)
def test_a_wall_clock_time_whose_instant_is_off_the_calendar_is_refused(
    local, time_zone
):
    # resolve_send_time never gets this far; any other caller gets an answer.
    with pytest.raises(LocalTimeError) as error:
        local_to_utc(local, time_zone)

    shown = local.isoformat(sep=" ")
    assert str(error.value) == (
        f"{shown} in {time_zone} is outside the range of dates that can be used."
    )


def test_ten_years_from_a_leap_day_ends_on_the_28th_of_february():
    leap_day = datetime(2028, 2, 29, 9, 30, tzinfo=UTC)

    assert latest_send_time(leap_day) == datetime(2038, 2, 28, 9, 30, tzinfo=UTC)


def test_line_breaks_sent_as_crlf_are_stored_as_newlines_and_count_once(alice):
    body = "line\r\n" * 10_000  # 60,000 characters as sent, 50,000 as text

    page = compose(alice, send_at="2030-01-15T12:00", body=body)

    assert page.status_int == 303
    [message] = messages(alice.app)
    assert message.body == "line\n" * 10_000


def test_scheduling_many_without_reading_the_page_never_fails(alice):
    # A script that posts and never follows the redirect leaves every note
    # unread; only the latest is kept, so the session cookie cannot outgrow
    # what a browser stores (which used to give a 500 after the commit).
    fields = {
        "csrf_token": csrf_of(alice.get("/")),
        "recipient": "friend@example.org",
        "send_at": "2030-01-15T12:00:00",
        "time_zone": "Europe/Moscow",
        "body": "Hello.",
        "submit": "submit",
    }
    for _ in range(60):
        response = alice.post("/", fields)
        assert response.status_int == 303

    assert len(messages(alice.app)) == 60
    page = alice.get("/messages")
    assert page.text.count("Scheduled for") == 1


def test_a_message_that_is_not_utf8_is_refused_and_not_stored(alice):
    token = csrf_of(alice.get("/"))

    page = alice.post(
        "/",
        f"csrf_token={token}&recipient=a%40example.org&subject=caf%e9"
        "&send_at=2030-01-15T12%3A00&time_zone=UTC&body=na%efve&submit=submit",
        content_type="application/x-www-form-urlencoded",
    )

    assert set(field_errors(page)) == {"subject", "body"}
    assert messages(alice.app) == []


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("subject", "invoice\u202efdp.exe", "U+202E (right-to-left override)"),
        ("subject", "a\u2066b", "U+2066 (left-to-right isolate)"),
        ("subject", "\ufeffHello", "U+FEFF (zero width no-break space)"),
        ("subject", "odd\uffff", "U+FFFF"),
        ("body", "Pay to \u202e0001 GBP", "U+202E (right-to-left override)"),
    ],
)
def test_characters_that_reorder_or_are_no_characters_are_refused(
    alice, field, value, named
):
    page = compose_raw(alice, **{field: value})

    assert field_errors(page) == {
        field: f"Remove the invisible character {named}: it cannot be used here."
    }
    assert messages(alice.app) == []


@pytest.mark.parametrize("send_at", ["２０３０-01-15T12:00:00", "٢٠٣٠-01-15T12:00:00"])
def test_a_send_time_in_other_digits_is_refused(alice, send_at):
    page = compose_raw(alice, send_at=send_at)

    assert field_errors(page) == {
        "send_at": "Enter a date and time like 2026-12-31 18:30:00."
    }
    assert messages(alice.app) == []
