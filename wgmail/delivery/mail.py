"""Rendering a message into the mail that leaves: HTML with a text twin."""

import re
from datetime import datetime
from email.header import Header
from email.utils import format_datetime

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from pyramid_mailer.message import Attachment
from pyramid_mailer.message import Message as Mail

from ..models import Message

_templates = Environment(
    loader=PackageLoader("wgmail", "templates/mail"),
    autoescape=select_autoescape(["html", "jinja2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

SUBJECT_FALLBACK_LENGTH = 60


def message_id_header(message_id: int, domain: str) -> str:
    """The Message-ID that ties a spool file, and a repeat, to its row."""
    return f"<wgmail-{message_id}@{domain}>"


_MESSAGE_ID = re.compile(r"<wgmail-(\d+)@[^>]*>")


def row_id_from_header(value: str | None) -> int | None:
    match = _MESSAGE_ID.search(value or "")
    return int(match.group(1)) if match else None


def subject_of(message: Message) -> str:
    """The subject as written, or the message's first line when there is none."""
    if message.subject.strip():
        return message.subject.strip()
    first_line = next(
        (line.strip() for line in message.body.splitlines() if line.strip()), ""
    )
    if len(first_line) > SUBJECT_FALLBACK_LENGTH:
        first_line = first_line[: SUBJECT_FALLBACK_LENGTH - 1].rstrip() + "…"
    return first_line or "A message for you"


def paragraphs(text: str) -> list[Markup]:
    """The text's paragraphs as escaped HTML, single newlines kept as <br>."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return [
        Markup("<br>\n").join(escape(line) for line in block.split("\n"))
        for block in blocks
    ]


def _literal_header(text: str) -> str:
    """``text`` as a header value that mail clients show exactly as typed.

    Plain ASCII goes out as it is, and a client decodes anything in it that
    looks like an RFC 2047 encoded word (``=?utf-8?b?...?=``); encoding such
    a value ourselves makes the client show the characters instead.
    """
    if "=?" in text:
        return Header(text, "utf-8").encode()
    return text


def _utf8_part(content_type: str, text: str) -> Attachment:
    # Left to itself pyramid_mailer picks the narrowest charset that fits,
    # Latin-1 for most European text; UTF-8 throughout is what clients expect.
    return Attachment(
        data=text,
        content_type=f"{content_type}; charset=utf-8",
        transfer_encoding="quoted-printable",
        disposition="inline",
    )


def build_mail(message: Message, sender: str, domain: str, now: datetime) -> Mail:
    subject = subject_of(message)
    context = {
        "subject": subject,
        "paragraphs": paragraphs(message.body),
        "body": message.body.strip(),
        "author": message.owner.username,
    }
    return Mail(
        subject=_literal_header(subject),
        sender=sender,
        recipients=[message.recipient],
        body=_utf8_part(
            "text/plain", _templates.get_template("message.txt").render(context)
        ),
        html=_utf8_part(
            "text/html", _templates.get_template("message.html").render(context)
        ),
        extra_headers={
            "Message-ID": message_id_header(message.id, domain),
            "Date": format_datetime(now),
            "Auto-Submitted": "auto-generated",
        },
    )
