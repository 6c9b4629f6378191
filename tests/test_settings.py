"""Settings: environment overrides, and start-up stopped by a bad value."""

import pytest

from wgmail.settings import DEVELOPMENT_SECRET, SettingsError, load_settings

BASE = {
    "sqlalchemy.url": "sqlite:///x.sqlite",
    "wgmail.secret": "s" * 40,
    "wgmail.sender": "wgmail <wgmail@example.com>",
    "wgmail.spool_dir": "/tmp/spool",
}


def test_an_environment_variable_overrides_the_ini_value():
    settings = load_settings(
        BASE, {"WGMAIL_SMTP_PORT": "2525", "WGMAIL_DATABASE_URL": "postgresql://db/x"}
    )

    assert settings["wgmail.smtp_port"] == 2525
    assert settings["sqlalchemy.url"] == "postgresql://db/x"


def test_defaults_fill_what_the_ini_leaves_out():
    settings = load_settings(BASE, {})

    assert settings["wgmail.broker_url"] == "memory://"
    assert settings["wgmail.smtp_tls"] == "none"
    assert settings["wgmail.lookahead_seconds"] == 60.0
    assert settings["wgmail.secure_cookies"] is False
    assert settings["wgmail.hostname"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"WGMAIL_SMTP_PORT": "70000"},
            "WGMAIL_SMTP_PORT = '70000': must be a TCP port",
        ),
        ({"WGMAIL_SMTP_PORT": "smtp"}, "WGMAIL_SMTP_PORT = 'smtp'"),
        ({"WGMAIL_SMTP_TLS": "maybe"}, "must be one of none, starttls, ssl"),
        (
            {"WGMAIL_SENDER": "nobody"},
            "WGMAIL_SENDER = 'nobody': must be an email address",
        ),
        ({"WGMAIL_LOOKAHEAD_SECONDS": "-1"}, "must be greater than zero"),
        ({"WGMAIL_SECURE_COOKIES": "perhaps"}, "must be true or false"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_setting(environ, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")) as error:
        load_settings(BASE, environ)
    assert message in str(error.value)


def test_a_missing_required_setting_is_named_with_its_variable():
    settings = {key: value for key, value in BASE.items() if key != "wgmail.sender"}

    with pytest.raises(SettingsError) as error:
        load_settings(settings, {})

    assert (
        str(error.value)
        == "setting wgmail.sender (or environment variable WGMAIL_SENDER) is required"
    )


def test_an_empty_value_counts_as_missing():
    with pytest.raises(SettingsError, match="sqlalchemy.url"):
        load_settings({**BASE, "sqlalchemy.url": "  "}, {})


def test_a_secret_is_never_echoed_in_an_error():
    with pytest.raises(SettingsError) as error:
        load_settings({**BASE, "wgmail.production": "true"}, {"WGMAIL_SECRET": "short"})

    assert "short" not in str(error.value).replace("too short", "")
    assert "at least 32 characters" in str(error.value)


def test_production_refuses_the_development_secret():
    with pytest.raises(SettingsError, match="must be set to your own value"):
        load_settings(
            {**BASE, "wgmail.production": "true", "wgmail.secret": DEVELOPMENT_SECRET},
            {},
        )
