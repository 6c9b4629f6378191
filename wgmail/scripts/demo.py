"""``wgmail-demo CONFIG``: a demo user with a few waiting and sent messages.

Running it again changes nothing once the demo user exists.
"""

import argparse
from datetime import timedelta

from pyramid.paster import bootstrap, setup_logging

from ..accounts.services import find_user, register
from ..messages.services import schedule_message
from ..models import SENT, utcnow

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"
DEMO_ZONE = "Europe/Moscow"


def load_demo(dbsession) -> bool:
    """Create the demo user and messages; False if the user already exists."""
    if find_user(dbsession, DEMO_USERNAME) is not None:
        return False
    user = register(dbsession, DEMO_USERNAME, DEMO_PASSWORD)
    now = utcnow().replace(microsecond=0)

    for days, subject in ((1, "Tomorrow's stand-up notes"), (7, "A week from now")):
        schedule_message(
            dbsession,
            user,
            recipient="team@example.com",
            subject=subject,
            body=f"Hello!\n\nThis demo message waits {days} day(s) before it leaves.",
            time_zone=DEMO_ZONE,
            send_at=now + timedelta(days=days),
        )

    for hours, subject in ((3, "Welcome to wgmail"), (26, "Birthday wishes")):
        message = schedule_message(
            dbsession,
            user,
            recipient="friend@example.com",
            subject=subject,
            body="This demo message was delivered before you arrived.",
            time_zone=DEMO_ZONE,
            send_at=now - timedelta(hours=hours),
        )
        message.status = SENT
        message.spooled_at = message.sent_at = message.send_at
        message.smtp_reply = "250 2.0.0 Ok (demo data)"
        message.log("sent", message.smtp_reply)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description="Load a demo user and messages.")
    parser.add_argument("config_uri")
    args = parser.parse_args(argv)
    setup_logging(args.config_uri)
    with bootstrap(args.config_uri) as env, env["request"].tm:
        created = load_demo(env["request"].dbsession)
    if created:
        print(
            f"Demo user created: username {DEMO_USERNAME!r}, password {DEMO_PASSWORD!r}."
        )
    else:
        print(f"Demo user {DEMO_USERNAME!r} exists already; nothing changed.")
