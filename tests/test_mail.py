"""The mail a message becomes: headers, parts, escaping."""

from datetime import datetime, timezone
from email import message_from_bytes, policy

import pytest

from wgmail.delivery.mail import build_mail, row_id_from_header, subject_of
from wgmail.models import Message, User


def message(**fields) -> Message:
    values = dict(
        id=42,
        recipient="anna@example.org",
        subject="Hello",
        body="Dear Anna,\n\nsee <b>you</b> & soon.",
        time_zone="Europe/Moscow",
        owner=User(username="boris"),
    )
    values.update(fields)
    return Message(**values)


def render(row: Message):
    mail = build_mail(
        row,
        "wgmail <w@example.net>",
        "example.net",
        datetime(2026, 12, 3, tzinfo=timezone.utc),
    )
    return message_from_bytes(mail.to_message().as_bytes(), policy=policy.default)


def test_the_mail_has_its_headers_and_both_parts():
    mail = render(message())

    assert mail["Message-ID"] == "<wgmail-42@example.net>"
    assert mail["Date"] == "Thu, 03 Dec 2026 00:00:00 +0000"
    assert mail["From"] == "wgmail <w@example.net>"
    assert mail["To"] == "anna@example.org"
    assert mail["Subject"] == "Hello"
    text, html = mail.iter_parts()
    assert text.get_content().startswith("Dear Anna,\n\nsee <b>you</b> & soon.")
    assert (
        '<p style="margin:0 0 16px 0;">see &lt;b&gt;you&lt;/b&gt; &amp; soon.</p>'
        in html.get_content()
    )


@pytest.mark.parametrize(
    "subject", ["=?utf-8?b?SGFja2Vk?=", "Re: =?iso-8859-1?q?caf=E9?= plans"]
)
def test_a_subject_that_looks_encoded_is_shown_exactly_as_typed(subject):
    assert render(message(subject=subject))["Subject"] == subject


def test_without_a_subject_the_first_line_stands_in():
    assert (
        subject_of(message(subject="  ", body="\n  First line here\nsecond"))
        == "First line here"
    )
    assert subject_of(message(subject="", body="x" * 100)) == "x" * 59 + "…"


def test_the_row_id_is_read_back_from_the_message_id():
    assert row_id_from_header("<wgmail-42@example.net>") == 42
    assert row_id_from_header("<other-42@example.net>") is None
    assert row_id_from_header(None) is None
