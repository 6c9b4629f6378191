"""Starting and stopping the background services around a process.

``embedded_server`` is the PasteDeploy server that ``pserve development.ini``
uses: it runs the web server and, in the same process, the Dramatiq worker,
the dispatcher, the queue runner and the local SMTP server, and stops them
all on Ctrl-C. Production runs each as a separate command instead.
"""

import logging
import signal
import threading

import dramatiq
import waitress

from .delivery import Delivery
from .delivery.handoff import Dispatcher
from .delivery.localsmtp import LocalSMTPServer
from .delivery.runner import QueueRunner
from .logs import log_event

log = logging.getLogger(__name__)

# Dramatiq fires a delayed message up to one worker poll late; its default
# poll is a second, which would make a mail that much late.
WORKER_POLL_MS = 100


class BackgroundServices:
    """The chosen services for one process, started and stopped together."""

    def __init__(
        self,
        delivery: Delivery,
        *,
        worker: bool = False,
        dispatcher: bool = False,
        runner: bool = False,
        local_smtp: bool = False,
    ):
        self.delivery = delivery
        self.started: list = []
        self.wanted = {
            "local_smtp": local_smtp,
            "worker": worker,
            "dispatcher": dispatcher,
            "runner": runner,
        }

    def start(self) -> None:
        delivery = self.delivery
        if self.wanted["local_smtp"]:
            self._start(
                LocalSMTPServer(
                    delivery.local_smtp_dir, delivery.smtp.host, delivery.smtp.port
                )
            )
        if self.wanted["worker"]:
            self._start(
                dramatiq.Worker(
                    delivery.broker,
                    worker_threads=delivery.worker_threads,
                    worker_timeout=WORKER_POLL_MS,
                )
            )
        if self.wanted["dispatcher"]:
            self._start(Dispatcher(delivery))
        if self.wanted["runner"]:
            runner = QueueRunner(delivery)
            delivery.on_spooled.append(runner.wake)
            self._start(runner)
        log_event(
            log,
            "services.started",
            host=delivery.hostname,
            services=",".join(name for name, on in self.wanted.items() if on),
        )

    def _start(self, service) -> None:
        service.start()
        self.started.append(service)

    def stop(self) -> None:
        # In reverse: nothing is handed to a part that already stopped.
        while self.started:
            self.started.pop().stop()
        self.delivery.on_spooled.clear()
        log_event(log, "services.stopped", host=self.delivery.hostname)


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(3600):
        pass


def embedded_server(global_conf, host="127.0.0.1", port="6543", **waitress_settings):
    """PasteDeploy server factory: the whole service in one process."""

    def serve(app):
        delivery = app.registry["wgmail.delivery"]
        services = BackgroundServices(
            delivery,
            worker=True,
            dispatcher=True,
            runner=True,
            local_smtp=bool(delivery.local_smtp_dir),
        )
        services.start()
        try:
            waitress.serve(app, host=host, port=int(port), **waitress_settings)
        finally:
            services.stop()

    return serve
