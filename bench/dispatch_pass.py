"""How long one dispatcher pass takes with many messages waiting far ahead.

The dispatcher asks, every few seconds in every worker process, which
waiting messages fall due within the look-ahead. This measures that pass on
PostgreSQL with 50,000 messages waiting for later and 200 due now, with the
(status, send_at) index and, as the baseline in the same run, without it.

    .venv/bin/python bench/dispatch_pass.py [postgresql+psycopg://...]

It creates and drops its own database, ``wgmail_bench``.
"""

import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import migrate, recreate_postgres_database  # noqa: E402 - after the path is set
from wgmail.delivery import make_delivery  # noqa: E402 - after the path is set
from wgmail.delivery.handoff import claim_due  # noqa: E402 - after the path is set
from wgmail.models import (  # noqa: E402 - after the path is set
    Message,
    User,
    get_engine,
    get_session_factory,
    unit_of_work,
)

FAR = 50_000
DUE = 200
ROUNDS = 30


def fill(url: str) -> None:
    engine = create_engine(url)
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(
            insert(User),
            [
                {
                    "username": "bench",
                    "username_key": "bench",
                    "password_hash": "x",
                    "is_admin": False,
                    "registered_at": now,
                    "session_generation": 0,
                }
            ],
        )
        rows = [
            {
                "owner_id": 1,
                "recipient": f"r{n}@example.org",
                "subject": "",
                "body": "x",
                "time_zone": "UTC",
                "send_at": now + timedelta(days=1 + n % 300, seconds=n)
                if n >= DUE
                else now,
                "created_at": now,
                "status": "waiting",
            }
            for n in range(FAR + DUE)
        ]
        connection.execute(insert(Message), rows)
        connection.execute(text("ANALYZE"))
    engine.dispose()


def time_passes(delivery) -> list[float]:
    """Milliseconds per claim, each rolled back so every round does the same work."""
    timings = []
    for _ in range(ROUNDS):
        with unit_of_work(delivery.session_factory) as (session, manager):
            started = time.perf_counter()
            claimed = claim_due(session, delivery, datetime.now(timezone.utc))
            timings.append((time.perf_counter() - started) * 1000)
            assert len(claimed) == DUE
            manager.doom()
    return timings


def main() -> None:
    url = (
        sys.argv[1]
        if len(sys.argv) > 1
        else "postgresql+psycopg://postgres@127.0.0.1:5432/wgmail_bench"
    )
    assert make_url(url).database == "wgmail_bench", "use a database named wgmail_bench"
    recreate_postgres_database(url)
    migrate(url)
    fill(url)

    engine = get_engine(url)
    settings = {
        "wgmail.broker_url": "memory://",
        "wgmail.sender": "b <b@example.org>",
        "wgmail.spool_dir": "/tmp/wgmail-bench-spool",
        "wgmail.hostname": "bench",
        "wgmail.smtp_host": "127.0.0.1",
        "wgmail.smtp_port": 25,
        "wgmail.smtp_user": "",
        "wgmail.smtp_password": "",
        "wgmail.smtp_tls": "none",
        "wgmail.smtp_timeout_seconds": 5,
        "wgmail.lookahead_seconds": 60,
        "wgmail.redispatch_after_seconds": 15,
        "wgmail.dispatch_interval_seconds": 5,
        "wgmail.runner_poll_seconds": 0.1,
        "wgmail.retry_after_seconds": 60,
        "wgmail.claim_lease_seconds": 600,
        "wgmail.worker_threads": 1,
        "wgmail.local_smtp_dir": "",
    }
    delivery = make_delivery(settings, get_session_factory(engine))

    with_index = time_passes(delivery)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_messages_status_send_at"))
        connection.execute(text("ANALYZE messages"))
    without_index = time_passes(delivery)
    engine.dispose()
    recreate_postgres_database(url)

    print(
        f"one dispatcher pass, {FAR:,} waiting later + {DUE} due now, {ROUNDS} rounds (ms)"
    )
    for name, timings in (
        ("with index", with_index),
        ("baseline, no index", without_index),
    ):
        print(
            f"  {name:<20} median {statistics.median(timings):7.2f}"
            f"   p90 {sorted(timings)[int(ROUNDS * 0.9)]:7.2f}"
        )
    print(
        f"  speed-up of the median: {statistics.median(without_index) / statistics.median(with_index):.1f}x"
    )


if __name__ == "__main__":
    main()
