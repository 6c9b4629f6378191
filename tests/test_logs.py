"""Log lines: one line per event, whatever the values hold."""

import logging

from wgmail.logs import log_event


def test_fields_are_written_as_key_value_pairs(caplog):
    caplog.set_level(logging.INFO)

    log_event(logging.getLogger("wgmail.test"), "message.sent", message_id=7, host="a")

    assert caplog.messages == ["message.sent message_id=7 host=a"]


def test_a_value_with_spaces_quotes_or_line_breaks_stays_on_one_line(caplog):
    caplog.set_level(logging.INFO)

    log_event(
        logging.getLogger("wgmail.test"),
        "account.login_failed",
        username='eve"\nfake.event message_id=1',
        reply="250 ok",
        empty="",
    )

    [line] = caplog.messages
    assert "\n" not in line
    assert line == (
        'account.login_failed username="eve\\"\\nfake.event message_id=1" '
        'reply="250 ok" empty=""'
    )
