"""Delivery: from a waiting row to an SMTP server's reply.

``Delivery`` holds what the background parts share: the broker and its
actors, the session factory, the spool and this host's name. Building it
starts nothing; the serving commands (``wgmail.serve``, ``wgmail-worker``,
``wgmail-runner``) start the threads that use it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import dramatiq
from dramatiq.brokers.stub import StubBroker
from pyramid_mailer.mailer import Mailer
from sqlalchemy.orm import sessionmaker


@dataclass
class SMTPSettings:
    host: str
    port: int
    user: str
    password: str
    tls: str
    timeout_seconds: float


@dataclass
class Delivery:
    session_factory: sessionmaker
    broker: dramatiq.Broker
    sender: str
    spool_dir: Path
    hostname: str
    smtp: SMTPSettings
    lookahead: timedelta
    redispatch_after: timedelta
    dispatch_interval_seconds: float
    runner_poll_seconds: float
    retry_after_seconds: float
    claim_lease_seconds: float
    worker_threads: int
    local_smtp_dir: str = ""
    deliver: dramatiq.Actor = field(init=False)
    # Called after a mail was spooled on this host; a queue runner in the
    # same process listens, so the mail leaves without waiting for its poll.
    on_spooled: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self):
        from .deliver import deliver_message

        # Declared on our own broker explicitly: an actor declared before
        # set_broker() would bind to dramatiq's default (RabbitMQ, if pika is
        # importable). No broker retries: SMTP retries belong to the queue
        # runner, and the dispatcher re-sends hand-offs that were lost.
        def deliver(message_id: int) -> None:
            deliver_message(self, message_id)

        self.deliver = dramatiq.Actor(
            deliver,
            broker=self.broker,
            actor_name="deliver",
            queue_name="wgmail-mail",
            priority=0,
            options={"max_retries": 0},
        )

    @property
    def sender_domain(self) -> str:
        return parseaddr(self.sender)[1].rpartition("@")[2]

    def mailer(self, transaction_manager) -> Mailer:
        """A spooling mailer that joins ``transaction_manager``'s transaction."""
        return Mailer(
            queue_path=str(self.spool_dir),
            default_sender=self.sender,
            transaction_manager=transaction_manager,
        )


def make_broker(url: str) -> dramatiq.Broker:
    """``memory://`` runs tasks inside this process; ``redis://`` shares them."""
    if url.startswith("memory://"):
        broker = StubBroker()
    elif url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url)
    else:
        raise ValueError(
            f"wgmail.broker_url must be memory:// or redis://..., not {url!r}"
        )
    dramatiq.set_broker(broker)
    return broker


def make_delivery(settings: dict, session_factory: sessionmaker) -> Delivery:
    spool_dir = Path(settings["wgmail.spool_dir"])
    for sub in ("tmp", "new", "cur"):
        (spool_dir / sub).mkdir(parents=True, exist_ok=True)

    return Delivery(
        session_factory=session_factory,
        broker=make_broker(settings["wgmail.broker_url"]),
        sender=settings["wgmail.sender"],
        spool_dir=spool_dir,
        hostname=settings["wgmail.hostname"],
        smtp=SMTPSettings(
            host=settings["wgmail.smtp_host"],
            port=settings["wgmail.smtp_port"],
            user=settings["wgmail.smtp_user"],
            password=settings["wgmail.smtp_password"],
            tls=settings["wgmail.smtp_tls"],
            timeout_seconds=settings["wgmail.smtp_timeout_seconds"],
        ),
        lookahead=timedelta(seconds=settings["wgmail.lookahead_seconds"]),
        redispatch_after=timedelta(seconds=settings["wgmail.redispatch_after_seconds"]),
        dispatch_interval_seconds=settings["wgmail.dispatch_interval_seconds"],
        runner_poll_seconds=settings["wgmail.runner_poll_seconds"],
        retry_after_seconds=settings["wgmail.retry_after_seconds"],
        claim_lease_seconds=settings["wgmail.claim_lease_seconds"],
        worker_threads=settings["wgmail.worker_threads"],
        local_smtp_dir=settings["wgmail.local_smtp_dir"],
    )


def includeme(config):
    settings = config.get_settings()
    config.registry["wgmail.delivery"] = make_delivery(
        settings, config.registry["dbsession_factory"]
    )
