"""Every setting wgmail reads, its environment override and its parser.

Settings come from the ``.ini`` file; any of them can be replaced by a
``WGMAIL_*`` environment variable, which is how production keeps secrets out
of files. A missing or malformed value stops start-up with a message that
names the setting, rather than failing later in a worker thread.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyramid.settings import asbool

# Secrets that ship in development.ini; production refuses to start with them.
DEVELOPMENT_SECRET = "development-only-secret-change-me"


class SettingsError(ValueError):
    """A setting is missing or cannot be read; the message names it."""


def _positive_number(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("must be greater than zero")
    return number


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be greater than zero")
    return number


def _port(value: str) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError("must be a TCP port between 1 and 65535")
    return number


def _tls_mode(value: str) -> str:
    mode = value.strip().lower()
    if mode not in ("none", "starttls", "ssl"):
        raise ValueError("must be one of none, starttls, ssl")
    return mode


def _text(value: str) -> str:
    return value.strip()


def _sender(value: str) -> str:
    from email.utils import parseaddr

    _name, address = parseaddr(value)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise ValueError(
            "must be an email address such as 'wgmail <wgmail@example.com>'"
        )
    return value.strip()


def _boolean(value: str) -> bool:
    if value.strip().lower() not in (
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "1",
        "0",
    ):
        raise ValueError("must be true or false")
    return asbool(value)


@dataclass(frozen=True)
class Setting:
    key: str
    env: str
    parse: Callable[[str], Any]
    default: str | None = None
    secret: bool = False


SETTINGS = [
    Setting("sqlalchemy.url", "WGMAIL_DATABASE_URL", _text),
    Setting("wgmail.broker_url", "WGMAIL_REDIS_URL", _text, "memory://"),
    Setting("wgmail.secret", "WGMAIL_SECRET", _text, secret=True),
    Setting("wgmail.sender", "WGMAIL_SENDER", _sender),
    Setting("wgmail.smtp_host", "WGMAIL_SMTP_HOST", _text, "127.0.0.1"),
    Setting("wgmail.smtp_port", "WGMAIL_SMTP_PORT", _port, "25"),
    Setting("wgmail.smtp_user", "WGMAIL_SMTP_USER", _text, ""),
    Setting("wgmail.smtp_password", "WGMAIL_SMTP_PASSWORD", _text, "", secret=True),
    Setting("wgmail.smtp_tls", "WGMAIL_SMTP_TLS", _tls_mode, "none"),
    Setting(
        "wgmail.smtp_timeout_seconds",
        "WGMAIL_SMTP_TIMEOUT_SECONDS",
        _positive_number,
        "30",
    ),
    Setting("wgmail.spool_dir", "WGMAIL_SPOOL_DIR", _text),
    Setting("wgmail.local_smtp_dir", "WGMAIL_LOCAL_SMTP_DIR", _text, ""),
    Setting(
        "wgmail.lookahead_seconds", "WGMAIL_LOOKAHEAD_SECONDS", _positive_number, "60"
    ),
    Setting(
        "wgmail.dispatch_interval_seconds",
        "WGMAIL_DISPATCH_INTERVAL_SECONDS",
        _positive_number,
        "5",
    ),
    Setting(
        "wgmail.redispatch_after_seconds",
        "WGMAIL_REDISPATCH_AFTER_SECONDS",
        _positive_number,
        "15",
    ),
    Setting(
        "wgmail.runner_poll_seconds",
        "WGMAIL_RUNNER_POLL_SECONDS",
        _positive_number,
        "0.1",
    ),
    Setting(
        "wgmail.retry_after_seconds",
        "WGMAIL_RETRY_AFTER_SECONDS",
        _positive_number,
        "60",
    ),
    Setting(
        "wgmail.claim_lease_seconds",
        "WGMAIL_CLAIM_LEASE_SECONDS",
        _positive_number,
        "600",
    ),
    Setting("wgmail.worker_threads", "WGMAIL_WORKER_THREADS", _positive_int, "2"),
    Setting("wgmail.secure_cookies", "WGMAIL_SECURE_COOKIES", _boolean, "false"),
    Setting("wgmail.hostname", "WGMAIL_HOSTNAME", _text, ""),
]


def load_settings(
    raw: dict[str, Any], environ: dict[str, str] | None = None
) -> dict[str, Any]:
    """Return the settings with environment overrides applied and values parsed.

    Keys wgmail does not own are passed through untouched. Raises
    ``SettingsError`` naming the first setting that is missing or malformed.
    """
    environ = os.environ if environ is None else environ
    settings = dict(raw)

    for setting in SETTINGS:
        value = environ.get(setting.env)
        source = setting.env
        if value is None:
            value = raw.get(setting.key)
            source = setting.key
        if value is None or (
            isinstance(value, str) and value.strip() == "" and setting.default is None
        ):
            if setting.default is None:
                raise SettingsError(
                    f"setting {setting.key} (or environment variable {setting.env}) is required"
                )
            value = setting.default
        if not isinstance(value, str):
            settings[setting.key] = value
            continue
        try:
            settings[setting.key] = setting.parse(value)
        except ValueError as error:
            shown = "(hidden)" if setting.secret else repr(value)
            raise SettingsError(f"{source} = {shown}: {error}") from None

    if settings.get("wgmail.production") is not None:
        settings["wgmail.production"] = asbool(settings["wgmail.production"])
    if (
        settings.get("wgmail.production")
        and settings["wgmail.secret"] == DEVELOPMENT_SECRET
    ):
        raise SettingsError(
            "wgmail.secret must be set to your own value (WGMAIL_SECRET) in production"
        )
    if settings.get("wgmail.production") and len(settings["wgmail.secret"]) < 32:
        raise SettingsError(
            "wgmail.secret (WGMAIL_SECRET) must be at least 32 characters long"
        )

    if not settings["wgmail.hostname"]:
        import socket

        settings["wgmail.hostname"] = socket.gethostname()
    return settings
