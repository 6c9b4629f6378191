"""The compose form's schema: recipient, send time with its zone, message."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import colander
import deform
from email_validator import EmailNotValidError, validate_email

from ..forms import CSRFSchema
from ..timezones import LocalTimeError, format_local, is_zone, local_to_utc, zone_names
from ..validation import in_order, multi_line, plain_single_line, single_line

# Far enough for any real plan, and well clear of datetime's year 9999.
YEARS_AHEAD = 10
# A bound on YEARS_AHEAD in days, for the coarse check before conversion.
MAX_AHEAD = timedelta(days=366 * YEARS_AHEAD)

# More than any zone's offset can change by: a wall-clock time this far
# outside the allowed window is refused before it is converted at all.
_CLEAR_MARGIN = timedelta(days=2)

_LOCAL_FORMATS = (
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)


def parse_local_datetime(text: str) -> datetime | None:
    """A naive wall-clock time from the browser's datetime-local field."""
    # strptime reads any Unicode digit (full-width, Arabic-Indic) as a digit;
    # the field sends ASCII, and anything else is a typing accident.
    if not text.isascii():
        return None
    for pattern in _LOCAL_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    return None


class UnsendableAddress(ValueError):
    """A valid address that the queue runner cannot send to yet."""


def normalized_address(address: str) -> str:
    """The address as it will be sent to; ``ValueError`` with the reason if not.

    The queue runner speaks plain SMTP, without the SMTPUTF8 extension, so
    the part before the @ must be ASCII. A domain in another script is fine:
    it is given back in its ASCII (punycode) form, which any server takes.
    """
    local_part, at, _domain = address.rpartition("@")
    if at and not local_part.isascii():
        raise UnsendableAddress(
            "Addresses with accented or non-Latin letters before the @ cannot "
            "be sent to yet. Ask the recipient for another address."
        )
    try:
        # Deliverability means a DNS look-up per keystroke of a typo; the
        # recipient's server is the one that finally decides. Strict mode
        # adds the 64-character limit on the part before the @.
        checked = validate_email(
            address, check_deliverability=False, allow_smtputf8=False, strict=True
        )
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None
    return checked.ascii_email


def _recipient_validator(node, value):
    try:
        normalized_address(value)
    except UnsendableAddress as error:
        raise colander.Invalid(node, str(error)) from None
    except ValueError as error:
        raise colander.Invalid(node, f"Enter a valid email address: {error}") from None


_TIME_FORMAT_HINT = "Enter a date and time like 2026-12-31 18:30:00."


def _local_time_validator(node, value):
    if parse_local_datetime(value) is None:
        raise colander.Invalid(node, _TIME_FORMAT_HINT)


def _plain_newlines(value):
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _not_blank(node, value):
    if not value.strip():
        raise colander.Invalid(node, "Write a message: it cannot be empty.")


def _zone_validator(node, value):
    if not is_zone(value):
        raise colander.Invalid(
            node, "Choose a time zone from the list, such as Europe/Moscow."
        )


_TOO_FAR = "Choose a time within the next ten years."


def _has_passed(zone_name: str, now: datetime) -> ValueError:
    return ValueError(
        f"This time has already passed in {zone_name}; "
        f"it is now {format_local(now, zone_name)} there."
    )


def latest_send_time(now: datetime) -> datetime:
    """The same date and time ten years after ``now`` (28 February for a 29th)."""
    try:
        return now.replace(year=now.year + YEARS_AHEAD)
    except ValueError:
        return now.replace(year=now.year + YEARS_AHEAD, day=28)


def resolve_send_time(local_text: str, zone_name: str, now: datetime) -> datetime:
    """The UTC instant to send at; ``ValueError`` with a reader's reason if not."""
    local = parse_local_datetime(local_text)
    if local is None:
        raise ValueError(_TIME_FORMAT_HINT)
    # Converting a time near year 1 or 9999 to UTC overflows; comparing
    # wall-clock times in the zone itself cannot.
    now_local = now.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)
    if local < now_local - _CLEAR_MARGIN:
        raise _has_passed(zone_name, now)
    if local > now_local + MAX_AHEAD + _CLEAR_MARGIN:
        raise ValueError(_TOO_FAR)

    try:
        send_at = local_to_utc(local, zone_name)
    except LocalTimeError as error:
        raise ValueError(str(error)) from None
    if send_at < now.replace(microsecond=0):
        raise _has_passed(zone_name, now)
    if send_at > latest_send_time(now):
        raise ValueError(_TOO_FAR)
    return send_at


@colander.deferred
def _zone_widget(node, kw):
    choices = [("", "Choose a time zone")] + [(name, name) for name in zone_names()]
    return deform.widget.SelectWidget(values=choices)


class ComposeSchema(CSRFSchema):
    recipient = colander.SchemaNode(
        colander.String(),
        title="To",
        validator=in_order(
            plain_single_line, colander.Length(max=254), _recipient_validator
        ),
        preparer=lambda value: value.strip() if isinstance(value, str) else value,
        widget=deform.widget.TextInputWidget(
            attributes={
                "type": "email",
                "autocomplete": "email",
                "placeholder": "name@example.com",
            }
        ),
    )
    subject = colander.SchemaNode(
        colander.String(),
        title="Subject",
        missing="",
        validator=in_order(single_line, colander.Length(max=200)),
        widget=deform.widget.TextInputWidget(attributes={"placeholder": "Optional"}),
    )
    send_at = colander.SchemaNode(
        colander.String(),
        title="Send at",
        validator=in_order(plain_single_line, _local_time_validator),
        # step=1 lets the browser's picker take seconds, not only minutes.
        widget=deform.widget.TextInputWidget(
            attributes={"type": "datetime-local", "step": "1"}
        ),
    )
    time_zone = colander.SchemaNode(
        colander.String(),
        title="Time zone",
        description="The send time is read in this zone.",
        validator=in_order(plain_single_line, _zone_validator),
        widget=_zone_widget,
    )
    body = colander.SchemaNode(
        colander.String(),
        title="Message",
        validator=in_order(multi_line, colander.Length(min=1, max=50_000), _not_blank),
        # Browsers send a textarea's line breaks as CRLF; stored as plain
        # newlines, a line break counts once against the limit.
        preparer=_plain_newlines,
        # Deform strips text by default, which would eat the indentation of
        # a message's first line and answer a blank one with a bare
        # "Required" before ``_not_blank`` could explain.
        widget=deform.widget.TextAreaWidget(rows=10, strip=False),
    )

    def validator(self, form, values):
        # Runs only once every field is valid on its own. The address in the
        # form it is sent to, and the resolved instant, join the appstruct,
        # so the view stores exactly the values that were checked.
        values["recipient"] = normalized_address(values["recipient"])
        try:
            values["send_at_utc"] = resolve_send_time(
                values["send_at"], values["time_zone"], datetime.now(UTC)
            )
        except ValueError as error:
            exc = colander.Invalid(form)
            exc["send_at"] = str(error)
            raise exc from None
