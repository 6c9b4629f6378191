"""Log lines with a fixed event name and ids as fields.

``log_event(log, "message.spooled", message_id=7, host="a")`` writes
``message.spooled message_id=7 host=a``, so one message can be followed from
the form to the SMTP reply with ``grep message_id=7``.
"""

import logging


def _field(value) -> str:
    text = str(value)
    if text == "" or any(
        char.isspace() or char in '"=' or not char.isprintable() for char in text
    ):
        # Quoted and escaped like a Python string literal, so a value can
        # never break the line in two or pass for another field.
        return (
            '"'
            + text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
            + '"'
        )
    return text


def log_event(
    logger: logging.Logger, event: str, level: int = logging.INFO, **fields
) -> None:
    if not logger.isEnabledFor(level):
        return
    parts = [event] + [f"{key}={_field(value)}" for key, value in fields.items()]
    logger.log(level, " ".join(parts))
