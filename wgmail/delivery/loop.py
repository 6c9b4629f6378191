"""A background thread that repeats one pass until it is told to stop."""

import logging
import threading

from ..logs import log_event

log = logging.getLogger(__name__)


class Periodic:
    """Calls ``run_once`` every ``interval_seconds`` on its own thread.

    A failing pass is logged and the loop goes on: the next pass finds the
    same work again, since the database and the spool hold all the state.
    """

    name = "periodic"

    def __init__(self, interval_seconds: float, hostname: str):
        self.interval_seconds = interval_seconds
        self.hostname = hostname
        self._stop = threading.Event()
        # Set to end the wait before the next pass early: on stop, or when
        # another thread of this process knows there is work.
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"wgmail-{self.name}", daemon=True
        )

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_once(self) -> int:
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Make the next pass now rather than at the end of the interval."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        log_event(log, f"{self.name}.started", host=self.hostname)
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception(f"{self.name}.pass_failed")
            self._wake.wait(self.interval_seconds)
            self._wake.clear()
        log_event(log, f"{self.name}.stopped", host=self.hostname)
